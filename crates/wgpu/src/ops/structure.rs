//! Row gathers, slices, concatenations and the block softmax.

use super::{alloc, groups_1d, own, same_shape};
use crate::context::Context;
use crate::encode::Pass;
use crate::kernel::{Kernel, Params};
use crate::matrix::WgpuMatrix;
use scorediff_backend::{ColumnBlock, Result, arg_err, ops::check_blocks, shape_err};

pub(crate) fn gather_rows(ctx: &Context, a: &WgpuMatrix, indices: &[usize]) -> Result<WgpuMatrix> {
    own(ctx, "gather_rows", &[a])?;
    let idx: Vec<u32> = indices
        .iter()
        .map(|&i| {
            if i >= a.rows {
                return Err(arg_err("gather_rows", format!("row {i} of {}", a.rows)));
            }
            // a.rows fits in u32 (checked at allocation), hence so does i.
            Ok(i as u32)
        })
        .collect::<Result<_>>()?;
    let out = alloc(ctx, indices.len(), a.cols)?;
    let n = indices.len() * a.cols;
    if n == 0 {
        return Ok(out);
    }
    let table = ctx.upload_u32(&idx)?;
    let mut pass = Pass::new(ctx);
    pass.dispatch(
        Kernel::GatherRows,
        &[a.raw(), table.raw()],
        &[out.raw()],
        Params::new().u(n).u(a.cols),
        groups_1d(n),
    )?;
    pass.hold(table);
    pass.submit()?;
    Ok(out)
}

fn check_range(op: &'static str, start: usize, end: usize, n: usize) -> Result<()> {
    if start > end || end > n {
        return Err(arg_err(op, format!("range {start}..{end} of {n}")));
    }
    Ok(())
}

pub(crate) fn slice_rows(
    ctx: &Context,
    a: &WgpuMatrix,
    start: usize,
    end: usize,
) -> Result<WgpuMatrix> {
    own(ctx, "slice_rows", &[a])?;
    check_range("slice_rows", start, end, a.rows)?;
    let out = alloc(ctx, end - start, a.cols)?;
    let mut pass = Pass::new(ctx);
    pass.copy(
        a.raw(),
        start * a.cols,
        out.raw(),
        0,
        (end - start) * a.cols,
    );
    pass.submit()?;
    Ok(out)
}

/// Records copying all of `src` into columns `dst_off..dst_off + src.cols` of `dst`.
fn copy_columns(
    pass: &mut Pass<'_>,
    src: &WgpuMatrix,
    src_off: usize,
    cols: usize,
    dst: &WgpuMatrix,
    dst_off: usize,
) -> Result<()> {
    let n = src.rows * cols;
    let params = Params::new()
        .u(src.rows)
        .u(cols)
        .u(src.cols)
        .u(src_off)
        .u(dst.cols)
        .u(dst_off);
    pass.dispatch(
        Kernel::CopyBlock,
        &[src.raw()],
        &[dst.raw()],
        params,
        groups_1d(n),
    )
}

pub(crate) fn slice_cols(
    ctx: &Context,
    a: &WgpuMatrix,
    start: usize,
    end: usize,
) -> Result<WgpuMatrix> {
    own(ctx, "slice_cols", &[a])?;
    check_range("slice_cols", start, end, a.cols)?;
    let out = alloc(ctx, a.rows, end - start)?;
    let mut pass = Pass::new(ctx);
    copy_columns(&mut pass, a, start, end - start, &out, 0)?;
    pass.submit()?;
    Ok(out)
}

pub(crate) fn concat_cols(ctx: &Context, parts: &[&WgpuMatrix]) -> Result<WgpuMatrix> {
    own(ctx, "concat_cols", parts)?;
    let Some(first) = parts.first() else {
        return alloc(ctx, 0, 0);
    };
    let rows = first.rows;
    if let Some(bad) = parts.iter().find(|p| p.rows != rows) {
        return Err(shape_err(
            "concat_cols",
            format!("{} rows vs {rows}", bad.rows),
        ));
    }
    let cols = parts
        .iter()
        .try_fold(0usize, |acc, p| acc.checked_add(p.cols))
        .ok_or_else(|| shape_err("concat_cols", "total columns overflow"))?;
    let out = alloc(ctx, rows, cols)?;
    let mut pass = Pass::new(ctx);
    let mut offset = 0;
    for p in parts {
        copy_columns(&mut pass, p, 0, p.cols, &out, offset)?;
        offset += p.cols;
    }
    pass.submit()?;
    Ok(out)
}

