//! Checks of the elementwise, broadcast and reduction operations.

use super::*;

fn unary_domain(op: Unary) -> Domain {
    match op {
        Unary::Exp => Domain::Exp,
        Unary::Ln | Unary::Sqrt => Domain::Positive,
        Unary::Recip => Domain::NonZero,
        Unary::Sin | Unary::Cos => Domain::Trig,
        Unary::Acos => Domain::Unit,
        _ => Domain::Any,
    }
}

fn unary_tol(op: Unary) -> f64 {
    match op {
        Unary::Step | Unary::Square | Unary::Abs | Unary::Recip | Unary::Sqrt => TOL_ARITH,
        _ => TOL_TRANSCENDENTAL,
    }
}

/// ReLU and its maps are exact selections; SiLU's go through the exponential.
fn activation_tol(act: Activation) -> f64 {
    match act {
        Activation::Relu => TOL_ARITH,
        Activation::Silu => TOL_TRANSCENDENTAL,
    }
}

/// Which map of an activation a check runs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ActivationMap {
    /// `phi(x)`.
    Forward,
    /// `phi'(x)`.
    Derivative,
}

pub(crate) fn check_activation<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
    act: Activation,
    map: ActivationMap,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let p = h.up(&host(rng, rows, cols, Domain::Any, case))?;
    let out = match map {
        ActivationMap::Forward => h.pair(h.c.activation(act, &p.c), h.r.activation(act, &p.r))?,
        ActivationMap::Derivative => h.pair(
            h.c.activation_grad(act, &p.c),
            h.r.activation_grad(act, &p.r),
        )?,
    };
    h.rel_max(&out, activation_tol(act))
}

pub(crate) fn check_activation_backward<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
    act: Activation,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let (x, dy) = (
        host(rng, rows, cols, Domain::Any, case),
        host(rng, rows, cols, Domain::Any, case),
    );
    let (px, pdy) = (h.up(&x)?, h.up(&dy)?);
    let out = h.pair(
        h.c.activation_backward(act, &px.c, &pdy.c),
        h.r.activation_backward(act, &px.r, &pdy.r),
    )?;
    h.rel_max(&out, activation_tol(act))
}

pub(crate) fn check_arc_cosine<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
    degree: ArcCos,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let p = h.up(&host(rng, rows, cols, Domain::Cosine, case))?;
    let out = h.pair(h.c.arc_cosine(degree, &p.c), h.r.arc_cosine(degree, &p.r))?;
    // Values in [0, 1]: the error is absolute (scale 1), as for softmax probabilities. A
    // scale of max |ref| made a small case whose cosines all lie near -1 (outputs near 0)
    // fail on rounding noise of 1e-10.
    h.rel_scale(&out, 1.0, TOL_TRANSCENDENTAL)
}

/// Per-element scale of a binary op: `|a| + |b|` for sums and differences (their error
/// is relative to the operands, not to a cancelled result), else `|op(a, b)|`.
fn binary_scale(op: Binary, a: f32, b: f32, r: f32) -> f64 {
    match op {
        Binary::Add | Binary::Sub => f64::from(a.abs()) + f64::from(b.abs()),
        _ => f64::from(r.abs()),
    }
}

pub(crate) fn check_unary<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
    op: Unary,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let p = h.up(&host(rng, rows, cols, unary_domain(op), case))?;
    let out = h.pair(h.c.unary(op, &p.c), h.r.unary(op, &p.r))?;
    h.rel_max(&out, unary_tol(op))
}

pub(crate) fn check_binary<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
    op: Binary,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let a = host(rng, rows, cols, Domain::Any, case);
    let b_dom = if op == Binary::Div {
        Domain::NonZero
    } else {
        Domain::Any
    };
    let b = host(rng, rows, cols, b_dom, case);
    let (pa, pb) = (h.up(&a)?, h.up(&b)?);
    let out = h.pair(h.c.binary(op, &pa.c, &pb.c), h.r.binary(op, &pa.r, &pb.r))?;
    let (c, r) = h.down(&out)?;
    let scale = (0..r.len())
        .map(|i| binary_scale(op, a.data[i], b.data[i], r[i]))
        .filter(|s| s.is_finite())
        .fold(0.0, f64::max);
    Ok(Measured {
        error: scaled_error(&c, &r, |_| scale),
        tol: TOL_ARITH,
    })
}

pub(crate) fn check_affine<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let a = host(rng, rows, cols, Domain::Any, case);
    let s = [1.0f32, -1.0, 0.37, -2.5e3][case % 4];
    let t = [0.0f32, 1.5, -0.25, 7.0e2][rng.random_range(0..4)];
    let p = h.up(&a)?;
    let out = h.pair(h.c.affine(&p.c, s, t), h.r.affine(&p.r, s, t))?;
    let scale = a
        .data
        .iter()
        .map(|&x| f64::from((s * x).abs()) + f64::from(t.abs()))
        .fold(0.0, f64::max);
    h.rel_scale(&out, scale, TOL_ARITH)
}

