//! Compare: results relative to a baseline board (by default the
//! VisionFive 2 of the January 2023 article).
mod baseline;
pub mod efficiency;
pub mod report;
pub mod row;
pub mod uncertainty;

pub use baseline::{Baseline, Reference};
