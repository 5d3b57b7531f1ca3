//! The system engine: each kernel through the board's own tool, as the
//! article measured it (`openssl speed`, `xz -d`), found on PATH and
//! checked before anything is timed.

use std::sync::Arc;

use super::openssl::OpensslSpeed;
use super::xz_tool::XzTool;
use super::XzInput;
use crate::measure::kernel::{Kernel, KernelError, KernelId};
use crate::measure::tool;

/// `run --system-tools`: measure the board's tools beside the built-in
/// kernels where they are there (`auto`), never, or insist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SystemTools {
    /// Where `openssl` and `xz` are on PATH.
    #[default]
    Auto,
    /// Built-in kernels only.
    Off,
    /// Exit 2 before measuring when a tool is missing or odd.
    Require,
}

/// The tool that runs `id`.
pub fn tool_of(id: KernelId) -> &'static str {
    match id {
        KernelId::Xz => "xz",
        _ => "openssl",
    }
}

/// The system kernel of `id`, checked; `seconds` is one openssl step.
pub fn system_kernel(
    id: KernelId,
    xz_input: Option<&XzInput>,
    seconds: u64,
) -> Result<Arc<dyn Kernel>, KernelError> {
    let name = tool_of(id);
    let program = tool::find_on_path(name)
        .ok_or_else(|| KernelError::Tool(format!("{id}: no `{name}` on PATH")))?;
    let kernel: Arc<dyn Kernel> = match (id, xz_input) {
        (KernelId::Xz, Some(input)) => Arc::new(XzTool::new(&program, input)?),
        (KernelId::Xz, None) => {
            return Err(KernelError::Input("the xz kernel needs an input".into()))
        }
        _ => Arc::new(OpensslSpeed::new(id, &program, seconds)?),
    };
    kernel.verify()?;
    Ok(kernel)
}
