//! Cross-backend conformance suite: every [`Backend`] operation, run on random inputs on a
//! candidate backend and on a reference backend, compared elementwise.
//!
//! Used by `cargo xtask conformance` and by the GPU backend's tests (DESIGN.md §2: a
//! backend is interchangeable only if it agrees with the reference within stated
//! tolerances).
//!
//! # Inputs
//!
//! Each operation runs [`SuiteConfig::cases`] cases, drawn from a [`ChaCha8Rng`] seeded
//! with the suite seed and the operation's name (so adding an operation changes no other
//! operation's inputs). The first cases are fixed edge shapes (`1 x 1`, `0 x n`, `n x 0`);
//! the rest draw each dimension from sizes around the tile widths of GPU kernels (1, 2, 3,
//! 5, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 130, capped at
//! [`SuiteConfig::max_dim`]). Values are `sign * magnitude` with the magnitude
//! log-uniform in a range that cycles with the case: unit `[1e-2, 1]`, large `[1e4, 1e6]`,
//! tiny `[1e-7, 1e-5]`, mixed `[1e-6, 1e6]`, with 5% exact zeros, restricted to each
//! operation's domain (positive for `ln`/`sqrt`, non-zero divisors, `|x| <= 80` for `exp`,
//! `|x| <= 1e4` for `sin`/`cos`, `[-1.2, 1.2]` for the arc-cosine kernels).
//!
//! # Error measure and tolerances
//!
//! For one case, the error is `max_ij |cand_ij - ref_ij| / (scale + 1e-30)`, where `scale`
//! is the magnitude the rounding error of the operation is proportional to:
//!
//! | operations | scale | tolerance |
//! | --- | --- | --- |
//! | copies, slices, gathers, concatenations, transpose, fills | `max |ref|` | 0 (bit-exact) |
//! | `+`, `-` (binary and broadcast) | `max (|a| + |b|)` | [`TOL_ARITH`] = 1e-6 |
//! | `*`, `/`, max, min, relu, relu_grad, square, abs, recip, sqrt, relu_backward | `max |ref|` | [`TOL_ARITH`] |
//! | affine `s x + t` | `max (|s x| + |t|)` | [`TOL_ARITH`] |
//! | axpby | `max (|alpha x| + |beta y|)` | [`TOL_ARITH`] |
//! | exp, ln, sigmoid, tanh, silu, silu_grad, sin, cos, arccos0/1, silu_backward | `max |ref|` | [`TOL_TRANSCENDENTAL`] = 1e-5 |
//! | gemm, `K` the inner dimension | `max (|alpha| (|op A| |op B|)_ij + |beta| |C_ij|)` | [`tol_accumulate`]`(K)` |
//! | row/col sums, sum, row_sq_norms over `n` terms | `max sum |a|` | [`tol_accumulate`]`(n)` |
//! | softmax_blocks | 1 (outputs are probabilities) | [`TOL_TRANSCENDENTAL`] |
//! | softmax_blocks_backward | `max y_j (|dy_j| + sum_k y_k |dy_k|)` | [`TOL_TRANSCENDENTAL`] |
//!
//! The gemm and reduction scales are the classical forward-error bounds of a sum of
//! products in floating point: an f32 dot product of length `K` errs by at most
//! `K eps (|a| . |b|)`, typically `sqrt(K) eps (|a| . |b|)` for rounding errors of random
//! sign; [`tol_accumulate`] allows `eps (8 + 2 sqrt(n))`. NaN agrees with NaN and an
//! infinity with the same infinity. The pseudo-operation `errors` checks that both
//! backends reject the same invalid calls with the same [`BackendError`] variant.

use crate::{Backend, BackendError, Binary, ColumnBlock, DeviceMatrix, Transpose, Unary};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt;

/// Tolerance of exactly rounded arithmetic (a few ulps of f32).
pub const TOL_ARITH: f64 = 1e-6;
/// Tolerance of transcendental functions and short fused formulas.
pub const TOL_TRANSCENDENTAL: f64 = 1e-5;
/// Added to every scale so that an all-zero result does not divide by zero.
const TINY: f64 = 1e-30;

