//! Checks of the structural operations (fills, copies, gemm, transpose, gathers, slices,
//! concatenations, softmax blocks) and of the errors.

use super::*;

pub(crate) fn check_full<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let value = if case.is_multiple_of(2) {
        0.0
    } else {
        values(rng, 1, Domain::NonZero, case)[0]
    };
    let p = h.pair(h.c.full(rows, cols, value), h.r.full(rows, cols, value))?;
    let z = h.pair(h.c.zeros(rows, cols), h.r.zeros(rows, cols))?;
    let e = h.rel_max(&p, 0.0)?.error.max(h.rel_max(&z, 0.0)?.error);
    Ok(Measured { error: e, tol: 0.0 })
}

pub(crate) fn check_copy<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let a = host(rng, rows, cols, Domain::Any, case);
    let p = h.up(&a)?;
    let q = h.pair(h.c.copy(&p.c), h.r.copy(&p.r))?;
    drop(p); // the copy must not depend on its source
    let m = h.rel_max(&q, 0.0)?;
    let (c, _) = h.down(&q)?;
    if c != a.data {
        return Err("copy differs from the uploaded data".into());
    }
    Ok(m)
}

pub(crate) fn check_write<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let a = host(rng, rows, cols, Domain::Any, case);
    let b = host(rng, rows, cols, Domain::Any, case);
    let mut p = h.up(&a)?;
    on("candidate", h.c.write(&mut p.c, &b.data))?;
    on("reference", h.r.write(&mut p.r, &b.data))?;
    h.rel_max(&p, 0.0)
}

/// `(m, k, n)` of a product case: `1 x 1 x 1`, then each dimension empty once, then random.
fn product_dims<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> (usize, usize, usize) {
    match case {
        0 => (1, 1, 1),
        1 => (h.dim(rng), 0, h.dim(rng)),
        2 => (0, h.dim(rng), h.dim(rng)),
        3 => (h.dim(rng), h.dim(rng), 0),
        _ => (h.dim(rng), h.dim(rng), h.dim(rng)),
    }
}

fn random_transpose(rng: &mut ChaCha8Rng) -> Transpose {
    if rng.random_bool(0.5) {
        Transpose::Yes
    } else {
        Transpose::No
    }
}

/// The stored shape of an operand used as `op(M)` of shape `rows x cols`.
fn stored_shape(t: Transpose, rows: usize, cols: usize) -> (usize, usize) {
    if t.is_yes() {
        (cols, rows)
    } else {
        (rows, cols)
    }
}

/// `|op(M)_ij|` of a host matrix.
fn op_abs(m: &Host, t: Transpose, i: usize, j: usize) -> f64 {
    let v = if t.is_yes() {
        m.data[j * m.cols + i]
    } else {
        m.data[i * m.cols + j]
    };
    f64::from(v.abs())
}

/// The error scale of a product: `max_ij |alpha| (|op A| |op B|)_ij + extra(i, j)`, in f64.
fn product_scale(
    (a, ta): (&Host, Transpose),
    (b, tb): (&Host, Transpose),
    (m, k, n): (usize, usize, usize),
    alpha: f32,
    extra: impl Fn(usize, usize) -> f64,
) -> f64 {
    let mut scale = 0.0f64;
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = (0..k)
                .map(|p| op_abs(a, ta, i, p) * op_abs(b, tb, p, j))
                .sum();
            scale = scale.max(f64::from(alpha.abs()) * dot + extra(i, j));
        }
    }
    scale
}

pub(crate) fn check_gemm<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (m, k, n) = product_dims(h, rng, case);
    let ta = random_transpose(rng);
    let tb = random_transpose(rng);
    let alpha = [1.0f32, -0.5, 2.5][rng.random_range(0..3)];
    let beta = [0.0f32, 1.0, 0.5, -1.5][case % 4];
    let (ar, ac) = stored_shape(ta, m, k);
    let (br, bc) = stored_shape(tb, k, n);
    let a = host(rng, ar, ac, Domain::Any, case);
    let b = host(rng, br, bc, Domain::Any, case);
    let mut c0 = host(rng, m, n, Domain::Any, case);
    if beta == 0.0 {
        // beta == 0 must ignore C, NaNs included.
        c0.data.fill(f32::NAN);
    }
    let (pa, pb) = (h.up(&a)?, h.up(&b)?);
    let mut pc = h.up(&c0)?;
    on(
        "candidate",
        h.c.gemm(alpha, &pa.c, ta, &pb.c, tb, beta, &mut pc.c),
    )?;
    on(
        "reference",
        h.r.gemm(alpha, &pa.r, ta, &pb.r, tb, beta, &mut pc.r),
    )?;
    let scale = product_scale((&a, ta), (&b, tb), (m, k, n), alpha, |i, j| {
        if beta == 0.0 {
            0.0
        } else {
            f64::from(beta.abs() * c0.data[i * n + j].abs())
        }
    });
    h.rel_scale(&pc, scale, tol_accumulate(k))
}

