//! The files a board sends back, framed on one stream: an
//! `@sbcbench file <size> <name>` header, then exactly that many bytes.
//! The board is not trusted: a bad frame or a name that could leave the
//! results folder is refused, never a panic (fuzzed: `fetched_files`).

/// `@sbcbench file <size> <name>` headers, each followed by the bytes.
pub fn parse_files(mut data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = Vec::new();
    while !data.is_empty() {
        let nl = data
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("a file header without its end")?;
        let header = String::from_utf8_lossy(&data[..nl]).into_owned();
        data = &data[nl + 1..];
        let mut words = header.split_whitespace();
        let (Some("@sbcbench"), Some("file"), Some(size), Some(name), None) = (
            words.next(),
            words.next(),
            words.next(),
            words.next(),
            words.next(),
        ) else {
            return Err(format!("unexpected output '{header}'"));
        };
        let size: usize = size
            .parse()
            .map_err(|_| format!("'{size}' is not a file size"))?;
        let name_ok = name.ends_with(".csv")
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !name_ok {
            return Err(format!("'{name}' is not the name of a results file"));
        }
        if data.len() < size {
            return Err(format!("{name} is cut short"));
        }
        files.push((name.to_string(), data[..size].to_vec()));
        data = &data[size..];
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetched_files_are_framed_and_their_names_checked() {
        let data = b"@sbcbench file 4 20260101T000000Z.csv\na,b\n@sbcbench file    0 x-2.csv\n";
        let files = parse_files(data).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(
            files[0],
            ("20260101T000000Z.csv".to_string(), b"a,b\n".to_vec())
        );
        assert!(parse_files(b"@sbcbench file 1 ../x.csv\nx").is_err());
        assert!(parse_files(b"@sbcbench file 9 a.csv\nx")
            .unwrap_err()
            .contains("cut short"));
        assert!(parse_files(b"hello\n").is_err());
        assert!(parse_files(b"").unwrap().is_empty());
    }
}
