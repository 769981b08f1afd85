//! alpha-precision and beta-recall (Alaa et al., ICML 2022), the "naive" variant of
//! synthcity's `AlphaPrecision` that TabSyn reports (DESIGN.md §3).
//!
//! Features: numerical columns and one-hot categorical columns, mean-imputed and min-max
//! scaled on the real table. With `X` the real rows and `S` the synthetic rows (equal
//! counts), `alphas = linspace(0, 1, steps)`:
//! - `c = mean(X)`; `radii = quantile(|X_i - c|, alphas)` (linear interpolation);
//!   `alpha_precision_curve[k] = mean_j(|S_j - c| <= radii[k])`;
//! - `r_i` = distance from `X_i` to its nearest other real row, `n_i` = distance to its
//!   nearest synthetic row `S_{a_i}`, `c_s = mean(S)`, `d_i = |S_{a_i} - c_s|`,
//!   `beta_radii = quantile(d, alphas)`;
//!   `beta_coverage_curve[k] = mean_i(n_i <= r_i and d_i <= beta_radii[k])`;
//! - `authenticity = mean_i(r_{a_i} < n_i)` (synthcity indexes the real distances by the
//!   synthetic neighbour's index; reproduced as is);
//! - `delta = 1 - sum_k |alphas[k] - curve[k]| / sum_k alphas[k]` for either curve.
//!
//! The benchmarks report `delta_precision_alpha` and `delta_coverage_beta` as percentages.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use scorediff_tabular::Table;

use crate::coding::Plan;
use crate::embed::{Centre, Embedding, MinMax};
use crate::error::{EvalError, Result};
use crate::knn::{Metric, nearest};
use crate::progress::Progress;

/// alpha-precision / beta-recall results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlphaBetaResult {
    /// The alpha levels.
    pub alphas: Vec<f64>,
    /// alpha-precision curve (share of synthetic rows inside the real alpha-ball).
    pub alpha_precision_curve: Vec<f64>,
    /// beta-coverage curve.
    pub beta_coverage_curve: Vec<f64>,
    /// synthcity's `delta_precision_alpha_naive` in `[0, 1]`.
    pub delta_precision_alpha: f64,
    /// synthcity's `delta_coverage_beta_naive` in `[0, 1]`.
    pub delta_coverage_beta: f64,
    /// synthcity's `authenticity_naive`.
    pub authenticity: f64,
    /// `100 * delta_precision_alpha`, as the benchmarks report it.
    pub alpha_precision: f64,
    /// `100 * delta_coverage_beta`, as the benchmarks report it.
    pub beta_recall: f64,
    /// Rows used from each table (the larger table is subsampled to the smaller's size).
    pub n_rows: usize,
}

/// Quantile with linear interpolation of a sorted sample (numpy's default method).
pub fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// `alphas = linspace(0, 1, steps)`.
fn linspace(steps: usize) -> Vec<f64> {
    (0..steps)
        .map(|k| {
            if steps > 1 {
                k as f64 / (steps - 1) as f64
            } else {
                0.0
            }
        })
        .collect()
}

/// `1 - sum |alphas - curve| / sum alphas`.
fn delta(alphas: &[f64], curve: &[f64]) -> f64 {
    let dev: f64 = alphas.iter().zip(curve).map(|(a, c)| (a - c).abs()).sum();
    1.0 - dev / alphas.iter().sum::<f64>()
}

/// `n` row indices of `0..total`, a seeded random subset when `n < total`.
pub(crate) fn subsample(total: usize, n: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..total).collect();
    if n < total {
        idx.shuffle(rng);
        idx.truncate(n);
        idx.sort_unstable();
    }
    idx
}

