//! One file per kernel; [`for_id`] is the only place that maps names to code.
mod chacha20_poly1305;
#[cfg(test)]
pub mod flaky;
pub mod openssl;
mod sha1;
pub mod system;
mod xz;
pub mod xz_tool;

use std::sync::Arc;

pub use self::chacha20_poly1305::Chacha20Poly1305;
pub use self::sha1::Sha1;
pub use self::xz::{XzInput, XzKernel, LARGE_INPUT_BYTES};

use super::kernel::{Kernel, KernelError, KernelId};

/// Block size of the crypto kernels: `openssl speed -bytes 16384`, the
/// largest block size the article took.
pub const BLOCK_BYTES: usize = 16 * 1024;

/// Builds the kernel for `id`; the xz kernel needs its input.
pub fn for_id(id: KernelId, xz_input: Option<&XzInput>) -> Result<Arc<dyn Kernel>, KernelError> {
    Ok(match (id, xz_input) {
        (KernelId::Sha1, _) => Arc::new(Sha1),
        (KernelId::Chacha20Poly1305, _) => Arc::new(Chacha20Poly1305),
        (KernelId::Xz, Some(input)) => Arc::new(XzKernel::new(input.clone())),
        (KernelId::Xz, None) => {
            return Err(KernelError::Input("the xz kernel needs an input".into()))
        }
    })
}
