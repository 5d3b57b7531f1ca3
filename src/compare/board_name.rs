//! Board names as people type them: `Pi 4`, `rpi4`, `raspberry-pi-4b`
//! and `Raspberry Pi 4B` all name the same board. One matcher for every
//! `--baseline` (run and report), so that a name that works in one works
//! in the other.

/// The comparable form of a name: lowercase letters and digits only, `+`
/// spelled out (so `3B+` is not `3B`), and the usual abbreviations
/// (`rpi`, `vf`) written out.
pub fn normalise(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if c == '+' {
            out.push_str("plus");
        }
    }
    for (short, long) in [("rpi", "raspberrypi"), ("vf", "visionfive")] {
        if let Some(rest) = out.strip_prefix(short) {
            if rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_digit()) {
                return format!("{long}{rest}");
            }
        }
    }
    out
}

/// What a typed name matched among the known ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<'a> {
    One(&'a str),
    /// Several equally good matches: the user must say which.
    Several(Vec<&'a str>),
    /// None; maybe a near miss to suggest.
    None {
        did_you_mean: Option<&'a str>,
    },
}

/// One way a normalised name and a name may match what was typed.
type Rule<'r> = dyn Fn(&str, &str) -> bool + 'r;

/// Finds `wanted` among `names`: the exact name, else the same normalised
/// name, else the only name it starts, else the only name it is part of.
/// The first rule that matches anything decides, so `Raspberry Pi 3B`
/// is that board although it also begins `Raspberry Pi 3B+`.
pub fn find<'a>(names: &[&'a str], wanted: &str) -> Found<'a> {
    let key = normalise(wanted);
    let keys: Vec<(String, &'a str)> = names.iter().map(|n| (normalise(n), *n)).collect();
    let mut unique: Vec<&'a str> = Vec::new();
    let rules: [&Rule; 4] = [
        &|_, name| name == wanted.trim(),
        &|k, _| k == key,
        &|k, _| !key.is_empty() && k.starts_with(&key),
        &|k, _| !key.is_empty() && k.contains(&key),
    ];
    for rule in rules {
        unique.clear();
        for (k, name) in &keys {
            if rule(k, name) && !unique.contains(name) {
                unique.push(name);
            }
        }
        match unique.len() {
            0 => continue,
            1 => return Found::One(unique[0]),
            _ => return Found::Several(unique),
        }
    }
    Found::None {
        did_you_mean: did_you_mean(&keys, &key),
    }
}

/// The closest name by spelling, if it is close enough to be a typo.
fn did_you_mean<'a>(keys: &[(String, &'a str)], key: &str) -> Option<&'a str> {
    keys.iter()
        .map(|(k, name)| (strsim::jaro_winkler(k, key), *name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

/// What a [`Found`] other than `One` tells the user, after `--baseline X:`.
pub fn explain(found: &Found, known: &[&str]) -> String {
    match found {
        Found::One(name) => format!("found {name}"),
        Found::Several(names) => format!(
            "several boards match: {}; give more of the name",
            names.join(", ")
        ),
        Found::None {
            did_you_mean: Some(name),
        } => format!("no board of that name; did you mean '{name}'?"),
        Found::None { did_you_mean: None } => format!(
            "no board of that name; the boards are: {}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        ),
    }
}

/// A short name for a column header: `VF2` for the VisionFive 2, `Pi 4B`
/// for a Raspberry Pi 4B, else the board's name (without a `(source)`),
/// cut at 14 characters.
pub fn short(name: &str) -> String {
    let name = name.split(" (").next().unwrap_or(name).trim();
    let short = if let Some(n) = name.strip_prefix("VisionFive ") {
        format!("VF{n}")
    } else if let Some(n) = name.strip_prefix("Raspberry Pi ") {
        format!("Pi {n}")
    } else {
        name.to_string()
    };
    if short.chars().count() > 14 {
        let cut: String = short.chars().take(13).collect();
        format!("{}…", cut.trim_end())
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &[&str] = &[
        "Raspberry Pi 1",
        "Raspberry Pi 3B",
        "Raspberry Pi 3B+",
        "Raspberry Pi 4B",
        "VisionFive 1",
        "VisionFive 2",
        "Mac M1",
    ];

    #[test]
    fn the_ways_people_write_a_pi_4_all_find_it() {
        for typed in [
            "Raspberry Pi 4B",
            "raspberry pi 4b",
            "raspberry-pi-4b",
            "rpi4",
            "RPi 4B",
            "Pi 4",
            "pi4b",
        ] {
            assert_eq!(
                find(ARTICLE, typed),
                Found::One("Raspberry Pi 4B"),
                "{typed}"
            );
        }
        assert_eq!(find(ARTICLE, "vf2"), Found::One("VisionFive 2"));
        assert_eq!(find(ARTICLE, "m1"), Found::One("Mac M1"));
    }

    #[test]
    fn plus_is_part_of_the_name_and_an_exact_name_wins() {
        assert_eq!(find(ARTICLE, "Pi 3B+"), Found::One("Raspberry Pi 3B+"));
        assert_eq!(
            find(ARTICLE, "Raspberry Pi 3B"),
            Found::One("Raspberry Pi 3B")
        );
    }

    #[test]
    fn an_ambiguous_name_lists_its_candidates() {
        assert_eq!(
            find(ARTICLE, "VisionFive"),
            Found::Several(vec!["VisionFive 1", "VisionFive 2"])
        );
        let Found::Several(pis) = find(ARTICLE, "Pi") else {
            panic!("not ambiguous")
        };
        assert_eq!(pis.len(), 4);
        let text = explain(&find(ARTICLE, "pi 3"), ARTICLE);
        assert!(text.contains("Raspberry Pi 3B, Raspberry Pi 3B+"), "{text}");
    }

    #[test]
    fn a_typo_gets_a_suggestion_and_nonsense_the_list() {
        let typo = find(ARTICLE, "Rasberry Pi 4B");
        assert_eq!(
            typo,
            Found::None {
                did_you_mean: Some("Raspberry Pi 4B")
            }
        );
        assert!(explain(&typo, ARTICLE).contains("did you mean 'Raspberry Pi 4B'?"));
        let none = find(ARTICLE, "Banana");
        assert_eq!(none, Found::None { did_you_mean: None });
        assert!(explain(&none, ARTICLE).contains("Mac M1"));
        assert_eq!(find(ARTICLE, ""), Found::None { did_you_mean: None });
    }

    #[test]
    fn short_names_for_headers() {
        assert_eq!(
            short("VisionFive 2 (article 2023, openssl/xz-utils)"),
            "VF2"
        );
        assert_eq!(short("Raspberry Pi 4B (article 2023)"), "Pi 4B");
        assert_eq!(short("Mac M1"), "Mac M1");
        assert_eq!(short("Pine64 RockPro64 v2.1 2GB"), "Pine64 RockPr…");
    }
}
