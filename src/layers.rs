//! The layer rule, checked on the source itself so that it cannot rot: a
//! stage imports only the stages below it, never one above, so there is
//! no cycle between stages and `measure`, `observe`, `power` and `record`
//! never depend on the command line, the fleet or the renderers. `record`
//! sits below `power`: the row's column types are the schema's, and power
//! fills rows.
//! Test code (after `#[cfg(test)]`) may reach anywhere.

use std::path::{Path, PathBuf};

/// Lowest first. The shared utilities (`build_info`, `error`,
/// `interrupt`, `term`, and `serde_str` with its macro at the crate root) may be
/// used from every stage.
const STAGES: &[&str] = &[
    "observe", "measure", "record", "power", "compare", "warnings", "deploy", "export", "cli",
    "options", "commands",
];
const SHARED: &[&str] = &[
    "build_info",
    "error",
    "interrupt",
    "serde_str",
    "serde_as_string",
    "term",
];

fn rank(stage: &str) -> Option<usize> {
    STAGES.iter().position(|s| *s == stage)
}

/// The stage of a file: its first folder under `src/`, or its name.
fn stage_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    first
        .unwrap_or_default()
        .trim_end_matches(".rs")
        .to_string()
}

/// The top-level modules a source text names through `crate::`, outside
/// its tests.
fn imports(text: &str) -> Vec<String> {
    let code = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            // `use crate::{a::b, c};`: each top-level name in the braces.
            Some(inner) => {
                let end = inner.find("};").unwrap_or(inner.len());
                let mut depth = 0;
                let mut parts = Vec::new();
                let mut start = 0;
                for (j, c) in inner[..end].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            parts.push(&inner[start..j]);
                            start = j + 1;
                        }
                        _ => {}
                    }
                }
                parts.push(&inner[start..end]);
                parts
            }
            None => vec![rest],
        };
        for n in names {
            let n = n.trim_start();
            let name: String = n
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_stage_imports_a_stage_above_it() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        files.sort();
        assert!(
            files.len() > 20,
            "{} files under {}",
            files.len(),
            src.display()
        );
        let mut broken = Vec::new();
        for file in &files {
            let stage = stage_of(&src, file);
            let Some(own) = rank(&stage) else {
                // lib.rs, main.rs, and the shared utilities.
                continue;
            };
            let text = std::fs::read_to_string(file).unwrap();
            for import in imports(&text) {
                if SHARED.contains(&import.as_str()) || import == stage {
                    continue;
                }
                match rank(&import) {
                    Some(r) if r < own => {}
                    _ => broken.push(format!(
                        "{}: {stage} imports {import}",
                        file.strip_prefix(&src).unwrap().display()
                    )),
                }
            }
        }
        assert!(
            broken.is_empty(),
            "layer rule (src/layers.rs) broken:\n{}",
            broken.join("\n")
        );
    }

    #[test]
    fn the_check_sees_every_form_of_import() {
        let text =
            "use crate::measure::Step;\nuse crate::{export::Format, power::{Phase, PhaseWatts}};\n\
                    fn f() { crate::deploy::x(); }\n#[cfg(test)]\nuse crate::cli::Cli;";
        assert_eq!(imports(text), ["measure", "export", "power", "deploy"]);
        let src = Path::new("/p/src");
        assert_eq!(
            stage_of(src, Path::new("/p/src/power/meter/pzem.rs")),
            "power"
        );
        assert_eq!(stage_of(src, Path::new("/p/src/warnings.rs")), "warnings");
    }
}
