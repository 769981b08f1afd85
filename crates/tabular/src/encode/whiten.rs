//! Whitening of the numerical scores: the diffusion sees them decorrelated, at unit variance.
//!
//! Why. Columns that move together, such as six monthly balances, lie near a thin ridge of
//! the score space: consecutive `BILL_AMT*` scores of Credit Default have correlations of
//! 0.9 and more, so the spread across the ridge is a small fraction of the spread along it.
//! A Gaussian diffusion adds the same noise in every direction and a denoiser's error is of
//! one size in every direction, so the ridge's width, the fine structure a boosted-tree
//! detector looks at first, is learned at a coarser relative precision than anything else.
//! Whitening gives every direction the same variance before the diffusion, which is the same
//! as diffusing the scores with noise of covariance `Sigma` (a per-direction noise schedule),
//! and a denoiser's error of size `e` in the whitened space comes back as `L e`, small across
//! the ridge.
//!
//! Map. With `z` the `k` numerical scores of a row (the first entry of each numerical block,
//! the missing indicators excluded), `mu` and `Sigma` their training mean and covariance
//! (divided by `n`) plus a ridge of [`RIDGE`] times the mean variance, and
//! `Sigma + ridge I = L L^T` (Cholesky, lower), the encoded row holds `w = L^{-1} (z - mu)`;
//! decoding computes `z = mu + L w` before the columns decode. One-hot and indicator
//! entries are untouched.
//!
//! Precision: `f32` entries of `w` give back `z` within a few `f32` ulps of `|z|` times the
//! condition of `L`, so a knot value no longer meets its score bit for bit; values come back
//! through the column's rounding (tested exact on Credit Default).

use serde::{Deserialize, Serialize};

use crate::encode::matrix::Matrix;

/// Ridge added to the covariance's diagonal, relative to its mean diagonal entry: keeps `L`
/// invertible when columns are collinear (a copied column) or constant.
pub const RIDGE: f64 = 1e-4;

/// The fitted whitening of a matrix's numerical scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Whitening {
    /// The matrix columns of the scores, ascending.
    pub columns: Vec<usize>,
    /// Their training means `mu`.
    pub mean: Vec<f64>,
    /// `L`, lower triangular, row-major `k x k`.
    pub factor: Vec<f64>,
}

impl Whitening {
    /// Fits to the scores in `columns` of the encoded training matrix `m`; `None` for fewer
    /// than two columns or rows, or a covariance the ridge cannot make positive definite
    /// (non-finite entries).
    pub fn fit(m: &Matrix, columns: Vec<usize>) -> Option<Self> {
        let (k, n) = (columns.len(), m.rows);
        if k < 2 || n < 2 {
            return None;
        }
        let mut mean = vec![0.0; k];
        for i in 0..n {
            let row = m.row(i);
            for (a, &j) in columns.iter().enumerate() {
                mean[a] += f64::from(row[j]);
            }
        }
        mean.iter_mut().for_each(|v| *v /= n as f64);
        let mut cov = vec![0.0; k * k];
        let mut centred = vec![0.0; k];
        for i in 0..n {
            let row = m.row(i);
            for (a, &j) in columns.iter().enumerate() {
                centred[a] = f64::from(row[j]) - mean[a];
            }
            for a in 0..k {
                for b in 0..=a {
                    cov[a * k + b] += centred[a] * centred[b];
                }
            }
        }
        let trace: f64 = (0..k).map(|a| cov[a * k + a]).sum::<f64>() / n as f64;
        let ridge = RIDGE * (trace / k as f64).max(f64::MIN_POSITIVE);
        let sigma = faer::Mat::<f64>::from_fn(k, k, |a, b| {
            let (a, b) = if b > a { (b, a) } else { (a, b) };
            cov[a * k + b] / n as f64 + if a == b { ridge } else { 0.0 }
        });
        let llt = sigma.llt(faer::Side::Lower).ok()?;
        let l = llt.L();
        let factor: Vec<f64> = (0..k * k)
            .map(|i| {
                if i % k <= i / k {
                    l[(i / k, i % k)]
                } else {
                    0.0
                }
            })
            .collect();
        factor.iter().all(|v| v.is_finite()).then_some(Self {
            columns,
            mean,
            factor,
        })
    }

    fn k(&self) -> usize {
        self.columns.len()
    }

    /// Replaces each row's scores `z` by `w = L^{-1} (z - mu)` (forward substitution).
    pub fn whiten(&self, m: &mut Matrix) {
        let k = self.k();
        let mut w = vec![0.0; k];
        for i in 0..m.rows {
            let row = m.row_mut(i);
            for a in 0..k {
                let l = &self.factor[a * k..a * k + a + 1];
                let partial: f64 = (0..a).map(|b| l[b] * w[b]).sum();
                w[a] = (f64::from(row[self.columns[a]]) - self.mean[a] - partial) / l[a];
            }
            for (a, &j) in self.columns.iter().enumerate() {
                row[j] = w[a] as f32;
            }
        }
    }

