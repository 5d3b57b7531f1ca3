//! The sweep view in the human formats: per board and core class, a table
//! of the clock steps (a block per kernel × threads, lowest clock first)
//! with the most efficient step of each block marked, the idle power once,
//! and one sentence naming the step to run at. Apart from the comparison's
//! tables, after them, numbered on from them.

use super::{Line, Section};
use crate::compare::report::{mhz_text, Report, Sweep, SweepCurve};
use crate::export::sig3;

/// The mark of a curve's most efficient step, and its legend.
pub(crate) const BEST: &str = "*";
const LEGEND: &str = "* the most efficient step of each kernel × threads: its highest MB/s per W \
                      (the whole board's power, where the sweep's meter reads it: at the wall, or in the \
                      board's DC or USB supply).";

/// A sweep's table and the lines shown under it.
pub(crate) struct SweepSection {
    pub section: Section,
    pub notes: Vec<String>,
}

/// `xz × all (4 threads)`.
fn block_title(c: &SweepCurve) -> String {
    format!(
        "{} ({} thread{})",
        c.label(),
        c.threads,
        if c.threads == 1 { "" } else { "s" }
    )
}

/// The table of one sweep; without power figures, MB/s only.
fn section(s: &Sweep, number: usize) -> Section {
    let watts = s.has_watts();
    let mut headers = vec!["clock (MHz)".to_string(), "MB/s".to_string()];
    if watts {
        headers.push("power (W)".to_string());
        headers.push("MB/s per W".to_string());
    }
    let mut lines = Vec::new();
    for c in &s.curves {
        lines.push(Line::Group(block_title(c)));
        for p in &c.points {
            let mut cells = vec![mhz_text(p.clock_mhz), sig3(p.mb_per_s)];
            if watts {
                cells.push(p.watts.map_or("-".to_string(), |w| format!("{w:.1}")));
                let mut eff = p.mb_per_s_per_w.map_or("-".to_string(), sig3);
                if c.most_efficient_mhz == Some(p.clock_mhz) {
                    eff.push(' ');
                    eff.push_str(BEST);
                }
                cells.push(eff);
            }
            lines.push(Line::Cells(cells));
        }
    }
    Section {
        title: format!(
            "{number}. Sweep, {} ({}): MB/s{} at each clock step",
            s.heading(),
            s.timestamp,
            if watts { " and MB/s per W" } else { "" }
        ),
        numeric: vec![true; headers.len()],
        headers,
        lines,
        empty: None,
    }
}

/// The sweeps' tables, numbered from `first`.
pub(crate) fn sections(report: &Report, first: usize) -> Vec<SweepSection> {
    report
        .sweeps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut notes = Vec::new();
            if s.has_watts() {
                notes.push(LEGEND.to_string());
            }
            if let Some(idle) = s.idle_watts {
                notes.push(format!(
                    "Idle: {idle:.1} W (whole board, nothing running), the same for every step."
                ));
            }
            notes.push(summary(s));
            SweepSection {
                section: section(s, first + i),
                notes,
            }
        })
        .collect()
}

