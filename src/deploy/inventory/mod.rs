//! Ansible inventories as a board list (`sbcbench fleet --inventory`): the
//! static INI and YAML forms (hosts, groups, `children`, group and host
//! variables, host ranges), read into one model, merged the way Ansible
//! merges variables (`all` < parent groups < child groups < the host), and
//! turned into [`Board`]s (`board.rs`). `--limit` patterns are `limit.rs`.
//!
//! Dynamic inventories (scripts, plugins) are refused: they run code, and
//! `ansible-inventory --list -y` exports any of them as a static file.

mod board;
mod ini;
mod limit;
mod ranges;
mod yaml;

use std::collections::BTreeMap;
use std::path::Path;

pub use board::to_boards;
pub use limit::select;

/// A variable's value: INI gives text; YAML may give a list (run args) or
/// a mapping (power figures).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    List(Vec<String>),
    Map(Vec<(String, String)>),
}

pub type Vars = BTreeMap<String, Value>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    /// Hosts listed in the group itself.
    pub hosts: Vec<String>,
    pub children: Vec<String>,
    pub vars: Vars,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub name: String,
    pub vars: Vars,
    /// Where it was first listed, for messages: `hosts.ini:12`.
    pub at: String,
}

/// A static inventory, as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    /// The file, as messages name it.
    pub file: String,
    /// Every group, `all` and `ungrouped` included.
    pub groups: BTreeMap<String, Group>,
    /// Every host, in the order first listed.
    pub hosts: Vec<Host>,
}

/// One host with its variables merged and the groups it is in.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub name: String,
    pub vars: Vars,
    /// Every group it belongs to, directly or through `children`, besides
    /// `all` and `ungrouped`.
    pub groups: Vec<String>,
    pub at: String,
}

const DYNAMIC: &str = "sbcbench reads static inventories; export this one with \
    `ansible-inventory -i FILE --list -y > hosts.yml` and give that";

/// Reads the inventory at `path`: YAML by extension (`.yml`, `.yaml`,
/// `.json`) or a leading `---`, else INI.
pub fn load(path: &Path) -> Result<Inventory, String> {
    use std::os::unix::fs::PermissionsExt;
    let file = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| format!("{file}: cannot read it ({e})"))?;
    if meta.is_dir() {
        return Err(format!(
            "{file}: a directory; give one inventory file (group_vars/host_vars folders are not read)"
        ));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{file}: cannot read it ({e})"))?;
    if meta.permissions().mode() & 0o111 != 0 || text.starts_with("#!") {
        return Err(format!(
            "{file}: an executable file is a dynamic inventory script; {}",
            DYNAMIC.replace("FILE", &file)
        ));
    }
    let yaml = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml" | "json")
    ) || text.trim_start().starts_with("---");
    let mut inv = if yaml {
        yaml::parse(&text, &file)?
    } else {
        ini::parse(&text, &file)?
    };
    inv.file = file;
    Ok(inv)
}

impl Inventory {
    /// The group `name`, created empty when new.
    fn group(&mut self, name: &str) -> &mut Group {
        self.groups.entry(name.to_string()).or_default()
    }

    /// Adds `name` to `group` with `vars` (merged over any it had), or
    /// says where it was listed in that group before.
    fn add_host(&mut self, group: &str, name: &str, vars: Vars, at: String) -> Result<(), String> {
        if let Some(h) = self.hosts.iter_mut().find(|h| h.name == name) {
            if self
                .groups
                .get(group)
                .is_some_and(|g| g.hosts.iter().any(|x| x == name))
            {
                return Err(format!(
                    "{at}: host '{name}' is listed twice in group '{group}' (first at {}); \
                     list it once",
                    h.at
                ));
            }
            h.vars.extend(vars);
        } else {
            self.hosts.push(Host {
                name: name.to_string(),
                vars,
                at,
            });
        }
        self.group(group).hosts.push(name.to_string());
        Ok(())
    }

