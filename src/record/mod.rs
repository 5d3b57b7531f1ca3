//! Record: the results schema and result files.
//!
//! [`ResultRow`] *is* the schema: the CSV header is derived from it, and a
//! test checks it against `docs/results-schema.md`.
mod columns;
mod file;
mod owner;
pub mod reference;
mod row;
pub mod walk;

pub use columns::{ClockSource, RunKind, WattsMethod, WattsSource};
pub use file::{
    board_slug, parse_results, read_results, read_results_lenient, results_from_bytes, ReadError,
    ReadOutcome, ResultFile,
};
pub use owner::{create_dirs, give_dirs, missing_dirs, Owner};
pub use row::{profile_groups, ResultRow, SCHEMA_VERSION};
