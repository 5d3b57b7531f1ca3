//! The YAML form of an Ansible inventory (Ansible's `yaml` inventory
//! plugin, and what `ansible-inventory --list -y` writes): a mapping of
//! groups, each with `hosts` (name → variables or nothing), `vars` and
//! `children` (groups again). Errors name the group, host and key.

use yaml_rust2::{Yaml, YamlLoader};

use super::{check_text, ranges, Inventory, Value, Vars};

pub fn parse(text: &str, file: &str) -> Result<Inventory, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| {
        format!(
            "{file}:{}: not valid YAML ({})",
            e.marker().line(),
            e.info()
        )
    })?;
    let mut inv = Inventory::default();
    inv.group("all");
    inv.group("ungrouped");
    let Some(Yaml::Hash(top)) = docs.first() else {
        return Err(format!(
            "{file}: an inventory is a mapping of groups, e.g. `all:` with `hosts:` under it"
        ));
    };
    if top.contains_key(&Yaml::String("plugin".into())) {
        return Err(format!(
            "{file}: `plugin:` makes this a dynamic inventory; {}",
            super::DYNAMIC.replace("FILE", file)
        ));
    }
    for (name, body) in top {
        let name = key(name, file, "a group name")?;
        group(&mut inv, &name, body, file, 0)?;
    }
    inv.finish();
    Ok(inv)
}

fn key(k: &Yaml, file: &str, what: &str) -> Result<String, String> {
    let text = scalar(k).ok_or_else(|| format!("{file}: {what} must be a plain word"))?;
    check_text(&text, what, file)?;
    Ok(text)
}

fn scalar(y: &Yaml) -> Option<String> {
    Some(match y {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        _ => return None,
    })
}

fn group(
    inv: &mut Inventory,
    name: &str,
    body: &Yaml,
    file: &str,
    depth: usize,
) -> Result<(), String> {
    let at = format!("{file}: group '{name}'");
    if depth > 64 {
        return Err(format!("{at}: groups nested more than 64 deep"));
    }
    inv.group(name);
    let body = match body {
        Yaml::Null => return Ok(()),
        Yaml::Hash(h) => h,
        _ => return Err(format!("{at}: a group holds hosts:, vars: and children:")),
    };
    for (k, v) in body {
        let k = key(k, file, "a key")?;
        match (k.as_str(), v) {
            (_, Yaml::Null) => {}
            ("hosts", Yaml::Hash(hosts)) => {
                for (pattern, vars) in hosts {
                    let pattern = key(pattern, file, "a host name")?;
                    let host_at = format!("{file}: host '{pattern}'");
                    let (pattern, port) = match pattern.rsplit_once(':') {
                        Some((n, p)) if !n.contains(':') && p.parse::<u16>().is_ok() => {
                            (n.to_string(), Some(p.to_string()))
                        }
                        _ => (pattern, None),
                    };
                    let mut vars = variables(vars, &host_at)?;
                    if let Some(p) = port {
                        vars.insert("ansible_port".into(), Value::Text(p));
                    }
                    for host in ranges::expand(&pattern).map_err(|e| format!("{host_at}: {e}"))? {
                        inv.add_host(name, &host, vars.clone(), host_at.clone())?;
                    }
                }
            }
            ("vars", v) => {
                let vars = variables(v, &at)?;
                inv.group(name).vars.extend(vars);
            }
            ("children", Yaml::Hash(children)) => {
                for (child, child_body) in children {
                    let child = key(child, file, "a group name")?;
                    if child == name {
                        return Err(format!("{at}: a group cannot be its own child"));
                    }
                    if !inv.group(name).children.contains(&child) {
                        inv.group(name).children.push(child.clone());
                    }
                    group(inv, &child, child_body, file, depth + 1)?;
                }
            }
            ("hosts" | "children", _) => {
                return Err(format!("{at}: {k}: must be a mapping of names"));
            }
            (other, _) => {
                return Err(format!(
                    "{at}: unknown key '{other}'; a group holds hosts:, vars: and children:"
                ))
            }
        }
    }
    Ok(())
}

