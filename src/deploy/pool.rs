//! The worker pool: `--jobs` boards at a time, each a [`run_board`]
//! session, outcomes kept in the boards' order. One board's failure never
//! stops the others. The workers share this process's terminal, so every
//! write goes out in one piece (`emit`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::plan::Plan;
use super::session::{run_board, BoardMeter, Outcome};
use super::status::{BoardState, Status, Watch};
use super::Board;

/// Runs every board, `plan.jobs` at a time; in the boards' order.
/// `meters[i]` is the meter of `boards[i]`. Every state change and every
/// line of output goes to `watch`.
pub fn run_all(
    boards: &[Board],
    plan: &Plan,
    stop: &AtomicBool,
    meters: Vec<Option<BoardMeter>>,
    watch: &dyn Watch,
) -> Vec<Outcome> {
    let meters: Vec<Mutex<Option<BoardMeter>>> = meters.into_iter().map(Mutex::new).collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(boards.iter().map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..plan.jobs.clamp(1, boards.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(board) = boards.get(i) else { break };
                let outcome = if stop.load(Ordering::SeqCst) {
                    watch.state(
                        &board.name,
                        &BoardState::Failed {
                            status: Status::RunFailed,
                            took: std::time::Duration::ZERO,
                        },
                    );
                    Outcome {
                        interrupted: true,
                        ..Outcome::new(
                            &board.name,
                            Status::RunFailed,
                            Some("not started: interrupted (Ctrl-C)".into()),
                        )
                    }
                } else {
                    let meter = meters
                        .get(i)
                        .and_then(|m| m.lock().ok().and_then(|mut m| m.take()));
                    run_board(board, plan, stop, meter, watch)
                };
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(outcome);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .zip(boards)
        .map(|(o, b)| {
            o.unwrap_or_else(|| {
                Outcome::new(
                    &b.name,
                    Status::RunFailed,
                    Some("the worker running this board stopped unexpectedly".into()),
                )
            })
        })
        .collect()
}