/// alpha-precision / beta-recall on embeddings of equal size (see the module doc).
pub fn alpha_beta_embedded(
    x: &Embedding,
    s: &Embedding,
    n_categories: &[usize],
    steps: usize,
    progress: &dyn Progress,
) -> Result<AlphaBetaResult> {
    if x.n < 2 || s.n != x.n {
        return Err(EvalError::TooFewRows {
            table: "real",
            rows: x.n,
            metric: "alpha-precision",
        });
    }
    if steps < 2 {
        return Err(EvalError::Config("alpha_steps must be at least 2".into()));
    }
    let alphas = linspace(steps);
    let c = Centre::of(x, n_categories);
    let mut real_to_c: Vec<f64> = (0..x.n).map(|i| c.distance(x, i)).collect();
    real_to_c.sort_by(f64::total_cmp);
    let radii: Vec<f64> = alphas
        .iter()
        .map(|&a| quantile_sorted(&real_to_c, a))
        .collect();
    let syn_to_c: Vec<f64> = (0..s.n).map(|j| c.distance(s, j)).collect();

    let rr = nearest(
        x,
        x,
        Metric::Euclidean,
        true,
        progress,
        "alpha-precision: real to real",
    );
    let rs = nearest(
        x,
        s,
        Metric::Euclidean,
        false,
        progress,
        "alpha-precision: real to synthetic",
    );
    let real_to_real: Vec<f64> = rr
        .iter()
        .map(|n| n.map_or(f64::INFINITY, |n| n.dist))
        .collect();
    let (real_to_syn, args): (Vec<f64>, Vec<usize>) = rs
        .iter()
        .map(|n| n.map_or((f64::INFINITY, 0), |n| (n.dist, n.index)))
        .unzip();

    let cs = Centre::of(s, n_categories);
    let closest_d: Vec<f64> = args.iter().map(|&j| cs.distance(s, j)).collect();
    let mut closest_sorted = closest_d.clone();
    closest_sorted.sort_by(f64::total_cmp);
    let beta_radii: Vec<f64> = alphas
        .iter()
        .map(|&a| quantile_sorted(&closest_sorted, a))
        .collect();

    let n = x.n as f64;
    let alpha_curve: Vec<f64> = radii
        .iter()
        .map(|&r| syn_to_c.iter().filter(|&&d| d <= r).count() as f64 / s.n as f64)
        .collect();
    let beta_curve: Vec<f64> = beta_radii
        .iter()
        .map(|&r| {
            (0..x.n)
                .filter(|&i| real_to_syn[i] <= real_to_real[i] && closest_d[i] <= r)
                .count() as f64
                / n
        })
        .collect();
    let authenticity = (0..x.n)
        .filter(|&i| real_to_real[args[i]] < real_to_syn[i])
        .count() as f64
        / n;
    let (dp, dc) = (delta(&alphas, &alpha_curve), delta(&alphas, &beta_curve));
    Ok(AlphaBetaResult {
        alphas,
        alpha_precision_curve: alpha_curve,
        beta_coverage_curve: beta_curve,
        delta_precision_alpha: dp,
        delta_coverage_beta: dc,
        authenticity,
        alpha_precision: dp * 100.0,
        beta_recall: dc * 100.0,
        n_rows: x.n,
    })
}

/// alpha-precision / beta-recall of `syn` against `real` (all columns, or all but `exclude`),
/// with `steps` alpha levels; when the row counts differ the larger table is subsampled
/// (seeded) to the smaller's size, since the definition pairs the two samples.
pub fn alpha_beta(
    real: &Table,
    syn: &Table,
    exclude: &[&str],
    steps: usize,
    seed: u64,
    progress: &dyn Progress,
) -> Result<AlphaBetaResult> {
    let plan = Plan::build(real, &[("synthetic", syn)], exclude)?;
    let (cr, cs) = (plan.code(real, "real")?, plan.code(syn, "synthetic")?);
    let scaler = MinMax::fit(&plan, &cr);
    let (mut x, mut s) = (scaler.embed(&cr), scaler.embed(&cs));
    let n = x.n.min(s.n);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    if x.n > n {
        x = x.select(&subsample(x.n, n, &mut rng));
    }
    if s.n > n {
        s = s.select(&subsample(s.n, n, &mut rng));
    }
    alpha_beta_embedded(&x, &s, &scaler.n_categories, steps, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    fn emb(v: &[f64]) -> Embedding {
        Embedding {
            n: v.len(),
            num: vec![v.to_vec()],
            cat: vec![],
        }
    }

    #[test]
    fn quantile_like_numpy() {
        // np.quantile([1, 2, 4], 0.25) = 1 + 0.5 * (2 - 1) = 1.5; q = 0.75 -> 2 + 0.5 * 2 = 3.
        assert_eq!(quantile_sorted(&[1.0, 2.0, 4.0], 0.25), 1.5);
        assert_eq!(quantile_sorted(&[1.0, 2.0, 4.0], 0.75), 3.0);
    }

    #[test]
    fn by_hand_three_levels() {
        // Real x = (0, 1, 2), centre 1, distances to centre (1, 0, 1) sorted (0, 1, 1);
        // alphas (0, 0.5, 1) -> radii (0, 1, 1).
        // Synthetic s = (1, 1, 5): distances to the real centre (0, 0, 4).
        // alpha curve: (2/3, 2/3, 2/3).
        // delta_precision = 1 - (2/3 + 1/6 + 1/3) / 1.5 = 1 - 7/9 = 2/9.
        // Real-to-real nearest-other: (1, 1, 1). Real-to-syn: x=0 -> s_0 (1), x=1 -> s_0 (0),
        // x=2 -> s_0 (1): args (0, 0, 0), n = (1, 0, 1) <= r = (1, 1, 1) for all.
        // Synthetic centre 7/3; d_i = |1 - 7/3| = 4/3 for all, beta radii all 4/3
        // -> beta curve (1, 1, 1), delta_coverage = 1 - (1 + 0.5 + 0) / 1.5 = 0.
        // authenticity: r_{a_i} = r_0 = 1 < n_i = (1, 0, 1)? never -> 0.
        let r = alpha_beta_embedded(
            &emb(&[0.0, 1.0, 2.0]),
            &emb(&[1.0, 1.0, 5.0]),
            &[],
            3,
            &NoProgress,
        )
        .unwrap();
        for (got, want) in r.alpha_precision_curve.iter().zip([2.0 / 3.0; 3]) {
            assert!((got - want).abs() < 1e-12);
        }
        assert!((r.delta_precision_alpha - 2.0 / 9.0).abs() < 1e-12);
        assert_eq!(r.beta_coverage_curve, vec![1.0, 1.0, 1.0]);
        assert!(r.delta_coverage_beta.abs() < 1e-12);
        assert_eq!(r.authenticity, 0.0);
    }
}
