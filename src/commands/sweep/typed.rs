//! `sweep --power ask`: the wattmeter's reading typed at every step, for
//! meters without a data link. Idle once, with every class at its lowest
//! step; then at each step of a class, its load on one of the class's
//! CPUs and on all of them, as the step's rows are measured.

use std::sync::Arc;

use crate::interrupt::STOP;
use crate::measure::load::LoadKind;
use crate::measure::plan::single_core_cpu;
use crate::measure::session::Kernels;
use crate::measure::{Kernel, ThreadMode};
use crate::observe::{Cluster, Os};
use crate::options::RunOptions;
use crate::power::attribute::Given;
use crate::power::events::PhaseEvents;
use crate::power::{ask_power_on, Phase, PhaseWatts, StopAwareLines, WattsSource};
use crate::warnings::Warning;

use super::super::run::{engines, KernelFactory};

/// The load of the readings and what has been typed so far.
pub(super) struct Typed {
    load: LoadKind,
    kernel: Option<Arc<dyn Kernel>>,
    idle: Option<f64>,
    /// Standard input closed: no more questions, the rest without watts.
    closed: bool,
    /// One reader for the whole sweep: piped answers read ahead stay here.
    input: StopAwareLines,
    os: Arc<dyn Os>,
    events: PhaseEvents,
}

impl Typed {
    /// The load of `--load`, its kernel checked like the measured ones.
    pub(super) fn new(
        opts: &RunOptions,
        by_id: &Kernels,
        make: KernelFactory,
        os: &Arc<dyn Os>,
        events: PhaseEvents,
    ) -> anyhow::Result<Typed> {
        Ok(Typed {
            load: opts.load,
            kernel: engines::load_kernel(opts, by_id, make)?,
            idle: None,
            closed: false,
            input: StopAwareLines::stdin(&STOP),
            os: Arc::clone(os),
            events,
        })
    }

    /// Idle power, asked once before the first step.
    pub(super) fn idle(&mut self, warnings: &mut Vec<Warning>) -> anyhow::Result<()> {
        let watts = self.ask(&[(Phase::Idle, Vec::new())], warnings)?;
        self.idle = watts.idle;
        Ok(())
    }

    /// The readings of `class` at `mhz`, for the rows of `modes` there.
    pub(super) fn at_step(
        &mut self,
        label: &str,
        class: &Cluster,
        modes: &[ThreadMode],
        mhz: f64,
        warnings: &mut Vec<Warning>,
    ) -> anyhow::Result<Given> {
        let one: Vec<usize> = single_core_cpu(class).into_iter().collect();
        let mut phases = Vec::new();
        if modes.contains(&ThreadMode::One) || class.cpus.len() == 1 {
            phases.push((Phase::One, one));
        }
        if modes.contains(&ThreadMode::All) && class.cpus.len() > 1 {
            phases.push((Phase::All, class.cpus.clone()));
        }
        if !self.closed {
            crate::term::note(&format!("sweep: {label} at {mhz:.0} MHz"));
        }
        let mut watts = self.ask(&phases, warnings)?;
        // A class of one CPU: its "all" is its one core.
        if class.cpus.len() == 1 {
            watts.all = watts.one;
        }
        watts.idle = self.idle;
        Ok(Given {
            watts,
            source: WattsSource::Typed,
            load: self.load.to_string(),
        })
    }

    fn ask(
        &mut self,
        phases: &[(Phase, Vec<usize>)],
        warnings: &mut Vec<Warning>,
    ) -> anyhow::Result<PhaseWatts> {
        if self.closed {
            return Ok(PhaseWatts::default());
        }
        let (watts, closed) = ask_power_on(
            self.load,
            self.kernel.clone(),
            phases,
            &self.os,
            &self.events,
            &mut self.input,
        )?;
        if closed {
            self.closed = true;
            warnings.push(Warning::PowerInputClosed);
        }
        Ok(watts)
    }
}
