//! Gaussian mixtures and their exact scores and denoisers under a forward process.
//!
//! If `X_0 ~ sum_k w_k N(mu_k, Sigma_k)` then, since `X_t = alpha_t X_0 + sqrt(h_t) eps`,
//! `X_t ~ sum_k w_k N(alpha_t mu_k, C_k)` with `C_k = alpha_t^2 Sigma_k + h_t I`, whose score is
//! `grad log p_t(x) = -sum_k r_k(x) C_k^{-1} (x - alpha_t mu_k)`, with responsibilities
//! `r_k(x) = w_k N(x; alpha_t mu_k, C_k) / p_t(x)` (computed with log-sum-exp). The exact
//! denoiser is `E[X_0 | X_t = x] = sum_k r_k(x) (mu_k + alpha_t Sigma_k C_k^{-1} (x - alpha_t mu_k))`
//! (the Gaussian posterior mean of each component). All of it runs on the host in `f64` with
//! nalgebra.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use scorediff_backend::{Backend, DeviceMatrix};

use crate::error::{ProcessError, Result, config_err, shape_err};
use crate::process::{ForwardProcess, check_time};
use crate::score::{Denoiser, ScoreModel, check_inputs};

/// A Gaussian mixture `sum_k w_k N(mu_k, Sigma_k)` in `R^d` with precomputed Cholesky
/// factors and inverses of its covariances.
#[derive(Debug, Clone)]
pub struct GaussianMixture {
    weights: Vec<f64>,
    means: Vec<DVector<f64>>,
    covs: Vec<DMatrix<f64>>,
    chols: Vec<DMatrix<f64>>,
    inv_covs: Vec<DMatrix<f64>>,
    /// `ln w_k - ln det Sigma_k / 2 - d ln(2 pi) / 2`.
    log_norms: Vec<f64>,
}

/// Draws from a [`GaussianMixture`].
#[derive(Debug, Clone, PartialEq)]
pub struct MixtureSample {
    /// Data dimension `d`.
    pub dim: usize,
    /// `n x d` samples, row-major.
    pub data: Vec<f64>,
    /// The component each sample was drawn from.
    pub labels: Vec<usize>,
}

impl MixtureSample {
    /// The samples rounded to `f32` (for uploading to a backend).
    pub fn data_f32(&self) -> Vec<f32> {
        self.data.iter().map(|&v| v as f32).collect()
    }
}

/// Per-row quantities of the mixture at a batch of points.
struct BatchTerms {
    /// `n x K` responsibilities.
    resp: DMatrix<f64>,
    /// `z_k = Sigma_k^{-1} (x - mu_k)` per component, each `n x d` (one row per point).
    z: Vec<DMatrix<f64>>,
    /// `ln p(x)` per row.
    log_density: Vec<f64>,
}

impl GaussianMixture {
    /// A mixture with weights `weights` (positive; normalised to sum 1), means `means` and
    /// symmetric positive definite covariances `covs`, all of one dimension `d >= 1`.
    pub fn new(
        weights: Vec<f64>,
        means: Vec<DVector<f64>>,
        covs: Vec<DMatrix<f64>>,
    ) -> Result<Self> {
        let k = weights.len();
        if k == 0 || means.len() != k || covs.len() != k {
            return Err(config_err(format!(
                "mixture needs as many weights, means and covariances (>= 1), got {}, {}, {}",
                k,
                means.len(),
                covs.len()
            )));
        }
        let d = means[0].len();
        if d == 0 {
            return Err(config_err("mixture dimension must be at least 1"));
        }
        if weights.iter().any(|&w| !(w.is_finite() && w > 0.0)) {
            return Err(config_err("mixture weights must be finite and positive"));
        }
        let total: f64 = weights.iter().sum();
        let weights: Vec<f64> = weights.iter().map(|w| w / total).collect();
        for (mean, cov) in means.iter().zip(&covs) {
            check_component(d, mean, cov)?;
        }
        Self::from_parts(weights, means, covs)
    }

    /// A single Gaussian `N(mean, cov)`.
    pub fn gaussian(mean: DVector<f64>, cov: DMatrix<f64>) -> Result<Self> {
        Self::new(vec![1.0], vec![mean], vec![cov])
    }

