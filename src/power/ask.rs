//! `--power ask` on the board: each phase's load runs on the fastest CPUs
//! while the user reads the wattmeter and types what it shows (the prompt
//! is `typed.rs`), each phase announced as a phase line for a meter
//! elsewhere. Questions go to stderr and answers come from stdin, so that
//! stdout stays the results.

use std::io::IsTerminal;
use std::sync::Arc;

use super::events::PhaseEvents;
use super::{ask_phases, is_stopped, Phase, PhaseWatts, StopAwareLines};
use crate::error::Error;
use crate::interrupt::STOP;
use crate::measure::load::{Load, LoadKind};
use crate::measure::plan::{cpu_list, cpus_fastest_first};
use crate::measure::Kernel;
use crate::observe::{Os, Topology};

/// The phases worth asking about on a machine with `online` CPUs: "half"
/// only where it differs from one core and from all of them.
pub fn phases_for(online: usize) -> Vec<Phase> {
    Phase::ALL
        .into_iter()
        .filter(|p| match p {
            Phase::Idle | Phase::One => true,
            Phase::Half => online >= 4,
            Phase::All => online > 1,
        })
        .collect()
}

/// Asks for every phase's reading while its load runs; `kernel` is the
/// checked kernel of a kernel `load`. Returns the figures and whether
/// stdin closed before every phase was answered.
pub fn ask_power(
    load: LoadKind,
    kernel: Option<Arc<dyn Kernel>>,
    topo: &Topology,
    os: &Arc<dyn Os>,
    events: &PhaseEvents,
) -> anyhow::Result<(PhaseWatts, bool)> {
    let order = cpus_fastest_first(topo);
    let online = order.len();
    let phases: Vec<(Phase, Vec<usize>)> = phases_for(online)
        .into_iter()
        .map(|p| (p, order[..p.threads(online)].to_vec()))
        .collect();
    // Ctrl-C at a prompt leaves at once: nothing is measured yet.
    let mut input = StopAwareLines::stdin(&STOP);
    ask_power_on(load, kernel, &phases, os, events, &mut input)
}

/// [`ask_power`] for phases on CPUs the caller chose (a sweep asks for
/// one core class's CPUs at each of its clock steps). `input` is standard
/// input, made once by the caller: lines read ahead stay in it.
pub fn ask_power_on(
    load: LoadKind,
    kernel: Option<Arc<dyn Kernel>>,
    phases: &[(Phase, Vec<usize>)],
    os: &Arc<dyn Os>,
    events: &PhaseEvents,
    input: &mut StopAwareLines,
) -> anyhow::Result<(PhaseWatts, bool)> {
    let interactive = std::io::stdin().is_terminal();
    let mut output = std::io::stderr();
    let only: Vec<Phase> = phases.iter().map(|(p, _)| *p).collect();
    let outcome = ask_phases(&only, interactive, input, &mut output, |phase| {
        let cpus = phases
            .iter()
            .find(|(p, _)| *p == phase)
            .map(|(_, c)| c.as_slice())
            .unwrap_or_default();
        let mut fields = vec![
            ("power", phase.key().to_string()),
            ("threads", cpus.len().to_string()),
        ];
        if !cpus.is_empty() {
            fields.push(("load", load.to_string()));
            fields.push(("cpus", cpu_list(cpus)));
        }
        events.start(&fields);
        // Dropped in this order after the answer: the load stops, then
        // its end is announced.
        let end = events.end_on_drop(fields);
        if cpus.is_empty() {
            return (
                "nothing running; give the board a few seconds to settle".to_string(),
                (None, end),
            );
        }
        let running = Load::start(Arc::clone(os), load, cpus, kernel.clone());
        let what = format!(
            "{load} running on cpu {} ({} threads)",
            cpu_list(cpus),
            running.threads()
        );
        (what, (Some(running), end))
    })
    .map_err(|e| -> anyhow::Error {
        if is_stopped(&e) {
            Error::Interrupted { saved: None }.into()
        } else {
            anyhow::Error::new(e).context("--power ask: reading the answers")
        }
    })?;
    Ok((outcome.watts, outcome.closed_early))
}
