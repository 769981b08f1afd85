//! Matrix multiply and transpose.

use super::{alloc, own};
use crate::context::Context;
use crate::encode::Pass;
use crate::kernel::{GEMM_TILE, Kernel, Params, TRANSPOSE_TILE};
use crate::matrix::WgpuMatrix;
use scorediff_backend::{Result, Transpose, shape_err};

/// `(rows, cols)` of `op(m)`.
fn op_shape(m: &WgpuMatrix, t: Transpose) -> (usize, usize) {
    if t.is_yes() {
        (m.cols, m.rows)
    } else {
        (m.rows, m.cols)
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    ctx: &Context,
    alpha: f32,
    a: &WgpuMatrix,
    trans_a: Transpose,
    b: &WgpuMatrix,
    trans_b: Transpose,
    beta: f32,
    c: &mut WgpuMatrix,
) -> Result<()> {
    own(ctx, "gemm", &[a, b, c])?;
    let (m, k) = op_shape(a, trans_a);
    let (kb, n) = op_shape(b, trans_b);
    if k != kb || c.rows != m || c.cols != n {
        return Err(shape_err(
            "gemm",
            format!("op(A) {m}x{k}, op(B) {kb}x{n}, C {}x{}", c.rows, c.cols),
        ));
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    // With k == 0 the kernel still runs once: it writes beta * C (or zeros when beta == 0).
    let tiles_n = (n as u64).div_ceil(GEMM_TILE);
    let tiles = (m as u64).div_ceil(GEMM_TILE) * tiles_n;
    let mut pass = Pass::new(ctx);
    let mut k_begin = 0;
    loop {
        let k_end = (k_begin + GEMM_K_CHUNK).min(k);
        // The first slice applies beta; later slices add to what the earlier ones wrote.
        let beta_here = if k_begin == 0 { beta } else { 1.0 };
        let params = Params::new()
            .u(m)
            .u(n)
            .u(k)
            .u(a.cols)
            .u(b.cols)
            .u(c.cols)
            .u(usize::from(trans_a.is_yes()))
            .u(usize::from(trans_b.is_yes()))
            .f(alpha)
            .f(beta_here)
            .u(tiles_n as usize)
            .u(tiles as usize)
            .u(k_begin)
            .u(k_end);
        pass.dispatch(Kernel::Gemm, &[a.raw(), b.raw()], &[c.raw()], params, tiles)?;
        if k_end >= k {
            break;
        }
        k_begin = k_end;
    }
    pass.submit()
}

/// Inner-dimension length of one gemm dispatch: 1,024 slabs of 16, about 18,000 loop
/// iterations per invocation, well below the 65,535 at which llvmpipe stops a shader.
const GEMM_K_CHUNK: usize = 16_384;

pub(crate) fn transpose(ctx: &Context, a: &WgpuMatrix) -> Result<WgpuMatrix> {
    own(ctx, "transpose", &[a])?;
    let out = alloc(ctx, a.cols, a.rows)?;
    if a.rows == 0 || a.cols == 0 {
        return Ok(out);
    }
    let tiles_c = (a.cols as u64).div_ceil(TRANSPOSE_TILE);
    let tiles = (a.rows as u64).div_ceil(TRANSPOSE_TILE) * tiles_c;
    let params = Params::new()
        .u(a.rows)
        .u(a.cols)
        .u(tiles_c as usize)
        .u(tiles as usize);
    let mut pass = Pass::new(ctx);
    pass.dispatch(Kernel::Transpose, &[a.raw()], &[out.raw()], params, tiles)?;
    pass.submit()?;
    Ok(out)
}