    /// A mixture of isotropic components `N(mu_k, variance_k I)`.
    pub fn isotropic(
        weights: Vec<f64>,
        means: Vec<DVector<f64>>,
        variances: &[f64],
    ) -> Result<Self> {
        let covs = means
            .iter()
            .zip(variances)
            .map(|(m, &v)| DMatrix::identity(m.len(), m.len()) * v)
            .collect();
        Self::new(weights, means, covs)
    }

    /// Factorises validated parts.
    fn from_parts(
        weights: Vec<f64>,
        means: Vec<DVector<f64>>,
        covs: Vec<DMatrix<f64>>,
    ) -> Result<Self> {
        let d = means[0].len();
        let mut chols = Vec::with_capacity(covs.len());
        let mut inv_covs = Vec::with_capacity(covs.len());
        let mut log_norms = Vec::with_capacity(covs.len());
        for (cov, w) in covs.iter().zip(&weights) {
            let chol = cov.clone().cholesky().ok_or_else(|| {
                ProcessError::Numerical("mixture covariance is not positive definite".into())
            })?;
            let l = chol.l();
            let log_det: f64 = 2.0 * l.diagonal().iter().map(|v| v.ln()).sum::<f64>();
            log_norms.push(w.ln() - 0.5 * log_det - 0.5 * d as f64 * (2.0 * PI).ln());
            inv_covs.push(chol.inverse());
            chols.push(l);
        }
        Ok(Self {
            weights,
            means,
            covs,
            chols,
            inv_covs,
            log_norms,
        })
    }

    /// The dimension `d`.
    pub fn dim(&self) -> usize {
        self.means[0].len()
    }

    /// The number of components `K`.
    pub fn n_components(&self) -> usize {
        self.weights.len()
    }

    /// The weights `w_k` (summing to 1).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The means `mu_k`.
    pub fn means(&self) -> &[DVector<f64>] {
        &self.means
    }

    /// The covariances `Sigma_k`.
    pub fn covariances(&self) -> &[DMatrix<f64>] {
        &self.covs
    }

    /// The law of `X_t` when `X_0` follows this mixture: weights unchanged, means
    /// `alpha_t mu_k`, covariances `alpha_t^2 Sigma_k + h_t I`.
    pub fn at_time<P: ForwardProcess + ?Sized>(&self, process: &P, t: f64) -> Result<Self> {
        check_time(process, t)?;
        let (alpha_t, h_t) = (process.alpha(t), process.h(t));
        if !(alpha_t.is_finite() && h_t.is_finite() && h_t >= 0.0) {
            return Err(ProcessError::InvalidTime {
                t,
                reason: format!("alpha_t = {alpha_t}, h_t = {h_t}"),
            });
        }
        let d = self.dim();
        let means = self.means.iter().map(|m| m * alpha_t).collect();
        let covs = self
            .covs
            .iter()
            .map(|c| c * (alpha_t * alpha_t) + DMatrix::identity(d, d) * h_t)
            .collect();
        Self::from_parts(self.weights.clone(), means, covs)
    }

    /// Draws `n` samples: per sample, one uniform for the component, then `d` standard
    /// normals `z`, giving `mu_k + L_k z` with `Sigma_k = L_k L_k^T`.
    pub fn sample<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> MixtureSample {
        let d = self.dim();
        let mut data = Vec::with_capacity(n * d);
        let mut labels = Vec::with_capacity(n);
        let mut z = DVector::zeros(d);
        for _ in 0..n {
            let k = self.pick_component(rng.random::<f64>());
            for v in z.iter_mut() {
                *v = StandardNormal.sample(rng);
            }
            let x = &self.means[k] + &self.chols[k] * &z;
            data.extend(x.iter());
            labels.push(k);
        }
        MixtureSample {
            dim: d,
            data,
            labels,
        }
    }

    /// The component whose cumulative weight first exceeds `u in [0, 1)`.
    fn pick_component(&self, u: f64) -> usize {
        let mut acc = 0.0;
        for (k, w) in self.weights.iter().enumerate() {
            acc += w;
            if u < acc {
                return k;
            }
        }
        self.weights.len() - 1
    }

    /// `ln p(x)` at one point.
    pub fn log_density(&self, x: &[f64]) -> Result<f64> {
        let terms = self.batch_terms(&self.point(x)?);
        Ok(terms.log_density[0])
    }

