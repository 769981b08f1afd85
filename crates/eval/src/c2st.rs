//! C2ST detection score (DESIGN.md §3): a classifier tells real rows (label 0) from synthetic
//! rows (label 1) in stratified k-fold cross-validation; each fold scores
//! `max(0.5, AUC) * 2 - 1` and the metric is `1 - mean(fold scores)` (1: indistinguishable,
//! 0: perfectly separable). Two detectors ([`Detector`]):
//!
//! - `Logistic`, as SDMetrics' `LogisticDetection` defines it: a logistic regression (mean
//!   imputation, robust scaling, `C = 1`) on numerical + one-hot features. It sees only
//!   linear effects and saturates: a model of independent columns already scores about 0.995
//!   on Credit Default.
//! - `BoostedTrees`: gradient-boosted trees with XGBoost's default settings
//!   ([`GbdtParams::xgboost_defaults`]) on one feature per column (the number, missing as
//!   missing; a category as its code in the plan's order, as the MLE test codes it), the
//!   detector of the 2026 probabilistic-circuit study. Trees find interactions and exact
//!   relations between columns, which the logistic detector cannot.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use scorediff_tabular::Table;

use crate::alpha_beta::quantile_sorted;
use crate::auc::roc_auc;
use crate::coding::{Coded, CodedColumn, Plan};
use crate::error::{EvalError, Result};
use crate::gbdt::{Gbdt, GbdtParams};
use crate::logistic::Logistic;
use crate::progress::Progress;

/// The classifier of a C2ST.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Detector {
    /// L2-penalised logistic regression with inverse strength `c` (scikit-learn default 1).
    Logistic {
        /// Inverse L2 strength.
        c: f64,
    },
    /// Gradient-boosted trees (binary log-loss).
    BoostedTrees {
        /// The booster's settings.
        params: GbdtParams,
    },
}

impl Detector {
    /// The label of progress reports and report rows.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Logistic { .. } => "C2ST (logistic)",
            Self::BoostedTrees { .. } => "C2ST (boosted trees)",
        }
    }
}

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

/// The C2ST result of per-fold AUCs.
pub(crate) fn summarise(fold_auc: Vec<f64>) -> C2stResult {
    let folds = fold_auc.len().max(1) as f64;
    let mean_score = fold_auc.iter().map(|a| a.max(0.5) * 2.0 - 1.0).sum::<f64>() / folds;
    let auc = fold_auc.iter().sum::<f64>() / folds;
    C2stResult {
        fold_auc,
        auc,
        score: 1.0 - mean_score,
    }
}

/// Labels (real `false` first, then synthetic `true`) and their stratified folds.
pub(crate) fn labels_and_folds(
    n_real: usize,
    n_syn: usize,
    folds: usize,
    seed: u64,
) -> (Vec<bool>, Vec<usize>) {
    let y: Vec<bool> = (0..n_real)
        .map(|_| false)
        .chain((0..n_syn).map(|_| true))
        .collect();
    let fold = stratified_folds(&y, folds, &mut ChaCha8Rng::seed_from_u64(seed));
    (y, fold)
}

/// Checks the fold count and that each table has a row per fold.
pub(crate) fn check_tables(real: &Table, syn: &Table, folds: usize) -> Result<()> {
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
    Ok(())
}

/// Column-major tree features of the real then the synthetic rows: one per plan column (the
/// number with `NaN` for missing, or the category code).
pub(crate) fn tree_features(real: &Coded, syn: &Coded) -> Vec<Vec<f64>> {
    real.columns
        .iter()
        .zip(&syn.columns)
        .map(|pair| match pair {
            (CodedColumn::Num(a), CodedColumn::Num(b)) => {
                a.iter().chain(b).map(|z| z.unwrap_or(f64::NAN)).collect()
            }
            (CodedColumn::Cat(a), CodedColumn::Cat(b)) => {
                a.iter().chain(b).map(|&k| k as f64).collect()
            }
            _ => unreachable!("one plan codes both tables alike"),
        })
        .collect()
}

