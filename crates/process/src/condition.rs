//! Conditional sampling: the reverse process of the joint law, with some coordinates of
//! each record held to a condition (DESIGN.md §1; docs/process.md §6).
//!
//! A [`Condition`] says, for each row to generate, what its clean record `x_0` must satisfy:
//! a coordinate in an interval `[lo, hi]` (`lo = hi`: a known value), or a one-hot block on
//! some of its entries (a set of categories). Rows may share one requirement (`sample
//! --where`) or each have their own (imputation: every row knows other cells).
//!
//! The method is the denoiser of the conditioned law. Tweedie's formula holds for any data
//! law, the conditioned one `p(x_0 | C)` included:
//! `grad log p_t(y | C) = (alpha_t E[X_0 | X_t = y, C] - y) / h_t`, so the reverse
//! samplers draw from `p(x_0 | C)` when the model's denoiser is replaced by
//! `E[X_0 | X_t = y, C]`. [`ConditionedDenoiser`] computes it from the unconditional
//! denoiser `D(y, t) = E[X_0 | X_t = y]`, coordinate by coordinate:
//!
//! - **a known value** `x_0j = c`: `E[X_0j | X_t, C] = c`, exactly;
//! - **a set of categories** `S` of a one-hot block: `P(k | X_t, X_0 in S) = p_k 1[k in S] /
//!   sum_{l in S} p_l`, exactly (Bayes), with `p = D(y, t)` on the block;
//! - **an interval** `[lo, hi]`: the mean of the posterior `N(D_j, v_t)` truncated to
//!   `[lo, hi]`, with `v_t = h_t / (alpha_t^2 + h_t)` the posterior variance of a
//!   unit-variance coordinate. It is exact when the coordinate is Gaussian (the quantile
//!   map makes every numerical coordinate a standard normal), tends to the clipped `D_j` as
//!   `t -> 0`, and at large `t` gives the mean of the coordinate's marginal law on the
//!   interval rather than the end point a plain clip would pull every row to.
//! - **the other coordinates** need `E[X_0,u | X_t = y, X_0,k in C]`, which the
//!   unconditional denoiser does not give. [`ConditionMethod::Posterior`] (the default)
//!   conditions the denoiser's own posterior: `X_0 | X_t = y` is close to `N(D(y),
//!   Sigma(y))` with `Sigma = (h_t / alpha_t) dD/dy` (the second-order Tweedie identity), and
//!   a Gaussian conditioned on its held entries `k` reaching their targets `D_k + r` moves
//!   the others by `Sigma_uk Sigma_kk^{-1} r = J_uk J_kk^{-1} r` (`J = dD/dy`). That
//!   product is measured along one secant, by a second network pass: the held entries of the
//!   state are shifted along `r` (by the shift that would reach the target for an
//!   independent unit-variance coordinate, `r (alpha_t^2 + h_t) / alpha_t`, at most
//!   [`SECANT_MAX_SHIFT`] `sqrt(h_t)` per entry: states of the kind the network was trained
//!   on), the response `delta = D(y + shift) - D(y)` is read, `lambda = <r, delta_k> /
//!   |delta_k|^2` solves `lambda delta_k = r` in least squares, and the other entries move by
//!   `lambda delta_u` (`lambda` in `[0, SECANT_MAX_GAIN x` the full shift's multiple`]`),
//!   one-hot blocks kept probability vectors. For Gaussian data with one held entry this is
//!   exact up to the caps; for a two-component mixture whose components differ in the held
//!   block nearly so (every entry moves with the one responsibility: 2,969 of 3,000 rows in
//!   the right component). [`ConditionMethod::Replacement`] keeps `D_u`: the condition reaches
//!   the other coordinates only through the state, whose held coordinates follow
//!   `alpha_t x_0 + sqrt(h_t) eps` (the replacement, or inpainting, method of Song et al.
//!   2021). It costs one pass instead of two, but it decides the other coordinates while
//!   the held ones are still mostly noise: for `x ~ N(0, [[1, 0.8], [0.8, 1]])` given
//!   `x_1 = 1.5` it drew `x_2` with mean 0.51 against the true 1.2 (the posterior method:
//!   1.19), and on Credit Default the defaulters it drew had a Shape error of 7.7 against
//!   the real defaulters (the posterior method: 1.7; docs/conditional.md).
//!
//! Every sampler runs the conditioned denoiser unchanged, through the score form. The
//! final denoising (Tweedie at `T0`) is the conditioned denoiser itself, so a sampler with
//! `final_denoise` returns known values and category sets exactly (an interval's entry lies
//! inside it).

