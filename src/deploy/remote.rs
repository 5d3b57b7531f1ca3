//! The commands run on a board. Each is built from literal shell code and
//! values quoted one by one ([`Remote`]), so that no board name, path or
//! argument from boards.toml can reach the remote shell unquoted.

use super::ssh::Remote;

pub(super) fn probe_cmd() -> Remote {
    Remote::new().code("uname -m")
}

/// The temp directory's name starts with a token chosen here, so that it
/// can be found and removed even when the connection dies before mktemp's
/// answer arrives.
pub(super) fn mktemp_cmd(token: &str) -> Remote {
    Remote::new()
        .code(r#"umask 077 && mktemp -d "${TMPDIR:-/tmp}"/"#)
        .arg(&format!("sbcbench.{token}XXXXXX"))
}

/// Removes what a mktemp whose answer was lost may have made.
pub(super) fn cleanup_token_cmd(token: &str) -> Remote {
    Remote::new()
        .code(r#"rm -rf -- "${TMPDIR:-/tmp}"/"#)
        .arg(&format!("sbcbench.{token}"))
        .code("??????")
}

/// A fresh token of 10 letters and digits: this machine's random hash keys,
/// the time and the pid. Not a secret (mktemp's own part of the name and
/// the directory's mode protect it), only unique.
pub(super) fn new_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.write_u32(std::process::id());
    let mut n = h.finish();
    (0..10)
        .map(|_| {
            let c = b"abcdefghijklmnopqrstuvwxyz0123456789"[(n % 36) as usize];
            n /= 36;
            c as char
        })
        .collect()
}

pub(super) fn upload_cmd(dir: &str) -> Remote {
    let bin = format!("{dir}/sbcbench");
    Remote::new()
        .code("umask 077 && cat > ")
        .arg(&bin)
        .code(" && chmod 700 ")
        .arg(&bin)
        .code(" && sha256sum ")
        .arg(&bin)
}

/// `args` are the remote `sbcbench run`'s arguments, from
/// [`remote_run_args`](super::plan::remote_run_args).
pub(super) fn run_cmd(dir: &str, args: &[String]) -> Remote {
    // `$$` is the shell that `exec` turns into sbcbench: its pid and,
    // since sshd starts each session in a new session, its process group.
    Remote::new()
        .code("cd ")
        .arg(dir)
        .code(" && echo '@sbcbench pid' \"$$\" && exec ./sbcbench")
        .args(args)
}

/// As [`run_cmd`], for `sbcbench sweep`, which writes cpufreq's limits
/// and so needs root: run directly as root, else through `sudo -n`, which
/// fails at once where sudo would ask for a password. `$$` stays the
/// process to stop: sudo passes SIGTERM on to the sweep.
pub(super) fn sweep_cmd(dir: &str, args: &[String]) -> Remote {
    Remote::new()
        .code("cd ")
        .arg(dir)
        .code(" && echo '@sbcbench pid' \"$$\" && if [ \"$(id -u)\" = 0 ]; then exec ./sbcbench")
        .args(args)
        .code("; else exec sudo -n ./sbcbench")
        .args(args)
        .code("; fi")
}

pub(super) fn fetch_cmd(dir: &str) -> Remote {
    Remote::new()
        .code("for f in ")
        .arg(&format!("{dir}/results"))
        .code(
            r#"/*/*.csv; do [ -f "$f" ] || continue; printf '@sbcbench file %s %s\n' "$(wc -c < "$f")" "${f##*/}" && cat "$f" || exit 1; done"#,
        )
}

/// Stops the run's process group: SIGTERM (sbcbench saves what it
/// measured), up to 5 s, then SIGKILL.
pub(super) fn kill_cmd(pid: u32) -> Remote {
    let group = format!("-{pid}");
    let pid = pid.to_string();
    Remote::new()
        .code("kill -TERM ")
        .arg(&group)
        .code(" 2>/dev/null || kill -TERM ")
        .arg(&pid)
        .code(" 2>/dev/null; i=0; while kill -0 ")
        .arg(&pid)
        .code(" 2>/dev/null && [ $i -lt 25 ]; do sleep 0.2 2>/dev/null || sleep 1; i=$((i+1)); done; kill -KILL ")
        .arg(&group)
        .code(" 2>/dev/null; kill -KILL ")
        .arg(&pid)
        .code(" 2>/dev/null; true")
}

pub(super) fn cleanup_cmd(dir: &str, kill: Option<u32>) -> Remote {
    let r = match kill {
        Some(pid) => kill_cmd(pid).code("; "),
        None => Remote::new(),
    };
    r.code("rm -rf -- ").arg(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_commands_quote_every_value() {
        let args = ["run", "--board", "pi'; touch /tmp/pwned; '"];
        let cmd = run_cmd("/tmp/sbcbench.a b", &args.map(String::from));
        assert!(
            cmd.as_str().contains(r"'pi'\''; touch /tmp/pwned; '\'''"),
            "{}",
            cmd.as_str()
        );
        assert!(cmd.as_str().starts_with("cd '/tmp/sbcbench.a b' && "));
        let clean = cleanup_cmd("/tmp/sbcbench.x", Some(42));
        assert!(
            clean.as_str().contains("kill -TERM '-42'"),
            "{}",
            clean.as_str()
        );
        assert!(clean.as_str().ends_with("rm -rf -- '/tmp/sbcbench.x'"));
    }

    #[test]
    fn a_sweep_runs_as_root_or_through_sudo_n() {
        let args = ["sweep", "--board", "pi'; id; '"].map(String::from);
        let cmd = sweep_cmd("/tmp/sbcbench.x", &args);
        let quoted = r"'sweep' '--board' 'pi'\''; id; '\'''";
        assert_eq!(
            cmd.as_str(),
            format!(
                "cd '/tmp/sbcbench.x' && echo '@sbcbench pid' \"$$\" && \
                 if [ \"$(id -u)\" = 0 ]; then exec ./sbcbench {quoted}; \
                 else exec sudo -n ./sbcbench {quoted}; fi"
            )
        );
        // The run's command has no sudo.
        assert!(!run_cmd("/d", &args).as_str().contains("sudo"));
    }
}
