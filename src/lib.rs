//! sbcbench: how fast and how energy-efficient is a single-board computer?
//!
//! The pipeline has one module per stage: [`measure`] runs the kernels,
//! [`observe`] reads the machine, [`record`] writes result files,
//! [`compare`] relates results to a baseline, [`export`] renders them.
pub mod measure;
pub mod observe;
