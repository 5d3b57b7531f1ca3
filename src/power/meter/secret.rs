//! A meter's password or token: read from a file only its owner may read,
//! or from an environment variable, never from the command line (which
//! `ps` shows to everyone) and never written into results or messages.

use std::path::Path;

use super::spec::SecretSource;

/// The secret `source` holds; `what` names it in errors ("password",
/// "token"). An error never contains the secret.
pub fn read(source: &SecretSource, what: &str) -> Result<String, String> {
    match source {
        SecretSource::File(path) => read_file(path, what),
        SecretSource::Env(name) => match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => Ok(v.trim_end_matches(['\r', '\n']).to_string()),
            Ok(_) => Err(format!("{what} variable {name} is empty")),
            Err(std::env::VarError::NotPresent) => Err(format!(
                "{what} variable {name} is not set: export it before running sbcbench"
            )),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(format!("{what} variable {name} is not UTF-8"))
            }
        },
    }
}

/// The secret in `path`, refused when others may read it (as ssh refuses
/// a private key): a password readable by all is no secret.
pub fn read_file(path: &Path, what: &str) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{what} file {shown}: {e}"))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "{what} file {shown} can be read by others: `chmod 600 {shown}` first"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{what} file {shown}: {e}"))?;
    let secret = text.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err(format!("{what} file {shown} is empty"));
    }
    Ok(secret.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plug");
        std::fs::write(&p, "s3cret\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read(&SecretSource::File(p.clone()), "password").unwrap_err();
        assert!(e.contains("chmod 600"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            read(&SecretSource::File(p.clone()), "password").unwrap(),
            "s3cret"
        );
        std::fs::write(&p, "\n").unwrap();
        assert!(read_file(&p, "token").unwrap_err().contains("empty"));
        let e = read_file(&dir.path().join("none"), "token").unwrap_err();
        assert!(e.contains("token file") && e.contains("none"), "{e}");
    }

    #[test]
    fn a_missing_variable_is_named() {
        // Read only: tests share the process's environment (a variable
        // that is set is tested on a child process, tests/meter_*.rs).
        let name = "SBCBENCH_TEST_SECRET_NEVER_SET";
        let e = read(&SecretSource::Env(name.into()), "token").unwrap_err();
        assert!(e.contains(name) && e.contains("not set"), "{e}");
    }
}