/// Tolerance of a sum of `n` terms relative to the sum of their magnitudes:
/// `eps_f32 * (8 + 2 sqrt(n))`.
pub fn tol_accumulate(n: usize) -> f64 {
    f64::from(f32::EPSILON) * (8.0 + 2.0 * (n as f64).sqrt())
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteConfig {
    /// Random cases per operation (the first three are the edge shapes).
    pub cases: usize,
    /// Seed of every random draw.
    pub seed: u64,
    /// Largest dimension drawn.
    pub max_dim: usize,
}

impl Default for SuiteConfig {
    /// 12 cases per operation, dimensions up to 130, seed 2024.
    fn default() -> Self {
        Self {
            cases: 12,
            seed: 2024,
            max_dim: 130,
        }
    }
}

/// The outcome for one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct OpReport {
    /// Operation name, e.g. `gemm` or `unary/tanh`.
    pub op: String,
    /// Cases run.
    pub cases: usize,
    /// Largest scaled error over the cases (see the module documentation).
    pub max_error: f64,
    /// Tolerance of the case with the largest error-to-tolerance ratio.
    pub tolerance: f64,
    /// Whether every case was within its tolerance and no backend failed.
    pub passed: bool,
    /// What went wrong in the first failing case, if any.
    pub detail: Option<String>,
}

/// The outcome of a whole suite run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Name of the backend under test.
    pub candidate: String,
    /// Name of the reference backend.
    pub reference: String,
    /// The configuration run.
    pub config: SuiteConfig,
    /// One entry per operation.
    pub ops: Vec<OpReport>,
}

impl Report {
    /// Whether every operation passed.
    pub fn passed(&self) -> bool {
        self.ops.iter().all(|o| o.passed)
    }

    /// The operations that failed.
    pub fn failures(&self) -> Vec<&OpReport> {
        self.ops.iter().filter(|o| !o.passed).collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} vs {} (seed {}, {} cases/op)",
            self.candidate, self.reference, self.config.seed, self.config.cases
        )?;
        writeln!(
            f,
            "{:<28} {:>12} {:>10}  result",
            "op", "max error", "tolerance"
        )?;
        for o in &self.ops {
            let verdict = if o.passed { "PASS" } else { "FAIL" };
            write!(
                f,
                "{:<28} {:>12.3e} {:>10.1e}  {verdict}",
                o.op, o.max_error, o.tolerance
            )?;
            if let Some(d) = &o.detail {
                write!(f, "  ({d})")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Runs every operation on `candidate` and `reference` and compares the results.
pub fn run<C: Backend, R: Backend>(candidate: &C, reference: &R, config: &SuiteConfig) -> Report {
    let h = Harness {
        c: candidate,
        r: reference,
        max_dim: config.max_dim.max(1),
    };
    let mut ops = Vec::new();
    for (name, check) in checks::<C, R>() {
        ops.push(run_op(&h, &name, &check, config));
    }
    Report {
        candidate: candidate.name(),
        reference: reference.name(),
        config: config.clone(),
        ops,
    }
}

/// One measured case: scaled error and the tolerance it must meet.
#[derive(Debug, Clone, Copy)]
struct Measured {
    error: f64,
    tol: f64,
}

type CaseResult = std::result::Result<Measured, String>;
type Check<C, R> = Box<dyn Fn(&Harness<'_, C, R>, &mut ChaCha8Rng, usize) -> CaseResult>;

fn run_op<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    name: &str,
    check: &Check<C, R>,
    config: &SuiteConfig,
) -> OpReport {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ fnv1a(name));
    let mut report = OpReport {
        op: name.to_string(),
        cases: config.cases,
        max_error: 0.0,
        tolerance: 0.0,
        passed: true,
        detail: None,
    };
    let mut worst_ratio = -1.0;
    for case in 0..config.cases {
        match check(h, &mut rng, case) {
            Ok(m) => {
                let within = m.error <= m.tol;
                let ratio = if within {
                    if m.tol > 0.0 { m.error / m.tol } else { 0.0 }
                } else {
                    f64::INFINITY
                };
                report.max_error = report.max_error.max(m.error);
                if ratio > worst_ratio || m.error.is_nan() {
                    worst_ratio = ratio;
                    report.tolerance = m.tol;
                }
                if !within && report.passed {
                    report.passed = false;
                    report.detail = Some(format!(
                        "case {case}: error {:.3e} > {:.1e}",
                        m.error, m.tol
                    ));
                }
                if m.error.is_nan() {
                    report.max_error = f64::NAN;
                }
            }
            Err(msg) => {
                if report.passed {
                    report.detail = Some(format!("case {case}: {msg}"));
                }
                report.passed = false;
            }
        }
    }
    report
}

/// 64-bit FNV-1a, to derive a per-operation seed from its name.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---- inputs ------------------------------------------------------------------------------

/// Dimensions around the 16- and 64-wide tiles of GPU kernels.
const DIMS: [usize; 16] = [1, 2, 3, 5, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 130];

/// Where an operation's inputs may lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Domain {
    /// Any finite value, zeros included.
    Any,
    /// Non-zero (divisors).
    NonZero,
    /// Strictly positive (`ln`, `sqrt`).
    Positive,
    /// `|x| <= 80` (`exp` stays finite).
    Exp,
    /// `|x| <= 1e4` (trigonometric arguments).
    Trig,
    /// `[-1.2, 1.2]` (cosines, with some clamping).
    Cosine,
}

