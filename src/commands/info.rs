//! `sbcbench info`: the system facts recorded in every result row.

use std::sync::Arc;
use std::time::Duration;

use crate::cli::InfoArgs;
use crate::measure::kernels::{self, XzInput};
use crate::measure::plan::cpu_list;
use crate::measure::KernelId;
use crate::observe::cpu::clock_domain;
use crate::observe::{preflight, Os, SystemFacts, Topology};

pub fn info(args: &InfoArgs, os: Arc<dyn Os>) -> anyhow::Result<()> {
    let facts = SystemFacts::gather(&*os, args.board.as_deref());
    if args.json {
        return super::print(&(serde_json::to_string_pretty(&facts)? + "\n"));
    }
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<15} {v}\n"));
    line("board", facts.board.clone());
    line("arch", facts.arch.clone());
    line("cpu", facts.cpu_model.clone());
    line(
        "cores",
        format!(
            "{} logical, {} physical",
            facts.logical_cores, facts.physical_cores
        ),
    );
    // One line per core class: the rows' `cluster` index, its cores' own
    // name, and the other classes on the same clock (DynamIQ policies).
    for c in &facts.clusters {
        let shared: Vec<usize> = c
            .cpus
            .first()
            .map(|&cpu| clock_domain(&*os, cpu))
            .unwrap_or_default()
            .into_iter()
            .filter(|cpu| !c.cpus.contains(cpu))
            .collect();
        let shared = if shared.is_empty() {
            String::new()
        } else {
            format!(", clock shared with cpu {}", cpu_list(&shared))
        };
        line(
            &format!("cluster {}", c.index),
            format!(
                "cpu {}: {}, max {}{shared}",
                cpu_list(&c.cpus),
                c.core_name,
                c.max_mhz
                    .map(|m| format!("{m:.0} MHz"))
                    .unwrap_or_else(|| "unknown (no cpufreq)".into())
            ),
        );
    }
    line(
        "simd",
        if facts.simd.is_empty() {
            "-".into()
        } else {
            facts.simd.join(" ")
        },
    );
    line(
        "memory",
        facts
            .memory_bytes
            .map(|b| format!("{} MiB", b >> 20))
            .unwrap_or_else(|| "-".into()),
    );
    line("linux", facts.linux.clone());
    line("os", facts.os.clone());
    line(
        "sbcbench",
        format!("{} {} {}", facts.version, facts.git_hash, facts.target),
    );
    out.push_str(&kernel_lines(&*os));
    let topo = Topology::read(&*os);
    for warning in preflight::check(&*os, &topo, Duration::from_millis(500)) {
        out.push_str(&format!("warning: {warning}\n"));
    }
    super::print(&out)
}

/// The code each kernel runs here: its crate and the backend it
/// dispatched to at run time (SHA-NI, NEON, soft…), and the CPU's SIMD
/// features those choices depend on.
fn kernel_lines(os: &dyn Os) -> String {
    let simd = crate::observe::cpu::simd_features(os);
    let mut out = format!(
        "{:<15} {}\n",
        "cpu features",
        if simd.is_empty() {
            "-".to_string()
        } else {
            simd.join(" ")
        }
    );
    let input = XzInput::built_in().ok();
    for id in KernelId::ALL {
        let code = match kernels::for_id(id, input.as_ref()) {
            Ok(k) => k.implementation(),
            Err(e) => format!("unavailable: {e}"),
        };
        out.push_str(&format!("{:<15} {code}\n", format!("kernel {id}")));
    }
    out
}

/// `sbcbench version` (and `--version --verbose`): the build, and with
/// --verbose what each kernel runs on this CPU.
pub fn version(os: Arc<dyn Os>) -> anyhow::Result<()> {
    let mut out = format!("sbcbench {}\n", crate::build_info::LONG_VERSION);
    if crate::term::verbose() {
        out.push_str(&kernel_lines(&*os));
    }
    super::print(&out)
}
