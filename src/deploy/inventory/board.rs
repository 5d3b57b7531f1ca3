//! Inventory hosts as boards: Ansible's connection variables mapped onto
//! what `ssh` is given, and sbcbench's own `sbcbench_*` host variables.

use serde_json::Value;

use super::Resolved;
use crate::deploy::boards::TARGETS;
use crate::deploy::Board;
use crate::power::{check_watts, Phase, PhaseWatts};
use crate::record::board_slug;

/// sbcbench's own host variables.
const OURS: [&str; 4] = [
    "sbcbench_target",
    "sbcbench_meter",
    "sbcbench_run_args",
    "sbcbench_power",
];

/// The boards of `hosts`; `meter_check` validates a meter spec.
pub fn to_boards(
    hosts: &[Resolved],
    meter_check: &dyn Fn(&str) -> Result<(), String>,
) -> Result<Vec<Board>, String> {
    let mut slugs: std::collections::HashMap<String, String> = Default::default();
    let mut boards = Vec::new();
    for h in hosts {
        let b = to_board(h, meter_check)?;
        if let Some(other) = slugs.insert(b.slug.clone(), h.name.clone()) {
            return Err(format!(
                "{}: host '{}': its results folder '{}' is the same as host '{other}'s; rename one",
                h.at,
                crate::term::clean(&h.name),
                b.slug
            ));
        }
        boards.push(b);
    }
    Ok(boards)
}

fn to_board(
    h: &Resolved,
    meter_check: &dyn Fn(&str) -> Result<(), String>,
) -> Result<Board, String> {
    let at = format!("{}: host '{}'", h.at, crate::term::clean(&h.name));
    one_line(&h.name, "its name", &at)?;
    let text = |key: &str| -> Result<Option<String>, String> {
        let t = match h.vars.get(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(t)) => t.clone(),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
            Some(other) => return Err(format!("{at}: {key}: '{other}' is not a single value")),
        };
        one_line(&t, &format!("variable {key}"), &at)?;
        Ok(Some(t).filter(|t| !t.is_empty()))
    };
    for key in h.vars.keys().filter(|k| k.starts_with("sbcbench_")) {
        if !OURS.contains(&key.as_str()) {
            return Err(format!(
                "{at}: unknown variable {}; sbcbench's are {}",
                crate::term::clean(key),
                OURS.join(", ")
            ));
        }
    }
    if let Some(c) = text("ansible_connection")?.filter(|c| c != "ssh" && c != "smart") {
        return Err(format!(
            "{at}: ansible_connection={c}: sbcbench reaches boards over ssh only"
        ));
    }
    if h.vars.contains_key("ansible_password") || h.vars.contains_key("ansible_ssh_pass") {
        return Err(format!(
            "{at}: ansible_password: sbcbench logs in with keys (ssh in batch mode), never a \
             password; install a key with ssh-copy-id and drop the variable"
        ));
    }
    let host = text("ansible_host")?.unwrap_or_else(|| h.name.clone());
    if host.starts_with('-') || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{at}: ansible_host: '{host}' is not a host name or address"
        ));
    }
    let port = text("ansible_port")?
        .map(|p| {
            p.parse::<u16>()
                .map_err(|_| format!("{at}: ansible_port: '{p}' is not a port number"))
        })
        .transpose()?;
    let mut ssh_options = Vec::new();
    for key in ["ansible_ssh_common_args", "ansible_ssh_extra_args"] {
        if let Some(args) = text(key)? {
            ssh_options.extend(ssh_args(&args).map_err(|e| format!("{at}: {key}: {e}"))?);
        }
    }
    let target = text("sbcbench_target")?;
    if let Some(t) = &target {
        if !TARGETS.contains(&t.as_str()) {
            return Err(format!(
                "{at}: sbcbench_target: '{t}' is not built; use one of {}",
                TARGETS.join(", ")
            ));
        }
    }
    let meter = text("sbcbench_meter")?;
    if let Some(m) = &meter {
        meter_check(m).map_err(|e| format!("{at}: sbcbench_meter: {e}"))?;
    }
    let run_args = match h.vars.get("sbcbench_run_args") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(l)) => l
            .iter()
            .map(|a| match a {
                Value::String(t) => Ok(t.clone()),
                Value::Number(_) | Value::Bool(_) => Ok(a.to_string()),
                _ => Err(format!(
                    "{at}: sbcbench_run_args: '{a}' is not one argument"
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(Value::String(t)) => {
            one_line(t, "variable sbcbench_run_args", &at)?;
            shlex::split(t).ok_or_else(|| format!("{at}: sbcbench_run_args: an unclosed quote"))?
        }
        Some(_) => {
            return Err(format!(
                "{at}: sbcbench_run_args: a list of arguments, or one line of them"
            ))
        }
    };
    for a in &run_args {
        one_line(a, "variable sbcbench_run_args", &at)?;
    }
    Ok(Board {
        name: h.name.clone(),
        slug: board_slug(&h.name),
        host,
        user: text("ansible_user")?,
        port,
        identity: text("ansible_ssh_private_key_file")?,
        target,
        clock_mhz: None,
        power: power(h.vars.get("sbcbench_power"), &at)?,
        meter,
        run_args,
        tags: h.groups.clone(),
        ssh_options,
    })
}

/// `sbcbench_power`: `{idle: 3.1, one: 4.2, half: …, all: …}` or the text
/// of `--power fixed:` (`idle=3.1,1=4.2,all=9.5`).
fn power(v: Option<&Value>, at: &str) -> Result<Option<PhaseWatts>, String> {
    let pairs: Vec<(String, String)> = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                (k.clone(), v)
            })
            .collect(),
        Some(Value::String(t)) => t
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .ok_or_else(|| format!("{at}: sbcbench_power: '{p}' is not phase=watts"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(format!(
                "{at}: sbcbench_power: give {{idle: W, one: W, half: W, all: W}}"
            ))
        }
    };
    let mut w = PhaseWatts::default();
    for (k, v) in pairs {
        let phase = match k.as_str() {
            "idle" => Phase::Idle,
            "one" | "1" => Phase::One,
            "half" => Phase::Half,
            "all" => Phase::All,
            _ => {
                return Err(format!(
                    "{at}: sbcbench_power: '{k}' is not idle, one, half or all"
                ))
            }
        };
        let watts: f64 = v
            .parse()
            .map_err(|_| format!("{at}: sbcbench_power.{k}: '{v}' is not a number of watts"))?;
        w.set(
            phase,
            Some(check_watts(watts).map_err(|m| format!("{at}: sbcbench_power.{k}: {m}"))?),
        );
    }
    Ok(Some(w))
}

