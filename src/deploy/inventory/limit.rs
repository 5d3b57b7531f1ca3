//! `--limit PATTERN` as Ansible reads it: terms separated by `:` or `,`,
//! each a host, a group or a glob (`pi*`); `all` or `*` is everyone;
//! `!term` takes hosts out, `&term` keeps only hosts also in it. The
//! hosts stay in inventory order.

use super::Resolved;

/// The hosts of `hosts` that `pattern` picks, or why none can be.
pub fn select(hosts: Vec<Resolved>, pattern: &str, file: &str) -> Result<Vec<Resolved>, String> {
    let mut groups: Vec<&str> = hosts
        .iter()
        .flat_map(|h| h.groups.iter().map(String::as_str))
        .collect();
    groups.sort_unstable();
    groups.dedup();
    let matches = |term: &str| -> Result<Vec<bool>, String> {
        if term.starts_with('~') {
            return Err(format!(
                "--limit: '{term}': regular expressions are not read; use a glob such as pi*"
            ));
        }
        let glob = term.contains(['*', '?', '[']);
        let picked: Vec<bool> = hosts
            .iter()
            .map(|h| {
                let names = std::iter::once(h.name.as_str())
                    .chain(h.groups.iter().map(String::as_str))
                    .chain(["all"])
                    .chain(h.groups.is_empty().then_some("ungrouped"));
                names
                    .into_iter()
                    .any(|n| if glob { glob_match(term, n) } else { n == term })
                    || term == "*"
            })
            .collect();
        if !picked.contains(&true) {
            return Err(format!(
                "--limit: '{term}' is no group or host of {file}; its groups are {}",
                if groups.is_empty() {
                    "none (all, ungrouped)".to_string()
                } else {
                    groups.join(", ")
                }
            ));
        }
        Ok(picked)
    };
    let terms: Vec<&str> = pattern
        .split([':', ','])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if terms.is_empty() {
        return Err("--limit: give a host, a group or a pattern such as 'pis:!pi3'".into());
    }
    let mut chosen: Option<Vec<bool>> = None;
    let (mut and, mut not) = (Vec::new(), Vec::new());
    for t in terms {
        if let Some(rest) = t.strip_prefix('!') {
            not.push(matches(rest)?);
        } else if let Some(rest) = t.strip_prefix('&') {
            and.push(matches(rest)?);
        } else {
            let m = matches(t)?;
            chosen = Some(match chosen {
                None => m,
                Some(c) => c.iter().zip(&m).map(|(a, b)| *a || *b).collect(),
            });
        }
    }
    // Only exclusions or intersections: they apply to every host.
    let mut keep = chosen.unwrap_or_else(|| vec![true; hosts.len()]);
    for a in &and {
        keep.iter_mut().zip(a).for_each(|(k, a)| *k &= *a);
    }
    for n in &not {
        keep.iter_mut().zip(n).for_each(|(k, n)| *k &= !*n);
    }
    let out: Vec<Resolved> = hosts
        .into_iter()
        .zip(keep)
        .filter_map(|(h, k)| k.then_some(h))
        .collect();
    if out.is_empty() {
        return Err(format!("--limit '{pattern}' leaves no host of {file}"));
    }
    Ok(out)
}

/// Shell-style glob: `*`, `?` and `[abc]`.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| go(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && go(&p[1..], &t[1..]),
            Some('[') => match p.iter().position(|c| *c == ']') {
                Some(end) if !t.is_empty() => {
                    p[1..end].contains(&t[0]) && go(&p[end + 1..], &t[1..])
                }
                _ => false,
            },
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    go(&p, &t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::inventory::ini;

    fn hosts() -> Vec<Resolved> {
        ini::parse(
            "loose\n[pis]\npi[1:3]\n[rocks]\nrock-[a:b]\n[arm:children]\npis\nrocks\n[x86]\nnuc\n",
            "lab.ini",
        )
        .unwrap()
        .resolve()
    }

    fn pick(p: &str) -> Result<Vec<String>, String> {
        select(hosts(), p, "lab.ini").map(|hs| hs.into_iter().map(|h| h.name).collect())
    }

    #[test]
    fn picks_as_ansible_does() {
        assert_eq!(pick("pis").unwrap(), ["pi1", "pi2", "pi3"]);
        assert_eq!(pick("pi2").unwrap(), ["pi2"]);
        assert_eq!(
            pick("pis:rocks").unwrap(),
            ["pi1", "pi2", "pi3", "rock-a", "rock-b"]
        );
        assert_eq!(
            pick("arm:!pi2").unwrap(),
            ["pi1", "pi3", "rock-a", "rock-b"]
        );
        assert_eq!(pick("arm:&rocks").unwrap(), ["rock-a", "rock-b"]);
        assert_eq!(pick("pi*,nuc").unwrap(), ["pi1", "pi2", "pi3", "nuc"]);
        assert_eq!(pick("all:!arm").unwrap(), ["loose", "nuc"]);
        assert_eq!(pick("ungrouped").unwrap(), ["loose"]);
        assert_eq!(pick("!arm").unwrap(), ["loose", "nuc"]);
        assert_eq!(pick("rock-[ab]").unwrap(), ["rock-a", "rock-b"]);
    }

    #[test]
    fn unknown_names_and_empty_results_are_errors() {
        let e = pick("pies").unwrap_err();
        assert!(
            e.contains("'pies' is no group or host of lab.ini")
                && e.contains("arm, pis, rocks, x86"),
            "{e}"
        );
        assert!(pick("pis:&x86").unwrap_err().contains("leaves no host"));
        assert!(pick("~pi.*").unwrap_err().contains("regular expressions"));
        assert!(pick("").unwrap_err().contains("give a host"));
    }
}