    /// `grad ln p(x)` at one point.
    pub fn score(&self, x: &[f64]) -> Result<Vec<f64>> {
        let terms = self.batch_terms(&self.point(x)?);
        Ok(self.scores_from(&terms).row(0).iter().copied().collect())
    }

    /// The responsibilities `r_k(x) = P(component k | x)` at one point.
    pub fn responsibilities(&self, x: &[f64]) -> Result<Vec<f64>> {
        let terms = self.batch_terms(&self.point(x)?);
        Ok(terms.resp.row(0).iter().copied().collect())
    }

    /// The most likely component of each row of `x` (`n x d`, row-major): `argmax_k r_k(x)`.
    pub fn classify(&self, x: &[f64]) -> Result<Vec<usize>> {
        let terms = self.batch_terms(&self.rows(x)?);
        let n = terms.resp.nrows();
        let mut best = vec![(0, f64::NEG_INFINITY); n];
        for (k, col) in columns(&terms.resp).enumerate() {
            for (b, &r) in best.iter_mut().zip(col) {
                if r > b.1 {
                    *b = (k, r);
                }
            }
        }
        Ok(best.into_iter().map(|(k, _)| k).collect())
    }

    fn point(&self, x: &[f64]) -> Result<DMatrix<f64>> {
        if x.len() != self.dim() {
            return Err(shape_err(format!(
                "point of dimension {} for a mixture in dimension {}",
                x.len(),
                self.dim()
            )));
        }
        Ok(DMatrix::from_row_slice(1, x.len(), x))
    }

    fn rows(&self, x: &[f64]) -> Result<DMatrix<f64>> {
        let d = self.dim();
        if !x.len().is_multiple_of(d) {
            return Err(shape_err(format!(
                "{} values do not form rows of {d}",
                x.len()
            )));
        }
        Ok(DMatrix::from_row_slice(x.len() / d, d, x))
    }

    /// Responsibilities, whitened residuals and log-density at the rows of `x` (`n x d`).
    ///
    /// Works on whole columns (nalgebra is column-major) and one matrix product per
    /// component, so a sampler step over thousands of rows stays cheap.
    fn batch_terms(&self, x: &DMatrix<f64>) -> BatchTerms {
        let (n, k_count) = (x.nrows(), self.n_components());
        let mut log_p = DMatrix::zeros(n, k_count);
        let mut z = Vec::with_capacity(k_count);
        for k in 0..k_count {
            let mut r = x.clone();
            for (col, &m) in columns_mut(&mut r).zip(self.means[k].iter()) {
                col.iter_mut().for_each(|v| *v -= m);
            }
            let zk = &r * &self.inv_covs[k];
            let lp = &mut log_p.as_mut_slice()[k * n..(k + 1) * n];
            lp.fill(self.log_norms[k]);
            for (r_col, z_col) in columns(&r).zip(columns(&zk)) {
                for ((l, &rv), &zv) in lp.iter_mut().zip(r_col).zip(z_col) {
                    *l -= 0.5 * rv * zv;
                }
            }
            z.push(zk);
        }
        let log_density = normalise_rows(&mut log_p);
        BatchTerms {
            resp: log_p,
            z,
            log_density,
        }
    }

    /// `-sum_k r_k z_k` per row.
    fn scores_from(&self, terms: &BatchTerms) -> DMatrix<f64> {
        let (n, d) = (terms.resp.nrows(), self.dim());
        let mut out = DMatrix::zeros(n, d);
        for (zk, resp) in terms.z.iter().zip(columns(&terms.resp)) {
            for (o_col, z_col) in columns_mut(&mut out).zip(columns(zk)) {
                for ((o, &zv), &r) in o_col.iter_mut().zip(z_col).zip(resp) {
                    *o -= r * zv;
                }
            }
        }
        out
    }
}

/// The columns of a column-major matrix as slices.
fn columns(m: &DMatrix<f64>) -> std::slice::ChunksExact<'_, f64> {
    m.as_slice().chunks_exact(m.nrows().max(1))
}

/// The columns of a column-major matrix as mutable slices.
fn columns_mut(m: &mut DMatrix<f64>) -> std::slice::ChunksExactMut<'_, f64> {
    let n = m.nrows().max(1);
    m.as_mut_slice().chunks_exact_mut(n)
}

