//! The INI form of an Ansible inventory (Ansible's `ini` inventory plugin):
//! `[group]` host lines split shell-style (`name[:port] key=value…`),
//! `[group:vars]` with one `key=value` a line, `[group:children]` with one
//! group a line; lines before any section are `ungrouped`. Every error says
//! `file:line`.

use super::{check_text, ranges, Inventory, Value, Vars};

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Hosts,
    Vars,
    Children,
}

pub fn parse(text: &str, file: &str) -> Result<Inventory, String> {
    let mut inv = Inventory::default();
    inv.group("all");
    inv.group("ungrouped");
    let (mut group, mut kind) = ("ungrouped".to_string(), Kind::Hosts);
    // Groups given vars or named as children, and where: checked at the end.
    let mut mentioned: Vec<(String, String)> = Vec::new();
    let mut declared: std::collections::HashSet<String> =
        ["all".to_string(), "ungrouped".to_string()].into();
    for (i, raw) in text.lines().enumerate() {
        let at = format!("{file}:{}", i + 1);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        check_text(raw, "the line", &at)?;
        if line.starts_with('[') {
            (group, kind) = header(line, &at)?;
            match kind {
                Kind::Hosts => {
                    declared.insert(group.clone());
                }
                _ => mentioned.push((group.clone(), at.clone())),
            }
            inv.group(&group);
            continue;
        }
        match kind {
            Kind::Hosts => {
                if line == "---" {
                    return Err(format!(
                        "{at}: '---' starts a YAML document: name the file .yml to read it as YAML"
                    ));
                }
                let words = shlex::split(line).ok_or_else(|| format!("{at}: an unclosed quote"))?;
                // A word starting with # begins a comment (shlex comments).
                let mut words = words.into_iter().take_while(|w| !w.starts_with('#'));
                let Some(pattern) = words.next() else {
                    continue;
                };
                let (pattern, port) = split_port(&pattern, &at)?;
                let mut vars = Vars::new();
                if let Some(p) = port {
                    vars.insert("ansible_port".into(), Value::Text(p));
                }
                for w in words {
                    let (k, v) = w.split_once('=').ok_or_else(|| {
                        format!(
                            "{at}: '{w}' is not key=value (host variables follow the host name)"
                        )
                    })?;
                    vars.insert(k.to_string(), literal(v));
                }
                let names = ranges::expand(&pattern).map_err(|e| format!("{at}: {e}"))?;
                for name in names {
                    inv.add_host(&group, &name, vars.clone(), at.clone())?;
                }
            }
            Kind::Vars => {
                let (k, v) = line.split_once('=').ok_or_else(|| {
                    format!("{at}: '{line}' is not key=value ([{group}:vars] holds variables)")
                })?;
                inv.group(&group)
                    .vars
                    .insert(k.trim().to_string(), literal(v.trim()));
            }
            Kind::Children => {
                let child = line.split_whitespace().next().unwrap_or(line).to_string();
                if child == group {
                    return Err(format!("{at}: group '{group}' cannot be its own child"));
                }
                mentioned.push((child.clone(), at.clone()));
                inv.group(&child);
                inv.group(&group).children.push(child);
            }
        }
    }
    // A child or :vars group must be a group somewhere in the file.
    let defined: std::collections::HashSet<&String> = inv
        .groups
        .iter()
        .filter(|(n, g)| declared.contains(*n) || !g.children.is_empty())
        .map(|(n, _)| n)
        .collect();
    for (g, at) in &mentioned {
        if !defined.contains(g) {
            return Err(format!(
                "{at}: group '{g}' is never declared: add a [{g}] section (even an empty one)"
            ));
        }
    }
    inv.finish();
    Ok(inv)
}

