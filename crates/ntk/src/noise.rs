//! Estimators of the label-noise level `sigma` the stopping rule needs (DESIGN.md §1:
//! "estimate it from held-out data; document the estimator").
//!
//! In the score-matching regression the label noise is `eps = X_0 - E[X_0 | X_t]`; its
//! per-coordinate standard deviation is what the rule calls `sigma`. Both estimators fit
//! kernel ridge regression (the best-regularised kernel fit is the closest thing to
//! `E[X_0 | X_t]` the kernel can express) and read `sigma` off its residuals:
//! - [`sigma_holdout_ridge`]: the penalty minimising the held-out error, and
//!   `sigma^2 = held-out MSE` at that penalty. The held-out MSE is `sigma^2` plus the fit's
//!   own error, so it overestimates `sigma` (conservatively: a larger `sigma` stops earlier).
//! - [`sigma_gcv`]: generalised cross-validation on the training records (no hold-out),
//!   `sigma^2 = RSS / (d (N - tr S))` at the GCV penalty, with `S = K (K + N mu I)^{-1}` the
//!   smoother (the classical degrees-of-freedom-corrected residual variance).

use crate::error::{Result, invalid, shape};
use crate::regression::{KernelRegression, SpectralFilter};
use crate::stopping::SigmaEstimator;
use faer::Mat;
use serde::{Deserialize, Serialize};

/// An estimate of the noise level with the penalty it was read at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigmaEstimate {
    /// The estimated per-coordinate noise standard deviation.
    pub sigma: f64,
    /// The selected ridge penalty `mu`.
    pub mu: f64,
    /// `(mu, score)` for every penalty tried (held-out MSE or GCV score).
    pub scores: Vec<(f64, f64)>,
}

/// The default penalty grid: 37 values `mu = 10^{-8} .. 10^{1}`, four per decade.
pub fn default_mu_grid() -> Vec<f64> {
    (0..=36)
        .map(|i| 10f64.powf(-8.0 + 0.25 * i as f64))
        .collect()
}

/// `sigma` from the held-out residual of kernel ridge regression: fit on the training
/// records (`k_train` `N x N`, labels `N x d`), score every penalty in `mus` on the
/// held-out records (`k_hold` = `k(Z_hold, Z_train)`, labels `y_hold`), return the root of
/// the smallest held-out MSE.
pub fn sigma_holdout_ridge(
    k_train: &Mat<f64>,
    y_train: &Mat<f64>,
    k_hold: &Mat<f64>,
    y_hold: &Mat<f64>,
    mus: &[f64],
) -> Result<SigmaEstimate> {
    if mus.is_empty() {
        return Err(invalid("empty penalty grid"));
    }
    let mut kr = KernelRegression::fit(k_train, y_train, None, 1.0)?;
    kr.attach_test(k_hold, None, Some(y_hold))?;
    let mut scores = Vec::with_capacity(mus.len());
    for &mu in mus {
        let mse = kr
            .test_mse(SpectralFilter::Ridge(mu))?
            .ok_or_else(|| invalid("no hold-out targets"))?;
        scores.push((mu, mse));
    }
    best(scores, |s| s)
}

/// `sigma` by generalised cross-validation on one set of records (`gram` `N x N`,
/// labels `N x d`): for each penalty `mu`, `GCV = (RSS / (N d)) / (1 - tr S / N)^2`; at the
/// minimiser, `sigma^2 = RSS / (d (N - tr S))`.
pub fn sigma_gcv(gram: &Mat<f64>, y: &Mat<f64>, mus: &[f64]) -> Result<SigmaEstimate> {
    if mus.is_empty() {
        return Err(invalid("empty penalty grid"));
    }
    let n = gram.nrows() as f64;
    let d = y.ncols().max(1) as f64;
    let kr = KernelRegression::fit(gram, y, None, 1.0)?;
    let eig: Vec<f64> = kr.eigenvalues_over_n().iter().map(|l| l * n).collect();
    let mut scores = Vec::with_capacity(mus.len());
    let mut sig2 = Vec::with_capacity(mus.len());
    for &mu in mus {
        let rss = kr.train_mse(SpectralFilter::Ridge(mu))? * n * d;
        let tr: f64 = eig.iter().map(|&l| l / (l + n * mu)).sum();
        let dof = (n - tr).max(1e-12);
        scores.push((mu, rss / (n * d) / (dof / n).powi(2)));
        sig2.push(rss / (d * dof));
    }
    let (i, _) = scores
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
        .ok_or_else(|| invalid("empty penalty grid"))?;
    Ok(SigmaEstimate {
        sigma: sig2[i].sqrt(),
        mu: scores[i].0,
        scores,
    })
}

