//! Shared pieces of the theory experiments: the data law, the run's noisy triples, the
//! NTK Gram matrices, the true denoiser, fits and distances.

use faer::Mat;
use nalgebra::DVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use scorediff_backend::prelude::*;
use scorediff_faer::FaerBackend;
use scorediff_ntk::{TwoLayerReluNtk, host_cross_gram, host_gram};
use scorediff_process::{ExactScore, GaussianMixture, OrnsteinUhlenbeck};
use scorediff_train::{
    Dataset, LrSchedule, NoiseMode, OptimizerConfig, TrainConfig, fixed_training_inputs,
};

/// Data dimension of every experiment.
pub const D: usize = 2;
/// Kernel input dimension `d + 2` (`z = (x_t, t, 1)`).
pub const P: usize = D + 2;

/// Converts any displayable error into the task's `String` error.
pub fn e<E: std::fmt::Display>(err: E) -> String {
    err.to_string()
}

/// The data law: three isotropic Gaussians in `R^2` (weights 0.4, 0.3, 0.3, means
/// `(-1.5, 0)`, `(1.5, 0)`, `(0, 1.5)`, variance 0.1).
pub fn mixture() -> Result<GaussianMixture, String> {
    let means = vec![
        DVector::from_vec(vec![-1.5, 0.0]),
        DVector::from_vec(vec![1.5, 0.0]),
        DVector::from_vec(vec![0.0, 1.5]),
    ];
    GaussianMixture::isotropic(vec![0.4, 0.3, 0.3], means, &[0.1, 0.1, 0.1]).map_err(e)
}

/// The exact denoiser `E[X_0 | X_t]` of the mixture under OU.
pub fn exact(mix: &GaussianMixture) -> ExactScore<OrnsteinUhlenbeck> {
    ExactScore::new(OrnsteinUhlenbeck, mix.clone())
}

/// The theory's training configuration: full-batch GD with step `eta` on fixed triples,
/// no EMA, no schedule, seeded.
pub fn gd_config(eta: f64, max_steps: u64, seed: u64) -> TrainConfig {
    TrainConfig {
        optimizer: OptimizerConfig::Gd { lr: eta },
        schedule: LrSchedule::default(),
        batch_size: None,
        noise: NoiseMode::Fixed,
        max_steps,
        ema_decay: None,
        seed,
        eval_every: 0,
        log_every: max_steps.max(1),
        ..TrainConfig::default()
    }
}

/// `N` records of the regression: clean `x_0` (the labels), and the inputs.
pub struct Triples {
    /// Records as a training data set.
    pub data: Dataset,
    /// Labels `x_0` (`N x d`).
    pub y: Mat<f64>,
    /// Kernel inputs `z = (x_t, t, 1)`, row-major `N x P`.
    pub z: Vec<f64>,
    /// The true regression function `E[X_0 | X_t]` at the inputs (`N x d`).
    pub target: Mat<f64>,
    /// Noisy records `x_t` (row-major) and times.
    pub x_t: Vec<f64>,
    /// Times `t_j`.
    pub t: Vec<f64>,
}

impl Triples {
    /// Number of records.
    pub fn n(&self) -> usize {
        self.t.len()
    }
}

/// Draws `n` records from the mixture (seed `data_seed`) and noises them exactly as a
/// training run with `config` does (`scorediff_train::fixed_training_inputs`).
pub fn triples(
    be: &FaerBackend,
    mix: &GaussianMixture,
    n: usize,
    data_seed: u64,
    config: &TrainConfig,
) -> Result<Triples, String> {
    let s = mix.sample(n, &mut ChaCha8Rng::seed_from_u64(data_seed));
    let data = Dataset::new(s.data_f32(), n, D).map_err(e)?;
    let noised = fixed_training_inputs(be, config, &data).map_err(e)?;
    let x_t: Vec<f64> = be
        .to_host(&noised.x_t)
        .map_err(e)?
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let t: Vec<f64> = be
        .to_host(&noised.t)
        .map_err(e)?
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let y = Mat::from_fn(n, D, |i, j| f64::from(data.data()[i * D + j]));
    let target = host_rows(&exact(mix).denoise_host(&x_t, &t).map_err(e)?, n);
    Ok(Triples {
        data,
        y,
        z: kernel_inputs(&x_t, &t),
        target,
        x_t,
        t,
    })
}

/// `z = (x, t, 1)` rows.
pub fn kernel_inputs(x: &[f64], t: &[f64]) -> Vec<f64> {
    let mut z = Vec::with_capacity(t.len() * P);
    for (j, &tj) in t.iter().enumerate() {
        z.extend_from_slice(&x[j * D..(j + 1) * D]);
        z.push(tj);
        z.push(1.0);
    }
    z
}

