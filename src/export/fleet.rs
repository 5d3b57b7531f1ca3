//! The `sbcbench fleet` summary, one line per board, and the live status
//! while the boards run. It is rendering, so it lives with the other
//! renderers; the boards' outcomes and states come from `deploy`, which
//! knows nothing of how they are shown.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::deploy::session::Outcome;
use crate::deploy::ssh::emit;
use crate::deploy::ssh::Stream;
use crate::deploy::status::{BoardState, Watch};
use crate::export::width::{stderr_width, stdout_width, wrap};

fn duration_text(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        format!("{} min {:02} s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// A board's output lines wrapped to the terminal they go to (unchanged
/// into a pipe or a file).
fn fitted(stream: Stream, text: &str) -> String {
    let width = match stream {
        Stream::Out => stdout_width(),
        Stream::Err => stderr_width(),
    };
    if width.is_none() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        out.push_str(&wrap(body, width).join("\n"));
        out.push_str(end);
    }
    out
}

/// The summary table: board, status, duration, rows saved, and whether
/// the board's own tools were measured (the like-for-like rows).
pub fn summary_table(outcomes: &[Outcome]) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.force_no_tty();
    crate::export::table::fit(&mut table, stdout_width());
    table.set_header(["board", "status", "duration", "rows saved", "system tools"]);
    for o in outcomes {
        let system = match (o.rows, o.system_rows) {
            (0, _) => "-".to_string(),
            (_, 0) => "not measured".to_string(),
            (_, n) => format!("{n} rows"),
        };
        table.add_row([
            Cell::new(&o.board),
            Cell::new(o.status.to_string()),
            Cell::new(duration_text(o.duration)).set_alignment(CellAlignment::Right),
            Cell::new(o.rows).set_alignment(CellAlignment::Right),
            Cell::new(system),
        ]);
    }
    format!("{table}\n")
}

/// A board's state in words: its status line without the board's name.
pub fn state_text(state: &BoardState) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    match state {
        BoardState::Connecting => "connecting".into(),
        BoardState::Uploading => "uploading sbcbench".into(),
        BoardState::Running { step: None, .. } => "running: starting".into(),
        BoardState::Running {
            step: Some(e),
            started,
        } => match (e.step_key(), e.get("power")) {
            (Some(key), _) => format!("running {key}, measurement {started}"),
            (None, Some("idle")) => "running: measuring idle power".into(),
            (None, _) => format!("running: {}", e.label()),
        },
        BoardState::Fetching => "fetching the results".into(),
        BoardState::Done { rows, took } => format!(
            "done: {rows} row{} in {}",
            plural(*rows),
            duration_text(*took)
        ),
        BoardState::Failed { status, took } => {
            format!("failed: {status} after {}", duration_text(*took))
        }
    }
}

/// A state change as one line for a log (stderr not a terminal):
/// `16:03:04 pi4: uploading sbcbench`, the time in UTC.
pub fn timestamped_line(at: SystemTime, board: &str, state: &BoardState) -> String {
    let stamp = humantime::format_rfc3339_seconds(at).to_string();
    // 2026-12-04T16:03:04Z → 16:03:04
    let time = stamp.get(11..19).unwrap_or(&stamp);
    format!("{time} {board}: {}\n", state_text(state))
}

/// How the states are shown.
enum Show {
    /// One line per board, redrawn in place (stderr is a terminal).
    Bars(MultiProgress, HashMap<String, ProgressBar>),
    /// A timestamped line at each change.
    Lines,
}

/// The fleet's live status ([`Watch`]): each board's state as it changes,
/// and its output (table, warnings, messages) either shown as it comes
/// (`verbose`) or held until [`FleetStatus::print_held`], after the
/// summary, so that boards running at once do not bury their states.
pub struct FleetStatus {
    show: Show,
    verbose: bool,
    boards: Vec<String>,
    held: Mutex<HashMap<String, Vec<(Stream, String)>>>,
}

impl FleetStatus {
    /// `terminal`: redraw a line per board in place; else timestamped
    /// lines. `boards` in the order their lines are shown.
    pub fn new(boards: &[&str], terminal: bool, verbose: bool) -> FleetStatus {
        let show = if terminal {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let width = boards.iter().map(|b| b.chars().count()).max().unwrap_or(0);
            let style = ProgressStyle::with_template("{spinner} {prefix} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            let bars = boards
                .iter()
                .map(|b| {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(style.clone());
                    bar.set_prefix(format!("{b:width$}"));
                    bar.set_message("waiting");
                    (b.to_string(), bar)
                })
                .collect();
            Show::Bars(multi, bars)
        } else {
            Show::Lines
        };
        FleetStatus {
            show,
            verbose,
            boards: boards.iter().map(|b| b.to_string()).collect(),
            held: Mutex::new(HashMap::new()),
        }
    }

    /// Leaves every board's last line as it is, for the summary below.
    pub fn finish(&self) {
        if let Show::Bars(_, bars) = &self.show {
            for b in bars.values() {
                if !b.is_finished() {
                    b.abandon();
                }
            }
            // The last line is drawn without its line end: end it, so that
            // the summary starts on a line of its own.
            emit(Stream::Err, "\n");
        }
    }

    /// The output held back, board by board (after the summary).
    pub fn print_held(&self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        for board in &self.boards {
            for (stream, text) in held.remove(board).unwrap_or_default() {
                emit(stream, &fitted(stream, &text));
            }
        }
    }
}

impl Watch for FleetStatus {
    fn state(&self, board: &str, state: &BoardState) {
        match &self.show {
            Show::Lines => emit(
                Stream::Err,
                &timestamped_line(SystemTime::now(), board, state),
            ),
            Show::Bars(_, bars) => {
                let Some(bar) = bars.get(board) else { return };
                let text = state_text(state);
                match state {
                    BoardState::Done { .. } | BoardState::Failed { .. } => {
                        bar.finish_with_message(text)
                    }
                    _ => {
                        bar.set_message(text);
                        bar.enable_steady_tick(Duration::from_millis(120));
                    }
                }
            }
        }
    }

