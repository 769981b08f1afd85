//! Kernel regression at gradient-descent time `k` (DESIGN.md §1).
//!
//! Gradient descent with step `eta` on `L(f) = 1/(2N) ||f(Z) - Y||^2` over the kernel's
//! function space, started at `f_0`, gives after `k` steps
//! `f_k(z) = f_0(z) + k(z, Z) V diag((1 - (1 - eta lambda_i / N)^k) / lambda_i) V^T (Y - f_0(Z))`
//! with `K = V diag(lambda) V^T`. Every estimator here is a spectral filter `h(lambda)`:
//! on the training inputs `f(Z) = f_0(Z) + V diag(h) V^T (Y - f_0(Z))`, elsewhere
//! `f(z) = f_0(z) + k(z, Z) V diag(h / lambda) V^T (Y - f_0(Z))`. One symmetric
//! eigendecomposition (faer, `f64`, `O(N^3)`) makes every `k` cost `O(N d)` on the
//! training set and `O(M N d)` on `M` test inputs. Vector labels (`N x d`) use the
//! separable kernel `K ⊗ I_d`: the same filter on every column.

use crate::error::{NtkError, Result, invalid, shape};
use faer::{Mat, Side};
use serde::{Deserialize, Serialize};

/// A spectral filter: which estimator to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum SpectralFilter {
    /// `k` steps of gradient descent: `h = 1 - (1 - eta lambda / N)^k`.
    GdSteps(u64),
    /// Gradient flow for time `tau = eta k`: `h = 1 - exp(-tau lambda / N)`.
    Flow(f64),
    /// Kernel ridge regression minimising `1/(2N) ||f - Y||^2 + (mu / 2) ||f - f_0||_H^2`:
    /// `h = lambda / (lambda + N mu)`.
    Ridge(f64),
    /// The minimum-norm interpolant (`k -> infinity`): `h = 1` for eigenvalues above the
    /// cutoff `rcond * lambda_max`, `0` below (a pseudo-inverse).
    Interpolate,
}

/// One point of an error curve along gradient-descent steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// The step `k`.
    pub step: u64,
    /// Mean squared training error `||f_k(Z) - Y||^2 / (N d)`.
    pub train_mse: f64,
    /// Mean squared test error against the test targets, when they were given.
    pub test_mse: Option<f64>,
}

/// Predictions of a fitted [`KernelRegression`].
#[derive(Debug, Clone)]
pub struct Prediction {
    /// `f(Z)` on the training inputs (`N x d`).
    pub train: Mat<f64>,
    /// `f(Z*)` on the attached test inputs (`M x d`), when a test set was attached.
    pub test: Option<Mat<f64>>,
}

#[derive(Debug, Clone)]
struct TestSet {
    /// `K* V` (`M x N`).
    kv: Mat<f64>,
    /// `f_0(Z*)` (`M x d`).
    f0: Mat<f64>,
    /// Targets on the test inputs (`M x d`), for test errors.
    targets: Option<Mat<f64>>,
}

/// Kernel regression fitted once (eigendecomposition of the Gram matrix) and evaluated
/// cheaply along gradient-descent time, flow time, ridge penalty or at interpolation.
#[derive(Debug, Clone)]
pub struct KernelRegression {
    eta: f64,
    rcond: f64,
    /// Eigenvalues of `K` (ascending, negatives from round-off clamped to 0).
    lambda: Vec<f64>,
    /// Eigenvectors `V` (`N x N`).
    v: Mat<f64>,
    /// `V^T (Y - f_0(Z))` (`N x d`).
    coef: Mat<f64>,
    f0: Mat<f64>,
    y: Mat<f64>,
    test: Option<TestSet>,
}

/// The default relative eigenvalue cutoff of [`SpectralFilter::Interpolate`] for `N`
/// records: `N * 2^-23` (the `f32` machine epsilon), since Gram matrices built on a device
/// carry `f32` round-off and eigenvalues below that fraction of `lambda_max` are noise.
pub fn default_rcond(n: usize) -> f64 {
    n.max(1) as f64 * f64::from(f32::EPSILON)
}