use scorediff_backend::{Backend, ColumnBlock, DeviceMatrix, Layout};
pub use scorediff_backend::{Choice, Interval, RowCondition};
use serde::{Deserialize, Serialize};

use crate::error::{Result, config_err};
use crate::process::{ForwardProcess, score_coefficients};
use crate::score::{Denoiser, check_output};

/// Replaces the conditioned entries of the denoised record `row` by their conditioned
/// values (see the module documentation); `var` is the posterior variance `v_t`.
fn project(requirement: &RowCondition, row: &mut [f32], var: f64) {
    let sd = var.sqrt();
    for iv in &requirement.intervals {
        let m = f64::from(row[iv.coord]);
        row[iv.coord] = truncated_normal_mean(m, sd, iv.lo, iv.hi) as f32;
    }
    for c in &requirement.choices {
        let block = &mut row[c.block.start..c.block.start + c.block.len];
        restrict_block(block, &c.allowed);
    }
}

/// Which requirement each row of a [`Condition`] has.
#[derive(Debug, Clone, PartialEq)]
enum Rows {
    /// `n` rows, all with requirement 0.
    Same(usize),
    /// Row `i` has requirement `index[i]`.
    Each(Vec<usize>),
}

/// The requirements of the rows to generate (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    width: usize,
    /// Every one-hot block of the records (kept probability vectors by the posterior step).
    blocks: Vec<ColumnBlock>,
    requirements: Vec<RowCondition>,
    rows: Rows,
}

impl Condition {
    /// `n_rows` records of `layout`, each with the same `requirement`.
    pub fn same(layout: &Layout, n_rows: usize, requirement: RowCondition) -> Result<Self> {
        Self::new(layout, vec![requirement], Rows::Same(n_rows))
    }

    /// One record of `layout` per requirement, in order.
    pub fn per_row(layout: &Layout, requirements: Vec<RowCondition>) -> Result<Self> {
        let index = (0..requirements.len()).collect();
        Self::new(layout, requirements, Rows::Each(index))
    }

    fn new(layout: &Layout, requirements: Vec<RowCondition>, rows: Rows) -> Result<Self> {
        for r in &requirements {
            r.check(layout.width)
                .map_err(|e| config_err(format!("condition: {e}")))?;
        }
        Ok(Self {
            width: layout.width,
            blocks: layout.one_hot.clone(),
            requirements,
            rows,
        })
    }

    /// The record width `d`.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        match &self.rows {
            Rows::Same(n) => *n,
            Rows::Each(index) => index.len(),
        }
    }

    /// The requirement of row `i` (`i < n_rows`).
    pub fn row(&self, i: usize) -> &RowCondition {
        match &self.rows {
            Rows::Same(_) => &self.requirements[0],
            Rows::Each(index) => &self.requirements[index[i]],
        }
    }

    /// Rows `start..start + len` as a condition of their own (a sampler batch). The
    /// requirements are shared, not copied.
    pub fn rows(&self, start: usize, len: usize) -> ConditionRows<'_> {
        ConditionRows {
            condition: self,
            start,
            len: len.min(self.n_rows().saturating_sub(start)),
        }
    }
}

/// A run of rows of a [`Condition`] (one sampler batch).
#[derive(Debug, Clone, Copy)]
pub struct ConditionRows<'c> {
    condition: &'c Condition,
    start: usize,
    len: usize,
}

