//! sbcbench: how fast and how energy-efficient is a single-board computer?
//!
//! One module per pipeline stage, lowest first; a stage imports only the
//! stages before it (checked by `layers.rs` in the unit tests):
//! [`observe`] reads the machine through the `Os` seam, [`measure`] runs
//! and times the kernels, [`record`] is the results schema and its files,
//! [`power`] owns every watt (meters, prompts, phase lines, which figure a
//! row gets), [`compare`] builds rows and relates them to a baseline,
//! [`warnings`] says what makes a figure less trustworthy, [`deploy`] runs
//! the fleet over ssh, [`export`] renders. [`cli`] defines the command
//! line once, [`options`] validates it per command, and [`commands`] wires
//! the stages together for each subcommand.
pub mod build_info;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod deploy;
pub mod error;
pub mod export;
pub mod interrupt;
#[cfg(test)]
mod layers;
pub mod measure;
pub mod observe;
pub mod options;
pub mod power;
pub mod record;
mod serde_str;
pub mod term;
pub mod warnings;
