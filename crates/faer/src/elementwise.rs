//! Elementwise maps, broadcasts and reductions over row-major data.
//!
//! Work is split into fixed blocks of [`BLOCK`] elements (or rows), so every result is the
//! same whatever the number of threads.

use crate::{FaerMatrix, fastmath};
use rayon::prelude::*;
use scorediff_backend::{Activation, AdamStep, ArcCos, Average, Binary, Unary};

/// Elements per parallel task; below this a single thread is faster.
const BLOCK: usize = 1 << 15;

/// `o[i] = f(x[i])`, on 8-lane AVX2 registers where the CPU has them (checked at run
/// time: the workspace targets baseline x86-64, whose SSE2 registers hold 4 lanes).
///
/// Both paths run the same IEEE operations in the same order (Rust never contracts
/// `a * b + c` into an FMA), so the result is bit-identical whichever path runs.
#[inline(always)]
fn map_slice<F: Fn(f32) -> f32>(o: &mut [f32], x: &[f32], f: &F) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { map_slice_avx2(o, x, f) };
        return;
    }
    map_slice_generic(o, x, f);
}

#[inline(always)]
fn map_slice_generic<F: Fn(f32) -> f32>(o: &mut [f32], x: &[f32], f: &F) {
    o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x));
}

/// [`map_slice_generic`] compiled for AVX2, so that its loop vectorises 8 lanes wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn map_slice_avx2<F: Fn(f32) -> f32>(o: &mut [f32], x: &[f32], f: &F) {
    map_slice_generic(o, x, f);
}

/// `o[i] = f(x[i], y[i])`, dispatched like [`map_slice`].
#[inline(always)]
fn zip_slice<F: Fn(f32, f32) -> f32>(o: &mut [f32], x: &[f32], y: &[f32], f: &F) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { zip_slice_avx2(o, x, y, f) };
        return;
    }
    zip_slice_generic(o, x, y, f);
}

#[inline(always)]
fn zip_slice_generic<F: Fn(f32, f32) -> f32>(o: &mut [f32], x: &[f32], y: &[f32], f: &F) {
    for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
        *o = f(x, y);
    }
}

/// [`zip_slice_generic`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn zip_slice_avx2<F: Fn(f32, f32) -> f32>(o: &mut [f32], x: &[f32], y: &[f32], f: &F) {
    zip_slice_generic(o, x, y, f);
}