impl ConditionRows<'_> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the run has no row.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Applies each row's requirement to the denoised records `d` (row-major, `len x width`).
    fn project(&self, d: &mut [f32], var: &dyn Fn(usize) -> f64) {
        let w = self.condition.width;
        for (i, row) in d.chunks_exact_mut(w).enumerate().take(self.len) {
            let r = self.condition.row(self.start + i);
            if !r.is_empty() {
                project(r, row, var(i));
            }
        }
    }

    /// Moves each row's held entries of the state `x` towards the state whose denoised
    /// value would be its target, were the entry an independent unit-variance Gaussian:
    /// `x_j + (target_j - denoised_j) (alpha_t^2 + h_t) / alpha_t`, the whole shift scaled
    /// to at most [`SECANT_MAX_SHIFT`] `sqrt(h_t)` per entry. Returns, per row, the factor
    /// by which the shift was scaled down (the gain the posterior step may extrapolate by).
    fn secant_shift(
        &self,
        x: &mut [f32],
        denoised: &[f32],
        target: &[f32],
        coefs: &dyn Fn(usize) -> (f64, f64),
    ) -> Vec<f64> {
        let w = self.condition.width;
        (0..self.len)
            .map(|i| {
                let (alpha, h) = coefs(i);
                let row = self.condition.row(self.start + i);
                let at = |v: &[f32], j: usize| f64::from(v[i * w + j]);
                let largest = row
                    .held()
                    .map(|j| (at(target, j) - at(denoised, j)).abs())
                    .fold(0.0, f64::max);
                let full = (alpha * alpha + h) / alpha;
                let scale = if largest > 0.0 {
                    full.min(SECANT_MAX_SHIFT * h.sqrt() / largest)
                } else {
                    0.0
                };
                for j in row.held() {
                    let r = at(target, j) - at(denoised, j);
                    x[i * w + j] += (r * scale) as f32;
                }
                if scale > 0.0 { full / scale } else { 0.0 }
            })
            .collect()
    }

    /// The posterior step: with `r` the held entries' residual `target - denoised` and
    /// `delta = moved - denoised` the response to the secant shift, the unheld entries move
    /// by `lambda delta`, `lambda = <r, delta_held> / |delta_held|^2` clamped to
    /// `[0, gain SECANT_MAX_GAIN]` (the Gaussian conditioning `J_uk J_kk^{-1} r` along the
    /// secant); then every unheld one-hot block is a probability vector again (negative
    /// entries cut, its total kept).
    fn posterior_step(&self, target: &mut [f32], denoised: &[f32], moved: &[f32], gains: &[f64]) {
        let w = self.condition.width;
        for (i, &gain) in gains.iter().enumerate() {
            let row = self.condition.row(self.start + i);
            if gain == 0.0 {
                continue;
            }
            let base = i * w;
            let delta = |j: usize| f64::from(moved[base + j]) - f64::from(denoised[base + j]);
            let (mut num, mut den) = (0.0, 0.0);
            let mut held = vec![false; w];
            for j in row.held() {
                held[j] = true;
                let r = f64::from(target[base + j]) - f64::from(denoised[base + j]);
                num += r * delta(j);
                den += delta(j) * delta(j);
            }
            if den.is_nan() || den <= 0.0 {
                continue;
            }
            let lambda = (num / den).clamp(0.0, gain * SECANT_MAX_GAIN);
            for j in (0..w).filter(|&j| !held[j]) {
                target[base + j] = (f64::from(target[base + j]) + lambda * delta(j)) as f32;
            }
            for block in &self.condition.blocks {
                let b = &mut target[base + block.start..base + block.start + block.len];
                if !held[block.start] {
                    let total: f64 = denoised[base + block.start..base + block.start + block.len]
                        .iter()
                        .map(|&p| f64::from(p))
                        .sum();
                    renormalise(b, total);
                }
            }
        }
    }
}

/// `block` with negative entries cut to 0 and the rest scaled to sum to `total` (left as is
/// when nothing positive is left).
fn renormalise(block: &mut [f32], total: f64) {
    let positive: f64 = block.iter().map(|&p| f64::from(p.max(0.0))).sum();
    if positive > 0.0 && positive.is_finite() && total > 0.0 {
        for p in block.iter_mut() {
            *p = (f64::from(p.max(0.0)) * total / positive) as f32;
        }
    }
}

/// The posterior variance `v_t = h_t / (alpha_t^2 + h_t)` of a unit-variance coordinate
/// given `X_t` (Gaussian data).
pub fn posterior_variance(alpha_t: f64, h_t: f64) -> f64 {
    h_t / (alpha_t * alpha_t + h_t)
}

