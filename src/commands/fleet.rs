//! `sbcbench fleet`: checks everything it can before connecting, then runs
//! the boards (src/deploy/pool.rs) and prints the summary
//! (src/export/fleet.rs).

use std::time::Duration;

use crate::cli::FleetArgs;
use crate::deploy::plan::{self, Plan};
use crate::deploy::session::Status;
use crate::deploy::{boards, pool, ssh};
use crate::error::Error;
use crate::export::fleet::summary_table;
use crate::interrupt::STOP;
use crate::observe::meter::{self, MeterSpec};

/// A board's `meter` must be a spec the meter module can read.
fn meter_spec(spec: &str) -> Result<(), String> {
    spec.parse::<MeterSpec>().map(drop)
}

/// A board measured by a meter here must not also be given one on the
/// board, and one meter measures one board: two boards on one meter would
/// each be given the other's power.
fn check_meters(
    chosen: &[crate::deploy::Board],
    run_args: &[String],
    file: &str,
) -> Result<(), String> {
    let mut seen: Vec<(&str, String)> = Vec::new();
    for b in chosen {
        let Some(text) = &b.meter else { continue };
        let args: Vec<&String> = b.run_args.iter().chain(run_args).collect();
        if args
            .iter()
            .any(|a| *a == "--meter" || a.starts_with("--meter="))
        {
            return Err(format!(
                "{file}: board '{}' has `meter` (a meter on this machine) and --meter in its run \
                 arguments (one on the board): keep one of them",
                b.name
            ));
        }
        let path = text
            .parse::<MeterSpec>()
            .map(|s| s.path)
            .unwrap_or_default();
        if let Some((other, _)) = seen.iter().find(|(_, p)| *p == path) {
            return Err(format!(
                "{file}: boards '{other}' and '{}' both have the meter {path}, which measures one \
                 board: give each board its own meter, or benchmark them one after the other with --only",
                b.name
            ));
        }
        seen.push((&b.name, path));
    }
    Ok(())
}

pub fn fleet(args: &FleetArgs) -> anyhow::Result<()> {
    let usage = |m: String| anyhow::Error::new(Error::Usage(m));
    for o in &args.ssh_option {
        ssh::check_ssh_option(o).map_err(usage)?;
    }
    let file = args.boards.display().to_string();
    let all = boards::load(&args.boards, &meter_spec).map_err(|e| usage(e.to_string()))?;
    let chosen = plan::select(all, &args.only, args.tag.as_deref(), &file).map_err(usage)?;
    plan::check_run_args(&args.run_args, "RUN ARGS after --").map_err(usage)?;
    for b in &chosen {
        plan::check_run_args(
            &b.run_args,
            &format!("{file}: board '{}': run_args", b.name),
        )
        .map_err(usage)?;
    }
    let jobs = args.jobs as usize;
    check_meters(&chosen, &args.run_args, &file).map_err(usage)?;
    if jobs > 1 {
        if let Some(b) = chosen.iter().find(|b| {
            plan::wants_power_ask(
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
    let sums = plan::read_sums(&args.dist).map_err(usage)?;
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
        return super::print(&plan::dry_run(&chosen, &plan));
    }

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
                let m = meter::open(&spec).map_err(|e| {
                    usage(format!(
                        "{file}: board '{}': meter: {e}; check it with `sbcbench meter {text}`, \
                         or remove `meter` to run the board without it",
                        b.name
                    ))
                })?;
                Some((spec, m))
            }
        });
    }
    let outcomes = pool::run_all(&chosen, &plan, &STOP, meters);
    super::print(&summary_table(&outcomes))?;

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