/// A mapping of variables; each a scalar, a list of scalars or a mapping
/// of scalars.
fn variables(y: &Yaml, at: &str) -> Result<Vars, String> {
    let map = match y {
        Yaml::Null => return Ok(Vars::new()),
        Yaml::Hash(h) => h,
        _ => return Err(format!("{at}: variables must be a mapping of name: value")),
    };
    let mut vars = Vars::new();
    for (k, v) in map {
        let k = scalar(k).ok_or_else(|| format!("{at}: a variable name must be a word"))?;
        let what = format!("variable {k}");
        let value = match v {
            Yaml::Array(items) => Value::List(
                items
                    .iter()
                    .map(|i| {
                        scalar(i)
                            .ok_or_else(|| format!("{at}: {what}: list items must be plain values"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Yaml::Hash(h) => Value::Map(
                h.iter()
                    .map(|(a, b)| match (scalar(a), scalar(b)) {
                        (Some(a), Some(b)) => Ok((a, b)),
                        _ => Err(format!("{at}: {what}: a mapping of plain values")),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Yaml::Null => Value::Text(String::new()),
            other => Value::Text(
                scalar(other).ok_or_else(|| format!("{at}: {what}: not a plain value"))?,
            ),
        };
        match &value {
            Value::Text(t) => check_text(t, &what, at)?,
            Value::List(l) => l.iter().try_for_each(|t| check_text(t, &what, at))?,
            Value::Map(m) => m.iter().try_for_each(|(a, b)| {
                check_text(a, &what, at).and_then(|()| check_text(b, &what, at))
            })?,
        }
        vars.insert(k, value);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAB: &str = "\
all:
  vars:
    ansible_user: root
  children:
    pis:
      hosts:
        pi[1:2]:
          ansible_user: pi
        rock5b:
          ansible_host: 192.0.2.20
          ansible_port: 2222
          sbcbench_run_args: [--threads, '1,all']
          sbcbench_power: {idle: 3.1, all: 9.5}
      vars:
        ansible_ssh_private_key_file: ~/.ssh/lab_ed25519
    arm:
      children:
        pis:
  hosts:
    loose.lan:
";

    #[test]
    fn reads_the_same_model_as_ini() {
        let inv = parse(LAB, "lab.yml").unwrap();
        let names: Vec<&str> = inv.hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["pi1", "pi2", "rock5b", "loose.lan"]);
        assert_eq!(inv.groups["arm"].children, ["pis"]);
        let rock = &inv.hosts[2];
        assert_eq!(rock.vars["ansible_port"], Value::Text("2222".into()));
        assert_eq!(
            rock.vars["sbcbench_run_args"],
            Value::List(vec!["--threads".into(), "1,all".into()])
        );
        assert_eq!(
            rock.vars["sbcbench_power"],
            Value::Map(vec![
                ("idle".into(), "3.1".into()),
                ("all".into(), "9.5".into())
            ])
        );
        let r = inv.resolve();
        assert_eq!(r[0].vars["ansible_user"], Value::Text("pi".into()));
        assert_eq!(r[3].vars["ansible_user"], Value::Text("root".into()));
    }

    #[test]
    fn mistakes_name_where() {
        for (text, want) in [
            (
                "all:\n  hosts: [a, b]\n",
                "group 'all': hosts: must be a mapping",
            ),
            ("all:\n  hostz:\n    a:\n", "unknown key 'hostz'"),
            (
                "all:\n  hosts:\n    a:\n      x: \"l1\\nl2\"\n",
                "host 'a': variable x contains a line break",
            ),
            ("plugin: aws_ec2\n", "dynamic inventory"),
            ("all:\n  hosts:\n   a: [\n", "lab.yml:"),
            ("- a\n", "a mapping of groups"),
            ("all:\n  hosts:\n    pi[2:1]:\n", "expands to nothing"),
        ] {
            let e = parse(text, "lab.yml").unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}
