//! Shared helpers of the integration tests.
#![allow(dead_code)]

use faer::Mat;
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use scorediff_backend::Backend;

/// A seeded RNG.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// `n` inputs `z = (x, t, 1)` with `x ~ N(0, I_d)`, `t ~ U[0, 1]`, row-major `f64`.
pub fn random_z(n: usize, d: usize, rng: &mut impl Rng) -> Vec<f64> {
    let mut z = Vec::with_capacity(n * (d + 2));
    for _ in 0..n {
        for _ in 0..d {
            z.push(rng.sample::<f64, _>(StandardNormal));
        }
        z.push(rng.random::<f64>());
        z.push(1.0);
    }
    z
}

/// Uploads row-major `f64` data as an `f32` device matrix.
pub fn upload<B: Backend>(be: &B, rows: usize, cols: usize, data: &[f64]) -> B::Matrix {
    let v: Vec<f32> = data.iter().map(|&x| x as f32).collect();
    be.from_host(rows, cols, &v).expect("upload")
}

/// A `rows x cols` matrix from row-major data.
pub fn mat(rows: usize, cols: usize, data: &[f64]) -> Mat<f64> {
    Mat::from_fn(rows, cols, |i, j| data[i * cols + j])
}

/// `||a - b||_F / ||b||_F`.
pub fn rel_frob(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    let mut num = 0.0;
    let mut den = 0.0;
    for j in 0..b.ncols() {
        for i in 0..b.nrows() {
            num += (a[(i, j)] - b[(i, j)]).powi(2);
            den += b[(i, j)].powi(2);
        }
    }
    (num / den).sqrt()
}

/// Largest `|a_ij - b_ij| / sqrt(b_ii b_jj)` (error relative to the kernel's scale at the pair).
pub fn max_scaled_err(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    let mut worst: f64 = 0.0;
    for j in 0..b.ncols() {
        for i in 0..b.nrows() {
            let s = (b[(i, i)] * b[(j, j)]).sqrt().max(1e-300);
            worst = worst.max((a[(i, j)] - b[(i, j)]).abs() / s);
        }
    }
    worst
}

/// A matrix of standard normals.
pub fn gaussian_mat(rows: usize, cols: usize, scale: f64, rng: &mut impl Rng) -> Mat<f64> {
    let mut m = Mat::zeros(rows, cols);
    for j in 0..cols {
        for i in 0..rows {
            m[(i, j)] = scale * rng.sample::<f64, _>(StandardNormal);
        }
    }
    m
}
