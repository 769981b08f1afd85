//! Shared helpers of the integration tests: test mixtures, moment checks, and the checks
//! generic over the backend, which each backend's test file instantiates.
#![allow(dead_code)]

pub mod condition;
pub mod noising;
pub mod sampling;
pub mod score;

use nalgebra::{DMatrix, DVector};
use scorediff_process::GaussianMixture;

/// A well-separated three-component mixture in 2-D with correlated covariances.
pub fn mixture_2d() -> GaussianMixture {
    GaussianMixture::new(
        vec![0.5, 0.3, 0.2],
        vec![
            DVector::from_vec(vec![-3.0, 0.0]),
            DVector::from_vec(vec![2.0, 2.5]),
            DVector::from_vec(vec![2.5, -2.5]),
        ],
        vec![
            DMatrix::from_row_slice(2, 2, &[0.5, 0.2, 0.2, 0.4]),
            DMatrix::from_row_slice(2, 2, &[0.3, -0.1, -0.1, 0.6]),
            DMatrix::from_row_slice(2, 2, &[0.25, 0.0, 0.0, 0.25]),
        ],
    )
    .expect("valid 2-D mixture")
}

/// A well-separated two-component mixture in 16-D: one component with a rank-one
/// correlated covariance, one with a diagonal covariance of unequal variances.
pub fn mixture_16d() -> GaussianMixture {
    let d = 16;
    let mu1 = DVector::from_fn(d, |i, _| 0.75 + 0.05 * (i % 3) as f64);
    let mu2 = DVector::from_fn(d, |i, _| -0.75 + 0.1 * ((i % 4) as f64 - 1.5));
    let v = DVector::from_fn(d, |i, _| if i % 2 == 0 { 0.25 } else { -0.25 });
    let cov1 = DMatrix::identity(d, d) * 0.3 + &v * v.transpose() * 0.2;
    let cov2 = DMatrix::from_diagonal(&DVector::from_fn(d, |i, _| 0.2 + 0.4 * i as f64 / 15.0));
    GaussianMixture::new(vec![0.6, 0.4], vec![mu1, mu2], vec![cov1, cov2])
        .expect("valid 16-D mixture")
}

/// Largest errors of the per-component weights, means (max abs coordinate) and covariances
/// (relative Frobenius norm) of `samples`, assigning each to its most likely component.
#[derive(Debug)]
pub struct MomentErrors {
    pub weight: f64,
    pub mean: f64,
    pub cov: f64,
}

pub fn moment_errors(mixture: &GaussianMixture, samples: &[f32]) -> MomentErrors {
    let d = mixture.dim();
    let data: Vec<f64> = samples.iter().map(|&v| f64::from(v)).collect();
    let labels = mixture.classify(&data).expect("classify");
    let n = labels.len();
    let mut errs = MomentErrors {
        weight: 0.0,
        mean: 0.0,
        cov: 0.0,
    };
    for k in 0..mixture.n_components() {
        let rows: Vec<DVector<f64>> = labels
            .iter()
            .enumerate()
            .filter(|&(_, &l)| l == k)
            .map(|(i, _)| DVector::from_row_slice(&data[i * d..(i + 1) * d]))
            .collect();
        let m = rows.len() as f64;
        errs.weight = errs.weight.max((m / n as f64 - mixture.weights()[k]).abs());
        let mean = rows.iter().fold(DVector::zeros(d), |acc, r| acc + r) / m;
        errs.mean = errs.mean.max((&mean - &mixture.means()[k]).amax());
        let cov = rows.iter().fold(DMatrix::zeros(d, d), |acc, r| {
            acc + (r - &mean) * (r - &mean).transpose()
        }) / (m - 1.0);
        let truth = &mixture.covariances()[k];
        errs.cov = errs.cov.max((&cov - truth).norm() / truth.norm());
    }
    errs
}
