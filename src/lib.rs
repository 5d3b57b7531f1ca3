//! sbcbench: how fast and how energy-efficient is a single-board computer?
//!
//! The pipeline has one module per stage: [`measure`] runs the kernels,
//! [`observe`] reads the machine, [`record`] writes result files,
//! [`compare`] relates results to a baseline, [`export`] renders them.
//! [`cli`] defines the command line, [`options`] validates it, and
//! [`commands`] wires the stages together for each subcommand.
pub mod build_info;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod deploy;
pub mod error;
pub mod export;
pub mod interrupt;
pub mod measure;
pub mod observe;
pub mod options;
pub mod power;
pub mod record;
mod serde_str;
pub mod warnings;