pub(crate) fn check_transpose<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let p = h.up(&host(rng, rows, cols, Domain::Any, case))?;
    let t = h.pair(h.c.transpose(&p.c), h.r.transpose(&p.r))?;
    h.rel_max(&t, 0.0)
}

pub(crate) fn check_gather<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let count = if case == 1 || rows == 0 {
        0
    } else {
        rng.random_range(0..=2 * rows)
    };
    let idx: Vec<usize> = (0..count).map(|_| rng.random_range(0..rows)).collect();
    let p = h.up(&host(rng, rows, cols, Domain::Any, case))?;
    let out = h.pair(h.c.gather_rows(&p.c, &idx), h.r.gather_rows(&p.r, &idx))?;
    h.rel_max(&out, 0.0)
}

pub(crate) fn check_slice<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
    rows_dim: bool,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let n = if rows_dim { rows } else { cols };
    let start = rng.random_range(0..=n);
    let end = rng.random_range(start..=n);
    let p = h.up(&host(rng, rows, cols, Domain::Any, case))?;
    let out = if rows_dim {
        h.pair(
            h.c.slice_rows(&p.c, start, end),
            h.r.slice_rows(&p.r, start, end),
        )?
    } else {
        h.pair(
            h.c.slice_cols(&p.c, start, end),
            h.r.slice_cols(&p.r, start, end),
        )?
    };
    h.rel_max(&out, 0.0)
}

pub(crate) fn check_concat<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
    stack: bool,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let parts = if case == 0 {
        0
    } else {
        rng.random_range(1..=4)
    };
    let mut pairs = Vec::new();
    for _ in 0..parts {
        // The free dimension of each part is drawn, zero included.
        let free = if rng.random_bool(0.2) { 0 } else { h.dim(rng) };
        let m = if stack {
            host(rng, free, cols, Domain::Any, case)
        } else {
            host(rng, rows, free, Domain::Any, case)
        };
        pairs.push(h.up(&m)?);
    }
    let pc: Vec<&C::Matrix> = pairs.iter().map(|p| &p.c).collect();
    let pr: Vec<&R::Matrix> = pairs.iter().map(|p| &p.r).collect();
    let out = if stack {
        h.pair(h.c.concat_rows(&pc), h.r.concat_rows(&pr))?
    } else {
        h.pair(h.c.concat_cols(&pc), h.r.concat_cols(&pr))?
    };
    h.rel_max(&out, 0.0)
}

/// Random non-overlapping blocks over `cols` columns, some columns left outside, some
/// blocks empty, listed in random order.
fn random_blocks(rng: &mut ChaCha8Rng, cols: usize) -> Vec<ColumnBlock> {
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < cols {
        let gap = if rng.random_bool(0.3) {
            rng.random_range(0..=2)
        } else {
            0
        };
        at += gap;
        if at >= cols {
            break;
        }
        let len = rng.random_range(0..=(cols - at).min(12));
        blocks.push(ColumnBlock::new(at, len));
        at += len.max(1);
    }
    // Fisher-Yates, so the backends cannot rely on sorted blocks.
    for i in (1..blocks.len()).rev() {
        blocks.swap(i, rng.random_range(0..=i));
    }
    blocks
}

pub(crate) fn check_softmax<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let blocks = random_blocks(rng, cols);
    let p = h.up(&host(rng, rows, cols, Domain::Any, case))?;
    let out = h.pair(
        h.c.softmax_blocks(&p.c, &blocks),
        h.r.softmax_blocks(&p.r, &blocks),
    )?;
    // Columns outside the blocks are copied and must match exactly; probabilities have
    // scale 1.
    h.rel_scale(&out, 1.0, TOL_TRANSCENDENTAL)
}