impl KernelRegression {
    /// Fits the regression on a symmetric Gram matrix `K` (`N x N`), labels `Y` (`N x d`)
    /// and the starting predictions `f_0(Z)` (`None` means `f_0 = 0`), for gradient descent
    /// with step `eta` on the `1/(2N)` loss.
    pub fn fit(gram: &Mat<f64>, y: &Mat<f64>, f0: Option<&Mat<f64>>, eta: f64) -> Result<Self> {
        let n = gram.nrows();
        if gram.ncols() != n || y.nrows() != n {
            return Err(shape(format!(
                "Gram {}x{} with labels {}x{}",
                gram.nrows(),
                gram.ncols(),
                y.nrows(),
                y.ncols()
            )));
        }
        if !(eta.is_finite() && eta > 0.0) {
            return Err(invalid(format!("step size must be > 0, got {eta}")));
        }
        let f0 = match f0 {
            Some(f) if f.nrows() == n && f.ncols() == y.ncols() => f.clone(),
            Some(f) => {
                return Err(shape(format!(
                    "f0 is {}x{}, labels {n}x{}",
                    f.nrows(),
                    f.ncols(),
                    y.ncols()
                )));
            }
            None => Mat::zeros(n, y.ncols()),
        };
        let evd = gram
            .self_adjoint_eigen(Side::Lower)
            .map_err(|e| NtkError::LinearAlgebra(format!("{e:?}")))?;
        let lambda: Vec<f64> = (0..n).map(|i| evd.S()[i].max(0.0)).collect();
        let v = evd.U().to_owned();
        let resid = y - &f0;
        let coef = v.transpose() * &resid;
        Ok(Self {
            eta,
            rcond: default_rcond(n),
            lambda,
            v,
            coef,
            f0,
            y: y.clone(),
            test: None,
        })
    }

    /// Attaches test inputs through their cross-Gram matrix `k(Z*, Z)` (`M x N`), their
    /// starting predictions `f_0(Z*)` (`None` = 0) and optional targets (`M x d`) for test
    /// errors. Costs one `M x N x N` product.
    pub fn attach_test(
        &mut self,
        cross: &Mat<f64>,
        f0: Option<&Mat<f64>>,
        targets: Option<&Mat<f64>>,
    ) -> Result<()> {
        let (m, n, d) = (cross.nrows(), self.n(), self.d());
        if cross.ncols() != n {
            return Err(shape(format!(
                "cross-Gram has {} columns for {n} records",
                cross.ncols()
            )));
        }
        let check = |x: &Mat<f64>, what: &str| {
            if x.nrows() != m || x.ncols() != d {
                Err(shape(format!(
                    "{what} is {}x{}, expected {m}x{d}",
                    x.nrows(),
                    x.ncols()
                )))
            } else {
                Ok(x.clone())
            }
        };
        let f0 = match f0 {
            Some(f) => check(f, "test f0")?,
            None => Mat::zeros(m, d),
        };
        let targets = targets.map(|t| check(t, "test targets")).transpose()?;
        self.test = Some(TestSet {
            kv: cross * &self.v,
            f0,
            targets,
        });
        Ok(())
    }

    /// Sets the relative eigenvalue cutoff of [`SpectralFilter::Interpolate`]
    /// (default [`default_rcond`]).
    pub fn set_rcond(&mut self, rcond: f64) {
        self.rcond = rcond.max(0.0);
    }

    /// Number of training records `N`.
    pub fn n(&self) -> usize {
        self.lambda.len()
    }

    /// Output dimension `d`.
    pub fn d(&self) -> usize {
        self.coef.ncols()
    }

    /// The step size `eta`.
    pub fn eta(&self) -> f64 {
        self.eta
    }

    /// Eigenvalues of `K / N` in decreasing order (the `lambda_hat_i` of the stopping rule).
    pub fn eigenvalues_over_n(&self) -> Vec<f64> {
        let n = self.n().max(1) as f64;
        self.lambda.iter().rev().map(|l| l / n).collect()
    }

    /// The largest step for which gradient descent is stable, `2 N / lambda_max`
    /// (`|1 - eta lambda / N| < 1` for every eigenvalue).
    pub fn max_stable_eta(&self) -> f64 {
        let lmax = self.lambda.last().copied().unwrap_or(0.0);
        if lmax > 0.0 {
            2.0 * self.n() as f64 / lmax
        } else {
            f64::INFINITY
        }
    }