/// Held-out AUC of each fold of boosted trees on column-major features `cols`.
pub(crate) fn tree_fold_aucs(
    cols: &[&[f64]],
    y: &[bool],
    fold: &[usize],
    folds: usize,
    params: &GbdtParams,
    progress: Option<(&dyn Progress, &str)>,
) -> Vec<f64> {
    (0..folds)
        .map(|k| {
            if let Some((p, label)) = progress {
                p.report(label, k, folds);
            }
            let train: Vec<usize> = (0..y.len()).filter(|&i| fold[i] != k).collect();
            let test: Vec<usize> = (0..y.len()).filter(|&i| fold[i] == k).collect();
            let take = |rows: &[usize]| -> Vec<Vec<f64>> {
                cols.iter()
                    .map(|c| rows.iter().map(|&i| c[i]).collect())
                    .collect()
            };
            let ytr: Vec<bool> = train.iter().map(|&i| y[i]).collect();
            let model = Gbdt::fit(&take(&train), &ytr, params);
            let z = model.predict_proba(&take(&test));
            let yte: Vec<bool> = test.iter().map(|&i| y[i]).collect();
            roc_auc(&z, &yte).unwrap_or(0.5)
        })
        .collect()
}

/// Held-out AUC of each fold of the logistic detector on row-major features `x` (`p`
/// columns; the real rows' and synthetic rows' one-hot features, in label order).
fn logistic_fold_aucs(
    x: &[f64],
    p: usize,
    y: &[bool],
    fold: &[usize],
    folds: usize,
    c: f64,
    progress: &dyn Progress,
) -> Vec<f64> {
    (0..folds)
        .map(|k| {
            progress.report(Detector::Logistic { c }.label(), k, folds);
            let train: Vec<usize> = (0..y.len()).filter(|&i| fold[i] != k).collect();
            let test: Vec<usize> = (0..y.len()).filter(|&i| fold[i] == k).collect();
            let xs = impute_and_scale(x, p, &train);
            let gather = |rows: &[usize]| -> Vec<f64> {
                rows.iter()
                    .flat_map(|&i| xs[i * p..(i + 1) * p].iter().copied())
                    .collect()
            };
            let ytr: Vec<bool> = train.iter().map(|&i| y[i]).collect();
            let model = Logistic::fit(&gather(&train), p, &ytr, c);
            let z = model.decision(&gather(&test));
            let yte: Vec<bool> = test.iter().map(|&i| y[i]).collect();
            roc_auc(&z, &yte).unwrap_or(0.5)
        })
        .collect()
}

/// C2ST of `syn` against `real` over all columns with `folds` folds and `detector`.
pub fn c2st(
    real: &Table,
    syn: &Table,
    folds: usize,
    detector: &Detector,
    seed: u64,
    progress: &dyn Progress,
) -> Result<C2stResult> {
    check_tables(real, syn, folds)?;
    let plan = Plan::build(real, &[("synthetic", syn)], &[])?;
    let (cr, cs) = (plan.code(real, "real")?, plan.code(syn, "synthetic")?);
    let (y, fold) = labels_and_folds(real.n_rows(), syn.n_rows(), folds, seed);
    let fold_auc = match detector {
        Detector::Logistic { c } => {
            let (xr, p) = one_hot_rows(&plan, &cr);
            let (xs, _) = one_hot_rows(&plan, &cs);
            let x: Vec<f64> = xr.into_iter().chain(xs).collect();
            logistic_fold_aucs(&x, p, &y, &fold, folds, *c, progress)
        }
        Detector::BoostedTrees { params } => {
            let cols = tree_features(&cr, &cs);
            let views: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            let label = detector.label();
            tree_fold_aucs(&views, &y, &fold, folds, params, Some((progress, label)))
        }
    };
    progress.report(detector.label(), folds, folds);
    Ok(summarise(fold_auc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use scorediff_tabular::Column;

    const LOGISTIC: Detector = Detector::Logistic { c: 1.0 };

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
        let r = c2st(&real, &syn, 3, &LOGISTIC, 7, &NoProgress).unwrap();
        assert!(r.score.abs() < 1e-12, "{r:?}");
        // The same rows on both sides: the model can only guess, AUC 0.5 and score 1
        // (identical features give identical scores, so the rank AUC is exactly 0.5).
        let r = c2st(&real, &real, 3, &LOGISTIC, 7, &NoProgress).unwrap();
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
