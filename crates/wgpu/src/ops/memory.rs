//! Creating, uploading, downloading and copying matrices.

use super::{alloc, groups_1d, own};
use crate::context::Context;
use crate::encode::Pass;
use crate::kernel::{Kernel, Params};
use crate::matrix::WgpuMatrix;
use scorediff_backend::{Result, shape_err};

fn check_len(op: &'static str, rows: usize, cols: usize, len: usize) -> Result<()> {
    if rows.checked_mul(cols) != Some(len) {
        return Err(shape_err(
            op,
            format!("{rows}x{cols} matrix from {len} values"),
        ));
    }
    Ok(())
}

pub(crate) fn full(ctx: &Context, rows: usize, cols: usize, value: f32) -> Result<WgpuMatrix> {
    let out = alloc(ctx, rows, cols)?;
    let n = rows * cols;
    if n == 0 {
        return Ok(out);
    }
    let mut pass = Pass::new(ctx);
    if value.to_bits() == 0 {
        pass.clear(out.raw());
    } else {
        pass.dispatch(
            Kernel::Fill,
            &[],
            &[out.raw()],
            Params::new().u(n).f(value),
            groups_1d(n),
        )?;
    }
    pass.submit()?;
    Ok(out)
}

pub(crate) fn from_host(
    ctx: &Context,
    rows: usize,
    cols: usize,
    data: &[f32],
) -> Result<WgpuMatrix> {
    check_len("from_host", rows, cols, data.len())?;
    let out = alloc(ctx, rows, cols)?;
    if !data.is_empty() {
        ctx.queue
            .write_buffer(out.raw(), 0, bytemuck::cast_slice(data));
        ctx.check()?;
    }
    Ok(out)
}

pub(crate) fn write(ctx: &Context, dst: &mut WgpuMatrix, data: &[f32]) -> Result<()> {
    own(ctx, "write", &[dst])?;
    check_len("write", dst.rows, dst.cols, data.len())?;
    if !data.is_empty() {
        ctx.queue
            .write_buffer(dst.raw(), 0, bytemuck::cast_slice(data));
        ctx.check()?;
    }
    Ok(())
}

pub(crate) fn to_host(ctx: &Context, a: &WgpuMatrix) -> Result<Vec<f32>> {
    own(ctx, "to_host", &[a])?;
    ctx.read_back(a.raw(), a.bytes())
}

pub(crate) fn copy(ctx: &Context, a: &WgpuMatrix) -> Result<WgpuMatrix> {
    own(ctx, "copy", &[a])?;
    let out = alloc(ctx, a.rows, a.cols)?;
    let mut pass = Pass::new(ctx);
    pass.copy(a.raw(), 0, out.raw(), 0, a.rows * a.cols);
    pass.submit()?;
    Ok(out)
}