    /// `all` holds every top-level group; hosts in no group but `all` are
    /// `ungrouped`, as in Ansible.
    fn finish(&mut self) {
        let children: std::collections::HashSet<String> = self
            .groups
            .values()
            .flat_map(|g| g.children.iter().cloned())
            .collect();
        let tops: Vec<String> = self
            .groups
            .keys()
            .filter(|g| *g != "all" && !children.contains(*g))
            .cloned()
            .collect();
        let all = self.group("all");
        for t in tops {
            if !all.children.contains(&t) {
                all.children.push(t);
            }
        }
    }

    /// Each host with its variables merged: `all`'s, then its groups' from
    /// the shallowest to the deepest (ties by name), then its own.
    pub fn resolve(&self) -> Vec<Resolved> {
        // Depth of each group below `all`.
        let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
        let mut frontier = vec![("all", 0usize)];
        while let Some((g, d)) = frontier.pop() {
            if depth.get(g).is_some_and(|&old| old >= d) {
                continue;
            }
            depth.insert(g, d);
            if let Some(group) = self.groups.get(g) {
                // A cycle cannot grow depth past the number of groups.
                if d <= self.groups.len() {
                    frontier.extend(group.children.iter().map(|c| (c.as_str(), d + 1)));
                }
            }
        }
        self.hosts
            .iter()
            .map(|h| {
                let mut member: Vec<&str> = self
                    .groups
                    .iter()
                    .filter(|(_, g)| g.hosts.contains(&h.name))
                    .map(|(n, _)| n.as_str())
                    .collect();
                // And every group above those.
                let mut i = 0;
                while i < member.len() {
                    for (n, g) in &self.groups {
                        if g.children.iter().any(|c| c == member[i])
                            && !member.contains(&n.as_str())
                        {
                            member.push(n);
                        }
                    }
                    i += 1;
                }
                member.sort_by_key(|g| (depth.get(g).copied().unwrap_or(usize::MAX), *g));
                let mut vars = Vars::new();
                if let Some(all) = self.groups.get("all") {
                    vars.extend(all.vars.clone());
                }
                for g in &member {
                    vars.extend(self.groups[*g].vars.clone());
                }
                vars.extend(h.vars.clone());
                Resolved {
                    name: h.name.clone(),
                    vars,
                    groups: member
                        .into_iter()
                        .filter(|g| !matches!(*g, "all" | "ungrouped"))
                        .map(str::to_string)
                        .collect(),
                    at: h.at.clone(),
                }
            })
            .collect()
    }
}

/// A value as text for messages and simple variables.
impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Text(t) => f.write_str(t),
            Value::List(l) => write!(f, "[{}]", l.join(", ")),
            Value::Map(m) => {
                let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                write!(f, "{{{}}}", parts.join(", "))
            }
        }
    }
}

/// A name or value with a line break or NUL, which no host name, path or
/// argument has: refused, naming where.
fn check_text(text: &str, what: &str, at: &str) -> Result<(), String> {
    if text.contains(['\n', '\r', '\0']) {
        return Err(format!(
            "{at}: {what} contains a line break or NUL; write it on one line"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_merge_from_all_to_the_host() {
        let inv = ini::parse(
            "[all:vars]\nansible_user=root\nx=all\n\
             [arm:children]\npis\n[arm:vars]\nx=arm\ny=arm\n\
             [pis]\npi1 y=host\npi2\n[pis:vars]\nx=pis\n\
             [lone]\nbox\n",
            "hosts.ini",
        )
        .unwrap();
        let r = inv.resolve();
        let pi1 = r.iter().find(|h| h.name == "pi1").unwrap();
        let text = |h: &Resolved, k: &str| h.vars.get(k).map(|v| v.to_string());
        assert_eq!(text(pi1, "ansible_user").as_deref(), Some("root"));
        // The child group (pis) over its parent (arm); the host over both.
        assert_eq!(text(pi1, "x").as_deref(), Some("pis"));
        assert_eq!(text(pi1, "y").as_deref(), Some("host"));
        assert_eq!(pi1.groups, ["arm", "pis"]);
        let pi2 = r.iter().find(|h| h.name == "pi2").unwrap();
        assert_eq!(text(pi2, "y").as_deref(), Some("arm"));
        let lone = r.iter().find(|h| h.name == "box").unwrap();
        assert_eq!(lone.groups, ["lone"]);
    }
}