    /// `(h(lambda), h(lambda) / lambda)` of a filter at one eigenvalue.
    fn filter_weights(&self, filter: SpectralFilter, lambda: f64, lmax: f64) -> (f64, f64) {
        let n = self.n() as f64;
        match filter {
            SpectralFilter::GdSteps(k) => {
                let h = gd_filter(self.eta * lambda / n, k);
                let r = if lambda > 0.0 {
                    h / lambda
                } else {
                    self.eta * k as f64 / n
                };
                (h, r)
            }
            SpectralFilter::Flow(tau) => {
                let h = -(-tau * lambda / n).exp_m1();
                let r = if lambda > 0.0 { h / lambda } else { tau / n };
                (h, r)
            }
            SpectralFilter::Ridge(mu) => {
                let den = lambda + n * mu;
                if den > 0.0 {
                    (lambda / den, 1.0 / den)
                } else {
                    (0.0, 0.0)
                }
            }
            SpectralFilter::Interpolate => {
                if lambda > self.rcond * lmax && lambda > 0.0 {
                    (1.0, 1.0 / lambda)
                } else {
                    (0.0, 0.0)
                }
            }
        }
    }

    fn validate(&self, filter: SpectralFilter) -> Result<()> {
        match filter {
            SpectralFilter::Flow(t) if !(t.is_finite() && t >= 0.0) => {
                Err(invalid(format!("flow time must be >= 0, got {t}")))
            }
            SpectralFilter::Ridge(mu) if !(mu.is_finite() && mu >= 0.0) => {
                Err(invalid(format!("ridge penalty must be >= 0, got {mu}")))
            }
            _ => Ok(()),
        }
    }

    /// Predictions of an estimator on the training inputs and (if attached) the test inputs.
    pub fn predict(&self, filter: SpectralFilter) -> Result<Prediction> {
        self.validate(filter)?;
        let (h, r) = self.weights(filter);
        let scaled = |w: &[f64]| Mat::from_fn(self.n(), self.d(), |i, j| w[i] * self.coef[(i, j)]);
        let train = &self.f0 + &self.v * scaled(&h);
        let test = self.test.as_ref().map(|t| &t.f0 + &t.kv * scaled(&r));
        Ok(Prediction { train, test })
    }

    fn weights(&self, filter: SpectralFilter) -> (Vec<f64>, Vec<f64>) {
        let lmax = self.lambda.last().copied().unwrap_or(0.0);
        self.lambda
            .iter()
            .map(|&l| self.filter_weights(filter, l, lmax))
            .unzip()
    }

    /// Prediction after `k` gradient-descent steps (DESIGN.md §1).
    pub fn predict_at_step(&self, k: u64) -> Result<Prediction> {
        self.predict(SpectralFilter::GdSteps(k))
    }

    /// Prediction of gradient flow at time `tau = eta k` (DESIGN.md §1, continuous form).
    pub fn predict_flow(&self, tau: f64) -> Result<Prediction> {
        self.predict(SpectralFilter::Flow(tau))
    }

    /// The minimum-norm interpolant (training to convergence), with the eigenvalue cutoff
    /// of [`KernelRegression::set_rcond`].
    pub fn predict_infinite(&self) -> Result<Prediction> {
        self.predict(SpectralFilter::Interpolate)
    }

    /// Kernel ridge regression with penalty `mu` (see [`SpectralFilter::Ridge`]).
    pub fn ridge(&self, mu: f64) -> Result<Prediction> {
        self.predict(SpectralFilter::Ridge(mu))
    }

    /// The dual coefficients `alpha = V diag(h / lambda) V^T (Y - f_0(Z))` (`N x d`) of a
    /// filter, so that `f(z) = f_0(z) + k(z, Z) alpha` at any new input `z` (e.g. inside a
    /// sampler, where the inputs are not known in advance).
    pub fn dual_coefficients(&self, filter: SpectralFilter) -> Result<Mat<f64>> {
        self.validate(filter)?;
        let (_, r) = self.weights(filter);
        let scaled = Mat::from_fn(self.n(), self.d(), |i, j| r[i] * self.coef[(i, j)]);
        Ok(&self.v * scaled)
    }

