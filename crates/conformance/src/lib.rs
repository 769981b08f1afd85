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
//! | `*`, `/`, max, min, step, square, abs, recip, sqrt; the ReLU activation, derivative and backward | `max |ref|` | [`TOL_ARITH`] |
//! | affine `s x + t` | `max (|s x| + |t|)` | [`TOL_ARITH`] |
//! | axpby | `max (|alpha x| + |beta y|)` | [`TOL_ARITH`] |
//! | exp, ln, sigmoid, tanh, sin, cos, acos; the SiLU activation, derivative and backward | `max |ref|` | [`TOL_TRANSCENDENTAL`] = 1e-5 |
//! | arccos0/1 | 1 (values in `[0, 1]`) | [`TOL_TRANSCENDENTAL`] |
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

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{
    Activation, ArcCos, Backend, BackendError, Binary, ColumnBlock, DeviceMatrix, Transpose, Unary,
};
use std::fmt;

mod elementwise;
mod structure;

use elementwise::*;
use structure::*;

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
    /// `[-1, 1]` (`acos`).
    Unit,
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
            if domain == Domain::Unit && case % 4 != 2 {
                return rng.random_range(-1.0f32..=1.0);
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

fn on<T>(backend: &str, res: scorediff_backend::Result<T>) -> std::result::Result<T, String> {
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
        c: scorediff_backend::Result<C::Matrix>,
        r: scorediff_backend::Result<R::Matrix>,
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
        ("linear".into(), Box::new(check_linear)),
        ("adam_update".into(), Box::new(check_adam_update)),
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
    for act in Activation::ALL {
        let name = act.name();
        v.push((
            format!("activation/{name}"),
            Box::new(move |h, rng, case| {
                check_activation(h, rng, case, act, ActivationMap::Forward)
            }),
        ));
        v.push((
            format!("activation_grad/{name}"),
            Box::new(move |h, rng, case| {
                check_activation(h, rng, case, act, ActivationMap::Derivative)
            }),
        ));
        v.push((
            format!("activation_backward/{name}"),
            Box::new(move |h, rng, case| check_activation_backward(h, rng, case, act)),
        ));
    }
    for degree in ArcCos::ALL {
        v.push((
            format!("arc_cosine/{}", degree.name()),
            Box::new(move |h, rng, case| check_arc_cosine(h, rng, case, degree)),
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