pub(crate) fn check_softmax_backward<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let blocks = random_blocks(rng, cols);
    let logits = host(rng, rows, cols, Domain::Any, case).max_unit();
    // y must be a softmax output: take the reference's, upload the same bytes to both.
    let l = on("reference", h.r.from_host(rows, cols, &logits.data))?;
    let y_r = on("reference", h.r.softmax_blocks(&l, &blocks))?;
    let y = Host {
        rows,
        cols,
        data: on("reference", h.r.to_host(&y_r))?,
    };
    let dy = host(rng, rows, cols, Domain::Any, case);
    let (py, pdy) = (h.up(&y)?, h.up(&dy)?);
    let out = h.pair(
        h.c.softmax_blocks_backward(&py.c, &pdy.c, &blocks),
        h.r.softmax_blocks_backward(&py.r, &pdy.r, &blocks),
    )?;
    // Scale: |dy| outside blocks, y_j (|dy_j| + sum_k y_k |dy_k|) inside.
    let mut scale = max_abs(&dy.data);
    for i in 0..rows {
        for b in &blocks {
            let at = |j: usize| i * cols + j;
            let inner: f64 = (b.start..b.end())
                .map(|j| f64::from(y.data[at(j)] * dy.data[at(j)].abs()))
                .sum();
            for j in b.start..b.end() {
                scale =
                    scale.max(f64::from(y.data[at(j)]) * (f64::from(dy.data[at(j)].abs()) + inner));
            }
        }
    }
    h.rel_scale(&out, scale, TOL_TRANSCENDENTAL)
}

impl Host {
    /// Keeps logits within `[-1, 1]` (the softmax input of the backward check need not be
    /// extreme; its output is what matters).
    fn max_unit(mut self) -> Self {
        self.data.iter_mut().for_each(|v| *v = v.clamp(-1.0, 1.0));
        self
    }
}

/// Both backends must reject the same invalid calls with the same error variant.
pub(crate) fn check_errors<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (r, c) = (h.dim(rng) + 1, h.dim(rng) + 1);
    let a = h.up(&host(rng, r, c, Domain::Any, case))?;
    let b = h.up(&host(rng, r + 1, c, Domain::Any, case))?;
    let row = h.up(&host(rng, 1, c + 1, Domain::Any, case))?;
    let col = h.up(&host(rng, r + 1, 1, Domain::Any, case))?;
    let mut out_c = on("candidate", h.c.zeros(r, r))?;
    let mut out_r = on("reference", h.r.zeros(r, r))?;
    let bad_blocks = [ColumnBlock::new(0, c + 1)];
    let overlapping = [ColumnBlock::new(0, 1), ColumnBlock::new(0, 1)];
    type Outcome = std::result::Result<(), std::mem::Discriminant<BackendError>>;
    fn kind<T>(res: scorediff_backend::Result<T>) -> Outcome {
        res.map(|_| ()).map_err(|e| std::mem::discriminant(&e))
    }
    let cases: Vec<(&str, Outcome, Outcome)> = vec![
        (
            "from_host length",
            kind(h.c.from_host(r, c, &[0.0])),
            kind(h.r.from_host(r, c, &[0.0])),
        ),
        (
            "binary shapes",
            kind(h.c.binary(Binary::Add, &a.c, &b.c)),
            kind(h.r.binary(Binary::Add, &a.r, &b.r)),
        ),
        (
            "gemm inner",
            kind(h.c.gemm(
                1.0,
                &a.c,
                Transpose::No,
                &b.c,
                Transpose::No,
                0.0,
                &mut out_c,
            )),
            kind(h.r.gemm(
                1.0,
                &a.r,
                Transpose::No,
                &b.r,
                Transpose::No,
                0.0,
                &mut out_r,
            )),
        ),
        (
            "broadcast_row",
            kind(h.c.broadcast_row(Binary::Mul, &a.c, &row.c)),
            kind(h.r.broadcast_row(Binary::Mul, &a.r, &row.r)),
        ),
        (
            "broadcast_col",
            kind(h.c.broadcast_col(Binary::Mul, &a.c, &col.c)),
            kind(h.r.broadcast_col(Binary::Mul, &a.r, &col.r)),
        ),
        (
            "gather index",
            kind(h.c.gather_rows(&a.c, &[r])),
            kind(h.r.gather_rows(&a.r, &[r])),
        ),
        (
            "slice_rows range",
            kind(h.c.slice_rows(&a.c, 1, r + 1)),
            kind(h.r.slice_rows(&a.r, 1, r + 1)),
        ),
        (
            "slice_cols reversed",
            kind(h.c.slice_cols(&a.c, 1, 0)),
            kind(h.r.slice_cols(&a.r, 1, 0)),
        ),
        (
            "concat_rows widths",
            kind(h.c.concat_rows(&[&a.c, &row.c])),
            kind(h.r.concat_rows(&[&a.r, &row.r])),
        ),
        (
            "concat_cols heights",
            kind(h.c.concat_cols(&[&a.c, &b.c])),
            kind(h.r.concat_cols(&[&a.r, &b.r])),
        ),
        (
            "softmax block outside",
            kind(h.c.softmax_blocks(&a.c, &bad_blocks)),
            kind(h.r.softmax_blocks(&a.r, &bad_blocks)),
        ),
        (
            "softmax overlap",
            kind(h.c.softmax_blocks(&a.c, &overlapping)),
            kind(h.r.softmax_blocks(&a.r, &overlapping)),
        ),
        (
            "softmax_backward shapes",
            kind(h.c.softmax_blocks_backward(&a.c, &b.c, &[])),
            kind(h.r.softmax_blocks_backward(&a.r, &b.r, &[])),
        ),
        (
            "axpby shapes",
            kind(h.c.axpby(1.0, &b.c, 1.0, &mut out_c)),
            kind(h.r.axpby(1.0, &b.r, 1.0, &mut out_r)),
        ),
        (
            "write length",
            kind(h.c.write(&mut out_c, &[1.0])),
            kind(h.r.write(&mut out_r, &[1.0])),
        ),
    ];
    for (what, oc, or) in cases {
        if or.is_ok() {
            return Err(format!("{what}: the reference accepted an invalid call"));
        }
        if oc != or {
            return Err(format!("{what}: candidate {oc:?}, reference {or:?}"));
        }
    }
    Ok(Measured {
        error: 0.0,
        tol: 0.0,
    })
}