/// How the coordinates a condition does not hold learn of it (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionMethod {
    /// Only through the state: the unconditional denoiser's value, one network pass.
    Replacement,
    /// The denoiser's Gaussian posterior conditioned on the held entries, measured along
    /// one secant: two network passes. The default.
    #[default]
    Posterior,
}

/// Largest shift of a held entry of the state for the secant pass, in units of the noise's
/// standard deviation `sqrt(h_t)`: the network is asked about states it was trained on.
pub const SECANT_MAX_SHIFT: f64 = 1.0;

/// Largest multiple of the full independent-Gaussian shift (the secant's shift times its
/// `gain`) that the posterior step extrapolates the secant's response to. A held entry that
/// the other entries predict moves less with its own state than an independent one, so the
/// step must reach past the full shift (Credit Default, `default payment next month=1`: a cap
/// of 1 left the Shape error against the real defaulters at 4.5; 8 and no cap gave 1.7).
pub const SECANT_MAX_GAIN: f64 = 8.0;

/// The denoiser of the conditioned law (see the module documentation): the unconditional
/// denoiser's output, each row moved to its requirement.
#[derive(Debug, Clone, Copy)]
pub struct ConditionedDenoiser<'c, P, D> {
    process: P,
    denoiser: D,
    rows: ConditionRows<'c>,
    method: ConditionMethod,
}

impl<'c, P: ForwardProcess, D> ConditionedDenoiser<'c, P, D> {
    /// Conditions `denoiser` (of data under `process`) on `rows` by `method`.
    pub fn new(process: P, denoiser: D, rows: ConditionRows<'c>, method: ConditionMethod) -> Self {
        Self {
            process,
            denoiser,
            rows,
            method,
        }
    }

    fn check_rows(&self, x: &impl DeviceMatrix) -> Result<()> {
        let width = self.rows.condition.width();
        if x.rows() != self.rows.len() || x.cols() != width {
            return Err(crate::error::shape_err(format!(
                "a condition of {} rows of width {width} cannot hold a {}x{} batch",
                self.rows.len(),
                x.rows(),
                x.cols()
            )));
        }
        Ok(())
    }

    /// The conditioned records from the unconditional denoiser's `out` at state `x`, with
    /// `coefs(i) = (alpha_t, h_t)` of row `i`'s time; `again` evaluates the denoiser at
    /// another state (the posterior method's secant pass).
    fn condition<B: Backend>(
        &self,
        backend: &B,
        x: &B::Matrix,
        out: B::Matrix,
        coefs: &dyn Fn(usize) -> (f64, f64),
        again: &dyn Fn(&B::Matrix) -> Result<B::Matrix>,
    ) -> Result<B::Matrix> {
        let (rows, cols) = out.shape();
        let denoised = backend.to_host(&out)?;
        let mut target = denoised.clone();
        self.rows.project(&mut target, &|i| {
            let (alpha, h) = coefs(i);
            posterior_variance(alpha, h)
        });
        if self.method == ConditionMethod::Posterior && target != denoised {
            let mut shifted = backend.to_host(x)?;
            let gains = self
                .rows
                .secant_shift(&mut shifted, &denoised, &target, coefs);
            let moved = again(&backend.from_host(rows, cols, &shifted)?)?;
            check_output("denoiser", &moved, x)?;
            let moved = backend.to_host(&moved)?;
            self.rows
                .posterior_step(&mut target, &denoised, &moved, &gains);
        }
        Ok(backend.from_host(rows, cols, &target)?)
    }
}