/// A host matrix.
#[derive(Debug, Clone)]
struct Host {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

/// Magnitude range of a case: unit, large, tiny, mixed in turn.
fn magnitudes(case: usize, domain: Domain) -> (f64, f64) {
    let (lo, hi): (f64, f64) = match case % 4 {
        0 => (1e-2, 1.0),
        1 => (1e4, 1e6),
        2 => (1e-7, 1e-5),
        _ => (1e-6, 1e6),
    };
    let cap = match domain {
        Domain::Exp => 80.0,
        Domain::Trig => 1e4,
        _ => f64::INFINITY,
    };
    let hi = hi.min(cap);
    (lo.min(hi / 10.0), hi)
}

fn values(rng: &mut ChaCha8Rng, n: usize, domain: Domain, case: usize) -> Vec<f32> {
    let (lo, hi) = magnitudes(case, domain);
    (0..n)
        .map(|_| {
            if domain == Domain::Cosine && case % 4 != 2 {
                return rng.random_range(-1.2f32..=1.2);
            }
            if domain == Domain::Any && rng.random_bool(0.05) {
                return 0.0;
            }
            let m = (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp();
            let neg = domain != Domain::Positive && rng.random_bool(0.5);
            (if neg { -m } else { m }) as f32
        })
        .collect()
}

fn host(rng: &mut ChaCha8Rng, rows: usize, cols: usize, domain: Domain, case: usize) -> Host {
    Host {
        rows,
        cols,
        data: values(rng, rows * cols, domain, case),
    }
}

impl<C: Backend, R: Backend> Harness<'_, C, R> {
    fn dim(&self, rng: &mut ChaCha8Rng) -> usize {
        let allowed: Vec<usize> = DIMS
            .iter()
            .copied()
            .filter(|&d| d <= self.max_dim)
            .collect();
        allowed
            .get(rng.random_range(0..allowed.len().max(1)))
            .copied()
            .unwrap_or(1)
    }

    /// `(rows, cols)` of a case: `1 x 1`, `0 x n`, `n x 0`, then random.
    fn shape(&self, rng: &mut ChaCha8Rng, case: usize) -> (usize, usize) {
        match case {
            0 => (1, 1),
            1 => (0, self.dim(rng)),
            2 => (self.dim(rng), 0),
            _ => (self.dim(rng), self.dim(rng)),
        }
    }
}

// ---- harness -----------------------------------------------------------------------------

/// The two backends under comparison.
struct Harness<'a, C: Backend, R: Backend> {
    c: &'a C,
    r: &'a R,
    max_dim: usize,
}

/// The same matrix on both backends.
struct Pair<C: Backend, R: Backend> {
    c: C::Matrix,
    r: R::Matrix,
}

fn on<T>(backend: &str, res: crate::Result<T>) -> std::result::Result<T, String> {
    res.map_err(|e| format!("{backend}: {e}"))
}

impl<C: Backend, R: Backend> Harness<'_, C, R> {
    fn up(&self, m: &Host) -> std::result::Result<Pair<C, R>, String> {
        Ok(Pair {
            c: on("candidate", self.c.from_host(m.rows, m.cols, &m.data))?,
            r: on("reference", self.r.from_host(m.rows, m.cols, &m.data))?,
        })
    }

    fn pair(
        &self,
        c: crate::Result<C::Matrix>,
        r: crate::Result<R::Matrix>,
    ) -> std::result::Result<Pair<C, R>, String> {
        Ok(Pair {
            c: on("candidate", c)?,
            r: on("reference", r)?,
        })
    }

    /// Downloads both results, checking they have the same shape.
    fn down(&self, p: &Pair<C, R>) -> std::result::Result<(Vec<f32>, Vec<f32>), String> {
        if p.c.shape() != p.r.shape() {
            return Err(format!(
                "shape {:?}, reference {:?}",
                p.c.shape(),
                p.r.shape()
            ));
        }
        Ok((
            on("candidate", self.c.to_host(&p.c))?,
            on("reference", self.r.to_host(&p.r))?,
        ))
    }

    /// Scaled error of a result whose scale is the largest reference magnitude.
    fn rel_max(&self, p: &Pair<C, R>, tol: f64) -> CaseResult {
        let (c, r) = self.down(p)?;
        let scale = r
            .iter()
            .map(|v| f64::from(v.abs()))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        Ok(Measured {
            error: scaled_error(&c, &r, |_| scale),
            tol,
        })
    }

    /// Scaled error with a per-result scale (the maximum of `scale` over elements).
    fn rel_scale(&self, p: &Pair<C, R>, scale: f64, tol: f64) -> CaseResult {
        let (c, r) = self.down(p)?;
        Ok(Measured {
            error: scaled_error(&c, &r, |_| scale),
            tol,
        })
    }
}