/// `linear`: `s x op(W) + b` against the reference, on the scale of the product's terms
/// plus the bias (the candidate may add the bias inside the accumulation).
pub(crate) fn check_linear<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (m, k, n) = product_dims(h, rng, case);
    let tw = random_transpose(rng);
    let scale_s = [1.0f32, 0.5, -2.0][rng.random_range(0..3)];
    let with_bias = case % 4 != 3;
    let (wr, wc) = stored_shape(tw, k, n);
    let x = host(rng, m, k, Domain::Any, case);
    let w = host(rng, wr, wc, Domain::Any, case);
    let b = host(rng, 1, n, Domain::Any, case);
    let (px, pw, pb) = (h.up(&x)?, h.up(&w)?, h.up(&b)?);
    let y = h.pair(
        h.c.linear(scale_s, &px.c, &pw.c, tw, with_bias.then_some(&pb.c)),
        h.r.linear(scale_s, &px.r, &pw.r, tw, with_bias.then_some(&pb.r)),
    )?;
    let scale = product_scale((&x, Transpose::No), (&w, tw), (m, k, n), scale_s, |_, j| {
        if with_bias {
            f64::from(b.data[j].abs())
        } else {
            0.0
        }
    });
    h.rel_scale(&y, scale, tol_accumulate(k + 1))
}

/// `adam_update` (with and without the moving average): parameters, moments and average
/// against the reference's scalar definitions.
pub(crate) fn check_adam_update<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let mut up = |domain| h.up(&host(rng, rows, cols, domain, case));
    let mut p = up(Domain::Any)?;
    let g = up(Domain::Any)?;
    let mut m1 = up(Domain::Any)?;
    let mut v = up(Domain::Positive)?;
    let mut e = up(Domain::Any)?;
    let k = 1 + (case as u64 % 50);
    let step = scorediff_backend::AdamStep::new(0.9, 0.999, 1e-8, [0.0, 1e-2][case % 2], 2e-3, k);
    let avg = (!case.is_multiple_of(3)).then(|| scorediff_backend::Average::new(0.999));
    on(
        "candidate",
        h.c.adam_update(
            &step,
            &mut p.c,
            &g.c,
            &mut m1.c,
            &mut v.c,
            avg.map(|a| (&mut e.c, a)),
        ),
    )?;
    on(
        "reference",
        h.r.adam_update(
            &step,
            &mut p.r,
            &g.r,
            &mut m1.r,
            &mut v.r,
            avg.map(|a| (&mut e.r, a)),
        ),
    )?;
    let mut worst = h.rel_max(&p, TOL_ARITH)?;
    for part in [&m1, &v, &e] {
        let r = h.rel_max(part, TOL_ARITH)?;
        if r.error > worst.error {
            worst = r;
        }
    }
    Ok(worst)
}
