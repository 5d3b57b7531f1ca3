//! The progress bar of a run on stderr: one tick per timed round, with
//! the time left and what the step under way is doing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar of `len` rounds; hidden by indicatif itself when stderr is not a
/// terminal.
pub fn bar(len: u64) -> ProgressBar {
    if crate::term::quiet() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    // A bar of fixed width, the time left, and the step's own account
    // (warm-up or sample, last MB/s, watts) cut to what the line holds.
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed:>4} [{bar:20}] {percent:>3}% ETA {eta:<4} {wide_msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// The run's plan in one line, before it starts: `12 steps (sha1,
/// chacha20-poly1305, xz × 1, all; system tools too), about 75 s`.
pub fn plan_line(steps: usize, what: &str, seconds: f64) -> String {
    let time = if seconds < 90.0 {
        format!("about {:.0} s", seconds.max(1.0))
    } else {
        format!("about {:.0} min", (seconds / 60.0).ceil())
    };
    format!(
        "{steps} step{} ({what}), {time}",
        if steps == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::plan_line;

    #[test]
    fn the_plan_says_steps_and_time() {
        assert_eq!(
            plan_line(1, "sha1 × 1", 3.6),
            "1 step (sha1 × 1), about 4 s"
        );
        assert_eq!(
            plan_line(12, "sha1, xz × 1, all", 400.0),
            "12 steps (sha1, xz × 1, all), about 7 min"
        );
    }
}