/// Runs the estimator a [`SigmaEstimator`] names on the Gram matrix of all records and
/// their labels. The hold-out split is deterministic and strided (record `i` is held out
/// when `floor((i+1) f) > floor(i f)` for the fraction `f`), which is a uniform split for
/// records drawn i.i.d. (each training record has a fresh time and noise).
pub fn estimate_sigma(
    estimator: &SigmaEstimator,
    gram: &Mat<f64>,
    y: &Mat<f64>,
) -> Result<SigmaEstimate> {
    let n = gram.nrows();
    if gram.ncols() != n || y.nrows() != n {
        return Err(shape(format!(
            "Gram {n}x{} with labels {}x{}",
            gram.ncols(),
            y.nrows(),
            y.ncols()
        )));
    }
    match estimator {
        SigmaEstimator::Known(s) => Ok(SigmaEstimate {
            sigma: *s,
            mu: 0.0,
            scores: vec![],
        }),
        SigmaEstimator::Gcv => sigma_gcv(gram, y, &default_mu_grid()),
        SigmaEstimator::HoldoutRidge {
            holdout_fraction: f,
        } => {
            if !(*f > 0.0 && *f < 1.0) {
                return Err(invalid(format!(
                    "hold-out fraction must be in (0, 1), got {f}"
                )));
            }
            let hold: Vec<bool> = (0..n)
                .map(|i| ((i + 1) as f64 * f).floor() > (i as f64 * f).floor())
                .collect();
            let tr: Vec<usize> = (0..n).filter(|&i| !hold[i]).collect();
            let ho: Vec<usize> = (0..n).filter(|&i| hold[i]).collect();
            if tr.is_empty() || ho.is_empty() {
                return Err(invalid("hold-out split leaves an empty part"));
            }
            let sub = |rows: &[usize], cols: &[usize]| {
                Mat::from_fn(rows.len(), cols.len(), |i, j| gram[(rows[i], cols[j])])
            };
            let ys = |rows: &[usize]| Mat::from_fn(rows.len(), y.ncols(), |i, j| y[(rows[i], j)]);
            sigma_holdout_ridge(
                &sub(&tr, &tr),
                &ys(&tr),
                &sub(&ho, &tr),
                &ys(&ho),
                &default_mu_grid(),
            )
        }
    }
}

/// An estimate of the target's RKHS norm `B` for the stopping rule's threshold
/// `B / (c sigma eta k)`: the norm (root mean over the `d` output coordinates) of the
/// kernel ridge fit of `Y - f_0(Z)` at penalty `mu` (typically the hold-out-selected
/// penalty of [`sigma_holdout_ridge`], [`SigmaEstimate::mu`]). A ridge fit shrinks, so for
/// a well-chosen penalty this tends to underestimate `||f* - f_0||_H`; in the experiments
/// of docs/ntk.md it scatters by a factor of about 2 around the norm of the noiseless
/// target.
pub fn estimate_target_norm(
    gram: &Mat<f64>,
    y: &Mat<f64>,
    f0: Option<&Mat<f64>>,
    mu: f64,
) -> Result<f64> {
    if !(mu.is_finite() && mu > 0.0) {
        return Err(invalid(format!("ridge penalty must be > 0, got {mu}")));
    }
    let kr = KernelRegression::fit(gram, y, f0, 1.0)?;
    kr.rkhs_norm(SpectralFilter::Ridge(mu))
}

fn best(scores: Vec<(f64, f64)>, to_sigma2: impl Fn(f64) -> f64) -> Result<SigmaEstimate> {
    let (mu, s) = scores
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or_else(|| invalid("empty penalty grid"))?;
    Ok(SigmaEstimate {
        sigma: to_sigma2(s).max(0.0).sqrt(),
        mu,
        scores,
    })
}