/// A row-major `n x D` vector as a matrix.
pub fn host_rows(v: &[f64], n: usize) -> Mat<f64> {
    Mat::from_fn(n, D, |i, j| v[i * D + j])
}

/// The analytic two-layer NTK Gram matrix (host `f64`).
pub fn ntk_gram(z: &[f64]) -> Result<Mat<f64>, String> {
    host_gram(&TwoLayerReluNtk, z, z.len() / P, P).map_err(e)
}

/// The analytic two-layer NTK cross-Gram matrix `k(a, b)` (host `f64`).
pub fn ntk_cross(a: &[f64], b: &[f64]) -> Result<Mat<f64>, String> {
    host_cross_gram(&TwoLayerReluNtk, a, a.len() / P, b, b.len() / P, P).map_err(e)
}

/// Least-squares slope and intercept of `ln y` on `ln x`.
pub fn log_log_slope(points: &[(f64, f64)]) -> (f64, f64) {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.0 > 0.0 && p.1 > 0.0)
        .map(|p| (p.0.ln(), p.1.ln()))
        .collect();
    let n = pts.len().max(1) as f64;
    let (mx, my) = pts
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.0 / n, b + p.1 / n));
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { f64::NAN };
    (slope, my - slope * mx)
}

/// Sliced 2-Wasserstein distance between two equally sized point clouds in `R^D`
/// (row-major), over `projections` random directions (seeded): the root mean over
/// directions of the squared 1-D `W_2` between the sorted projections.
pub fn sliced_wasserstein(a: &[f64], b: &[f64], projections: usize, seed: u64) -> f64 {
    let n = a.len() / D;
    let m = b.len() / D;
    let k = n.min(m);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut total = 0.0;
    for _ in 0..projections {
        let mut dir: Vec<f64> = (0..D).map(|_| StandardNormal.sample(&mut rng)).collect();
        let norm = dir.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-300);
        dir.iter_mut().for_each(|v| *v /= norm);
        let proj = |x: &[f64], rows: usize| {
            let mut p: Vec<f64> = (0..rows)
                .map(|i| (0..D).map(|j| x[i * D + j] * dir[j]).sum())
                .collect();
            p.sort_by(f64::total_cmp);
            p
        };
        let (pa, pb) = (proj(a, n), proj(b, m));
        // Quantile matching on k levels (equal sizes: the sorted values themselves).
        let q = |p: &[f64], i: usize| p[(i * p.len()) / k];
        let s: f64 = (0..k).map(|i| (q(&pa, i) - q(&pb, i)).powi(2)).sum();
        total += s / k as f64;
    }
    (total / projections as f64).sqrt()
}

/// Unbiased squared MMD with the Gaussian kernel `exp(-|x - y|^2 / (2 h^2))`.
pub fn mmd2(a: &[f64], b: &[f64], h: f64) -> f64 {
    let (n, m) = (a.len() / D, b.len() / D);
    let k = |x: &[f64], y: &[f64]| {
        let d2: f64 = x.iter().zip(y).map(|(u, v)| (u - v).powi(2)).sum();
        (-d2 / (2.0 * h * h)).exp()
    };
    let mut kaa = 0.0;
    for i in 0..n {
        for j in 0..n {
            if i != j {
                kaa += k(row(a, i), row(a, j));
            }
        }
    }
    let mut kbb = 0.0;
    for i in 0..m {
        for j in 0..m {
            if i != j {
                kbb += k(row(b, i), row(b, j));
            }
        }
    }
    let mut kab = 0.0;
    for i in 0..n {
        for j in 0..m {
            kab += k(row(a, i), row(b, j));
        }
    }
    kaa / (n * (n - 1)) as f64 + kbb / (m * (m - 1)) as f64 - 2.0 * kab / (n * m) as f64
}

/// Row `i` of a row-major `rows x D` buffer.
fn row(x: &[f64], i: usize) -> &[f64] {
    &x[i * D..(i + 1) * D]
}

/// Writes a serialisable value as pretty JSON.
pub fn write_json<T: serde::Serialize>(path: &std::path::Path, value: &T) -> Result<(), String> {
    let s = serde_json::to_string_pretty(value).map_err(e)?;
    write_text(path, &(s + "\n"))
}

/// Mean of a slice.
pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Writes `text` to `path` through the table crate's safe writer (a temporary file and a
/// rename; the temporary removed if the write fails or is interrupted).
pub fn write_text(path: &std::path::Path, text: &str) -> Result<(), String> {
    scorediff_synth::tabular::write::write_atomic(path, |w| {
        std::io::Write::write_all(w, text.as_bytes())
    })
    .map_err(|e| e.to_string()) // the error names the file
}
