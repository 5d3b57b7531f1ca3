//! `boards.toml`: the fleet. Everything in it is checked before any
//! connection is made, and every error names the board and the key.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::power::{check_watts, PhaseWatts};
use crate::record::board_slug;

/// Target triples sbcbench is built for (`ci/cross-build`).
pub const TARGETS: [&str; 4] = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "riscv64gc-unknown-linux-gnu",
    "arm-unknown-linux-gnueabi",
];

/// The target to use for a board whose `uname -m` is `machine`.
pub fn target_for_machine(machine: &str) -> Option<&'static str> {
    Some(match machine {
        "x86_64" | "amd64" => TARGETS[0],
        "aarch64" | "arm64" => TARGETS[1],
        "riscv64" => TARGETS[2],
        // ARMv6 code runs on every later 32-bit ARM core too.
        m if m.starts_with("armv6") || m.starts_with("armv7") || m.starts_with("armv8l") => {
            TARGETS[3]
        }
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    user: Option<String>,
    port: Option<u16>,
    identity: Option<String>,
    run_args: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PowerTable {
    idle: Option<f64>,
    one: Option<f64>,
    half: Option<f64>,
    all: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    host: String,
    user: Option<String>,
    port: Option<u16>,
    identity: Option<String>,
    target: Option<String>,
    clock_mhz: Option<f64>,
    power: Option<PowerTable>,
    meter: Option<String>,
    run_args: Option<Vec<String>>,
    #[serde(default)]
    tags: Vec<String>,
}

/// One board, with the defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    pub name: String,
    /// Safe directory name for its results.
    pub slug: String,
    pub host: String,
    /// `None`: whatever the user's ssh config says.
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity: Option<String>,
    /// `None`: found from `uname -m` on the board.
    pub target: Option<String>,
    pub clock_mhz: Option<f64>,
    pub power: Option<PhaseWatts>,
    /// A meter spec on the controlling machine.
    pub meter: Option<String>,
    /// Defaults' run_args, then the board's.
    pub run_args: Vec<String>,
    pub tags: Vec<String>,
    /// ssh options of this board alone (`-o KEY=VALUE`), from an
    /// inventory's `ansible_ssh_common_args`.
    pub ssh_options: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{file}: {what}")]
pub struct BoardsError {
    pub file: String,
    pub what: String,
}

/// Reads and checks a boards file. `meter_check` validates a meter spec
/// (the meter module's parser), so that a typo is found before connecting.
pub fn load(
    path: &Path,
    meter_check: &dyn Fn(&str) -> Result<(), String>,
) -> Result<Vec<Board>, BoardsError> {
    let file = path.display().to_string();
    let err = |what: String| BoardsError {
        file: file.clone(),
        what,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        err(format!(
            "cannot read it ({e}); create it from the commented example boards.toml at the top of the repository"
        ))
    })?;
    parse(&text, meter_check).map_err(err)
}

/// [`load`] on text; errors without the file name.
pub fn parse(
    text: &str,
    meter_check: &dyn Fn(&str) -> Result<(), String>,
) -> Result<Vec<Board>, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| format!("not valid TOML: {e}"))?;
    let mut defaults = Defaults::default();
    let mut entries = Vec::new();
    for (key, value) in doc {
        match key.as_str() {
            "defaults" => {
                defaults = value
                    .try_into()
                    .map_err(|e| format!("[defaults]: {}", clean(e)))?;
            }
            "boards" => {
                let list = value
                    .as_array()
                    .ok_or("'boards' must be a list of [[boards]] tables")?
                    .clone();
                for (i, item) in list.into_iter().enumerate() {
                    let label = item
                        .get("name")
                        .and_then(|n| n.as_str())
                        .map(|n| format!("board '{n}'"))
                        .unwrap_or_else(|| format!("board #{} (no name)", i + 1));
                    let entry: Entry = item
                        .try_into()
                        .map_err(|e| format!("{label}: {}", clean(e)))?;
                    entries.push(entry);
                }
            }
            other => {
                return Err(format!(
                    "unknown top-level key '{other}'; a boards file has [defaults] and [[boards]]"
                ))
            }
        }
    }
    if entries.is_empty() {
        return Err("no [[boards]] entries; add one with at least name and host".to_string());
    }
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut boards = Vec::new();
    for e in entries {
        let label = format!("board '{}'", e.name);
        if e.name.trim().is_empty() {
            return Err("a board has an empty name; give each board a name".to_string());
        }
        if e.name.chars().any(char::is_control) {
            return Err(format!(
                "{label:?}: name: control characters (newline, NUL…) are not allowed"
            ));
        }
        if e.host.trim().is_empty()
            || e.host.starts_with('-')
            || e.host.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "{label}: host: '{}' is not a host name or address",
                e.host
            ));
        }
        let slug = board_slug(&e.name);
        if let Some(other) = seen.insert(slug.clone(), e.name.clone()) {
            return Err(if other == e.name {
                format!("{label}: name: given twice; board names must be unique")
            } else {
                format!("{label}: name: its results folder '{slug}' is the same as board '{other}'s; rename one")
            });
        }
        if let Some(t) = &e.target {
            if !TARGETS.contains(&t.as_str()) {
                return Err(format!(
                    "{label}: target: '{t}' is not built; use one of {}",
                    TARGETS.join(", ")
                ));
            }
        }
        if let Some(c) = e.clock_mhz {
            if !(c.is_finite() && c > 0.0) {
                return Err(format!(
                    "{label}: clock_mhz: {c} is not a clock; give MHz, e.g. 1500"
                ));
            }
        }
        let power = match &e.power {
            None => None,
            Some(p) => {
                let mut w = PhaseWatts::default();
                for (key, value, phase) in [
                    ("idle", p.idle, crate::power::Phase::Idle),
                    ("one", p.one, crate::power::Phase::One),
                    ("half", p.half, crate::power::Phase::Half),
                    ("all", p.all, crate::power::Phase::All),
                ] {
                    if let Some(v) = value {
                        w.set(
                            phase,
                            Some(check_watts(v).map_err(|m| format!("{label}: power.{key}: {m}"))?),
                        );
                    }
                }
                Some(w)
            }
        };
        if let Some(m) = &e.meter {
            meter_check(m).map_err(|m| format!("{label}: meter: {m}"))?;
        }
        for arg in e
            .run_args
            .iter()
            .flatten()
            .chain(defaults.run_args.iter().flatten())
        {
            if arg.contains('\0') {
                return Err(format!("{label}: run_args: an argument contains NUL"));
            }
        }
        boards.push(Board {
            name: e.name,
            slug,
            host: e.host,
            user: e.user.or_else(|| defaults.user.clone()),
            port: e.port.or(defaults.port),
            identity: e.identity.or_else(|| defaults.identity.clone()),
            target: e.target,
            clock_mhz: e.clock_mhz,
            power,
            meter: e.meter,
            run_args: defaults
                .run_args
                .iter()
                .flatten()
                .chain(e.run_args.iter().flatten())
                .cloned()
                .collect(),
            tags: e.tags,
            ssh_options: Vec::new(),
        });
    }
    Ok(boards)
}

