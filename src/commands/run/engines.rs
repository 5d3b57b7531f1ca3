//! The run's kernels in both engines, each checked against its known
//! answers before anything is timed. A system tool that is missing or odd
//! is a warning (`--system-tools auto`) or a usage error (`require`).

use std::sync::Arc;

use crate::error::Error;
use crate::measure::kernels::system::{system_kernel, SystemTools};
use crate::measure::load::LoadKind;
use crate::measure::session::Kernels;
use crate::measure::Kernel;
use crate::measure::{Engine, KernelId};
use crate::options::RunOptions;
use crate::warnings::Warning;

use super::KernelFactory;

/// The kernels by (id, engine), and the order to measure and show them
/// in: a kernel's system row first, the one that compares like for like
/// with the article, then the built-in one.
pub(in crate::commands) fn checked(
    opts: &RunOptions,
    make: KernelFactory,
    warnings: &mut Vec<Warning>,
) -> anyhow::Result<(Kernels, Vec<(KernelId, Engine)>)> {
    let mut by_id = Kernels::new();
    let mut order = Vec::new();
    // One openssl process per sample, whole seconds of it.
    let seconds = opts.timing.min_time.as_secs_f64().ceil().max(1.0) as u64;
    for &id in &opts.kernels {
        let kernel = make(id, opts.xz_input.as_ref())?;
        kernel.verify()?;
        by_id.insert((id, Engine::Builtin), kernel);
        let system = match opts.system_tools {
            SystemTools::Off => None,
            _ => Some(system_kernel(id, opts.xz_input.as_ref(), seconds)),
        };
        match system {
            None => {}
            Some(Ok(kernel)) => {
                by_id.insert((id, Engine::System), kernel);
                order.push((id, Engine::System));
            }
            Some(Err(e)) if opts.system_tools == SystemTools::Require => {
                return Err(Error::Usage(format!(
                    "--system-tools require: {e}; install the tool, or use --system-tools auto"
                ))
                .into())
            }
            Some(Err(e)) => warnings.push(Warning::SystemTool(e.to_string())),
        }
        order.push((id, Engine::Builtin));
    }
    Ok((by_id, order))
}

/// The kernel of `--load` for `--power ask`: the checked one of the run,
/// or made and checked for the load alone; `None` for the busy loop.
pub(in crate::commands) fn load_kernel(
    opts: &RunOptions,
    by_id: &Kernels,
    make: KernelFactory,
) -> anyhow::Result<Option<Arc<dyn Kernel>>> {
    Ok(match opts.load {
        LoadKind::Kernel(id) => Some(match by_id.get(&(id, Engine::Builtin)) {
            Some(k) => Arc::clone(k),
            None => {
                let k = make(id, opts.xz_input.as_ref())?;
                k.verify()?;
                k
            }
        }),
        LoadKind::Spin => None,
    })
}
