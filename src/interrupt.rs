//! Ctrl-C, SIGTERM and SIGHUP: the first asks the command to stop at its
//! next check and keep what it has; a second of any ends the process at
//! once. The one that came decides the exit status, as a shell reports a
//! process it ended: 130 after SIGINT, 143 after SIGTERM, 129 after SIGHUP.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGXFSZ};
use signal_hook::flag;

/// Set by the first SIGINT or SIGTERM; the long-running stages poll it.
pub static STOP: AtomicBool = AtomicBool::new(false);
/// The signal that set [`STOP`].
static SIGNAL: AtomicUsize = AtomicUsize::new(0);
/// Set by SIGXFSZ, which is otherwise fatal.
static FILE_TOO_LARGE: AtomicBool = AtomicBool::new(false);

/// Installs the handlers of SIGINT, SIGTERM and SIGHUP (the ssh session
/// or terminal went away: a sweep must still put cpufreq back).
pub fn install() {
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        // In this order: the shutdown looks at STOP before this signal sets
        // it, so only a second signal leaves at once.
        let _ = flag::register_conditional_shutdown(sig, 128 + sig, &STOP);
        let _ = flag::register_usize(sig, &SIGNAL, sig as usize);
        let _ = flag::register(sig, &STOP);
    }
}

/// A file size limit (`ulimit -f`) then fails the write that crosses it
/// with EFBIG — reported, the earlier results untouched — instead of
/// killing the process halfway through a file.
pub fn survive_file_size_limit() {
    let _ = flag::register(SIGXFSZ, &FILE_TOO_LARGE);
}

/// The exit status of a command stopped by a signal.
pub fn exit_status() -> i32 {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => 128 + SIGINT,
        s => 128 + s as i32,
    }
}