/// A TOML deserialisation error on one line, without the source excerpt.
fn clean(e: toml::de::Error) -> String {
    e.message().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: &str) -> Result<(), String> {
        Ok(())
    }

    const EXAMPLE: &str = r#"
[defaults]
user = "root"
run_args = ["--quick"]

[[boards]]
name = "VisionFive 2"
host = "vf2.lan"
user = "debian"
port = 22
identity = "~/.ssh/id_ed25519"
target = "riscv64gc-unknown-linux-gnu"
clock_mhz = 1500
power = { idle = 7.4, one = 10.4, half = 11.2, all = 13.1 }
meter = "pzem004t:/dev/ttyUSB0"
run_args = ["--threads", "1,all"]
tags = ["riscv"]

[[boards]]
name = "Pi 4"
host = "10.0.0.4"
"#;

    #[test]
    fn the_documented_shape_parses_with_defaults() {
        let boards = parse(EXAMPLE, &ok).unwrap();
        assert_eq!(boards.len(), 2);
        let vf2 = &boards[0];
        assert_eq!(
            (vf2.slug.as_str(), vf2.user.as_deref(), vf2.port),
            ("visionfive-2", Some("debian"), Some(22))
        );
        assert_eq!(vf2.run_args, vec!["--quick", "--threads", "1,all"]);
        assert_eq!(vf2.power.unwrap().all, Some(13.1));
        assert_eq!(vf2.tags, vec!["riscv"]);
        let pi = &boards[1];
        assert_eq!(
            (pi.user.as_deref(), pi.target.as_deref()),
            (Some("root"), None)
        );
    }

    #[test]
    fn mistakes_name_the_board_and_the_key() {
        let cases = [
            ("[[boards]]\nname = \"a\"\nhots = \"x\"\n", "board 'a': unknown field `hots`"),
            ("[[boards]]\nname = \"a\"\n", "board 'a': missing field `host`"),
            ("[[boards]]\nname = \"a\"\nhost = \"h\"\n[[boards]]\nname = \"a\"\nhost = \"h2\"\n", "given twice"),
            ("[[boards]]\nname = \"Pi 4\"\nhost = \"h\"\n[[boards]]\nname = \"pi-4\"\nhost = \"h2\"\n", "results folder"),
            ("[[boards]]\nname = \"a\"\nhost = \"h\"\ntarget = \"mips\"\n", "board 'a': target: 'mips'"),
            ("[[boards]]\nname = \"a\"\nhost = \"h\"\npower = { all = -1 }\n", "board 'a': power.all"),
            ("[[boards]]\nname = \"a\"\nhost = \"-oProxyCommand=x\"\n", "board 'a': host"),
            ("[[boards]]\nname = \"a\\nb\"\nhost = \"h\"\n", "control characters"),
            ("[defaults]\nusr = \"x\"\n[[boards]]\nname = \"a\"\nhost = \"h\"\n", "[defaults]: unknown field `usr`"),
            ("[board]\nname = \"a\"\n", "unknown top-level key 'board'"),
            ("", "no [[boards]]"),
        ];
        for (text, want) in cases {
            let err = parse(text, &ok).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let bad_meter = |_: &str| Err("unknown protocol 'pzem'".to_string());
        let err = parse(
            "[[boards]]\nname = \"a\"\nhost = \"h\"\nmeter = \"pzem:/dev/x\"\n",
            &bad_meter,
        )
        .unwrap_err();
        assert!(err.contains("board 'a': meter: unknown protocol"), "{err}");
    }

    #[test]
    fn machines_map_to_targets() {
        assert_eq!(
            target_for_machine("armv6l"),
            Some("arm-unknown-linux-gnueabi")
        );
        assert_eq!(
            target_for_machine("aarch64"),
            Some("aarch64-unknown-linux-gnu")
        );
        assert_eq!(
            target_for_machine("riscv64"),
            Some("riscv64gc-unknown-linux-gnu")
        );
        assert_eq!(target_for_machine("mips64"), None);
    }
}
