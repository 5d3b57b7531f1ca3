//! What each board of a report is and ran: CPU, cores, OS and kernel,
//! clock, and per kernel which implementation and engine measured it. The
//! tables say how fast; this says of what, so that a reader can tell two
//! figures apart that come from different code or clocks.

use super::{grouped, Section};
use crate::compare::report::{Entry, Figures, Mode, Report};
use crate::measure::KernelId;

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "-".to_string()
    } else {
        s.to_string()
    }
}

/// `openssl 3.0.2 (system)`, and the other engine's where the run also
/// measured it: `… ; rustcrypto-sha1 0.11 (builtin)`.
fn implementations(e: &Entry, kernel: KernelId) -> String {
    let one = |f: &Figures| {
        if f.implementation.is_empty() {
            f.engine.to_string()
        } else {
            format!("{} ({})", f.implementation, f.engine)
        }
    };
    let mut shown: Vec<String> = Vec::new();
    for mode in Mode::BOTH {
        let m = e.mode(mode);
        for f in [m.kernels.get(&kernel), m.other_engine.get(&kernel)]
            .into_iter()
            .flatten()
            // Not the all-cores slot that holds only an extrapolation.
            .filter(|f| f.mb_per_s.is_some())
        {
            let text = one(f);
            if !shown.contains(&text) {
                shown.push(text);
            }
        }
    }
    if shown.is_empty() {
        "-".to_string()
    } else {
        shown.join("; ")
    }
}

/// `1.60 GHz (cpufreq-max)`: the clock of the first figure that has one.
fn clock(e: &Entry) -> String {
    let f = Mode::BOTH
        .iter()
        .flat_map(|m| e.mode(*m).kernels.values())
        .find(|f| f.clock_mhz.is_some());
    match f.and_then(|f| Some((f.clock_mhz?, f.clock_source.as_str()))) {
        Some((mhz, "")) => format!("{:.2} GHz", mhz / 1000.0),
        Some((mhz, source)) => format!("{:.2} GHz ({source})", mhz / 1000.0),
        None => "-".to_string(),
    }
}

/// The boards' facts, one row each, grouped by family as the tables.
pub(crate) fn facts(report: &Report) -> Section {
    let mut headers: Vec<String> = [
        "board",
        "measured by",
        "CPU",
        "cores",
        "arch",
        "OS",
        "Linux",
        "clock",
    ]
    .map(str::to_string)
    .to_vec();
    headers.extend(report.kernels.iter().map(|k| k.name().to_string()));
    let mut numeric = vec![false, false, false, true, false, false, false, true];
    numeric.extend(report.kernels.iter().map(|_| false));
    let lines = grouped(report.entries.iter(), |e| {
        let mut cells = vec![
            super::board_cell(e),
            e.source.clone(),
            or_dash(&e.cpu_model),
            if e.cores > 0 {
                e.cores.to_string()
            } else {
                "-".to_string()
            },
            or_dash(&e.arch),
            or_dash(&e.os),
            or_dash(&e.linux),
            clock(e),
        ];
        cells.extend(report.kernels.iter().map(|k| implementations(e, *k)));
        cells
    });
    Section {
        title: "Boards: what was measured, and with what".to_string(),
        headers,
        numeric,
        lines,
        empty: None,
    }
}
