//! The `sbcbench fleet` summary: one line per board, for people. It is
//! rendering, so it lives with the other renderers; the boards' outcomes
//! come from `deploy`, which knows nothing of how they are shown.

use std::time::Duration;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};

use crate::deploy::session::Outcome;

fn duration_text(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        format!("{} min {:02} s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// The summary table: board, status, duration, rows saved, and whether
/// the board's own tools were measured (the like-for-like rows).
pub fn summary_table(outcomes: &[Outcome]) -> String {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.force_no_tty();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::session::Status;
    use crate::power::events::PhaseLog;

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
