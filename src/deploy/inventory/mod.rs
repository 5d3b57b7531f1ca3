//! Ansible inventories as a board list (`sbcbench fleet --inventory`).
//! Ansible reads them: `ansible-inventory -i FILE [--limit P] --list`
//! gives every host with its variables merged the way Ansible merges them
//! (ranges, `children`, group_vars, precedence, `--limit` patterns), as
//! JSON; `board.rs` maps those hosts onto [`Board`]s.
//!
//! Only the static formats are enabled (INI, YAML, TOML): no inventory
//! script or plugin runs, so an inventory cannot run a local command.
//! Ansible's output goes to a file of bounded size, under a deadline and a
//! memory limit, since an inventory can expand to far more than it says.

mod board;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::deploy::Board;
use crate::measure::tool;

pub use board::to_boards;

/// One host with the variables Ansible merged for it and the groups it is
/// in (directly or through `children`; not `all` or `ungrouped`).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub name: String,
    pub vars: Map<String, Value>,
    pub groups: Vec<String>,
    /// The inventory, as messages name it.
    pub at: String,
}

/// The JSON of an inventory larger than a lab's is an expansion gone
/// wrong (`pi[1:300000000]`, a YAML alias bomb), not a lab.
const MAX_JSON: u64 = 64 << 20;
/// The memory `ansible-inventory` may take for the same reason (a lab of
/// thousands of hosts takes a tenth of it).
const MAX_MEMORY: u64 = 1 << 30;
const DEADLINE: Duration = Duration::from_secs(120);

const INSTALL: &str = "--inventory reads inventories with Ansible's `ansible-inventory`, \
    which is not on PATH; install ansible-core (`pipx install ansible-core`, \
    `pip install ansible-core` or `apt-get install ansible-core`), or list the boards \
    in boards.toml";

const DYNAMIC: &str = "sbcbench reads static inventories (INI, YAML, TOML), so that \
    no inventory runs code; export this one with \
    `ansible-inventory -i FILE --list -y > hosts.yml` and give that";

/// The boards of the inventory at `path`, limited by the Ansible pattern
/// `limit`; `meter_check` validates a meter spec.
pub fn load(
    path: &Path,
    limit: Option<&str>,
    meter_check: &dyn Fn(&str) -> Result<(), String>,
) -> Result<Vec<Board>, String> {
    let file = crate::term::clean(&path.display().to_string()).into_owned();
    refuse_scripts(path, &file)?;
    let json = ansible_inventory(path, limit, &file)?;
    let hosts = resolve(&json, &file)?;
    if hosts.is_empty() {
        return Err(match limit {
            Some(p) => format!(
                "{file}: --limit '{}' leaves no host (ansible-inventory matched none)",
                crate::term::clean(p)
            ),
            None => format!("{file}: no hosts; list at least one under a group"),
        });
    }
    to_boards(&hosts, meter_check)
}

/// An executable file or one starting `#!` is an inventory script: with
/// scripts disabled Ansible would read it as INI and find nonsense hosts.
fn refuse_scripts(path: &Path, file: &str) -> Result<(), String> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| format!("{file}: cannot read it ({e})"))?;
    let mut start = [0u8; 2];
    let shebang = meta.is_file()
        && std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut start))
            .is_ok()
        && &start == b"#!";
    if meta.is_file() && (meta.permissions().mode() & 0o111 != 0 || shebang) {
        return Err(format!(
            "{file}: an executable file is a dynamic inventory script; {}",
            DYNAMIC.replace("FILE", file)
        ));
    }
    Ok(())
}

/// Runs `ansible-inventory --list` on `path` and parses what it printed.
fn ansible_inventory(path: &Path, limit: Option<&str>, file: &str) -> Result<Value, String> {
    let program = tool::find_on_path("ansible-inventory").ok_or(INSTALL)?;
    let out = tempfile::tempfile().map_err(|e| format!("a temporary file: {e}"))?;
    let mut cmd = Command::new(program);
    cmd.arg("-i").arg(path).arg("--list");
    if let Some(p) = limit {
        cmd.arg("--limit").arg(p);
    }
    cmd.envs([
        // The static formats only: no script, no plugin, no code.
        ("ANSIBLE_INVENTORY_ENABLED", "ini,yaml,toml"),
        ("ANSIBLE_VARS_ENABLED", "host_group_vars"),
        // A file Ansible cannot read is an error, not an empty lab.
        ("ANSIBLE_INVENTORY_UNPARSED_FAILED", "True"),
        ("ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED", "True"),
        ("ANSIBLE_NOCOLOR", "1"),
        ("ANSIBLE_DEPRECATION_WARNINGS", "False"),
        ("PYTHONWARNINGS", "ignore"),
    ]);
    limit_memory(&mut cmd);
    let stdout = out
        .try_clone()
        .map_err(|e| format!("a temporary file: {e}"))?;
    let what = format!("ansible-inventory -i {file}");
    let ran = tool::run_with_stdout(&mut cmd, &what, DEADLINE, Stdio::from(stdout))?;
    let said = ansible_said(&ran.stderr);
    if !ran.status.success() {
        // Out of memory, Ansible's last words vary with where it ran out.
        if ran.stderr.contains("MemoryError") {
            return Err(format!(
                "{file}: Ansible cannot read it: it ran out of the {} GB it may use \
                 (MemoryError); check the host ranges (pi[1:300000000]?) and YAML aliases",
                MAX_MEMORY >> 30
            ));
        }
        let hint = if ran.stderr.contains("Plugin configuration") {
            format!("; {}", DYNAMIC.replace("FILE", file))
        } else {
            String::new()
        };
        return Err(format!("{file}: Ansible cannot read it: {said}{hint}"));
    }
    let size = out.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_JSON {
        return Err(format!(
            "{file}: Ansible lists {} MB of hosts, more than the {} MB sbcbench reads; \
             check its host ranges (pi[1:300000000]?) and aliases",
            size >> 20,
            MAX_JSON >> 20
        ));
    }
    let mut out = out;
    std::io::Seek::rewind(&mut out).map_err(|e| format!("a temporary file: {e}"))?;
    serde_json::from_reader(std::io::BufReader::new(std::io::Read::take(out, MAX_JSON)))
        .map_err(|e| format!("{file}: ansible-inventory printed no inventory ({e}); {said}"))
}

