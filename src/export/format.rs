//! The output formats on stdout, shared by `run` and `report`, and the
//! rule that picks one when none is given.

use std::io::IsTerminal;

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people (default on a terminal).
    Table,
    Markdown,
    /// The results schema, as saved.
    Csv,
    Json,
    /// LAVA test-shell signals: a test case per figure, and the self-test
    /// and throttling as pass or fail.
    Lava,
}

impl Format {
    /// The format asked for, or by default a table on a terminal and
    /// Markdown otherwise (a file, a pipe).
    pub fn default_for_stdout(explicit: Option<Format>) -> Format {
        Format::or_default(explicit, std::io::stdout().is_terminal())
    }

    fn or_default(explicit: Option<Format>, terminal: bool) -> Format {
        explicit.unwrap_or(if terminal {
            Format::Table
        } else {
            Format::Markdown
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_on_a_terminal_markdown_elsewhere_unless_asked() {
        assert_eq!(Format::or_default(None, true), Format::Table);
        assert_eq!(Format::or_default(None, false), Format::Markdown);
        for f in [
            Format::Table,
            Format::Markdown,
            Format::Csv,
            Format::Json,
            Format::Lava,
        ] {
            assert_eq!(Format::or_default(Some(f), true), f);
            assert_eq!(Format::or_default(Some(f), false), f);
        }
    }
}