pub(crate) fn concat_rows(ctx: &Context, parts: &[&WgpuMatrix]) -> Result<WgpuMatrix> {
    own(ctx, "concat_rows", parts)?;
    let Some(first) = parts.first() else {
        return alloc(ctx, 0, 0);
    };
    let cols = first.cols;
    if let Some(bad) = parts.iter().find(|p| p.cols != cols) {
        return Err(shape_err(
            "concat_rows",
            format!("{} columns vs {cols}", bad.cols),
        ));
    }
    let rows = parts
        .iter()
        .try_fold(0usize, |acc, p| acc.checked_add(p.rows))
        .ok_or_else(|| shape_err("concat_rows", "total rows overflow"))?;
    let out = alloc(ctx, rows, cols)?;
    let mut pass = Pass::new(ctx);
    let mut offset = 0;
    for p in parts {
        pass.copy(p.raw(), 0, out.raw(), offset, p.rows * p.cols);
        offset += p.rows * p.cols;
    }
    pass.submit()?;
    Ok(out)
}

/// The non-empty blocks as `(start, len)` pairs for the kernels.
fn spans(blocks: &[ColumnBlock]) -> Vec<u32> {
    blocks
        .iter()
        .filter(|b| b.len > 0)
        .flat_map(|b| [b.start as u32, b.len as u32])
        .collect()
}

pub(crate) fn softmax_blocks(
    ctx: &Context,
    a: &WgpuMatrix,
    blocks: &[ColumnBlock],
) -> Result<WgpuMatrix> {
    own(ctx, "softmax_blocks", &[a])?;
    check_blocks("softmax_blocks", blocks, a.cols)?;
    let out = alloc(ctx, a.rows, a.cols)?;
    let mut pass = Pass::new(ctx);
    pass.copy(a.raw(), 0, out.raw(), 0, a.rows * a.cols);
    let spans = spans(blocks);
    let n_blocks = spans.len() / 2;
    if a.rows > 0 && n_blocks > 0 {
        let table = ctx.upload_u32(&spans)?;
        let params = Params::new().u(a.rows).u(a.cols).u(n_blocks);
        pass.dispatch(
            Kernel::Softmax,
            &[table.raw()],
            &[out.raw()],
            params,
            groups_1d(a.rows * n_blocks),
        )?;
        pass.hold(table);
    }
    pass.submit()?;
    Ok(out)
}

pub(crate) fn softmax_blocks_backward(
    ctx: &Context,
    y: &WgpuMatrix,
    dy: &WgpuMatrix,
    blocks: &[ColumnBlock],
) -> Result<WgpuMatrix> {
    own(ctx, "softmax_blocks_backward", &[y, dy])?;
    same_shape("softmax_blocks_backward", y, dy)?;
    check_blocks("softmax_blocks_backward", blocks, y.cols)?;
    let dx = alloc(ctx, y.rows, y.cols)?;
    let mut pass = Pass::new(ctx);
    pass.copy(dy.raw(), 0, dx.raw(), 0, y.rows * y.cols);
    let spans = spans(blocks);
    let n_blocks = spans.len() / 2;
    if y.rows > 0 && n_blocks > 0 {
        let table = ctx.upload_u32(&spans)?;
        let params = Params::new().u(y.rows).u(y.cols).u(n_blocks);
        pass.dispatch(
            Kernel::SoftmaxBackward,
            &[table.raw(), y.raw()],
            &[dx.raw()],
            params,
            groups_1d(y.rows * n_blocks),
        )?;
        pass.hold(table);
    }
    pass.submit()?;
    Ok(dx)
}