/// A name or value with a line break, NUL or other control character,
/// which no host name, path or argument has: refused, naming where.
fn one_line(text: &str, what: &str, at: &str) -> Result<(), String> {
    if text.contains(|c: char| c.is_control()) {
        return Err(format!(
            "{at}: {what} contains a line break, NUL or control character \
             ('{}'); write it on one line",
            crate::term::clean(text)
        ));
    }
    Ok(())
}

/// ssh command-line arguments as `-o KEY=VALUE` options: `-o K=V`, `-oK=V`,
/// `-o 'K V'`, `-J host` (ProxyJump), `-p`, `-l`, `-i`; anything else has
/// no place in a board's connection and is refused.
fn ssh_args(text: &str) -> Result<Vec<String>, String> {
    let words = shlex::split(text).ok_or("an unclosed quote")?;
    let mut out = Vec::new();
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        let (flag, inline) = match w.get(..2) {
            Some(f @ ("-o" | "-J" | "-p" | "-l" | "-i")) if w.len() > 2 => {
                (f.to_string(), Some(w[2..].to_string()))
            }
            _ => (w.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} without a value"))
        };
        let option = match flag.as_str() {
            "-o" => {
                let v = value()?;
                match v.split_once(['=', ' ']) {
                    Some((k, val)) => format!("{}={}", k.trim(), val.trim()),
                    None => return Err(format!("-o {v}: not KEY=VALUE")),
                }
            }
            "-J" => format!("ProxyJump={}", value()?),
            "-p" => format!("Port={}", value()?),
            "-l" => format!("User={}", value()?),
            "-i" => format!("IdentityFile={}", value()?),
            _ => {
                return Err(format!(
                    "'{w}' is not an ssh option sbcbench passes on; write options as -o KEY=VALUE \
                     (or -J for ProxyJump)"
                ))
            }
        };
        // Ours already: host keys are checked, never trusted silently.
        if option.eq_ignore_ascii_case("StrictHostKeyChecking=yes") {
            continue;
        }
        crate::deploy::ssh::check_ssh_option(&option)?;
        out.push(option);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: &str) -> Result<(), String> {
        Ok(())
    }

    /// Hosts `(name, vars as JSON)`, in the group `pis`.
    fn boards(hosts: &[(&str, &str)]) -> Result<Vec<Board>, String> {
        let hosts: Vec<Resolved> = hosts
            .iter()
            .map(|(name, vars)| Resolved {
                name: name.to_string(),
                vars: serde_json::from_str(vars).unwrap(),
                groups: vec!["pis".into()],
                at: "lab.ini".into(),
            })
            .collect();
        to_boards(&hosts, &ok)
    }

    #[test]
    fn connection_and_sbcbench_variables_map_onto_a_board() {
        let b = boards(&[(
            "pi4",
            r#"{"ansible_host": "10.0.0.4", "ansible_port": 2222, "ansible_user": "pi",
                "ansible_ssh_private_key_file": "~/.ssh/lab",
                "ansible_ssh_common_args": "-o ProxyJump=jump.lab -oUserKnownHostsFile=/k -o StrictHostKeyChecking=yes",
                "sbcbench_target": "aarch64-unknown-linux-gnu",
                "sbcbench_meter": "pzem004t:/dev/ttyUSB0",
                "sbcbench_run_args": "--threads '1,all'",
                "sbcbench_power": "idle=3.1,all=9.5"}"#,
        )])
        .unwrap();
        let pi = &b[0];
        assert_eq!(
            (
                pi.host.as_str(),
                pi.port,
                pi.user.as_deref(),
                pi.identity.as_deref()
            ),
            ("10.0.0.4", Some(2222), Some("pi"), Some("~/.ssh/lab"))
        );
        assert_eq!(
            pi.ssh_options,
            ["ProxyJump=jump.lab", "UserKnownHostsFile=/k"]
        );
        assert_eq!(pi.run_args, ["--threads", "1,all"]);
        assert_eq!(pi.power.unwrap().all, Some(9.5));
        assert_eq!(pi.tags, ["pis"]);
        assert_eq!(pi.target.as_deref(), Some("aarch64-unknown-linux-gnu"));
        // YAML's forms: a list of arguments, a mapping of watts.
        let b = boards(&[(
            "pi5",
            r#"{"sbcbench_run_args": ["--threads", "1,all", 3],
                "sbcbench_power": {"idle": 3.1, "one": "4.2"}}"#,
        )])
        .unwrap();
        assert_eq!(b[0].run_args, ["--threads", "1,all", "3"]);
        assert_eq!(b[0].power.unwrap().one, Some(4.2));
        assert_eq!(b[0].host, "pi5");
    }

    #[test]
    fn what_cannot_work_is_refused_naming_the_host_and_variable() {
        for (vars, want) in [
            (
                r#"{"sbcbench_meters": "x"}"#,
                "host 'a': unknown variable sbcbench_meters",
            ),
            (
                r#"{"ansible_connection": "local"}"#,
                "ansible_connection=local",
            ),
            (r#"{"ansible_password": "x"}"#, "never a password"),
            (r#"{"ansible_port": "ssh"}"#, "ansible_port: 'ssh'"),
            (r#"{"ansible_host": "-oProxyCommand=x"}"#, "ansible_host"),
            (
                r#"{"ansible_ssh_common_args": "-o StrictHostKeyChecking=no"}"#,
                "never trusted silently",
            ),
            (
                r#"{"ansible_ssh_common_args": "-v"}"#,
                "'-v' is not an ssh option",
            ),
            (r#"{"sbcbench_target": "mips"}"#, "sbcbench_target: 'mips'"),
            (
                r#"{"sbcbench_power": "idle=x"}"#,
                "sbcbench_power.idle: 'x'",
            ),
            (r#"{"sbcbench_power": [1]}"#, "sbcbench_power: give"),
            (
                r#"{"ansible_user": "a\u0000b"}"#,
                "variable ansible_user contains",
            ),
            (
                r#"{"sbcbench_run_args": ["--quick\n--x"]}"#,
                "variable sbcbench_run_args contains a line break",
            ),
            (r#"{"ansible_user": ["a"]}"#, "is not a single value"),
        ] {
            let e = boards(&[("a", vars)]).unwrap_err();
            assert!(e.contains(want), "{vars}: {e}");
            assert!(e.starts_with("lab.ini:"), "{e}");
        }
        let e = boards(&[("pi\x1b]0;x\x07", "{}")]).unwrap_err();
        assert!(
            e.contains("its name contains") && !e.contains('\x1b'),
            "{e}"
        );
        let e = boards(&[("Pi-4", "{}"), ("pi_4", "{}")]).unwrap_err();
        assert!(e.contains("results folder 'pi-4'"), "{e}");
    }
}
