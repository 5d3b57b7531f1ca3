//! `sbcbench fleet`: with everything checked that can be before connecting
//! (src/options/fleet.rs), runs the boards (src/deploy/pool.rs) and prints
//! the summary (src/export/fleet.rs).

use crate::cli::FleetArgs;
use crate::deploy::mux::ControlDir;
use crate::deploy::status::Status;
use crate::deploy::{plan, pool};
use crate::error::Error;
use std::io::IsTerminal;
use std::sync::Arc;

use crate::export::fleet::{summary_table, FleetStatus};
use crate::interrupt::STOP;
use crate::observe::Os;
use crate::options::FleetOptions;
use crate::power::meter::{self, MeterSpec};

pub fn fleet(args: &FleetArgs, os: Arc<dyn Os>) -> anyhow::Result<()> {
    let usage = |m: String| anyhow::Error::new(Error::Usage(m));
    let FleetOptions {
        boards: chosen,
        file,
        mut plan,
        dry_run,
    } = FleetOptions::from_args(args)?;
    if dry_run {
        return super::print(&plan::dry_run(&chosen, &plan));
    }
    // One connection per board: the sockets' private directory, removed
    // when this returns, whatever happened.
    let control = ControlDir::create().map_err(usage)?;
    plan.control_dir = Some(control.path().to_path_buf());

    // A first Ctrl-C or SIGTERM lets every board clean up; a second
    // leaves at once.
    crate::interrupt::install();
    // Every meter opened before the first connection: a wrong port costs
    // nothing.
    let mut meters = Vec::new();
    for b in &chosen {
        meters.push(match &b.meter {
            None => None,
            Some(text) => {
                let spec: MeterSpec = text.parse().map_err(|e: String| {
                    usage(format!("{file}: board '{}': meter: {e}", b.name))
                })?;
                let m = meter::open(&spec, &os).map_err(|e| {
                    usage(format!(
                        "{file}: board '{}': meter: {e}; check it with `sbcbench meter {text}`, \
                         or remove `meter` to run the board without it",
                        b.name
                    ))
                })?;
                Some((spec, m, Arc::clone(&os)))
            }
        });
    }
    // A line per board redrawn in place on a terminal; but a board that
    // asks for readings through ssh -t needs the terminal to itself, and a
    // log wants timestamped lines.
    let terminal = std::io::stderr().is_terminal() && !chosen.iter().any(|b| plan.tty(b));
    let names: Vec<&str> = chosen.iter().map(|b| b.name.as_str()).collect();
    let status = FleetStatus::new(&names, terminal, crate::term::verbose());
    let outcomes = pool::run_all(&chosen, &plan, &STOP, meters, &status);
    status.finish();
    super::print(&summary_table(&outcomes))?;
    status.print_held();

    if outcomes.iter().any(|o| o.interrupted) {
        return Err(Error::Interrupted { saved: None }.into());
    }
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| o.status != Status::Ok)
        .map(|o| format!("'{}' ({})", o.board, o.status))
        .collect();
    if !failed.is_empty() {
        anyhow::bail!(
            "{} of {} boards failed: {}; the reasons are above, after each board's name",
            failed.len(),
            outcomes.len(),
            failed.join(", ")
        );
    }
    Ok(())
}
