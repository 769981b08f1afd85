//! C2ST detection score (DESIGN.md §3), as SDMetrics' `LogisticDetection` defines it: a
//! logistic regression (mean imputation, robust scaling, `C = 1`) tells real rows (label 0)
//! from synthetic rows (label 1) on numerical + one-hot features, in stratified k-fold
//! cross-validation; each fold scores `max(0.5, AUC) * 2 - 1` and the metric is
//! `1 - mean(fold scores)` (1: indistinguishable, 0: perfectly separable).

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use scorediff_tabular::Table;

use crate::alpha_beta::quantile_sorted;
use crate::auc::roc_auc;
use crate::coding::{Coded, CodedColumn, Plan};
use crate::error::{EvalError, Result};
use crate::logistic::Logistic;
use crate::progress::Progress;

/// C2ST results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct C2stResult {
    /// ROC AUC of each fold.
    pub fold_auc: Vec<f64>,
    /// Mean fold AUC.
    pub auc: f64,
    /// `1 - mean(max(0.5, AUC) * 2 - 1)`.
    pub score: f64,
}

/// Row-major numerical + one-hot features of a coded table (`NaN` for a missing number).
pub(crate) fn one_hot_rows(plan: &Plan, coded: &Coded) -> (Vec<f64>, usize) {
    let p: usize = plan
        .columns
        .iter()
        .map(|c| {
            if c.is_numerical() {
                1
            } else {
                c.n_categories()
            }
        })
        .sum();
    let mut x = vec![0.0; coded.n_rows * p];
    let mut off = 0;
    for (cp, col) in plan.columns.iter().zip(&coded.columns) {
        match col {
            CodedColumn::Num(v) => {
                v.iter()
                    .enumerate()
                    .for_each(|(r, z)| x[r * p + off] = z.unwrap_or(f64::NAN));
                off += 1;
            }
            CodedColumn::Cat(c) => {
                c.iter()
                    .enumerate()
                    .for_each(|(r, &k)| x[r * p + off + k as usize] = 1.0);
                off += cp.n_categories();
            }
        }
    }
    (x, p)
}

/// Stratified fold of every row: each class shuffled (seeded) and dealt round-robin.
pub(crate) fn stratified_folds(y: &[bool], k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut fold = vec![0; y.len()];
    for class in [false, true] {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        idx.shuffle(rng);
        idx.iter().enumerate().for_each(|(j, &i)| fold[i] = j % k);
    }
    fold
}

/// Mean imputation and robust scaling `(x - median) / IQR` (IQR 0 -> 1), fitted on `train`
/// rows of row-major `x` (`p` columns) and applied to all rows.
fn impute_and_scale(x: &[f64], p: usize, train: &[usize]) -> Vec<f64> {
    let mut out = x.to_vec();
    for j in 0..p {
        let present: Vec<f64> = train
            .iter()
            .map(|&i| x[i * p + j])
            .filter(|v| !v.is_nan())
            .collect();
        let mean = if present.is_empty() {
            0.0
        } else {
            present.iter().sum::<f64>() / present.len() as f64
        };
        let mut col: Vec<f64> = train
            .iter()
            .map(|&i| x[i * p + j])
            .map(|v| if v.is_nan() { mean } else { v })
            .collect();
        col.sort_by(f64::total_cmp);
        let median = quantile_sorted(&col, 0.5);
        let iqr = quantile_sorted(&col, 0.75) - quantile_sorted(&col, 0.25);
        let scale = if iqr > 0.0 && iqr.is_finite() {
            iqr
        } else {
            1.0
        };
        for r in 0..x.len() / p.max(1) {
            let v = out[r * p + j];
            out[r * p + j] = ((if v.is_nan() { mean } else { v }) - median) / scale;
        }
    }
    out
}

