//! Fused elementwise kernels: unary and binary maps by op code, affine maps, axpby and
//! broadcasts.

use super::{alloc, groups_1d, own, same_shape};
use crate::context::Context;
use crate::encode::Pass;
use crate::kernel::{Kernel, Params};
use crate::matrix::WgpuMatrix;
use scorediff_backend::{
    Activation, Activation as A, ArcCos, ArcCos as C, Binary, Result, Unary, shape_err,
};

/// A map of the WGSL prelude's `apply_unary`: a core op, an activation, its derivative or
/// an arc-cosine kernel map.
#[derive(Debug, Clone, Copy)]
pub(crate) enum UnaryMap {
    Core(Unary),
    Activation(Activation),
    Derivative(Activation),
    ArcCos(ArcCos),
}

/// The op code of `map` in `apply_unary` (common.wgsl).
fn unary_code(map: UnaryMap) -> usize {
    use UnaryMap::*;
    match map {
        Activation(A::Relu) => 0,
        Derivative(A::Relu) | Core(Unary::Step) => 1,
        Activation(A::Silu) => 2,
        Derivative(A::Silu) => 3,
        Core(Unary::Sigmoid) => 4,
        Core(Unary::Tanh) => 5,
        Core(Unary::Exp) => 6,
        Core(Unary::Ln) => 7,
        Core(Unary::Sqrt) => 8,
        Core(Unary::Square) => 9,
        Core(Unary::Abs) => 10,
        Core(Unary::Recip) => 11,
        Core(Unary::Sin) => 12,
        Core(Unary::Cos) => 13,
        ArcCos(C::Degree0) => 14,
        ArcCos(C::Degree1) => 15,
        Core(Unary::Acos) => 16,
    }
}

/// A map of the WGSL prelude's `apply_binary`: a core op or an activation's fused backward.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BinaryMap {
    Core(Binary),
    Backward(Activation),
}

/// The op code of `map` in `apply_binary` (common.wgsl).
fn binary_code(map: BinaryMap) -> usize {
    match map {
        BinaryMap::Core(op) => Binary::ALL
            .iter()
            .position(|&b| b == op)
            .unwrap_or(usize::MAX),
        BinaryMap::Backward(A::Relu) => 6,
        BinaryMap::Backward(A::Silu) => 7,
    }
}

pub(crate) fn unary(ctx: &Context, map: UnaryMap, a: &WgpuMatrix) -> Result<WgpuMatrix> {
    own(ctx, "unary", &[a])?;
    let out = alloc(ctx, a.rows, a.cols)?;
    let n = a.rows * a.cols;
    let mut pass = Pass::new(ctx);
    let params = Params::new().u(n).u(unary_code(map));
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
    op: BinaryMap,
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
    let params = Params::new()
        .u(n)
        .u(a.cols)
        .u(binary_code(BinaryMap::Core(op)));
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
