//! Ansible's host ranges: `pi[1:4]`, `pi[01:10]` (same width, zero-padded),
//! `rock-[a:c]`, `n[0:10:2]` (a step), several in one name
//! (`rack[1:2]-pi[1:4]`); both ends included.

/// The host names `pattern` stands for, in order.
pub fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('[') else {
        return Ok(vec![pattern.to_string()]);
    };
    let close = pattern[open..]
        .find(']')
        .map(|i| open + i)
        .ok_or_else(|| format!("host range '{pattern}' has no closing ]"))?;
    let (head, range, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let parts: Vec<&str> = range.split(':').collect();
    let (start, end, step) = match parts.as_slice() {
        [a, b] => (*a, *b, 1),
        [a, b, s] => (
            *a,
            *b,
            s.parse::<u64>().ok().filter(|s| *s > 0).ok_or_else(|| {
                format!("host range '{pattern}': step '{s}' is not a number from 1")
            })?,
        ),
        _ => {
            return Err(format!(
                "host range '{pattern}': write [start:end] or [start:end:step]"
            ))
        }
    };
    let middles: Vec<String> = if let (Ok(a), Ok(b)) = (start.parse::<u64>(), end.parse::<u64>()) {
        let padded = start.len() > 1 && start.starts_with('0');
        if padded && start.len() != end.len() {
            return Err(format!(
                "host range '{pattern}': a zero-padded range needs both ends of the same width"
            ));
        }
        let width = if padded { start.len() } else { 0 };
        (a..=b)
            .step_by(step as usize)
            .map(|n| format!("{n:0width$}"))
            .collect()
    } else if let ([a], [b]) = (start.as_bytes(), end.as_bytes()) {
        if !(a.is_ascii_alphabetic() && b.is_ascii_alphabetic()) {
            return Err(format!(
                "host range '{pattern}': '{range}' is not numbers or letters"
            ));
        }
        (*a..=*b)
            .step_by(step as usize)
            .map(|c| (c as char).to_string())
            .collect()
    } else {
        return Err(format!(
            "host range '{pattern}': '{range}' is not numbers or single letters"
        ));
    };
    if middles.is_empty() {
        return Err(format!(
            "host range '{pattern}' expands to nothing: its start is after its end"
        ));
    }
    let mut out = Vec::new();
    for m in middles {
        for rest in expand(tail)? {
            out.push(format!("{head}{m}{rest}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_the_documented_forms() {
        assert_eq!(expand("pi[1:4]").unwrap(), ["pi1", "pi2", "pi3", "pi4"]);
        assert_eq!(expand("pi[08:10]").unwrap(), ["pi08", "pi09", "pi10"]);
        assert_eq!(
            expand("rock-[a:c]").unwrap(),
            ["rock-a", "rock-b", "rock-c"]
        );
        assert_eq!(expand("n[0:6:3]").unwrap(), ["n0", "n3", "n6"]);
        assert_eq!(
            expand("r[1:2]-pi[1:2].lab").unwrap(),
            ["r1-pi1.lab", "r1-pi2.lab", "r2-pi1.lab", "r2-pi2.lab"]
        );
        assert_eq!(expand("vf2").unwrap(), ["vf2"]);
    }

    #[test]
    fn mistakes_say_what_is_wrong() {
        for (p, want) in [
            ("pi[4:1]", "expands to nothing"),
            ("pi[1:4", "no closing"),
            ("pi[01:100]", "same width"),
            ("pi[1:4:0]", "step"),
            ("pi[a:4]", "not numbers"),
            ("pi[1]", "[start:end]"),
        ] {
            let e = expand(p).unwrap_err();
            assert!(e.contains(want), "{p}: {e}");
        }
    }
}