/// `max_i |c_i - r_i| / (scale(i) + TINY)`; NaN matches NaN, infinities match themselves.
fn scaled_error(c: &[f32], r: &[f32], scale: impl Fn(usize) -> f64) -> f64 {
    let mut worst = 0.0f64;
    for (i, (&a, &b)) in c.iter().zip(r).enumerate() {
        let e = if a.is_nan() && b.is_nan() || (a.is_infinite() && a == b) {
            0.0
        } else if a.is_nan() || b.is_nan() || a.is_infinite() || b.is_infinite() {
            f64::INFINITY
        } else {
            (f64::from(a) - f64::from(b)).abs() / (scale(i) + TINY)
        };
        worst = worst.max(e);
    }
    worst
}

fn max_abs(v: &[f32]) -> f64 {
    v.iter().map(|x| f64::from(x.abs())).fold(0.0, f64::max)
}

// ---- the checks --------------------------------------------------------------------------

fn checks<C: Backend, R: Backend>() -> Vec<(String, Check<C, R>)> {
    let mut v: Vec<(String, Check<C, R>)> = vec![
        ("full".into(), Box::new(check_full)),
        ("copy".into(), Box::new(check_copy)),
        ("write".into(), Box::new(check_write)),
        ("gemm".into(), Box::new(check_gemm)),
        ("transpose".into(), Box::new(check_transpose)),
    ];
    for op in Unary::ALL {
        v.push((
            format!("unary/{}", op.name()),
            Box::new(move |h, rng, case| check_unary(h, rng, case, op)),
        ));
    }
    for op in Binary::ALL {
        v.push((
            format!("binary/{}", op.name()),
            Box::new(move |h, rng, case| check_binary(h, rng, case, op)),
        ));
    }
    let more: Vec<(&str, Check<C, R>)> = vec![
        ("affine", Box::new(check_affine)),
        ("axpby", Box::new(check_axpby)),
        (
            "broadcast_row",
            Box::new(|h, rng, case| check_broadcast(h, rng, case, true)),
        ),
        (
            "broadcast_col",
            Box::new(|h, rng, case| check_broadcast(h, rng, case, false)),
        ),
        (
            "row_sums",
            Box::new(|h, rng, case| check_sums(h, rng, case, true)),
        ),
        (
            "col_sums",
            Box::new(|h, rng, case| check_sums(h, rng, case, false)),
        ),
        ("sum", Box::new(check_total)),
        ("row_sq_norms", Box::new(check_row_sq_norms)),
        ("gather_rows", Box::new(check_gather)),
        (
            "slice_rows",
            Box::new(|h, rng, case| check_slice(h, rng, case, true)),
        ),
        (
            "slice_cols",
            Box::new(|h, rng, case| check_slice(h, rng, case, false)),
        ),
        (
            "concat_rows",
            Box::new(|h, rng, case| check_concat(h, rng, case, true)),
        ),
        (
            "concat_cols",
            Box::new(|h, rng, case| check_concat(h, rng, case, false)),
        ),
        ("softmax_blocks", Box::new(check_softmax)),
        ("softmax_blocks_backward", Box::new(check_softmax_backward)),
        ("errors", Box::new(check_errors)),
    ];
    v.extend(more.into_iter().map(|(n, c)| (n.to_string(), c)));
    v
}

