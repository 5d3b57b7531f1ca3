//! What build this is, for `--version` and every result row.

/// `0.1.0 (abc123def456)`, or just the version outside a git checkout.
pub fn version() -> String {
    let hash = env!("SBCBENCH_GIT_HASH");
    if hash.is_empty() {
        env!("CARGO_PKG_VERSION").to_string()
    } else {
        format!("{} ({hash})", env!("CARGO_PKG_VERSION"))
    }
}

pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ngit: ",
    env!("SBCBENCH_GIT_HASH"),
    "\ntarget: ",
    env!("SBCBENCH_TARGET"),
);