/// The lines of Ansible's stderr worth showing (its errors and warnings,
/// else its last line), cleaned for the terminal.
fn ansible_said(stderr: &str) -> String {
    let all = || stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut lines: Vec<&str> = all()
        .filter(|l| l.starts_with("[ERROR]") || l.starts_with("[WARNING]"))
        .take(4)
        .collect();
    if lines.is_empty() {
        lines.extend(all().next_back());
    }
    match lines.join(" / ") {
        t if t.is_empty() => "no reason given".into(),
        t => crate::term::clean(&t).into_owned(),
    }
}

/// An address-space limit for the child: an expansion that would take the
/// machine's memory ends it with a MemoryError instead.
fn limit_memory(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: runs in the child between fork and exec; setrlimit is
    // async-signal-safe and touches no memory of the parent's.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: MAX_MEMORY as libc::rlim_t,
                rlim_max: MAX_MEMORY as libc::rlim_t,
            };
            libc::setrlimit(libc::RLIMIT_AS, &lim);
            Ok(())
        });
    }
}

/// The hosts of `ansible-inventory --list` JSON, in the order Ansible
/// lists them (groups depth-first from `all`), each with its groups.
pub fn resolve(json: &Value, file: &str) -> Result<Vec<Resolved>, String> {
    let bad = |what: &str| format!("{file}: ansible-inventory's list has {what}");
    let top = json.as_object().ok_or_else(|| bad("no groups"))?;
    let names = |v: Option<&Value>| -> Result<Vec<String>, String> {
        match v {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("a name that is not text")),
            Some(_) => Err(bad("a list that is not a list")),
        }
    };
    let mut groups: BTreeMap<&str, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for (g, v) in top.iter().filter(|(g, _)| *g != "_meta") {
        groups.insert(g, (names(v.get("hosts"))?, names(v.get("children"))?));
    }
    // Depth-first from `all`: each group once, hosts before children; a
    // host's groups are those it was met under.
    let mut order: Vec<String> = Vec::new();
    let mut member: HashMap<String, Vec<(usize, String)>> = HashMap::new();
    let mut seen: std::collections::HashSet<&str> = Default::default();
    let mut stack: Vec<(&str, Vec<&str>)> = vec![("all", Vec::new())];
    while let Some((g, parents)) = stack.pop() {
        if !seen.insert(g) {
            continue;
        }
        let Some((hosts, children)) = groups.get(g) else {
            continue;
        };
        let mut path = parents.clone();
        path.push(g);
        for h in hosts {
            let entry = member.entry(h.clone()).or_insert_with(|| {
                order.push(h.clone());
                Vec::new()
            });
            for (depth, p) in path.iter().enumerate() {
                if !matches!(*p, "all" | "ungrouped") && !entry.iter().any(|(_, x)| x == p) {
                    entry.push((depth, p.to_string()));
                }
            }
        }
        stack.extend(children.iter().rev().map(|c| (c.as_str(), path.clone())));
    }
    let hostvars = json.pointer("/_meta/hostvars").and_then(Value::as_object);
    Ok(order
        .into_iter()
        .map(|name| {
            let mut groups = member.remove(&name).unwrap_or_default();
            groups.sort();
            let vars = hostvars
                .and_then(|h| h.get(&name))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            Resolved {
                at: file.to_string(),
                groups: groups.into_iter().map(|(_, g)| g).collect(),
                name,
                vars,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_come_in_ansibles_order_with_every_group_above_them() {
        let json: Value = serde_json::from_str(
            r#"{"_meta": {"hostvars": {"pi1": {"ansible_user": "root"}}},
                "all": {"children": ["ungrouped", "arm", "lone"]},
                "arm": {"children": ["pis"]},
                "pis": {"hosts": ["pi1", "pi2"]},
                "lone": {"hosts": ["box"]},
                "ungrouped": {"hosts": ["solo"]}}"#,
        )
        .unwrap();
        let r = resolve(&json, "hosts.ini").unwrap();
        let names: Vec<&str> = r.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["solo", "pi1", "pi2", "box"]);
        assert_eq!(r[1].groups, ["arm", "pis"]);
        assert_eq!(r[1].vars["ansible_user"], "root");
        assert!(r[2].vars.is_empty());
        assert!(r[0].groups.is_empty());
        assert_eq!(r[3].at, "hosts.ini");
    }
}
