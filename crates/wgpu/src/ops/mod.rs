//! The backend operations, grouped by kind. Each checks shapes on the host, records its
//! kernels into one [`crate::encode::Pass`] and submits without waiting.

pub(crate) mod elementwise;
pub(crate) mod linalg;
pub(crate) mod memory;
pub(crate) mod reduce;
pub(crate) mod structure;

use crate::context::Context;
use crate::kernel::WG_1D;
use crate::matrix::WgpuMatrix;
use scorediff_backend::{BackendError, Result, arg_err, shape_err};

/// Workgroups of a one-dimensional kernel over `n` elements.
pub(crate) fn groups_1d(n: usize) -> u64 {
    (n as u64).div_ceil(WG_1D)
}

/// A new uninitialised `rows x cols` matrix.
pub(crate) fn alloc(ctx: &Context, rows: usize, cols: usize) -> Result<WgpuMatrix> {
    let too_big = || BackendError::OutOfMemory {
        bytes: (rows as u64).saturating_mul(cols as u64).saturating_mul(4),
    };
    // Kernels index with u32: every dimension and element count must fit.
    if u32::try_from(rows).is_err() || u32::try_from(cols).is_err() {
        return Err(too_big());
    }
    let len = rows.checked_mul(cols).ok_or_else(too_big)?;
    let bytes = (len as u64).checked_mul(4).ok_or_else(too_big)?;
    let buf = ctx.storage(bytes)?;
    Ok(WgpuMatrix { rows, cols, buf })
}

/// Rejects a matrix created by another device.
pub(crate) fn own(ctx: &Context, op: &'static str, mats: &[&WgpuMatrix]) -> Result<()> {
    if mats.iter().all(|m| m.buf.is_from(&ctx.pool)) {
        Ok(())
    } else {
        Err(arg_err(op, "matrix belongs to another wgpu device"))
    }
}

/// Requires `a` and `b` to have the same shape.
pub(crate) fn same_shape(op: &'static str, a: &WgpuMatrix, b: &WgpuMatrix) -> Result<()> {
    if (a.rows, a.cols) != (b.rows, b.cols) {
        return Err(shape_err(
            op,
            format!("{}x{} vs {}x{}", a.rows, a.cols, b.rows, b.cols),
        ));
    }
    Ok(())
}
