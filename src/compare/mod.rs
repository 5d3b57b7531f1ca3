//! Compare: a measurement becomes a row (`row.rs`), related to a baseline
//! board (by default the VisionFive 2 of the January 2023 article); MB/s
//! per watt (`efficiency.rs`); the report's comparison tables (`report/`).
mod baseline;
pub mod board_name;
pub mod efficiency;
pub mod report;
pub mod row;
pub mod uncertainty;

pub use baseline::{Baseline, Reference};