    fn detail(&self, board: &str, stream: Stream, text: &str, live: bool) {
        if !(self.verbose || live) {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            held.entry(board.to_string())
                .or_default()
                .push((stream, text.to_string()));
            return;
        }
        match &self.show {
            Show::Bars(multi, _) => multi.suspend(|| emit(stream, &fitted(stream, text))),
            Show::Lines => emit(stream, &fitted(stream, text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::status::Status;
    use crate::power::events::{parse_control, Control, PhaseLog};

    #[test]
    fn each_state_reads_as_a_short_line() {
        let step = |line: &str| match parse_control(line) {
            Some(Ok(Control::Step(e) | Control::Phase(e))) => e,
            other => panic!("{other:?}"),
        };
        let running = |line: &str, started| BoardState::Running {
            step: Some(step(line)),
            started,
        };
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let lines: Vec<String> = [
            BoardState::Connecting,
            BoardState::Uploading,
            BoardState::Running {
                step: None,
                started: 0,
            },
            running("@sbcbench phase start power=idle threads=0 load=spin", 0),
            running("@sbcbench step kernel=sha1 mode=1 threads=1 cpus=0", 1),
            running(
                "@sbcbench step kernel=xz engine=system mode=all threads=4 cpus=0-3",
                2,
            ),
            BoardState::Fetching,
            BoardState::Done {
                rows: 1,
                took: Duration::from_millis(61_500),
            },
            BoardState::Failed {
                status: Status::AuthFailed,
                took: Duration::from_millis(1_200),
            },
        ]
        .iter()
        .map(|s| timestamped_line(at, "pi4", s))
        .collect();
        assert_eq!(
            lines.concat(),
            "22:13:20 pi4: connecting\n\
             22:13:20 pi4: uploading sbcbench\n\
             22:13:20 pi4: running: starting\n\
             22:13:20 pi4: running: measuring idle power\n\
             22:13:20 pi4: running sha1 × 1 (cpu 0), measurement 1\n\
             22:13:20 pi4: running xz (system) × all (cpu 0-3), measurement 2\n\
             22:13:20 pi4: fetching the results\n\
             22:13:20 pi4: done: 1 row in 1 min 01 s\n\
             22:13:20 pi4: failed: auth failed after 1.2 s\n"
        );
    }

    #[test]
    fn output_is_held_for_after_the_summary_unless_verbose_or_live() {
        let status = FleetStatus::new(&["a", "b"], false, false);
        status.detail("b", Stream::Out, "[b] table\n", false);
        status.detail("a", Stream::Err, "[a] warning\n", false);
        let held = status.held.lock().unwrap();
        assert_eq!(held["b"], [(Stream::Out, "[b] table\n".to_string())]);
        assert_eq!(held.len(), 2);
        drop(held);
        let verbose = FleetStatus::new(&["a"], false, true);
        verbose.detail("a", Stream::Err, "", false);
        status.detail("a", Stream::Err, "", true);
        assert!(verbose.held.lock().unwrap().is_empty());
        assert_eq!(status.held.lock().unwrap()["a"].len(), 1);
    }

    #[test]
    fn the_summary_has_its_five_columns() {
        let o = Outcome {
            board: "Pi 4".into(),
            status: Status::AuthFailed,
            detail: None,
            duration: Duration::from_millis(61_500),
            rows: 0,
            system_rows: 0,
            saved: vec![],
            phases: PhaseLog::default(),
            interrupted: false,
        };
        let mut measured = Outcome {
            board: "Pi 5".into(),
            status: Status::Ok,
            rows: 12,
            system_rows: 6,
            ..o.clone()
        };
        let t = summary_table(&[o, measured.clone()]);
        assert!(t.contains("6 rows"), "{t}");
        measured.system_rows = 0;
        assert!(summary_table(&[measured]).contains("not measured"));
        for want in [
            "board",
            "status",
            "duration",
            "rows saved",
            "system tools",
            "auth failed",
            "1 min 01 s",
        ] {
            assert!(t.contains(want), "{t}");
        }
    }
}
