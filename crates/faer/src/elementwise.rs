//! Elementwise maps, broadcasts and reductions over row-major data.
//!
//! Work is split into fixed blocks of [`BLOCK`] elements (or rows), so every result is the
//! same whatever the number of threads.

use crate::FaerMatrix;
use rayon::prelude::*;
use scorediff_backend::{Binary, Unary};

/// Elements per parallel task; below this a single thread is faster.
const BLOCK: usize = 1 << 15;

pub(crate) fn map(parallel: bool, a: &FaerMatrix, f: impl Fn(f32) -> f32 + Sync) -> FaerMatrix {
    let mut out = vec![0.0f32; a.data.len()];
    let kernel = |(o, x): (&mut [f32], &[f32])| {
        o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x));
    };
    if parallel && out.len() > BLOCK {
        out.par_chunks_mut(BLOCK)
            .zip(a.data.par_chunks(BLOCK))
            .for_each(kernel);
    } else {
        kernel((&mut out, &a.data));
    }
    FaerMatrix::from_vec(a.rows, a.cols, out)
}

/// `op(a)`, with the operation chosen once outside the loop so that each one compiles to
/// its own (vectorisable) loop; `Unary::apply` inside the loop would branch per element.
pub(crate) fn unary(parallel: bool, op: Unary, a: &FaerMatrix) -> FaerMatrix {
    macro_rules! with {
        ($($v:ident),*) => {
            match op {
                $(Unary::$v => map(parallel, a, |x| Unary::$v.apply(x)),)*
            }
        };
    }
    with!(
        Relu, ReluGrad, Silu, SiluGrad, Sigmoid, Tanh, Exp, Ln, Sqrt, Square, Abs, Recip, Sin, Cos,
        ArcCos0, ArcCos1
    )
}

/// `op(a, b)`, dispatched once like [`unary`].
pub(crate) fn binary(parallel: bool, op: Binary, a: &FaerMatrix, b: &FaerMatrix) -> FaerMatrix {
    macro_rules! with {
        ($($v:ident),*) => {
            match op {
                $(Binary::$v => zip(parallel, a, b, |x, y| Binary::$v.apply(x, y)),)*
            }
        };
    }
    with!(Add, Sub, Mul, Div, Max, Min, ReluBackward, SiluBackward)
}

pub(crate) fn zip(
    parallel: bool,
    a: &FaerMatrix,
    b: &FaerMatrix,
    f: impl Fn(f32, f32) -> f32 + Sync,
) -> FaerMatrix {
    let mut out = vec![0.0f32; a.data.len()];
    let kernel = |((o, x), y): ((&mut [f32], &[f32]), &[f32])| {
        for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
            *o = f(x, y);
        }
    };
    if parallel && out.len() > BLOCK {
        out.par_chunks_mut(BLOCK)
            .zip(a.data.par_chunks(BLOCK))
            .zip(b.data.par_chunks(BLOCK))
            .for_each(kernel);
    } else {
        kernel(((&mut out, &a.data), &b.data));
    }
    FaerMatrix::from_vec(a.rows, a.cols, out)
}

pub(crate) fn axpby(parallel: bool, alpha: f32, x: &FaerMatrix, beta: f32, y: &mut FaerMatrix) {
    // beta == 0 ignores y's old contents (NaN included), as the trait promises.
    let kernel = |(y, x): (&mut [f32], &[f32])| {
        if beta == 0.0 {
            y.iter_mut().zip(x).for_each(|(y, &x)| *y = alpha * x);
        } else {
            y.iter_mut()
                .zip(x)
                .for_each(|(y, &x)| *y = alpha * x + beta * *y);
        }
    };
    if parallel && y.data.len() > BLOCK {
        y.data
            .par_chunks_mut(BLOCK)
            .zip(x.data.par_chunks(BLOCK))
            .for_each(kernel);
    } else {
        kernel((&mut y.data, &x.data));
    }
}