fn check_full<C: Backend, R: Backend>(
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

fn check_copy<C: Backend, R: Backend>(
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

fn check_write<C: Backend, R: Backend>(
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

fn check_gemm<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (m, k, n) = match case {
        0 => (1, 1, 1),
        1 => (h.dim(rng), 0, h.dim(rng)),
        2 => (0, h.dim(rng), h.dim(rng)),
        3 => (h.dim(rng), h.dim(rng), 0),
        _ => (h.dim(rng), h.dim(rng), h.dim(rng)),
    };
    let ta = if rng.random_bool(0.5) {
        Transpose::Yes
    } else {
        Transpose::No
    };
    let tb = if rng.random_bool(0.5) {
        Transpose::Yes
    } else {
        Transpose::No
    };
    let alpha = [1.0f32, -0.5, 2.5][rng.random_range(0..3)];
    let beta = [0.0f32, 1.0, 0.5, -1.5][case % 4];
    let (ar, ac) = if ta.is_yes() { (k, m) } else { (m, k) };
    let (br, bc) = if tb.is_yes() { (n, k) } else { (k, n) };
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
    // Scale: max_ij |alpha| (|op A| |op B|)_ij + |beta| |C_ij|, in f64.
    let at = |i: usize, p: usize| {
        if ta.is_yes() {
            a.data[p * ac + i]
        } else {
            a.data[i * ac + p]
        }
    };
    let bt = |p: usize, j: usize| {
        if tb.is_yes() {
            b.data[j * bc + p]
        } else {
            b.data[p * bc + j]
        }
    };
    let mut scale = 0.0f64;
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = (0..k)
                .map(|p| f64::from(at(i, p).abs()) * f64::from(bt(p, j).abs()))
                .sum();
            let cterm = if beta == 0.0 {
                0.0
            } else {
                f64::from(beta.abs() * c0.data[i * n + j].abs())
            };
            scale = scale.max(f64::from(alpha.abs()) * dot + cterm);
        }
    }
    h.rel_scale(&pc, scale, tol_accumulate(k))
}

fn check_transpose<C: Backend, R: Backend>(
    h: &Harness<'_, C, R>,
    rng: &mut ChaCha8Rng,
    case: usize,
) -> CaseResult {
    let (rows, cols) = h.shape(rng, case);
    let p = h.up(&host(rng, rows, cols, Domain::Any, case))?;
    let t = h.pair(h.c.transpose(&p.c), h.r.transpose(&p.r))?;
    h.rel_max(&t, 0.0)
}

fn unary_domain(op: Unary) -> Domain {
    match op {
        Unary::Exp => Domain::Exp,
        Unary::Ln | Unary::Sqrt => Domain::Positive,
        Unary::Recip => Domain::NonZero,
        Unary::Sin | Unary::Cos => Domain::Trig,
        Unary::ArcCos0 | Unary::ArcCos1 => Domain::Cosine,
        _ => Domain::Any,
    }
}

fn unary_tol(op: Unary) -> f64 {
    match op {
        Unary::Relu | Unary::ReluGrad | Unary::Square | Unary::Abs | Unary::Recip | Unary::Sqrt => {
            TOL_ARITH
        }
        _ => TOL_TRANSCENDENTAL,
    }
}

fn binary_tol(op: Binary) -> f64 {
    if op == Binary::SiluBackward {
        TOL_TRANSCENDENTAL
    } else {
        TOL_ARITH
    }
}

/// Per-element scale of a binary op: `|a| + |b|` for sums and differences (their error
/// is relative to the operands, not to a cancelled result), else `|op(a, b)|`.
fn binary_scale(op: Binary, a: f32, b: f32, r: f32) -> f64 {
    match op {
        Binary::Add | Binary::Sub => f64::from(a.abs()) + f64::from(b.abs()),
        _ => f64::from(r.abs()),
    }
}

fn check_unary<C: Backend, R: Backend>(
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

fn check_binary<C: Backend, R: Backend>(
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
        tol: binary_tol(op),
    })
}

fn check_affine<C: Backend, R: Backend>(
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

fn check_axpby<C: Backend, R: Backend>(
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
fn check_broadcast<C: Backend, R: Backend>(
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
            tol: binary_tol(op),
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
fn check_sums<C: Backend, R: Backend>(
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

fn check_total<C: Backend, R: Backend>(
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

fn check_row_sq_norms<C: Backend, R: Backend>(
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

fn check_gather<C: Backend, R: Backend>(
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

fn check_slice<C: Backend, R: Backend>(
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

fn check_concat<C: Backend, R: Backend>(
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

fn check_softmax<C: Backend, R: Backend>(
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

fn check_softmax_backward<C: Backend, R: Backend>(
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
fn check_errors<C: Backend, R: Backend>(
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
    fn kind<T>(res: crate::Result<T>) -> Outcome {
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
