//! The idle phase before the kernels, for a meter on this board or on the
//! machine that started the run (`--phase-events`): the board's power with
//! nothing running, the article's first reading.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::events::PhaseEvents;
use super::meter::{Monitor, PowerStats};
use crate::interrupt::STOP;

/// Waits `idle_time` (or until Ctrl-C) as an announced `power=idle`
/// phase; with a monitor here, its figures over that window.
pub fn idle_phase(
    events: &PhaseEvents,
    monitor: Option<(&str, &Monitor)>,
    idle_time: Duration,
) -> Option<PowerStats> {
    let by = match monitor {
        Some((protocol, _)) => format!("with {protocol}"),
        None => "with the meter of the controlling machine".to_string(),
    };
    crate::term::note(&format!(
        "sbcbench: measuring idle power {by} for {:.0} s…",
        idle_time.as_secs_f64()
    ));
    let fields = vec![("power", "idle".to_string()), ("threads", "0".to_string())];
    events.start(&fields);
    let end = events.end_on_drop(fields);
    let t0 = Instant::now();
    while t0.elapsed() < idle_time && !STOP.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(end);
    monitor.and_then(|(_, m)| m.stats(t0, Instant::now(), Duration::ZERO))
}
