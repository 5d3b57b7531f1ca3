//! A board's entry from all its runs (`--latest`): the newest full run's
//! figures, and for each kernel × mode it lacks, the newest full run that
//! has it, else the newest run of any kind, marked. A later `--quick`
//! smoke test of one kernel so never replaces a full run's figures.

use super::runs::{summarise, Run};
use super::{Entry, Mode};
use crate::measure::KernelId;
use crate::record::RunKind;

/// The entry of one board from its runs (oldest first), and a note saying
/// which runs it shows when it is not simply the newest.
pub(super) fn compose(runs: &[&Run], kernels: &[KernelId]) -> (Entry, Option<String>) {
    let Some(newest) = runs.last() else {
        unreachable!("a board has at least one run");
    };
    let newest_full = runs.iter().rev().find(|r| r.kind() == RunKind::Full);
    let primary = newest_full.unwrap_or(newest);
    // Newest first, full runs before the others; each run summarised once.
    let mut donors: Vec<&Run> = runs.iter().rev().copied().collect();
    donors.sort_by_key(|r| r.kind() != RunKind::Full);
    let summaries: Vec<(&Run, Entry)> =
        donors.iter().map(|r| (*r, summarise(r, kernels))).collect();
    let mut entry = match summaries.iter().find(|(r, _)| r.key == primary.key) {
        Some((_, e)) => e.clone(),
        None => summarise(primary, kernels),
    };
    let mut borrowed: Vec<(String, &Run)> = Vec::new();
    for mode in Mode::BOTH {
        for &kernel in kernels {
            if entry
                .mode(mode)
                .get(kernel)
                .is_some_and(|f| f.mb_per_s.is_some())
            {
                continue;
            }
            let Some((run, donor)) = summaries.iter().find(|(r, e)| {
                r.key != primary.key
                    && e.mode(mode)
                        .get(kernel)
                        .is_some_and(|f| f.mb_per_s.is_some())
            }) else {
                continue;
            };
            let figures = entry.mode_mut(mode);
            let from = donor.mode(mode);
            for (to, map) in [
                (&mut figures.kernels, &from.kernels),
                (&mut figures.other_engine, &from.other_engine),
            ] {
                match map.get(&kernel) {
                    Some(f) => {
                        to.insert(kernel, f.clone());
                    }
                    None => {
                        to.remove(&kernel);
                    }
                }
            }
            borrowed.push((format!("{kernel} × {}", mode.key()), run));
        }
    }
    let n = runs.len();
    if n == 1 {
        return (entry, None);
    }
    let board = &primary.key.1;
    let mut note = if primary.key == newest.key {
        format!("{board}: {n} runs; the newest ({}) is shown", primary.key.2)
    } else {
        format!(
            "{board}: {n} runs; the newest full run ({}) is shown, not the newer {} run ({})",
            primary.key.2,
            newest.kind(),
            newest.key.2
        )
    };
    let mut by_run: Vec<(&Run, Vec<String>)> = Vec::new();
    for (what, run) in borrowed {
        match by_run.iter_mut().find(|(r, _)| r.key == run.key) {
            Some((_, list)) => list.push(what),
            None => by_run.push((run, vec![what])),
        }
    }
    for (run, what) in by_run {
        note.push_str(&format!(
            ", with {} from the {} run ({})",
            what.join(", "),
            run.kind(),
            run.key.2
        ));
    }
    note.push_str("; --all shows each");
    (entry, Some(note))
}

#[cfg(test)]
mod tests {
    use crate::compare::report::{Mode, Report, ReportOptions};
    use crate::measure::KernelId;
    use crate::record::{ResultRow, RunKind};

    fn row(ts: &str, kind: RunKind, kernel: KernelId, mode: &str, mb: f64) -> ResultRow {
        ResultRow {
            board: "Pi 5".into(),
            timestamp: ts.into(),
            arch: "aarch64".into(),
            source: "sbcbench".into(),
            kernel,
            thread_mode: mode.parse().unwrap(),
            threads: if mode == "1" { 1 } else { 4 },
            logical_cpus: 4,
            cores: 4,
            mb_per_s: mb,
            samples: 5,
            run_kind: kind,
            ..ResultRow::default()
        }
    }

    const FULL: &str = "2026-11-01T00:00:00Z";
    const QUICK: &str = "2026-11-02T00:00:00Z";

    #[test]
    fn a_later_quick_run_does_not_replace_a_full_run() {
        let mut rows = Vec::new();
        for k in [KernelId::Sha1, KernelId::Chacha20Poly1305] {
            rows.push(row(FULL, RunKind::Full, k, "1", 100.0));
            rows.push(row(FULL, RunKind::Full, k, "all", 400.0));
        }
        // The smoke test of one kernel, and of one the full run lacks.
        rows.push(row(QUICK, RunKind::Quick, KernelId::Sha1, "1", 90.0));
        rows.push(row(QUICK, RunKind::Quick, KernelId::Xz, "1", 5.0));
        let report = Report::build(rows, &ReportOptions::default()).unwrap();
        let pi5 = report.entries.iter().find(|e| e.board == "Pi 5").unwrap();
        let sha1 = pi5.mode(Mode::Single).get(KernelId::Sha1).unwrap();
        assert_eq!(sha1.mb_per_s.map(|v| v.value), Some(100.0));
        assert_eq!(
            (sha1.run_kind, sha1.timestamp.as_str()),
            (RunKind::Full, FULL)
        );
        assert!(
            pi5.mode(Mode::All).get(KernelId::Sha1).is_some(),
            "all cores kept"
        );
        let xz = pi5.mode(Mode::Single).get(KernelId::Xz).unwrap();
        assert_eq!(
            (xz.run_kind, xz.timestamp.as_str()),
            (RunKind::Quick, QUICK)
        );
        let note = report
            .notes
            .iter()
            .find(|n| n.starts_with("Pi 5:"))
            .unwrap();
        assert_eq!(
            note,
            &format!(
                "Pi 5: 2 runs; the newest full run ({FULL}) is shown, not the newer quick run \
                 ({QUICK}), with xz × 1 from the quick run ({QUICK}); --all shows each"
            )
        );
    }

    #[test]
    fn without_a_full_run_the_newest_is_shown_and_says_its_kind() {
        let rows = vec![
            row(FULL, RunKind::Interrupted, KernelId::Sha1, "1", 100.0),
            row(QUICK, RunKind::Quick, KernelId::Sha1, "1", 90.0),
        ];
        let report = Report::build(rows, &ReportOptions::default()).unwrap();
        let pi5 = report.entries.iter().find(|e| e.board == "Pi 5").unwrap();
        let sha1 = pi5.mode(Mode::Single).get(KernelId::Sha1).unwrap();
        assert_eq!(sha1.run_kind, RunKind::Quick);
        assert_eq!(sha1.mb_per_s.map(|v| v.value), Some(90.0));
    }
}