fn labels(curves: &[&SweepCurve]) -> String {
    curves
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One sentence per board and class: the step most curves are most
/// efficient at (and each other step with its curves when they
/// disagree), quoting the first of its curves against the top step.
pub fn summary(s: &Sweep) -> String {
    let head = s.heading();
    let steps = s.efficient_steps();
    let Some((mhz, lead)) = steps.first() else {
        return format!(
            "{head}: no power figures: run sweep with --meter or --power ask to find the most \
             efficient step."
        );
    };
    let which = if steps.len() == 1 {
        let all = s.curves.len();
        if lead.len() == all {
            "every kernel and thread mode".to_string()
        } else {
            format!("every curve with power figures ({} of {all})", lead.len())
        }
    } else {
        let mut parts = vec![labels(lead)];
        for (m, cs) in &steps[1..] {
            parts.push(format!("at {} MHz for {}", mhz_text(*m), labels(cs)));
        }
        parts.join(" and ")
    };
    let quoted = lead[0];
    let best = quoted
        .at(*mhz)
        .and_then(|p| p.mb_per_s_per_w)
        .unwrap_or(0.0);
    let against = match quoted.top() {
        // The conclusion only when it holds for every curve.
        Some(top) if top.clock_mhz == *mhz && steps.len() == 1 => {
            " at the top step, so a lower clock saves no energy per byte".to_string()
        }
        Some(top) if top.clock_mhz == *mhz => " at the top step".to_string(),
        Some(top) => match top.mb_per_s_per_w.filter(|e| *e > 0.0) {
            Some(e) => format!(
                ", {:.2}× its {} at {} MHz",
                best / e,
                sig3(e),
                mhz_text(top.clock_mhz)
            ),
            None => String::new(),
        },
        None => String::new(),
    };
    format!(
        "{head}: most efficient at {} MHz for {which} — {}: {} MB/s per W{against}.",
        mhz_text(*mhz),
        quoted.label(),
        sig3(best)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::report::{Mode, SweepPoint};
    use crate::measure::{Engine, KernelId};

    fn curve(kernel: KernelId, mode: Mode, eff: &[(f64, f64)]) -> SweepCurve {
        let points: Vec<SweepPoint> = eff
            .iter()
            .map(|&(mhz, e)| SweepPoint {
                clock_mhz: mhz,
                mb_per_s: mhz / 100.0,
                watts: Some(mhz / 100.0 / e),
                mb_per_s_per_w: Some(e),
            })
            .collect();
        let best = points
            .iter()
            .max_by(|a, b| {
                a.mb_per_s_per_w
                    .unwrap()
                    .total_cmp(&b.mb_per_s_per_w.unwrap())
            })
            .map(|p| p.clock_mhz);
        SweepCurve {
            kernel,
            engine: Engine::Builtin,
            mode,
            threads: if mode == Mode::All { 4 } else { 1 },
            points,
            most_efficient_mhz: best,
        }
    }

    fn sweep(curves: Vec<SweepCurve>) -> Sweep {
        Sweep {
            board: "Raspberry Pi 4 Model B".to_string(),
            source: "sbcbench".to_string(),
            timestamp: "2026-12-04T10:00:00Z".to_string(),
            arch: "aarch64".to_string(),
            cluster: Some(0),
            core_name: "Cortex-A72".to_string(),
            cpus: "0-3".to_string(),
            idle_watts: Some(2.7),
            curves,
            summary: String::new(),
        }
    }

    const PI: &[(f64, f64)] = &[(600.0, 4.36), (1000.0, 12.3), (1500.0, 9.4)];

    #[test]
    fn one_step_for_every_curve_is_named_with_its_gain_over_the_top_step() {
        let s = sweep(vec![
            curve(
                KernelId::Xz,
                Mode::Single,
                &[(600.0, 1.5), (1000.0, 2.0), (1500.0, 1.76)],
            ),
            curve(KernelId::Xz, Mode::All, PI),
        ]);
        assert_eq!(
            summary(&s),
            "Raspberry Pi 4 Model B, Cortex-A72 (cpu 0-3): most efficient at 1000 MHz for every \
             kernel and thread mode — xz × 1: 2.00 MB/s per W, 1.14× its 1.76 at 1500 MHz."
        );
        let table = section(&s, 7);
        assert!(table.title.starts_with("7. Sweep, Raspberry Pi 4 Model B"));
        assert_eq!(
            table.headers,
            ["clock (MHz)", "MB/s", "power (W)", "MB/s per W"]
        );
        assert_eq!(table.lines[0], Line::Group("xz × 1 (1 thread)".to_string()));
        let marked: Vec<&[String]> = table
            .lines
            .iter()
            .filter_map(Line::cells)
            .filter(|c| c[3].ends_with(" *"))
            .collect();
        assert_eq!(marked.len(), 2);
        assert!(marked.iter().all(|c| c[0] == "1000"));
        assert_eq!(marked[1][3], "12.3 *");
    }

    #[test]
    fn disagreeing_curves_name_each_step_in_one_sentence() {
        let s = sweep(vec![
            curve(KernelId::Sha1, Mode::Single, &[(600.0, 1.0), (1500.0, 2.0)]),
            curve(KernelId::Xz, Mode::Single, &[(600.0, 3.0), (1500.0, 2.0)]),
            curve(KernelId::Xz, Mode::All, &[(600.0, 3.0), (1500.0, 2.5)]),
        ]);
        assert_eq!(
            summary(&s),
            "Raspberry Pi 4 Model B, Cortex-A72 (cpu 0-3): most efficient at 600 MHz for xz × 1, \
             xz × all and at 1500 MHz for sha1 × 1 — xz × 1: 3.00 MB/s per W, 1.50× its 2.00 at \
             1500 MHz."
        );
    }

    #[test]
    fn the_top_step_and_no_watts_are_said_plainly() {
        let s = sweep(vec![curve(
            KernelId::Xz,
            Mode::All,
            &[(600.0, 1.0), (1500.0, 2.0)],
        )]);
        assert!(summary(&s).ends_with(
            "most efficient at 1500 MHz for every kernel and thread mode — xz × all: 2.00 MB/s \
             per W at the top step, so a lower clock saves no energy per byte."
        ));
        let mut c = curve(KernelId::Xz, Mode::All, PI);
        for p in &mut c.points {
            (p.watts, p.mb_per_s_per_w) = (None, None);
        }
        c.most_efficient_mhz = None;
        let s = sweep(vec![c]);
        assert_eq!(
            summary(&s),
            "Raspberry Pi 4 Model B, Cortex-A72 (cpu 0-3): no power figures: run sweep with \
             --meter or --power ask to find the most efficient step."
        );
        assert_eq!(section(&s, 1).headers, ["clock (MHz)", "MB/s"]);
    }

    #[test]
    fn the_top_step_of_one_curve_is_no_verdict_on_the_others() {
        let s = sweep(vec![
            curve(KernelId::Sha1, Mode::Single, &[(600.0, 1.0), (1500.0, 2.0)]),
            curve(KernelId::Xz, Mode::Single, &[(600.0, 3.0), (1500.0, 2.0)]),
        ]);
        assert!(summary(&s).ends_with(
            "most efficient at 600 MHz for xz × 1 and at 1500 MHz for sha1 × 1 — xz × 1: 3.00 \
             MB/s per W, 1.50× its 2.00 at 1500 MHz."
        ));
        let s = sweep(vec![
            curve(KernelId::Sha1, Mode::Single, &[(600.0, 1.0), (1500.0, 2.0)]),
            curve(KernelId::Sha1, Mode::All, &[(600.0, 1.0), (1500.0, 2.0)]),
            curve(KernelId::Xz, Mode::Single, &[(600.0, 3.0), (1500.0, 2.0)]),
        ]);
        assert!(summary(&s).ends_with(
            "most efficient at 1500 MHz for sha1 × 1, sha1 × all and at 600 MHz for xz × 1 — \
             sha1 × 1: 2.00 MB/s per W at the top step."
        ));
    }
}