/// Rows per parallel task for row-structured kernels.
fn rows_per_block(cols: usize) -> usize {
    (BLOCK / cols.max(1)).max(1)
}

pub(crate) fn broadcast_row(parallel: bool, op: Binary, a: &FaerMatrix, row: &[f32]) -> FaerMatrix {
    let mut out = vec![0.0f32; a.data.len()];
    if a.cols == 0 {
        return FaerMatrix::from_vec(a.rows, a.cols, out);
    }
    let chunk = rows_per_block(a.cols) * a.cols;
    let kernel = |(o, x): (&mut [f32], &[f32])| {
        for (o_row, x_row) in o.chunks_mut(a.cols).zip(x.chunks(a.cols)) {
            for ((o, &x), &r) in o_row.iter_mut().zip(x_row).zip(row) {
                *o = op.apply(x, r);
            }
        }
    };
    if parallel && out.len() > BLOCK {
        out.par_chunks_mut(chunk)
            .zip(a.data.par_chunks(chunk))
            .for_each(kernel);
    } else {
        kernel((&mut out, &a.data));
    }
    FaerMatrix::from_vec(a.rows, a.cols, out)
}

pub(crate) fn broadcast_col(parallel: bool, op: Binary, a: &FaerMatrix, col: &[f32]) -> FaerMatrix {
    let mut out = vec![0.0f32; a.data.len()];
    if a.cols == 0 {
        return FaerMatrix::from_vec(a.rows, a.cols, out);
    }
    let rows = rows_per_block(a.cols);
    let kernel = |((o, x), c): ((&mut [f32], &[f32]), &[f32])| {
        for ((o_row, x_row), &c) in o.chunks_mut(a.cols).zip(x.chunks(a.cols)).zip(c) {
            o_row
                .iter_mut()
                .zip(x_row)
                .for_each(|(o, &x)| *o = op.apply(x, c));
        }
    };
    if parallel && out.len() > BLOCK {
        out.par_chunks_mut(rows * a.cols)
            .zip(a.data.par_chunks(rows * a.cols))
            .zip(col.par_chunks(rows))
            .for_each(kernel);
    } else {
        kernel(((&mut out, &a.data), col));
    }
    FaerMatrix::from_vec(a.rows, a.cols, out)
}

/// Per-row sums, accumulated in `f64`.
pub(crate) fn row_sums(parallel: bool, a: &FaerMatrix) -> FaerMatrix {
    let sum_row = |i: usize| a.row(i).iter().map(|&v| f64::from(v)).sum::<f64>() as f32;
    let out: Vec<f32> = if parallel && a.data.len() > BLOCK {
        (0..a.rows).into_par_iter().map(sum_row).collect()
    } else {
        (0..a.rows).map(sum_row).collect()
    };
    FaerMatrix::from_vec(a.rows, 1, out)
}

/// Per-column sums: partial `f64` sums over fixed row blocks, combined in block order.
pub(crate) fn col_sums(parallel: bool, a: &FaerMatrix) -> FaerMatrix {
    let rows = rows_per_block(a.cols);
    let n_blocks = a.rows.div_ceil(rows);
    let block_sum = |b: usize| {
        let mut acc = vec![0.0f64; a.cols];
        for i in b * rows..((b + 1) * rows).min(a.rows) {
            acc.iter_mut()
                .zip(a.row(i))
                .for_each(|(s, &v)| *s += f64::from(v));
        }
        acc
    };
    let partials: Vec<Vec<f64>> = if parallel && n_blocks > 1 {
        (0..n_blocks).into_par_iter().map(block_sum).collect()
    } else {
        (0..n_blocks).map(block_sum).collect()
    };
    let mut total = vec![0.0f64; a.cols];
    for p in &partials {
        total.iter_mut().zip(p).for_each(|(t, &v)| *t += v);
    }
    FaerMatrix::from_vec(1, a.cols, total.into_iter().map(|v| v as f32).collect())
}