impl<B: Backend, P: ForwardProcess, D: Denoiser<B>> Denoiser<B> for ConditionedDenoiser<'_, P, D> {
    fn denoise(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
        self.check_rows(x)?;
        let out = self.denoiser.denoise(backend, x, t)?;
        check_output("denoiser", &out, x)?;
        let coefs = backend
            .to_host(t)?
            .iter()
            .map(|&t| score_coefficients(&self.process, f64::from(t)))
            .collect::<Result<Vec<(f64, f64)>>>()?;
        self.condition(backend, x, out, &|i| coefs[i], &|moved| {
            self.denoiser.denoise(backend, moved, t)
        })
    }

    fn denoise_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix> {
        self.check_rows(x)?;
        let out = self.denoiser.denoise_at(backend, x, t)?;
        check_output("denoiser", &out, x)?;
        let coefs = score_coefficients(&self.process, f64::from(t as f32))?;
        self.condition(backend, x, out, &|_| coefs, &|moved| {
            self.denoiser.denoise_at(backend, moved, t)
        })
    }
}

/// The entries of a one-hot block's class probabilities outside `allowed` set to 0 and the
/// rest scaled to keep the block's total (the softmax's scale); when no allowed entry has
/// weight, the total spread evenly over them.
fn restrict_block(block: &mut [f32], allowed: &[bool]) {
    let total: f64 = block.iter().map(|&p| f64::from(p.max(0.0))).sum();
    let kept: f64 = block
        .iter()
        .zip(allowed)
        .filter(|&(_, &a)| a)
        .map(|(&p, _)| f64::from(p.max(0.0)))
        .sum();
    let n_allowed = allowed.iter().filter(|&&a| a).count() as f64;
    let total = if total > 0.0 && total.is_finite() {
        total
    } else {
        1.0
    };
    for (p, &a) in block.iter_mut().zip(allowed) {
        *p = if !a {
            0.0
        } else if kept > 0.0 && kept.is_finite() {
            (f64::from(p.max(0.0)) * total / kept) as f32
        } else {
            (total / n_allowed) as f32
        };
    }
}

/// `E[Z | lo <= Z <= hi]` for `Z ~ N(m, sd^2)`: `m + sd (phi(a) - phi(b)) / (Phi(b) -
/// Phi(a))` with `a = (lo - m) / sd`, `b = (hi - m) / sd`, computed on the side of the
/// mode's tail that keeps it accurate; `lo = hi` (or `sd = 0`) gives the known value (or the
/// clipped `m`).
pub fn truncated_normal_mean(m: f64, sd: f64, lo: f64, hi: f64) -> f64 {
    if lo == hi {
        return lo;
    }
    if sd.is_nan() || sd <= 0.0 || !m.is_finite() {
        return m.clamp(lo, hi);
    }
    let (a, b) = ((lo - m) / sd, (hi - m) / sd);
    // Both ends in the upper tail: mirror, so the ratio is taken where it is accurate.
    let mean = if a > 0.0 {
        m + sd * upper_tail_ratio(a, b)
    } else if b < 0.0 {
        m - sd * upper_tail_ratio(-b, -a)
    } else {
        let mass = normal_cdf(b) - normal_cdf(a);
        m + sd * (normal_pdf(a) - normal_pdf(b)) / mass
    };
    // Rounding can only leave the interval by a hair; never outside it.
    mean.clamp(lo, hi)
}

/// `(phi(a) - phi(b)) / (Q(a) - Q(b))` for `0 <= a < b <= inf`, `Q = 1 - Phi`, through the
/// scaled tail `Q(x) = phi(x) R(x)` (Mills ratio `R`): with `r = phi(b) / phi(a) =
/// exp((a^2 - b^2) / 2)` it is `(1 - r) / (R(a) - r R(b))`, free of the underflow of
/// `Q(a) - Q(b)` far in the tail.
fn upper_tail_ratio(a: f64, b: f64) -> f64 {
    let r = if b.is_finite() {
        ((a - b) * (a + b) / 2.0).exp()
    } else {
        0.0
    };
    let rb = if b.is_finite() { mills_ratio(b) } else { 0.0 };
    (1.0 - r) / (mills_ratio(a) - r * rb)
}

/// The Mills ratio `R(x) = Q(x) / phi(x)` for `x >= 0`: `erfc` where it is accurate, the
/// continued fraction of Laplace beyond.
fn mills_ratio(x: f64) -> f64 {
    if x < 5.0 {
        0.5 * libm::erfc(x * std::f64::consts::FRAC_1_SQRT_2) / normal_pdf(x)
    } else {
        // R(x) = 1 / (x + 1 / (x + 2 / (x + 3 / (x + ...)))), 40 terms: converged to double
        // precision for x >= 5.
        let mut tail = 0.0;
        for k in (1..=40).rev() {
            tail = f64::from(k) / (x + tail);
        }
        1.0 / (x + tail)
    }
}

fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The truncated mean by quadrature of the density on the interval.
    fn quadrature_mean(m: f64, sd: f64, lo: f64, hi: f64) -> f64 {
        let (lo, hi) = (lo.max(m - 40.0 * sd), hi.min(m + 40.0 * sd));
        let n = 200_000;
        let (mut w, mut wx) = (0.0, 0.0);
        for k in 0..n {
            let x = lo + (hi - lo) * (k as f64 + 0.5) / n as f64;
            let z = (x - m) / sd;
            let p = (-0.5 * z * z).exp();
            w += p;
            wx += p * x;
        }
        wx / w
    }

    #[test]
    fn truncated_mean_matches_quadrature_in_the_body_and_both_tails() {
        let cases = [
            (0.0, 1.0, -1.0, 2.0),
            (0.3, 0.5, 2.0, 2.8),
            (0.0, 1.0, 6.0, 7.0),
            (0.0, 1.0, -9.0, -8.5),
            (1.0, 0.05, -0.2, 0.1),
            (0.0, 1.0, 3.0, f64::INFINITY),
            (0.0, 2.0, f64::NEG_INFINITY, -1.0),
        ];
        for (m, sd, lo, hi) in cases {
            let got = truncated_normal_mean(m, sd, lo, hi);
            let want = quadrature_mean(m, sd, lo, hi);
            assert!(
                (got - want).abs() < 1e-6 * (1.0 + want.abs()),
                "N({m}, {sd}^2) on [{lo}, {hi}]: {got} against {want}"
            );
            assert!(lo <= got && got <= hi);
        }
    }

    #[test]
    fn truncated_mean_far_in_the_tail_tends_to_the_near_end() {
        // 40 standard deviations away: the mean sits at lo + sd^2 / (lo - m) to first order.
        let got = truncated_normal_mean(0.0, 1.0, 40.0, 41.0);
        assert!((got - (40.0 + 1.0 / 40.0)).abs() < 1e-3, "{got}");
        assert_eq!(truncated_normal_mean(5.0, 0.0, 0.0, 1.0), 1.0);
        assert_eq!(truncated_normal_mean(5.0, 1.0, 2.0, 2.0), 2.0);
    }

    #[test]
    fn restricted_block_keeps_its_total_on_the_allowed_entries() {
        let mut p = [0.2f32, 0.5, 0.3];
        restrict_block(&mut p, &[true, false, true]);
        assert_eq!(p[1], 0.0);
        assert!(
            (p[0] - 0.4).abs() < 1e-6 && (p[2] - 0.6).abs() < 1e-6,
            "{p:?}"
        );
        let mut q = [0.0f32, 1.0, 0.0];
        restrict_block(&mut q, &[true, false, true]);
        assert_eq!(q, [0.5, 0.0, 0.5]);
    }

    #[test]
    fn bad_requirements_are_refused() {
        let block = ColumnBlock::new(1, 2);
        let twice = RowCondition {
            intervals: vec![Interval::known(1, 0.0)],
            choices: vec![Choice {
                block,
                allowed: vec![true, false],
            }],
        };
        let layout = Layout::new(3, vec![block]).unwrap();
        assert!(Condition::same(&layout, 1, twice).is_err());
        let outside = RowCondition {
            intervals: vec![Interval::known(3, 0.0)],
            ..RowCondition::default()
        };
        assert!(Condition::same(&layout, 1, outside).is_err());
        let reversed = RowCondition {
            intervals: vec![Interval {
                coord: 0,
                lo: 1.0,
                hi: 0.0,
            }],
            ..RowCondition::default()
        };
        assert!(Condition::same(&layout, 1, reversed).is_err());
        let none_allowed = RowCondition {
            choices: vec![Choice {
                block,
                allowed: vec![false, false],
            }],
            ..RowCondition::default()
        };
        assert!(Condition::same(&layout, 1, none_allowed).is_err());
    }
}