pub(crate) fn map(parallel: bool, a: &FaerMatrix, f: impl Fn(f32) -> f32 + Sync) -> FaerMatrix {
    let mut out = vec![0.0f32; a.data.len()];
    let kernel = |(o, x): (&mut [f32], &[f32])| map_slice(o, x, &f);
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
///
/// The exponential family (exp, sigmoid, tanh, silu, silu_grad) runs on the branch-free
/// [`fastmath`] kernels, which vectorise, instead of libm's scalar `expf`; they agree with
/// the scalar definitions within the bounds documented there.
pub(crate) fn unary(parallel: bool, op: Unary, a: &FaerMatrix) -> FaerMatrix {
    macro_rules! with {
        ($($v:ident),*) => {
            match op {
                Unary::Sigmoid => map(parallel, a, fastmath::sigmoid),
                Unary::Tanh => map(parallel, a, fastmath::tanh),
                Unary::Exp => map(parallel, a, fastmath::exp),
                $(Unary::$v => map(parallel, a, |x| Unary::$v.apply(x)),)*
            }
        };
    }
    with!(Ln, Sqrt, Square, Abs, Recip, Sin, Cos, Acos, Step)
}

/// `phi(a)` in one pass (SiLU on the branch-free kernel).
pub(crate) fn activation(parallel: bool, act: Activation, a: &FaerMatrix) -> FaerMatrix {
    match act {
        Activation::Relu => map(parallel, a, |x| Activation::Relu.apply(x)),
        Activation::Silu => map(parallel, a, fastmath::silu),
    }
}

/// `phi'(a)` in one pass.
pub(crate) fn activation_grad(parallel: bool, act: Activation, a: &FaerMatrix) -> FaerMatrix {
    match act {
        Activation::Relu => map(parallel, a, |x| Activation::Relu.derivative(x)),
        Activation::Silu => map(parallel, a, fastmath::silu_grad),
    }
}

/// `dy * phi'(x)` in one pass.
pub(crate) fn activation_backward(
    parallel: bool,
    act: Activation,
    x: &FaerMatrix,
    dy: &FaerMatrix,
) -> FaerMatrix {
    match act {
        Activation::Relu => zip(parallel, x, dy, |a, b| Activation::Relu.backward(a, b)),
        Activation::Silu => zip(parallel, x, dy, silu_backward),
    }
}

/// The arc-cosine map of degree `degree` in one pass.
pub(crate) fn arc_cosine(parallel: bool, degree: ArcCos, a: &FaerMatrix) -> FaerMatrix {
    match degree {
        ArcCos::Degree0 => map(parallel, a, |x| ArcCos::Degree0.apply(x)),
        ArcCos::Degree1 => map(parallel, a, |x| ArcCos::Degree1.apply(x)),
    }
}

/// Evaluates `$body` with `$f` bound to the kernel of the binary operation `$op`: one
/// monomorphic closure per operation, chosen once outside the loops (as in [`unary`]), and
/// the same kernel for [`binary`] and the broadcasts, so that a broadcast gives the same
/// bits as [`binary`] on the expanded operand.
macro_rules! with_binary_kernel {
    ($op:expr, |$f:ident| $body:expr) => {
        with_binary_kernel!(@ $op, $f, $body; Add, Sub, Mul, Div, Max, Min)
    };
    (@ $op:expr, $f:ident, $body:expr; $($v:ident),*) => {
        match $op {
            $(Binary::$v => {
                let $f = |x: f32, y: f32| Binary::$v.apply(x, y);
                $body
            })*
        }
    };
}

/// `op(a, b)`.
pub(crate) fn binary(parallel: bool, op: Binary, a: &FaerMatrix, b: &FaerMatrix) -> FaerMatrix {
    with_binary_kernel!(op, |f| zip(parallel, a, b, f))
}

/// Fused SiLU backward, `dy * silu'(a)`, on the branch-free kernel.
#[inline(always)]
fn silu_backward(a: f32, dy: f32) -> f32 {
    dy * fastmath::silu_grad(a)
}

pub(crate) fn zip(
    parallel: bool,
    a: &FaerMatrix,
    b: &FaerMatrix,
    f: impl Fn(f32, f32) -> f32 + Sync,
) -> FaerMatrix {
    let mut out = vec![0.0f32; a.data.len()];
    let kernel = |((o, x), y): ((&mut [f32], &[f32]), &[f32])| zip_slice(o, x, y, &f);
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

/// `op(a_ij, row_j)`.
pub(crate) fn broadcast_row(parallel: bool, op: Binary, a: &FaerMatrix, row: &[f32]) -> FaerMatrix {
    with_binary_kernel!(op, |f| broadcast_row_with(parallel, a, row, f))
}

fn broadcast_row_with(
    parallel: bool,
    a: &FaerMatrix,
    row: &[f32],
    f: impl Fn(f32, f32) -> f32 + Sync,
) -> FaerMatrix {
    let mut out = vec![0.0f32; a.data.len()];
    if a.cols == 0 {
        return FaerMatrix::from_vec(a.rows, a.cols, out);
    }
    let chunk = rows_per_block(a.cols) * a.cols;
    let kernel = |(o, x): (&mut [f32], &[f32])| {
        for (o_row, x_row) in o.chunks_mut(a.cols).zip(x.chunks(a.cols)) {
            zip_slice(o_row, x_row, row, &f);
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

/// `op(a_ij, col_i)`.
pub(crate) fn broadcast_col(parallel: bool, op: Binary, a: &FaerMatrix, col: &[f32]) -> FaerMatrix {
    with_binary_kernel!(op, |f| broadcast_col_with(parallel, a, col, f))
}

fn broadcast_col_with(
    parallel: bool,
    a: &FaerMatrix,
    col: &[f32],
    f: impl Fn(f32, f32) -> f32 + Sync,
) -> FaerMatrix {
    let mut out = vec![0.0f32; a.data.len()];
    if a.cols == 0 {
        return FaerMatrix::from_vec(a.rows, a.cols, out);
    }
    let rows = rows_per_block(a.cols);
    let kernel = |((o, x), c): ((&mut [f32], &[f32]), &[f32])| {
        for ((o_row, x_row), &c) in o.chunks_mut(a.cols).zip(x.chunks(a.cols)).zip(c) {
            map_slice(o_row, x_row, &|x| f(x, c));
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

/// One Adam step on every element (`AdamStep::apply`), dispatched like [`map_slice`]:
/// a square root and a division per weight vectorise 8 lanes wide with AVX2.
#[inline(always)]
fn adam_slice(step: &AdamStep, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { adam_slice_avx2(step, p, g, m, v) };
        return;
    }
    adam_slice_generic(step, p, g, m, v);
}

#[inline(always)]
fn adam_slice_generic(step: &AdamStep, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    // Zipped iterators rather than indices: no bounds checks, so the loop vectorises.
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        (*p, *m, *v) = step.apply(*p, g, *m, *v);
    }
}

/// [`adam_slice_generic`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn adam_slice_avx2(step: &AdamStep, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    adam_slice_generic(step, p, g, m, v);
}

/// `e[i] = avg.apply(p[i], e[i])`, dispatched like [`map_slice`].
#[inline(always)]
fn average_slice(avg: &Average, e: &mut [f32], p: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { average_slice_avx2(avg, e, p) };
        return;
    }
    average_slice_generic(avg, e, p);
}

#[inline(always)]
fn average_slice_generic(avg: &Average, e: &mut [f32], p: &[f32]) {
    for (e, &p) in e.iter_mut().zip(p) {
        *e = avg.apply(p, *e);
    }
}

/// [`average_slice_generic`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn average_slice_avx2(avg: &Average, e: &mut [f32], p: &[f32]) {
    average_slice_generic(avg, e, p);
}

/// One fused Adam update (and moving average) of `p`, `m`, `v` (and `ema`) with gradient
/// `g`: the scalar definitions [`AdamStep::apply`] and [`Average::apply`] in one pass over
/// fixed blocks, so every bit equals the composed default's.
pub(crate) fn adam_update(
    parallel: bool,
    step: &AdamStep,
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    ema: Option<(&mut [f32], Average)>,
) {
    let avg = ema.as_ref().map(|(_, a)| *a);
    let run = |p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], e: Option<&mut [f32]>| {
        adam_slice(step, p, g, m, v);
        if let (Some(e), Some(avg)) = (e, avg) {
            average_slice(&avg, e, p);
        }
    };
    if !(parallel && p.len() > BLOCK) {
        return run(p, g, m, v, ema.map(|(e, _)| e));
    }
    let mut e_chunks: Vec<Option<&mut [f32]>> = match ema {
        Some((e, _)) => e.chunks_mut(BLOCK).map(Some).collect(),
        None => (0..p.len().div_ceil(BLOCK)).map(|_| None).collect(),
    };
    p.par_chunks_mut(BLOCK)
        .zip(g.par_chunks(BLOCK))
        .zip(m.par_chunks_mut(BLOCK))
        .zip(v.par_chunks_mut(BLOCK))
        .zip(e_chunks.par_iter_mut())
        .for_each(|((((p, g), m), v), e)| run(p, g, m, v, e.take()));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal bits, or both NaN (a NaN's payload may depend on operand order).
    fn same_bits(a: f32, b: f32) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    fn check_map<F: Fn(f32) -> f32>(x: &[f32], f: F) {
        let mut out = vec![0.0f32; x.len()];
        map_slice(&mut out, x, &f);
        for (o, &v) in out.iter().zip(x) {
            assert!(same_bits(*o, f(v)), "x = {v}");
        }
    }

    /// The vectorised paths (AVX2 where the CPU has it, else SSE2) give the same bits as
    /// the kernels evaluated one scalar at a time.
    #[test]
    fn dispatched_maps_match_scalar_kernels_bit_for_bit() {
        let mut x: Vec<f32> = (0..4099).map(|i| (i as f32 - 2049.0) * 0.061).collect();
        x.extend([
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            88.8,
            -104.5,
            1e-40,
        ]);
        let y: Vec<f32> = x.iter().rev().copied().collect();
        // Each kernel is passed as its own fn item (not a fn pointer), so that it is
        // inlined into, and vectorised with, the dispatched loop.
        check_map(&x, fastmath::exp);
        check_map(&x, fastmath::sigmoid);
        check_map(&x, fastmath::silu);
        check_map(&x, fastmath::silu_grad);
        check_map(&x, fastmath::tanh);
        let mut out = vec![0.0f32; x.len()];
        zip_slice(&mut out, &x, &y, &silu_backward);
        for ((o, &a), &b) in out.iter().zip(&x).zip(&y) {
            assert!(same_bits(*o, silu_backward(a, b)), "a = {a}, b = {b}");
        }
    }

    /// The dispatched Adam step and weight average give the scalar step's bits on every
    /// element, edge values (zero and huge gradients, NaN, subnormal moments) included.
    #[test]
    fn dispatched_adam_and_average_match_the_scalar_step_bit_for_bit() {
        let n = 4103;
        let wave = |k: f32, i: usize| ((i as f32 * k).sin() * 3.0).exp() - 1.0;
        let mut g: Vec<f32> = (0..n).map(|i| wave(0.37, i)).collect();
        g[..6].copy_from_slice(&[0.0, -0.0, 1e30, -1e-30, f32::NAN, 1e-40]);
        let p0: Vec<f32> = (0..n).map(|i| wave(0.11, i)).collect();
        let m0: Vec<f32> = (0..n).map(|i| 0.1 * wave(0.23, i)).collect();
        let mut v0: Vec<f32> = (0..n).map(|i| wave(0.05, i).abs()).collect();
        v0[..3].copy_from_slice(&[0.0, 1e-42, f32::INFINITY]);
        let step = AdamStep::new(0.9, 0.999, 1e-8, 1e-4, 2e-3, 7);
        let avg = Average::new(0.999);
        let (mut p, mut m, mut v) = (p0.clone(), m0.clone(), v0.clone());
        adam_slice(&step, &mut p, &g, &mut m, &mut v);
        let mut e = m0.clone();
        average_slice(&avg, &mut e, &p);
        for i in 0..n {
            let (pi, mi, vi) = step.apply(p0[i], g[i], m0[i], v0[i]);
            assert!(
                same_bits(p[i], pi) && same_bits(m[i], mi) && same_bits(v[i], vi),
                "i = {i}"
            );
            assert!(same_bits(e[i], avg.apply(pi, m0[i])), "average, i = {i}");
        }
        // The step moved the weights (the test compares something that changed).
        assert!(p.iter().zip(&p0).filter(|(a, b)| a != b).count() > n / 2);
    }
}