/// `[name]`, `[name:vars]` or `[name:children]`, with an optional
/// trailing comment.
fn header(line: &str, at: &str) -> Result<(String, Kind), String> {
    let body = line
        .strip_prefix('[')
        .and_then(|l| l.split_once(']'))
        .filter(|(_, rest)| rest.trim().is_empty() || rest.trim().starts_with('#'))
        .map(|(b, _)| b)
        .ok_or_else(|| format!("{at}: '{line}' is not a section header like [group]"))?;
    let (name, suffix) = match body.split_once(':') {
        Some((n, s)) => (n, Some(s)),
        None => (body, None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!("{at}: '{line}': a group name has no spaces"));
    }
    let kind = match suffix {
        None => Kind::Hosts,
        Some("vars") => Kind::Vars,
        Some("children") => Kind::Children,
        Some(other) => {
            return Err(format!(
                "{at}: [{name}:{other}]: a section is [{name}], [{name}:vars] or [{name}:children]"
            ))
        }
    };
    Ok((name.to_string(), kind))
}

/// `host:port` or `[v6:addr]:port` into the name and the port.
fn split_port(pattern: &str, at: &str) -> Result<(String, Option<String>), String> {
    let bad_port = |p: &str| format!("{at}: '{pattern}': port '{p}' is not a number");
    if let Some(v6) = pattern.strip_prefix('[').filter(|p| p.contains("]:")) {
        if let Some((addr, port)) = v6.split_once("]:") {
            port.parse::<u16>().map_err(|_| bad_port(port))?;
            return Ok((addr.to_string(), Some(port.to_string())));
        }
    }
    // A range's colons are inside brackets; the port's is the last one
    // outside them, and an IPv6 address without brackets has several.
    let outside: Vec<usize> = {
        let mut depth = 0i32;
        pattern
            .char_indices()
            .filter_map(|(i, c)| {
                match c {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    ':' if depth == 0 => return Some(i),
                    _ => {}
                }
                None
            })
            .collect()
    };
    match outside.as_slice() {
        [i] => {
            let (name, port) = (&pattern[..*i], &pattern[i + 1..]);
            if port.is_empty() {
                return Err(format!("{at}: '{pattern}' ends in ':' without a port"));
            }
            port.parse::<u16>().map_err(|_| bad_port(port))?;
            Ok((name.to_string(), Some(port.to_string())))
        }
        _ => Ok((pattern.to_string(), None)),
    }
}

/// A value as Ansible reads it (a Python literal where it is one): a
/// list `['--samples', '3']`, a mapping `{'idle': 2.5}`, or text, quotes
/// taken off.
fn literal(v: &str) -> Value {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        return Value::List(
            items(inner)
                .iter()
                .map(|i| unquote(i).to_string())
                .collect(),
        );
    }
    if let Some(inner) = v.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        let pairs: Option<Vec<(String, String)>> = items(inner)
            .iter()
            .map(|i| {
                let (k, v) = split_outside_quotes(i, ':')?;
                Some((unquote(k.trim()).to_string(), unquote(v.trim()).to_string()))
            })
            .collect();
        if let Some(pairs) = pairs {
            return Value::Map(pairs);
        }
    }
    Value::Text(unquote(v).to_string())
}

/// The comma-separated items of a literal's inside, commas in quotes kept.
fn items(inner: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = inner;
    while let Some((item, tail)) = split_outside_quotes(rest, ',') {
        out.push(item.trim().to_string());
        rest = tail;
    }
    if !rest.trim().is_empty() {
        out.push(rest.trim().to_string());
    }
    out
}

/// `s` split at the first `sep` outside single or double quotes.
fn split_outside_quotes(s: &str, sep: char) -> Option<(&str, &str)> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c == sep => return Some((&s[..i], &s[i + c.len_utf8()..])),
            _ => {}
        }
    }
    None
}

