//! `sbcbench fleet`: checks everything it can before connecting, then runs
//! the boards (src/deploy/fleet.rs) and prints the summary.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::cli::FleetArgs;
use crate::deploy::fleet::{self, Plan, Status};
use crate::deploy::{boards, ssh};
use crate::error::Error;
use crate::observe::meter::MeterSpec;

/// Set by Ctrl-C: each board stops its run, fetches what it saved and
/// removes its temp directory.
static STOP: AtomicBool = AtomicBool::new(false);

/// A board's `meter` must be a spec the meter module can read.
fn meter_spec(spec: &str) -> Result<(), String> {
    spec.parse::<MeterSpec>().map(drop)
}

pub fn fleet(args: &FleetArgs) -> anyhow::Result<()> {
    let usage = |m: String| anyhow::Error::new(Error::Usage(m));
    for o in &args.ssh_option {
        ssh::check_ssh_option(o).map_err(usage)?;
    }
    let file = args.boards.display().to_string();
    let all = boards::load(&args.boards, &meter_spec).map_err(|e| usage(e.to_string()))?;
    let chosen = fleet::select(all, &args.only, args.tag.as_deref(), &file).map_err(usage)?;
    fleet::check_run_args(&args.run_args, "RUN ARGS after --").map_err(usage)?;
    for b in &chosen {
        fleet::check_run_args(
            &b.run_args,
            &format!("{file}: board '{}': run_args", b.name),
        )
        .map_err(usage)?;
    }
    let jobs = args.jobs as usize;
    if jobs > 1 {
        if let Some(b) = chosen.iter().find(|b| {
            fleet::wants_power_ask(
                &b.run_args
                    .iter()
                    .chain(&args.run_args)
                    .cloned()
                    .collect::<Vec<_>>(),
            )
        }) {
            return Err(usage(format!(
                "--power ask (board '{}') types each board's wattmeter readings on this terminal: \
                 add --jobs 1 so that one board at a time asks",
                b.name
            )));
        }
    }
    let sums = fleet::read_sums(&args.dist).map_err(usage)?;
    let plan = Plan {
        dist: args.dist.clone(),
        sums,
        output: args.output.clone(),
        timeout: Duration::from_secs_f64(args.timeout),
        ssh_options: args.ssh_option.clone(),
        accept_new_host_keys: args.accept_new_host_keys,
        run_args: args.run_args.clone(),
        jobs,
    };
    if args.dry_run {
        return super::print(&fleet::dry_run(&chosen, &plan));
    }

    // A first Ctrl-C lets every board clean up; a second leaves at once.
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    for b in chosen.iter().filter(|b| b.meter.is_some()) {
        eprintln!(
            "[{}] note: sampling the meter '{}' on this machine is not available yet; \
             the run's phase events are recorded, but no power is attributed from the meter",
            b.name,
            b.meter.as_deref().unwrap_or_default()
        );
    }
    let outcomes = fleet::run_all(&chosen, &plan, &STOP);
    super::print(&fleet::summary_table(&outcomes))?;

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
