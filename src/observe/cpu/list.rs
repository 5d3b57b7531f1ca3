//! The kernel's CPU lists ("0-3,5"), read and written.

use std::collections::BTreeSet;

/// Parses kernel CPU lists: "0-3,5" (online, possible) and "0 1 2 3"
/// (cpufreq related_cpus). Malformed pieces are skipped.
pub fn parse_cpu_list(text: &str) -> Vec<usize> {
    let mut cpus = BTreeSet::new();
    for piece in text.split(|c: char| c == ',' || c.is_whitespace()) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        match piece.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    // Bound the range so a corrupt file cannot allocate the world.
                    if a <= b && b - a < 65_536 {
                        cpus.extend(a..=b);
                    }
                }
            }
            None => {
                if let Ok(n) = piece.parse() {
                    cpus.insert(n);
                }
            }
        }
    }
    cpus.into_iter().collect()
}

/// The inverse of [`parse_cpu_list`]: "0-3,5", for messages.
pub fn format_cpu_list(cpus: &[usize]) -> String {
    let mut sorted = cpus.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_parse_ranges_singles_and_spaces() {
        assert_eq!(parse_cpu_list("0-3,5"), vec![0, 1, 2, 3, 5]);
        assert_eq!(parse_cpu_list("4 5\n"), vec![4, 5]);
        assert_eq!(parse_cpu_list("0"), vec![0]);
        assert_eq!(parse_cpu_list(""), Vec::<usize>::new());
        assert_eq!(parse_cpu_list("3-1,x,2"), vec![2]);
        assert_eq!(format_cpu_list(&[5, 0, 1, 2, 3, 7, 8]), "0-3,5,7-8");
        assert_eq!(format_cpu_list(&[4]), "4");
    }
}