/// `'x'` or `"x"` as `x`: Ansible reads values as Python literals.
fn unquote(v: &str) -> &str {
    for q in ['\'', '"'] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAB: &str = "\
# lab.ini
loose.lan
[pis]
pi[1:2] ansible_user=pi   # two Pi 4s
rock5b ansible_host=192.0.2.20 ansible_port=2222 sbcbench_run_args='--threads 1,all'
vf2:2200

[pis:vars]
ansible_ssh_private_key_file=~/.ssh/lab_ed25519

[arm:children]
pis
";

    #[test]
    fn reads_hosts_groups_vars_children_ranges_and_ports() {
        let inv = parse(LAB, "lab.ini").unwrap();
        let names: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["loose.lan", "pi1", "pi2", "rock5b", "vf2"]);
        assert_eq!(inv.groups["ungrouped"].hosts, ["loose.lan"]);
        assert_eq!(inv.groups["arm"].children, ["pis"]);
        assert!(inv.groups["all"].children.contains(&"arm".to_string()));
        let rock = &inv.hosts[3];
        assert_eq!(rock.vars["ansible_port"], Value::Text("2222".into()));
        assert_eq!(
            rock.vars["sbcbench_run_args"],
            Value::Text("--threads 1,all".into())
        );
        assert_eq!(
            inv.hosts[4].vars["ansible_port"],
            Value::Text("2200".into())
        );
        assert_eq!(rock.at, "lab.ini:5");
        assert_eq!(inv.hosts[1].vars["ansible_user"], Value::Text("pi".into()));
    }

    #[test]
    fn mistakes_name_the_file_and_line() {
        for (text, want) in [
            ("[pis\npi1\n", "lab.ini:1: '[pis' is not a section header"),
            ("[pis:hosts]\n", "lab.ini:1: [pis:hosts]"),
            (
                "[my group]\n",
                "lab.ini:1: '[my group]': a group name has no spaces",
            ),
            ("[pis]\npi1 user\n", "lab.ini:2: 'user' is not key=value"),
            ("[pis]\npi1 a='b\n", "lab.ini:2: an unclosed quote"),
            (
                "[pis]\npi[3:1]\n",
                "lab.ini:2: host range 'pi[3:1]' expands to nothing",
            ),
            (
                "[pis]\npi1\npi1\n",
                "lab.ini:3: host 'pi1' is listed twice in group 'pis' (first at lab.ini:2)",
            ),
            (
                "[pis]\npi1:\n",
                "lab.ini:2: 'pi1:' ends in ':' without a port",
            ),
            ("[pis]\npi1:ssh\n", "port 'ssh' is not a number"),
            ("[x:vars]\na=1\n", "lab.ini:1: group 'x' is never declared"),
            (
                "[x:children]\ny\n",
                "lab.ini:2: group 'y' is never declared",
            ),
            ("---\nall:\n", "lab.ini:1: '---' starts a YAML document"),
            (
                "[pis]\npi1 a=b\0c\n",
                "lab.ini:2: the line contains a line break or NUL",
            ),
        ] {
            let e = parse(text, "lab.ini").unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn python_literals_become_lists_and_mappings() {
        assert_eq!(
            literal("['--samples', '3', \"a,b\"]"),
            Value::List(vec!["--samples".into(), "3".into(), "a,b".into()])
        );
        assert_eq!(
            literal("{'idle': 2.5, \"all\": 4.25}"),
            Value::Map(vec![
                ("idle".into(), "2.5".into()),
                ("all".into(), "4.25".into())
            ])
        );
        assert_eq!(literal("'x y'"), Value::Text("x y".into()));
        assert_eq!(literal("22"), Value::Text("22".into()));
    }

    #[test]
    fn a_host_in_two_groups_is_one_host() {
        let inv = parse("[a]\nh x=1\n[b]\nh y=2\n", "f").unwrap();
        assert_eq!(inv.hosts.len(), 1);
        assert_eq!(inv.hosts[0].vars.len(), 2);
        assert_eq!(
            split_port("[2001:db8::1]:22", "f").unwrap().1.as_deref(),
            Some("22")
        );
        assert_eq!(split_port("2001:db8::1", "f").unwrap().1, None);
        assert_eq!(
            split_port("r[1:2]-pi:22", "f").unwrap(),
            ("r[1:2]-pi".into(), Some("22".into()))
        );
    }
}