/// C2ST of `syn` against `real` over all columns with `folds` folds and inverse penalty `c`.
pub fn c2st(
    real: &Table,
    syn: &Table,
    folds: usize,
    c: f64,
    seed: u64,
    progress: &dyn Progress,
) -> Result<C2stResult> {
    if folds < 2 {
        return Err(EvalError::Config("c2st_folds must be at least 2".into()));
    }
    for (t, which) in [(real, "real"), (syn, "synthetic")] {
        if t.n_rows() < folds {
            return Err(EvalError::TooFewRows {
                table: which,
                rows: t.n_rows(),
                metric: "C2ST",
            });
        }
    }
    let plan = Plan::build(real, &[("synthetic", syn)], &[])?;
    let (xr, p) = one_hot_rows(&plan, &plan.code(real, "real")?);
    let (xs, _) = one_hot_rows(&plan, &plan.code(syn, "synthetic")?);
    let x: Vec<f64> = xr.into_iter().chain(xs).collect();
    let y: Vec<bool> = (0..real.n_rows())
        .map(|_| false)
        .chain((0..syn.n_rows()).map(|_| true))
        .collect();
    let fold = stratified_folds(&y, folds, &mut ChaCha8Rng::seed_from_u64(seed));
    let mut fold_auc = Vec::with_capacity(folds);
    for k in 0..folds {
        progress.report("C2ST", k, folds);
        let train: Vec<usize> = (0..y.len()).filter(|&i| fold[i] != k).collect();
        let test: Vec<usize> = (0..y.len()).filter(|&i| fold[i] == k).collect();
        let xs = impute_and_scale(&x, p, &train);
        let gather = |rows: &[usize]| -> Vec<f64> {
            rows.iter()
                .flat_map(|&i| xs[i * p..(i + 1) * p].iter().copied())
                .collect()
        };
        let ytr: Vec<bool> = train.iter().map(|&i| y[i]).collect();
        let model = Logistic::fit(&gather(&train), p, &ytr, c);
        let z = model.decision(&gather(&test));
        let yte: Vec<bool> = test.iter().map(|&i| y[i]).collect();
        fold_auc.push(roc_auc(&z, &yte).unwrap_or(0.5));
    }
    progress.report("C2ST", folds, folds);
    let mean_score = fold_auc.iter().map(|a| a.max(0.5) * 2.0 - 1.0).sum::<f64>() / folds as f64;
    let auc = fold_auc.iter().sum::<f64>() / folds as f64;
    Ok(C2stResult {
        fold_auc,
        auc,
        score: 1.0 - mean_score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use scorediff_tabular::Column;

    #[test]
    fn separable_tables_score_zero_and_identical_tables_near_one() {
        // Real x in {0..29}, synthetic x in {100..129}: a threshold separates them in every
        // fold, AUC = 1, score = 1 - (1 * 2 - 1) = 0.
        let real = Table::new(vec![Column::numerical(
            "x",
            (0..30).map(|i| Some(i as f64)).collect(),
        )])
        .unwrap();
        let syn = Table::new(vec![Column::numerical(
            "x",
            (100..130).map(|i| Some(i as f64)).collect(),
        )])
        .unwrap();
        let r = c2st(&real, &syn, 3, 1.0, 7, &NoProgress).unwrap();
        assert!(r.score.abs() < 1e-12, "{r:?}");
        // The same rows on both sides: the model can only guess, AUC 0.5 and score 1
        // (identical features give identical scores, so the rank AUC is exactly 0.5).
        let r = c2st(&real, &real, 3, 1.0, 7, &NoProgress).unwrap();
        assert!(r.fold_auc.iter().all(|a| (a - 0.5).abs() < 0.2), "{r:?}");
        assert!(r.score > 0.6);
    }

    #[test]
    fn folds_are_stratified() {
        let y: Vec<bool> = (0..30).map(|i| i < 12).collect();
        let f = stratified_folds(&y, 3, &mut ChaCha8Rng::seed_from_u64(1));
        for k in 0..3 {
            assert_eq!((0..30).filter(|&i| f[i] == k && y[i]).count(), 4);
            assert_eq!((0..30).filter(|&i| f[i] == k && !y[i]).count(), 6);
        }
    }
}
