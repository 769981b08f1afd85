//! Row and column sums (f32 accumulation with tree reductions in workgroup memory).

use super::{alloc, groups_1d, own};
use crate::context::Context;
use crate::encode::Pass;
use crate::kernel::{COLSUM_COLS, COLSUM_ROWS, Kernel, Params, ROW_SUMS_NARROW_MAX_COLS};
use crate::matrix::WgpuMatrix;
use scorediff_backend::Result;

pub(crate) fn row_sums(ctx: &Context, a: &WgpuMatrix) -> Result<WgpuMatrix> {
    own(ctx, "row_sums", &[a])?;
    let out = alloc(ctx, a.rows, 1)?;
    if a.rows == 0 {
        return Ok(out);
    }
    let mut pass = Pass::new(ctx);
    if a.cols == 0 {
        pass.clear(out.raw());
    } else {
        let params = Params::new().u(a.rows).u(a.cols);
        let (kernel, groups) = if a.cols <= ROW_SUMS_NARROW_MAX_COLS {
            (Kernel::RowSumsNarrow, groups_1d(a.rows))
        } else {
            (Kernel::RowSumsWide, a.rows as u64)
        };
        pass.dispatch(kernel, &[a.raw()], &[out.raw()], params, groups)?;
    }
    pass.submit()?;
    Ok(out)
}

/// Column sums by repeated partial passes: each pass sums chunks of 256 rows, shrinking
/// the row count 256-fold, until one row is left. All passes share one submission.
pub(crate) fn col_sums(ctx: &Context, a: &WgpuMatrix) -> Result<WgpuMatrix> {
    own(ctx, "col_sums", &[a])?;
    if a.rows == 0 || a.cols == 0 {
        return super::memory::full(ctx, 1, a.cols, 0.0);
    }
    let mut pass = Pass::new(ctx);
    let tiles_c = (a.cols as u64).div_ceil(COLSUM_COLS);
    let mut rows = a.rows;
    let mut current: Option<WgpuMatrix> = None;
    loop {
        let chunks = (rows as u64).div_ceil(COLSUM_ROWS) as usize;
        let out = alloc(ctx, chunks, a.cols)?;
        let src = current.as_ref().map_or(a.raw(), WgpuMatrix::raw);
        let tiles = chunks as u64 * tiles_c;
        let params = Params::new()
            .u(rows)
            .u(a.cols)
            .u(tiles_c as usize)
            .u(tiles as usize);
        pass.dispatch(Kernel::ColSumsPartial, &[src], &[out.raw()], params, tiles)?;
        if let Some(prev) = current.replace(out) {
            // The intermediate stays out of the pool until the submission.
            pass.hold(prev.buf);
        }
        rows = chunks;
        if rows == 1 {
            break;
        }
    }
    pass.submit()?;
    // The loop ran at least once, so `current` holds the 1 x cols result.
    current.ok_or_else(|| scorediff_backend::arg_err("col_sums", "no reduction pass"))
}
