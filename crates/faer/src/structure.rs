//! Row gathers, slices, concatenations and block softmax.

use crate::FaerMatrix;
use scorediff_backend::{ColumnBlock, DeviceMatrix, Result, arg_err, ops::check_blocks, shape_err};

pub(crate) fn gather_rows(a: &FaerMatrix, indices: &[usize]) -> Result<FaerMatrix> {
    let mut out = Vec::with_capacity(indices.len() * a.cols);
    for &i in indices {
        if i >= a.rows {
            return Err(arg_err("gather_rows", format!("row {i} of {}", a.rows)));
        }
        out.extend_from_slice(a.row(i));
    }
    Ok(FaerMatrix::from_vec(indices.len(), a.cols, out))
}

fn check_range(op: &'static str, start: usize, end: usize, n: usize) -> Result<()> {
    if start > end || end > n {
        return Err(arg_err(op, format!("range {start}..{end} of {n}")));
    }
    Ok(())
}

pub(crate) fn slice_rows(a: &FaerMatrix, start: usize, end: usize) -> Result<FaerMatrix> {
    check_range("slice_rows", start, end, a.rows)?;
    let data = a.data[start * a.cols..end * a.cols].to_vec();
    Ok(FaerMatrix::from_vec(end - start, a.cols, data))
}

pub(crate) fn slice_cols(a: &FaerMatrix, start: usize, end: usize) -> Result<FaerMatrix> {
    check_range("slice_cols", start, end, a.cols)?;
    let mut out = Vec::with_capacity(a.rows * (end - start));
    for i in 0..a.rows {
        out.extend_from_slice(&a.row(i)[start..end]);
    }
    Ok(FaerMatrix::from_vec(a.rows, end - start, out))
}

pub(crate) fn concat_cols(parts: &[&FaerMatrix]) -> Result<FaerMatrix> {
    let Some(first) = parts.first() else {
        return Ok(FaerMatrix::from_vec(0, 0, Vec::new()));
    };
    let rows = first.rows;
    if let Some(bad) = parts.iter().find(|p| p.rows != rows) {
        return Err(shape_err(
            "concat_cols",
            format!("{} rows vs {rows}", bad.rows),
        ));
    }
    let cols: usize = parts.iter().map(|p| p.cols).sum();
    let mut out = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        for p in parts {
            out.extend_from_slice(p.row(i));
        }
    }
    Ok(FaerMatrix::from_vec(rows, cols, out))
}

pub(crate) fn concat_rows(parts: &[&FaerMatrix]) -> Result<FaerMatrix> {
    let Some(first) = parts.first() else {
        return Ok(FaerMatrix::from_vec(0, 0, Vec::new()));
    };
    let cols = first.cols;
    if let Some(bad) = parts.iter().find(|p| p.cols != cols) {
        return Err(shape_err(
            "concat_rows",
            format!("{} columns vs {cols}", bad.cols),
        ));
    }
    let rows: usize = parts.iter().map(|p| p.rows).sum();
    let mut out = Vec::with_capacity(rows * cols);
    for p in parts {
        out.extend_from_slice(p.as_slice());
    }
    Ok(FaerMatrix::from_vec(rows, cols, out))
}

pub(crate) fn softmax_blocks(a: &FaerMatrix, blocks: &[ColumnBlock]) -> Result<FaerMatrix> {
    check_blocks("softmax_blocks", blocks, a.cols())?;
    let mut out = a.clone();
    for row in out.data.chunks_mut(a.cols.max(1)) {
        for b in blocks {
            softmax_in_place(&mut row[b.start..b.end()]);
        }
    }
    Ok(out)
}

/// Softmax with the maximum subtracted first, so large logits do not overflow.
fn softmax_in_place(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0.0f32;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        total += *v;
    }
    x.iter_mut().for_each(|v| *v /= total);
}

pub(crate) fn softmax_blocks_backward(
    y: &FaerMatrix,
    dy: &FaerMatrix,
    blocks: &[ColumnBlock],
) -> Result<FaerMatrix> {
    check_blocks("softmax_blocks_backward", blocks, y.cols())?;
    let mut dx = dy.clone();
    let cols = y.cols.max(1);
    for (dx_row, y_row) in dx.data.chunks_mut(cols).zip(y.data.chunks(cols)) {
        for b in blocks {
            let (yb, db) = (&y_row[b.start..b.end()], &mut dx_row[b.start..b.end()]);
            // dx = y * (dy - <dy, y>): the softmax Jacobian diag(y) - y y^T applied to dy.
            let inner: f32 = yb.iter().zip(db.iter()).map(|(y, d)| y * d).sum();
            db.iter_mut()
                .zip(yb)
                .for_each(|(d, &y)| *d = y * (*d - inner));
        }
    }
    Ok(dx)
}