    /// Mean squared training error of a filter, in `O(N d)` (eigenbasis, no prediction).
    pub fn train_mse(&self, filter: SpectralFilter) -> Result<f64> {
        self.validate(filter)?;
        let (h, _) = self.weights(filter);
        let mut s = 0.0;
        for (i, hi) in h.iter().enumerate() {
            let g = (1.0 - hi) * (1.0 - hi);
            for j in 0..self.d() {
                s += g * self.coef[(i, j)] * self.coef[(i, j)];
            }
        }
        Ok(s / (self.n() * self.d()).max(1) as f64)
    }

    /// Mean squared test error of a filter against the attached targets, if any.
    pub fn test_mse(&self, filter: SpectralFilter) -> Result<Option<f64>> {
        let Some(t) = &self.test else { return Ok(None) };
        let Some(targets) = &t.targets else {
            return Ok(None);
        };
        let pred = self.predict(filter)?;
        let Some(test) = pred.test else {
            return Ok(None);
        };
        Ok(Some(mse(&test, targets)))
    }

    /// Training and test errors along a list of gradient-descent steps (a cheap curve).
    pub fn curve(&self, steps: &[u64]) -> Result<Vec<CurvePoint>> {
        steps
            .iter()
            .map(|&k| {
                let f = SpectralFilter::GdSteps(k);
                Ok(CurvePoint {
                    step: k,
                    train_mse: self.train_mse(f)?,
                    test_mse: self.test_mse(f)?,
                })
            })
            .collect()
    }

    /// The RKHS norm of the fitted increment `f - f_0`, per output coordinate (root mean
    /// over the `d` coordinates): `sqrt(sum_i (h_i^2 / lambda_i) |a_i|^2 / d)` with
    /// `a = V^T (Y - f_0(Z))`. Eigenvalues at 0 carry no norm (their `h` is 0 for ridge and
    /// interpolation; for GD their weight is bounded by `h / lambda <= eta k / N`).
    pub fn rkhs_norm(&self, filter: SpectralFilter) -> Result<f64> {
        self.validate(filter)?;
        let (h, r) = self.weights(filter);
        let mut s = 0.0;
        for i in 0..self.n() {
            let w = h[i] * r[i];
            for j in 0..self.d() {
                s += w * self.coef[(i, j)] * self.coef[(i, j)];
            }
        }
        Ok((s / self.d().max(1) as f64).sqrt())
    }

    /// The training labels `Y`.
    pub fn labels(&self) -> &Mat<f64> {
        &self.y
    }
}

/// `1 - (1 - x)^k`, accurate for small `x` (via `expm1`/`ln1p` when `0 <= x < 1`); for
/// `x >= 1` (a step beyond `N / lambda`) the literal power, which oscillates and diverges
/// past `x = 2` exactly as gradient descent does.
pub fn gd_filter(x: f64, k: u64) -> f64 {
    if k == 0 {
        return 0.0;
    }
    if (0.0..1.0).contains(&x) {
        -((k as f64) * (-x).ln_1p()).exp_m1()
    } else {
        let base = 1.0 - x;
        let mag = base.abs().powf(k as f64);
        let sign = if base < 0.0 && k % 2 == 1 { -1.0 } else { 1.0 };
        1.0 - sign * mag
    }
}

/// Mean squared difference of two equally shaped matrices.
pub fn mse(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    let (r, c) = (a.nrows(), a.ncols());
    let mut s = 0.0;
    for j in 0..c {
        for i in 0..r {
            let e = a[(i, j)] - b[(i, j)];
            s += e * e;
        }
    }
    s / (r * c).max(1) as f64
}

