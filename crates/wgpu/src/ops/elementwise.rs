//! Fused elementwise kernels: unary and binary maps by op code, affine maps, axpby and
//! broadcasts.

use super::{alloc, groups_1d, own, same_shape};
use crate::context::Context;
use crate::encode::Pass;
use crate::kernel::{Kernel, Params};
use crate::matrix::WgpuMatrix;
use scorediff_backend::{Binary, Result, Unary, shape_err};

/// The op code of `op` in the WGSL prelude: its position in [`Unary::ALL`].
fn unary_code(op: Unary) -> usize {
    Unary::ALL
        .iter()
        .position(|&u| u == op)
        .unwrap_or(usize::MAX)
}

/// The op code of `op` in the WGSL prelude: its position in [`Binary::ALL`].
fn binary_code(op: Binary) -> usize {
    Binary::ALL
        .iter()
        .position(|&b| b == op)
        .unwrap_or(usize::MAX)
}

pub(crate) fn unary(ctx: &Context, op: Unary, a: &WgpuMatrix) -> Result<WgpuMatrix> {
    own(ctx, "unary", &[a])?;
    let out = alloc(ctx, a.rows, a.cols)?;
    let n = a.rows * a.cols;
    let mut pass = Pass::new(ctx);
    let params = Params::new().u(n).u(unary_code(op));
    pass.dispatch(
        Kernel::Unary,
        &[a.raw()],
        &[out.raw()],
        params,
        groups_1d(n),
    )?;
    pass.submit()?;
    Ok(out)
}

pub(crate) fn binary(
    ctx: &Context,
    op: Binary,
    a: &WgpuMatrix,
    b: &WgpuMatrix,
) -> Result<WgpuMatrix> {
    own(ctx, "binary", &[a, b])?;
    same_shape("binary", a, b)?;
    let out = alloc(ctx, a.rows, a.cols)?;
    let n = a.rows * a.cols;
    let mut pass = Pass::new(ctx);
    let params = Params::new().u(n).u(binary_code(op));
    pass.dispatch(
        Kernel::Binary,
        &[a.raw(), b.raw()],
        &[out.raw()],
        params,
        groups_1d(n),
    )?;
    pass.submit()?;
    Ok(out)
}

pub(crate) fn affine(ctx: &Context, a: &WgpuMatrix, scale: f32, shift: f32) -> Result<WgpuMatrix> {
    own(ctx, "affine", &[a])?;
    let out = alloc(ctx, a.rows, a.cols)?;
    let n = a.rows * a.cols;
    let mut pass = Pass::new(ctx);
    let params = Params::new().u(n).f(scale).f(shift);
    pass.dispatch(
        Kernel::Affine,
        &[a.raw()],
        &[out.raw()],
        params,
        groups_1d(n),
    )?;
    pass.submit()?;
    Ok(out)
}

pub(crate) fn axpby(
    ctx: &Context,
    alpha: f32,
    x: &WgpuMatrix,
    beta: f32,
    y: &mut WgpuMatrix,
) -> Result<()> {
    own(ctx, "axpby", &[x, y])?;
    same_shape("axpby", x, y)?;
    let n = x.rows * x.cols;
    let mut pass = Pass::new(ctx);
    let params = Params::new().u(n).f(alpha).f(beta);
    pass.dispatch(Kernel::Axpby, &[x.raw()], &[y.raw()], params, groups_1d(n))?;
    pass.submit()
}

pub(crate) fn broadcast_row(
    ctx: &Context,
    op: Binary,
    a: &WgpuMatrix,
    row: &WgpuMatrix,
) -> Result<WgpuMatrix> {
    own(ctx, "broadcast_row", &[a, row])?;
    if row.rows != 1 || row.cols != a.cols {
        return Err(shape_err(
            "broadcast_row",
            format!(
                "matrix {}x{}, row {}x{}",
                a.rows, a.cols, row.rows, row.cols
            ),
        ));
    }
    broadcast(ctx, Kernel::BroadcastRow, op, a, row)
}

pub(crate) fn broadcast_col(
    ctx: &Context,
    op: Binary,
    a: &WgpuMatrix,
    col: &WgpuMatrix,
) -> Result<WgpuMatrix> {
    own(ctx, "broadcast_col", &[a, col])?;
    if col.cols != 1 || col.rows != a.rows {
        return Err(shape_err(
            "broadcast_col",
            format!(
                "matrix {}x{}, column {}x{}",
                a.rows, a.cols, col.rows, col.cols
            ),
        ));
    }
    broadcast(ctx, Kernel::BroadcastCol, op, a, col)
}

fn broadcast(
    ctx: &Context,
    kernel: Kernel,
    op: Binary,
    a: &WgpuMatrix,
    v: &WgpuMatrix,
) -> Result<WgpuMatrix> {
    let out = alloc(ctx, a.rows, a.cols)?;
    let n = a.rows * a.cols;
    let mut pass = Pass::new(ctx);
    let params = Params::new().u(n).u(a.cols).u(binary_code(op));
    pass.dispatch(
        kernel,
        &[a.raw(), v.raw()],
        &[out.raw()],
        params,
        groups_1d(n),
    )?;
    pass.submit()?;
    Ok(out)
}