    /// Replaces each row's whitened scores `w` by `z = mu + L w`.
    pub fn color(&self, m: &mut Matrix) {
        let k = self.k();
        let mut w = vec![0.0; k];
        for i in 0..m.rows {
            let row = m.row_mut(i);
            for (a, &j) in self.columns.iter().enumerate() {
                w[a] = f64::from(row[j]);
            }
            for (a, &j) in self.columns.iter().enumerate() {
                let l = &self.factor[a * k..a * k + a + 1];
                let z: f64 = l.iter().zip(&w).map(|(l, w)| l * w).sum();
                row[j] = (self.mean[a] + z) as f32;
            }
        }
    }

    /// Checks a whitening read from a file against a matrix of `width` columns.
    pub fn check(&self, width: usize) -> std::result::Result<(), String> {
        let k = self.k();
        let shaped = self.mean.len() == k && self.factor.len() == k * k;
        let ordered = self.columns.windows(2).all(|c| c[0] < c[1])
            && self.columns.last().is_none_or(|&j| j < width);
        let finite = self.mean.iter().chain(&self.factor).all(|v| v.is_finite());
        let positive = shaped && (0..k).all(|a| self.factor[a * k + a] > 0.0);
        if shaped && ordered && finite && positive {
            Ok(())
        } else {
            Err("the whitening's columns, mean or factor are malformed".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    /// Two correlated scores (rho = 0.95) and a one-hot entry between them: the whitened
    /// scores have unit variance and no correlation, the one-hot entry is untouched, and
    /// colouring gives the matrix back.
    #[test]
    fn whitened_scores_are_uncorrelated_and_colour_back() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let n = 20_000;
        let mut data = Vec::with_capacity(3 * n);
        for i in 0..n {
            let a: f64 = StandardNormal.sample(&mut rng);
            let e: f64 = StandardNormal.sample(&mut rng);
            let b = 0.95 * a + (1.0 - 0.95f64 * 0.95).sqrt() * e;
            data.extend([(1.0 + 2.0 * a) as f32, (i % 2) as f32, (b - 3.0) as f32]);
        }
        let m = Matrix::new(n, 3, data).unwrap();
        let w = Whitening::fit(&m, vec![0, 2]).unwrap();
        // L of [[4, 1.9], [1.9, 1]]: [[2, 0], [0.95, 0.312]].
        assert!((w.factor[0] - 2.0).abs() < 0.05 && w.factor[1] == 0.0);
        assert!((w.factor[2] - 0.95).abs() < 0.03 && (w.factor[3] - 0.312).abs() < 0.01);
        let mut x = m.clone();
        w.whiten(&mut x);
        let moment =
            |f: &dyn Fn(&[f32]) -> f64| (0..n).map(|i| f(x.row(i))).sum::<f64>() / n as f64;
        let (m0, m2) = (moment(&|r| f64::from(r[0])), moment(&|r| f64::from(r[2])));
        assert!(m0.abs() < 1e-6 && m2.abs() < 1e-6, "{m0} {m2}");
        let v0 = moment(&|r| f64::from(r[0]).powi(2));
        let v2 = moment(&|r| f64::from(r[2]).powi(2));
        let c = moment(&|r| f64::from(r[0]) * f64::from(r[2]));
        // Below 1 by the ridge's share: 2.5e-4 of the residual's variance 0.098 for `v2`.
        assert!(
            (v0 - 1.0).abs() < 1e-3 && (v2 - 0.9975).abs() < 1e-3,
            "{v0} {v2}"
        );
        assert!(c.abs() < 1e-3, "{c}");
        assert!((0..n).all(|i| x.row(i)[1] == (i % 2) as f32));
        w.color(&mut x);
        let worst = x
            .data
            .iter()
            .zip(&m.data)
            .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
            .fold(0.0, f32::max);
        assert!(worst < 1e-5, "{worst}");
    }

    #[test]
    fn collinear_and_constant_columns_stay_invertible() {
        let n = 100;
        let data: Vec<f32> = (0..n).flat_map(|i| [i as f32, i as f32, 7.0]).collect();
        let m = Matrix::new(n, 3, data).unwrap();
        let w = Whitening::fit(&m, vec![0, 1, 2]).unwrap();
        assert!(w.check(3).is_ok());
        let mut x = m.clone();
        w.whiten(&mut x);
        assert!(x.data.iter().all(|v| v.is_finite()));
        w.color(&mut x);
        for (a, b) in x.data.iter().zip(&m.data) {
            assert!((a - b).abs() < 1e-3, "{a} {b}");
        }
        assert!(Whitening::fit(&m, vec![0]).is_none());
        let mut bad = w.clone();
        bad.factor[0] = 0.0;
        assert!(bad.check(3).is_err());
        assert!(w.check(2).is_err());
    }
}
