//! Inventory hosts as boards: Ansible's connection variables mapped onto
//! what `ssh` is given, and sbcbench's own `sbcbench_*` host variables.

use super::{Resolved, Value};
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
                h.at, h.name, b.slug
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
    let at = format!("{}: host '{}'", h.at, h.name);
    let text = |key: &str| -> Result<Option<String>, String> {
        match h.vars.get(key) {
            None => Ok(None),
            Some(Value::Text(t)) if t.is_empty() => Ok(None),
            Some(Value::Text(t)) => Ok(Some(t.clone())),
            Some(other) => Err(format!("{at}: {key}: '{other}' is not a single value")),
        }
    };
    for key in h.vars.keys().filter(|k| k.starts_with("sbcbench_")) {
        if !OURS.contains(&key.as_str()) {
            return Err(format!(
                "{at}: unknown variable {key}; sbcbench's are {}",
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
        None => Vec::new(),
        Some(Value::List(l)) => l.clone(),
        Some(Value::Text(t)) => {
            shlex::split(t).ok_or_else(|| format!("{at}: sbcbench_run_args: an unclosed quote"))?
        }
        Some(Value::Map(_)) => {
            return Err(format!(
                "{at}: sbcbench_run_args: a list of arguments, or one line of them"
            ))
        }
    };
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
        None => return Ok(None),
        Some(Value::Map(m)) => m.clone(),
        Some(Value::Text(t)) => t
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .ok_or_else(|| format!("{at}: sbcbench_power: '{p}' is not phase=watts"))
            })
            .collect::<Result<_, _>>()?,
        Some(Value::List(_)) => {
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
    use crate::deploy::inventory::ini;

    fn ok(_: &str) -> Result<(), String> {
        Ok(())
    }

    fn boards(text: &str) -> Result<Vec<Board>, String> {
        to_boards(&ini::parse(text, "lab.ini").unwrap().resolve(), &ok)
    }

    #[test]
    fn connection_and_sbcbench_variables_map_onto_a_board() {
        let b = boards(
            "[pis]\npi4 ansible_host=10.0.0.4 ansible_port=2222 ansible_user=pi \
             ansible_ssh_private_key_file=~/.ssh/lab \
             \"ansible_ssh_common_args=-o ProxyJump=jump.lab -oUserKnownHostsFile=/k -o StrictHostKeyChecking=yes\" \
             sbcbench_target=aarch64-unknown-linux-gnu sbcbench_meter=pzem004t:/dev/ttyUSB0 \
             \"sbcbench_run_args=--threads '1,all'\" sbcbench_power=idle=3.1,all=9.5\n",
        )
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
    }

    #[test]
    fn what_cannot_work_is_refused_naming_the_host_and_variable() {
        for (text, want) in [
            (
                "a sbcbench_meters=x\n",
                "host 'a': unknown variable sbcbench_meters",
            ),
            ("a ansible_connection=local\n", "ansible_connection=local"),
            ("a ansible_password=x\n", "never a password"),
            ("a ansible_port=ssh\n", "ansible_port: 'ssh'"),
            ("a ansible_host=-oProxyCommand=x\n", "ansible_host"),
            (
                "a \"ansible_ssh_common_args=-o StrictHostKeyChecking=no\"\n",
                "never trusted silently",
            ),
            (
                "a ansible_ssh_common_args=-v\n",
                "'-v' is not an ssh option",
            ),
            ("a sbcbench_target=mips\n", "sbcbench_target: 'mips'"),
            ("a sbcbench_power=idle=x\n", "sbcbench_power.idle: 'x'"),
            ("[g]\nPi-4\n[h]\npi_4\n", "results folder 'pi-4'"),
        ] {
            let e = boards(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(e.starts_with("lab.ini:"), "{e}");
        }
    }
}