pub(crate) fn check_axpby<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let x = host(rng, rows, cols, Domain::Any, case);
    let mut y = host(rng, rows, cols, Domain::Any, case);
    let alpha = [1.0f32, -0.75, 3.0][rng.random_range(0..3)];
    let beta = [0.0f32, 1.0, -0.5, 2.0][case % 4];
    if beta == 0.0 {
        y.data.fill(f32::NAN);
    }
    let px = h.up(&x)?;
    let mut py = h.up(&y)?;
    on("candidate", h.c.axpby(alpha, &px.c, beta, &mut py.c))?;
    on("reference", h.r.axpby(alpha, &px.r, beta, &mut py.r))?;
    let scale = x
        .data
        .iter()
        .zip(&y.data)
        .map(|(&xv, &yv)| {
            let yterm = if beta == 0.0 {
                0.0
            } else {
                f64::from((beta * yv).abs())
            };
            f64::from((alpha * xv).abs()) + yterm
        })
        .fold(0.0, f64::max);
    h.rel_scale(&py, scale, TOL_ARITH)
}

/// Every binary op is broadcast in every case; the case reports its worst op.
pub(crate) fn check_broadcast<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
    by_row: bool,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let a = host(rng, rows, cols, Domain::Any, case);
    let len = if by_row { cols } else { rows };
    let v = host(rng, len, 1, Domain::NonZero, case);
    let v = if by_row {
        Host {
            rows: 1,
            cols,
            data: v.data,
        }
    } else {
        v
    };
    let (pa, pv) = (h.up(&a)?, h.up(&v)?);
    let mut worst = Measured {
        error: 0.0,
        tol: TOL_ARITH,
    };
    for op in Binary::ALL {
        let out = if by_row {
            h.pair(
                h.c.broadcast_row(op, &pa.c, &pv.c),
                h.r.broadcast_row(op, &pa.r, &pv.r),
            )?
        } else {
            h.pair(
                h.c.broadcast_col(op, &pa.c, &pv.c),
                h.r.broadcast_col(op, &pa.r, &pv.r),
            )?
        };
        let (c, r) = h.down(&out)?;
        let vb = |i: usize| {
            if by_row {
                v.data[i % cols]
            } else {
                v.data[i / cols]
            }
        };
        let scale = (0..r.len())
            .map(|i| binary_scale(op, a.data[i], vb(i), r[i]))
            .filter(|s| s.is_finite())
            .fold(0.0, f64::max);
        let m = Measured {
            error: scaled_error(&c, &r, |_| scale),
            tol: TOL_ARITH,
        };
        if m.error.is_nan() || m.error / m.tol > worst.error / worst.tol {
            worst = m;
        }
    }
    Ok(worst)
}

/// Per-row (or per-column) sums of `|a|`: the scale of a sum's rounding error.
fn abs_sums(a: &Host, by_row: bool) -> Vec<f64> {
    let mut s = vec![0.0f64; if by_row { a.rows } else { a.cols }];
    for i in 0..a.rows {
        for j in 0..a.cols {
            s[if by_row { i } else { j }] += f64::from(a.data[i * a.cols + j].abs());
        }
    }
    s
}

/// Rows are drawn tall for the column sums so the multi-pass reduction is exercised.
pub(crate) fn check_sums<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
    by_row: bool,
) -> CaseResult {
    let (mut rows, cols) = h.shape(rng, case);
    if !by_row && case >= 4 && case.is_multiple_of(2) {
        rows *= rng.random_range(8..40);
    }
    let a = host(rng, rows, cols, Domain::Any, case);
    let p = h.up(&a)?;
    let out = if by_row {
        h.pair(h.c.row_sums(&p.c), h.r.row_sums(&p.r))?
    } else {
        h.pair(h.c.col_sums(&p.c), h.r.col_sums(&p.r))?
    };
    let scale = abs_sums(&a, by_row).into_iter().fold(0.0, f64::max);
    h.rel_scale(
        &out,
        scale,
        tol_accumulate(if by_row { cols } else { rows }),
    )
}

pub(crate) fn check_total<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let a = host(rng, rows, cols, Domain::Any, case);
    let p = h.up(&a)?;
    let c = on("candidate", h.c.sum(&p.c))?;
    let r = on("reference", h.r.sum(&p.r))?;
    let scale: f64 = a.data.iter().map(|v| f64::from(v.abs())).sum();
    Ok(Measured {
        error: (c - r).abs() / (scale + TINY),
        tol: tol_accumulate(rows.max(cols)),
    })
}

pub(crate) fn check_row_sq_norms<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    // Squares of 1e6 stay far below f32::MAX; the result is its own scale.
    let p = h.up(&host(rng, rows, cols, Domain::Any, case))?;
    let out = h.pair(h.c.row_sq_norms(&p.c), h.r.row_sq_norms(&p.r))?;
    h.rel_max(&out, tol_accumulate(cols))
}
