//! `sbcbench sweep`: the run's options, plus which classes and steps, and
//! the refusals (root, cpufreq) — all before anything is written.

use std::sync::Arc;

use super::{OpenedMeter, RunOptions};
use crate::cli::SweepArgs;
use crate::error::Error;
use crate::export::Format;
use crate::measure::sweep::verify::Probe;
use crate::measure::sweep::{plan_classes, preflight, ClassPlan, SweepError};
use crate::measure::{clock, ThreadMode};
use crate::observe::{Os, Topology};
use crate::power::PowerMode;
use crate::record::{give_dirs, missing_dirs, Owner};

pub struct SweepOptions {
    /// Timing, kernels, output and power, as a run takes them; `modes` is
    /// `1` and/or `all`, each meant within one class.
    pub run: RunOptions,
    pub classes: Vec<ClassPlan>,
    /// How each locked step is confirmed.
    pub probe: Probe,
    /// The user behind `sudo`, who gets the results.
    pub owner: Option<Owner>,
}

impl SweepOptions {
    /// `recorded`: the machine is a recorded tree (`--sysroot`), whose
    /// files are ours to write, and whose CPUs are not here to run the
    /// clock loop on.
    pub fn from_args(
        args: &SweepArgs,
        topo: &Topology,
        os: &Arc<dyn Os>,
        recorded: bool,
    ) -> Result<(SweepOptions, Option<OpenedMeter>), Error> {
        let mut modes: Vec<ThreadMode> = Vec::new();
        for &mode in &args.threads {
            if !matches!(mode, ThreadMode::One | ThreadMode::All) {
                return Err(Error::Usage(format!(
                    "--threads {mode}: a sweep measures each core class with 1 thread or all of its CPUs; use 1, all or 1,all"
                )));
            }
            if !modes.contains(&mode) {
                modes.push(mode);
            }
        }
        let m = &args.measure;
        if matches!(m.power, PowerMode::Fixed(_)) {
            return Err(Error::Usage(
                "--power fixed: figures cannot follow the clock; use --meter SPEC, or --power ask to type the wattmeter's reading at each step".into(),
            ));
        }
        if m.format == Some(Format::Lava) {
            return Err(Error::Usage(
                "--format lava: LAVA records a run's figures; run `sbcbench run --format lava` there"
                    .into(),
            ));
        }
        let euid = if recorded {
            0
        } else {
            preflight::effective_uid()
        };
        preflight::check(&**os, euid).map_err(refused)?;
        let classes =
            plan_classes(&**os, topo, &args.classes, &args.steps).map_err(Error::Usage)?;
        let owner = match recorded {
            false => Owner::behind_sudo(|name| std::env::var(name).ok()),
            true => None,
        };
        // The folders that checking --output makes are theirs too.
        let missing = match m.no_save {
            true => Vec::new(),
            false => missing_dirs(&m.output),
        };
        let (run, meter) = RunOptions::measuring(m, modes, os)?;
        give_dirs(&missing, owner);
        let probe = if recorded || !clock::SUPPORTED {
            Probe::Reported
        } else {
            Probe::Measured
        };
        Ok((
            SweepOptions {
                run,
                classes,
                probe,
                owner,
            },
            meter,
        ))
    }
}

/// Every refusal is exit 2, like a wrong flag: nothing was changed.
fn refused(e: SweepError) -> Error {
    Error::Usage(e.to_string())
}