/// Turns the `n x K` log joint densities `ln w_k + ln N_k(x_i)` into responsibilities in
/// place (log-sum-exp per row) and returns `ln p(x_i)`.
fn normalise_rows(log_p: &mut DMatrix<f64>) -> Vec<f64> {
    let n = log_p.nrows();
    let mut max = vec![f64::NEG_INFINITY; n];
    for col in columns(log_p) {
        for (m, &v) in max.iter_mut().zip(col) {
            *m = m.max(v);
        }
    }
    let mut total = vec![0.0; n];
    for col in columns_mut(log_p) {
        for ((v, &m), tot) in col.iter_mut().zip(&max).zip(total.iter_mut()) {
            *v = (*v - m).exp();
            *tot += *v;
        }
    }
    for col in columns_mut(log_p) {
        for (v, &tot) in col.iter_mut().zip(&total) {
            *v /= tot;
        }
    }
    max.iter()
        .zip(&total)
        .map(|(m, tot)| m + tot.ln())
        .collect()
}

/// Checks a component's shapes, finiteness and symmetry.
fn check_component(d: usize, mean: &DVector<f64>, cov: &DMatrix<f64>) -> Result<()> {
    if mean.len() != d || cov.shape() != (d, d) {
        return Err(config_err(format!(
            "component of mean length {} and covariance {}x{} in dimension {d}",
            mean.len(),
            cov.nrows(),
            cov.ncols()
        )));
    }
    if mean.iter().chain(cov.iter()).any(|v| !v.is_finite()) {
        return Err(config_err("mixture parameters must be finite"));
    }
    let scale = cov.amax().max(f64::MIN_POSITIVE);
    if (cov - cov.transpose()).amax() > 1e-10 * scale {
        return Err(config_err("mixture covariance must be symmetric"));
    }
    Ok(())
}

/// Which exact quantity to compute.
#[derive(Clone, Copy)]
enum Quantity {
    Score,
    Denoised,
}

/// The exact score `grad log p_t` and denoiser `E[X_0 | X_t]` of a Gaussian mixture data law
/// under a forward process, computed on the host in `f64` and uploaded.
///
/// Rows are grouped by time, and each distinct time factorises the `K` matrices
/// `C_k = alpha_t^2 Sigma_k + h_t I` once: a sampler step (one time for all rows) costs one
/// factorisation per component, a training batch (a time per row) one per row and component.
#[derive(Debug, Clone)]
pub struct ExactScore<P> {
    /// The forward process.
    pub process: P,
    /// The law of `X_0`.
    pub mixture: GaussianMixture,
}

impl<P: ForwardProcess> ExactScore<P> {
    /// The exact score of `mixture` under `process`.
    pub fn new(process: P, mixture: GaussianMixture) -> Self {
        Self { process, mixture }
    }

    /// The exact score at host rows `x` (`n x d`, row-major) with per-row times `t`.
    pub fn score_host(&self, x: &[f64], t: &[f64]) -> Result<Vec<f64>> {
        self.compute(x, t, Quantity::Score)
    }

    /// The exact denoiser `E[X_0 | X_t = x]` at host rows `x` with per-row times `t`.
    pub fn denoise_host(&self, x: &[f64], t: &[f64]) -> Result<Vec<f64>> {
        self.compute(x, t, Quantity::Denoised)
    }

    fn compute(&self, x: &[f64], t: &[f64], what: Quantity) -> Result<Vec<f64>> {
        let d = self.mixture.dim();
        if x.len() != t.len() * d {
            return Err(shape_err(format!(
                "{} values for {} times in dimension {d}",
                x.len(),
                t.len()
            )));
        }
        let mut groups: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        for (i, ti) in t.iter().enumerate() {
            groups.entry(ti.to_bits()).or_default().push(i);
        }
        let mut out = vec![0.0; x.len()];
        for (bits, rows) in groups {
            let xs = DMatrix::from_fn(rows.len(), d, |i, j| x[rows[i] * d + j]);
            let res = self.at_one_time(&xs, f64::from_bits(bits), what)?;
            for (i, &row) in rows.iter().enumerate() {
                for j in 0..d {
                    out[row * d + j] = res[(i, j)];
                }
            }
        }
        Ok(out)
    }

