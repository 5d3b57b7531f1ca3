//! The exit-code policy: 0 ok, 1 the run failed, 2 the command line or an
//! input was wrong (nothing was measured), 130 interrupted by Ctrl-C, 143
//! by SIGTERM.

/// Errors that choose their own exit code; anything else exits 1.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag or input file is wrong; the message names it and the fix.
    #[error("{0}")]
    Usage(String),
    /// Ctrl-C or SIGTERM; rows measured so far were saved.
    #[error("interrupted{}", match .saved { Some(p) => format!("; the rows measured so far are in {p}"), None => String::new() })]
    Interrupted { saved: Option<String> },
}

/// Says what went wrong, on stderr after `error:` (clap's prefix, so that
/// every error of sbcbench looks alike), and returns the exit code. A
/// closed stdout is no error: a reader such as `head` had enough.
pub fn report(result: anyhow::Result<()>) -> i32 {
    let Err(err) = result else { return 0 };
    if matches!(
        err.downcast_ref::<crate::term::StdoutError>(),
        Some(crate::term::StdoutError::Closed)
    ) {
        return 0;
    }
    eprintln!("{} {err:#}", crate::term::error_prefix());
    exit_code(&err)
}

pub fn exit_code(err: &anyhow::Error) -> i32 {
    match err.downcast_ref::<Error>() {
        Some(Error::Usage(_)) => 2,
        Some(Error::Interrupted { .. }) => crate::interrupt::exit_status(),
        None => 1,
    }
}
