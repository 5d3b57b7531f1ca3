//! Record: the results schema and result files.
//!
//! [`ResultRow`] *is* the schema: the CSV header is derived from it, and a
//! test checks it against `docs/results-schema.md`.
mod file;
mod row;

pub use file::{board_slug, read_results, ReadError, ResultFile};
pub use row::{ResultRow, SCHEMA_VERSION};