/// Kernel ridge coefficients by conjugate gradients, for `N` too large for the `O(N^3)`
/// eigendecomposition: solves `(K + N mu I) alpha = Y - f_0(Z)` column by column (each
/// iteration one `N x N x d` product); predictions are `f_0(z) + k(z, Z) alpha`. Stops when
/// every column's residual norm is below `tol` times its right-hand side norm, or after
/// `max_iter` iterations. Returns `alpha` and the iterations used.
pub fn ridge_cg(
    gram: &Mat<f64>,
    rhs: &Mat<f64>,
    mu: f64,
    tol: f64,
    max_iter: usize,
) -> Result<(Mat<f64>, usize)> {
    let n = gram.nrows();
    if gram.ncols() != n || rhs.nrows() != n {
        return Err(shape(format!(
            "Gram {n}x{} with right-hand side {}x{}",
            gram.ncols(),
            rhs.nrows(),
            rhs.ncols()
        )));
    }
    if !(mu.is_finite() && mu > 0.0) {
        return Err(invalid(format!("ridge_cg needs mu > 0, got {mu}")));
    }
    let shift = n as f64 * mu;
    let apply = |x: &Mat<f64>| gram * x + x * faer::Scale(shift);
    let d = rhs.ncols();
    let mut x = Mat::<f64>::zeros(n, d);
    let mut r = rhs.clone();
    let mut p = r.clone();
    let col_dot = |a: &Mat<f64>, b: &Mat<f64>, j: usize| a.col(j).transpose() * b.col(j);
    let mut rr: Vec<f64> = (0..d).map(|j| col_dot(&r, &r, j)).collect();
    let target: Vec<f64> = rr.iter().map(|v| tol * tol * v).collect();
    for it in 0..max_iter {
        if rr.iter().zip(&target).all(|(a, t)| a <= t) {
            return Ok((x, it));
        }
        let ap = apply(&p);
        for j in 0..d {
            let pap = col_dot(&p, &ap, j);
            if pap <= 0.0 || rr[j] == 0.0 {
                continue;
            }
            let alpha = rr[j] / pap;
            for i in 0..n {
                x[(i, j)] += alpha * p[(i, j)];
                r[(i, j)] -= alpha * ap[(i, j)];
            }
            let rr_new = col_dot(&r, &r, j);
            let beta = rr_new / rr[j];
            for i in 0..n {
                p[(i, j)] = r[(i, j)] + beta * p[(i, j)];
            }
            rr[j] = rr_new;
        }
    }
    Ok((x, max_iter))
}

/// Nyström approximation of the leading eigenvalues of `K / N` from `M` landmarks:
/// `K ~ K_NM K_MM^+ K_MN`, whose non-zero eigenvalues are those of
/// `S^{-1/2} U^T K_MN K_NM U S^{-1/2}` (`K_MM = U S U^T`, eigenvalues below
/// `rcond * s_max` dropped). Costs `O(N M^2)`; returns `M` values or fewer, decreasing,
/// with the remaining `N - M` eigenvalues implicitly 0 (so it underestimates the tail of
/// the spectrum and hence the local complexity at small radii).
pub fn nystrom_eigenvalues_over_n(
    k_nm: &Mat<f64>,
    k_mm: &Mat<f64>,
    rcond: f64,
) -> Result<Vec<f64>> {
    let (n, m) = (k_nm.nrows(), k_nm.ncols());
    if k_mm.nrows() != m || k_mm.ncols() != m {
        return Err(shape(format!(
            "K_NM {n}x{m} with K_MM {}x{}",
            k_mm.nrows(),
            k_mm.ncols()
        )));
    }
    let evd = k_mm
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| NtkError::LinearAlgebra(format!("{e:?}")))?;
    let s: Vec<f64> = (0..m).map(|i| evd.S()[i]).collect();
    let smax = s.iter().cloned().fold(0.0, f64::max);
    let keep: Vec<usize> = (0..m)
        .filter(|&i| s[i] > rcond * smax && s[i] > 0.0)
        .collect();
    let u = evd.U();
    let proj = Mat::from_fn(m, keep.len(), |i, j| u[(i, keep[j])] / s[keep[j]].sqrt());
    let t = k_nm * &proj;
    let small = t.transpose() * &t;
    let mut ev = small
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| NtkError::LinearAlgebra(format!("{e:?}")))?;
    ev.iter_mut()
        .for_each(|v| *v = v.max(0.0) / n.max(1) as f64);
    ev.reverse();
    Ok(ev)
}