    /// The requested quantity at rows `x` (`n x d`) sharing time `t`.
    fn at_one_time(&self, x: &DMatrix<f64>, t: f64, what: Quantity) -> Result<DMatrix<f64>> {
        let marginal = self.mixture.at_time(&self.process, t)?;
        let terms = marginal.batch_terms(x);
        match what {
            Quantity::Score => Ok(marginal.scores_from(&terms)),
            Quantity::Denoised => Ok(self.denoised_from(&terms, self.process.alpha(t))),
        }
    }

    /// `sum_k r_k (mu_k + alpha_t Sigma_k z_k)` per row, with `z_k = C_k^{-1}(x - alpha_t mu_k)`.
    fn denoised_from(&self, terms: &BatchTerms, alpha_t: f64) -> DMatrix<f64> {
        let (n, d) = (terms.resp.nrows(), self.mixture.dim());
        let mut out = DMatrix::zeros(n, d);
        for (k, (zk, resp)) in terms.z.iter().zip(columns(&terms.resp)).enumerate() {
            // Row i of z_k Sigma_k is (Sigma_k z_k,i)^T since Sigma_k is symmetric.
            let post = zk * &self.mixture.covs[k];
            let mean = &self.mixture.means[k];
            for ((o_col, p_col), &m) in columns_mut(&mut out).zip(columns(&post)).zip(mean.iter()) {
                for ((o, &pv), &r) in o_col.iter_mut().zip(p_col).zip(resp) {
                    *o += r * (m + alpha_t * pv);
                }
            }
        }
        out
    }

    /// Downloads `x` and `t`, computes on the host, uploads the result.
    fn on_device<B: Backend>(
        &self,
        backend: &B,
        x: &B::Matrix,
        t: &B::Matrix,
        what: Quantity,
    ) -> Result<B::Matrix> {
        check_inputs(x, t)?;
        self.check_dim(x)?;
        let xs: Vec<f64> = backend.to_host(x)?.iter().map(|&v| f64::from(v)).collect();
        let ts: Vec<f64> = backend.to_host(t)?.iter().map(|&v| f64::from(v)).collect();
        let out = self.compute(&xs, &ts, what)?;
        upload(backend, x.rows(), x.cols(), &out)
    }

    /// Like [`ExactScore::on_device`] with one time for every row (no time download).
    fn on_device_at<B: Backend>(
        &self,
        backend: &B,
        x: &B::Matrix,
        t: f64,
        what: Quantity,
    ) -> Result<B::Matrix> {
        self.check_dim(x)?;
        // Round like a time column would be, so this agrees with `on_device`.
        let t = f64::from(t as f32);
        let host = backend.to_host(x)?;
        let xs = DMatrix::from_fn(x.rows(), x.cols(), |i, j| f64::from(host[i * x.cols() + j]));
        let res = self.at_one_time(&xs, t, what)?;
        let row_major: Vec<f64> = res.transpose().iter().copied().collect();
        upload(backend, x.rows(), x.cols(), &row_major)
    }

    fn check_dim<M: DeviceMatrix>(&self, x: &M) -> Result<()> {
        if x.cols() != self.mixture.dim() {
            return Err(shape_err(format!(
                "data has {} columns, the mixture dimension {}",
                x.cols(),
                self.mixture.dim()
            )));
        }
        Ok(())
    }
}

fn upload<B: Backend>(backend: &B, rows: usize, cols: usize, data: &[f64]) -> Result<B::Matrix> {
    let data: Vec<f32> = data.iter().map(|&v| v as f32).collect();
    Ok(backend.from_host(rows, cols, &data)?)
}

impl<B: Backend, P: ForwardProcess> ScoreModel<B> for ExactScore<P> {
    fn score(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
        self.on_device(backend, x, t, Quantity::Score)
    }
    fn score_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix> {
        self.on_device_at(backend, x, t, Quantity::Score)
    }
}

impl<B: Backend, P: ForwardProcess> Denoiser<B> for ExactScore<P> {
    fn denoise(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
        self.on_device(backend, x, t, Quantity::Denoised)
    }
    fn denoise_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix> {
        self.on_device_at(backend, x, t, Quantity::Denoised)
    }
}
