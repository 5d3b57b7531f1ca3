//! The integration tests: one binary, `integration`, with a module per
//! concern (as ripgrep does), so that a change of the crate links one test
//! binary rather than one per file. `common` is what the modules share.
//!
//! Cargo.toml sets `autotests = false`: a new file here is compiled and run
//! only once it is declared below. One test or module:
//! `cargo test --test integration cli::` (or `… fleet::host_keys`).
//!
//! All modules run in one process, on the harness's threads: a test must
//! not change what the process shares (environment variables, the current
//! directory, signal dispositions). The binary under test is run as a child
//! process, which gets its own.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod ansible;
mod article_figures;
mod cli;
mod engines;
mod fleet;
mod fleet_inventory;
mod fleet_ssh;
mod fleet_sweep;
mod lava;
mod meter_fnirsi;
mod meter_homeassistant;
mod meter_netio;
mod meter_shelly;
mod meters;
mod observe_fixtures;
mod power;
mod reference_data;
mod report;
mod report_sweep;
mod sweep;
