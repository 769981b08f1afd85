//! Machine-learning efficiency (DESIGN.md §3): a gradient-boosted tree classifier trained on
//! one table (synthetic rows, or the real training rows as the reference) predicts the binary
//! target of the real test table; the score is the test ROC AUC.
//!
//! Features: numerical columns as they are (missing -> NaN, its own bin) and categorical
//! columns as category codes (see [`crate::coding`]; trees split on code order, which for the
//! ordinal Credit Default codes is their natural order). The hyper-parameters (depth,
//! learning rate, number of trees in steps) are chosen on a seeded validation split of the
//! training rows by validation AUC; the model is then refitted on all training rows.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use scorediff_tabular::Table;

use crate::auc::roc_auc;
use crate::coding::{Coded, CodedColumn, ColumnKind, Plan};
use crate::config::EvalConfig;
use crate::error::{EvalError, Result};
use crate::gbdt::{Gbdt, GbdtParams};
use crate::progress::Progress;

/// One MLE fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MleFit {
    /// ROC AUC on the real test table.
    pub test_auc: f64,
    /// Best validation AUC of the hyper-parameter search.
    pub val_auc: f64,
    /// The chosen hyper-parameters (with the chosen number of trees).
    pub params: GbdtParams,
    /// Training rows used (missing targets dropped).
    pub n_train: usize,
}

/// MLE results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MleResult {
    /// Trained on the synthetic table.
    pub synthetic: MleFit,
    /// Trained on the real training table (the reference), when asked for.
    pub real: Option<MleFit>,
}

/// Binary labels of the target column (`None` where missing): the two classes are the two
/// non-missing categories (or numbers), the positive class the later one in code order
/// (`1` for a 0/1 target).
fn labels(plan: &Plan, coded: &Coded, t: usize, target: &str) -> Result<Vec<Option<bool>>> {
    let bad = |reason: String| EvalError::BadTarget {
        column: target.to_string(),
        reason,
    };
    match (&plan.columns[t].kind, &coded.columns[t]) {
        (ColumnKind::Categorical { categories }, CodedColumn::Cat(c)) => {
            let present: Vec<usize> = (0..categories.len())
                .filter(|&k| categories[k].is_some())
                .collect();
            if present.len() != 2 {
                return Err(bad(format!(
                    "needs exactly 2 classes, found {}",
                    present.len()
                )));
            }
            Ok(c.iter()
                .map(|&k| {
                    categories[k as usize]
                        .as_ref()
                        .map(|_| k as usize == present[1])
                })
                .collect())
        }
        (ColumnKind::Numerical, CodedColumn::Num(v)) => {
            let mut vals: Vec<f64> = v
                .iter()
                .flatten()
                .copied()
                .filter(|x| !x.is_nan())
                .collect();
            vals.sort_by(f64::total_cmp);
            vals.dedup();
            if vals.len() != 2 {
                return Err(bad(format!(
                    "needs exactly 2 distinct values, found {}",
                    vals.len()
                )));
            }
            Ok(v.iter()
                .map(|x| x.filter(|x| !x.is_nan()).map(|x| x == vals[1]))
                .collect())
        }
        _ => Err(bad("inconsistent coding".into())),
    }
}

/// Column-major tree features of the rows `rows` (all columns but the target).
fn features(coded: &Coded, target: usize, rows: &[usize]) -> Vec<Vec<f64>> {
    coded
        .columns
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != target)
        .map(|(_, col)| match col {
            CodedColumn::Num(v) => rows.iter().map(|&r| v[r].unwrap_or(f64::NAN)).collect(),
            CodedColumn::Cat(c) => rows.iter().map(|&r| c[r] as f64).collect(),
        })
        .collect()
}

/// Features and labels of a coded table, rows with a missing target dropped.
fn dataset(
    plan: &Plan,
    coded: &Coded,
    t: usize,
    target: &str,
) -> Result<(Vec<Vec<f64>>, Vec<bool>)> {
    let y = labels(plan, coded, t, target)?;
    let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i].is_some()).collect();
    Ok((
        features(coded, t, &rows),
        rows.iter().filter_map(|&i| y[i]).collect(),
    ))
}

fn take(cols: &[Vec<f64>], rows: &[usize]) -> Vec<Vec<f64>> {
    cols.iter()
        .map(|c| rows.iter().map(|&r| c[r]).collect())
        .collect()
}

/// Hyper-parameter search on a validation split, refit on all rows, test AUC.
fn fit_and_score(
    x: &[Vec<f64>],
    y: &[bool],
    xt: &[Vec<f64>],
    yt: &[bool],
    cfg: &EvalConfig,
    progress: &dyn Progress,
    stage: &str,
) -> Result<MleFit> {
    let n = y.len();
    if n < 4 || cfg.mle_grid.is_empty() {
        return Err(EvalError::TooFewRows {
            table: "training",
            rows: n,
            metric: "MLE",
        });
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed));
    let n_val = ((n as f64 * cfg.mle_val_fraction).round() as usize).clamp(1, n - 1);
    let (val, tr) = idx.split_at(n_val);
    let (xtr, xval) = (take(x, tr), take(x, val));
    let ytr: Vec<bool> = tr.iter().map(|&i| y[i]).collect();
    let yval: Vec<bool> = val.iter().map(|&i| y[i]).collect();
    let total = cfg.mle_grid.len() + 1;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let scored: Vec<(f64, GbdtParams)> = cfg
        .mle_grid
        .par_iter()
        .map(|p| {
            let m = Gbdt::fit(&xtr, &ytr, p);
            let best = m
                .staged_raw(&xval, cfg.mle_tree_step)
                .into_iter()
                .map(|(k, z)| (roc_auc(&z, &yval).unwrap_or(0.5), k))
                .fold((f64::NEG_INFINITY, 0), |a, b| if b.0 > a.0 { b } else { a });
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress.report(stage, d, total);
            (
                best.0,
                GbdtParams {
                    n_trees: best.1,
                    ..p.clone()
                },
            )
        })
        .collect();
    let (val_auc, params) =
        scored
            .into_iter()
            .fold((f64::NEG_INFINITY, GbdtParams::default()), |a, b| {
                if b.0 > a.0 { b } else { a }
            });
    let model = Gbdt::fit(x, y, &params);
    progress.report(stage, total, total);
    let test_auc = roc_auc(&model.predict_proba(xt), yt).unwrap_or(0.5);
    Ok(MleFit {
        test_auc,
        val_auc,
        params,
        n_train: n,
    })
}

/// MLE of a model trained on `train` (synthetic or real) and tested on the real `test`
/// table, `cfg.target` the binary target.
pub fn mle_fit(
    train: &Table,
    test: &Table,
    cfg: &EvalConfig,
    progress: &dyn Progress,
    stage: &str,
) -> Result<MleFit> {
    let plan = Plan::build(train, &[("test", test)], &[])?;
    let t = plan
        .columns
        .iter()
        .position(|c| c.name == cfg.target)
        .ok_or_else(|| EvalError::MissingColumn {
            column: cfg.target.clone(),
            table: "training",
        })?;
    let (x, y) = dataset(&plan, &plan.code(train, "training")?, t, &cfg.target)?;
    let (xt, yt) = dataset(&plan, &plan.code(test, "test")?, t, &cfg.target)?;
    fit_and_score(&x, &y, &xt, &yt, cfg, progress, stage)
}

/// MLE of the synthetic table and, with `cfg.mle_real_reference`, of the real training table.
pub fn mle(
    real: &Table,
    test: &Table,
    syn: &Table,
    cfg: &EvalConfig,
    progress: &dyn Progress,
) -> Result<MleResult> {
    // The synthetic table is coded under the real table's column list and types.
    let syn_aligned = align(real, syn)?;
    let synthetic = mle_fit(&syn_aligned, test, cfg, progress, "MLE: synthetic")?;
    let real = if cfg.mle_real_reference {
        Some(mle_fit(real, test, cfg, progress, "MLE: real")?)
    } else {
        None
    };
    Ok(MleResult { synthetic, real })
}

/// `syn`'s columns in `real`'s order (an error if one is missing).
fn align(real: &Table, syn: &Table) -> Result<Table> {
    let columns = real
        .columns
        .iter()
        .map(|c| {
            syn.column(&c.name)
                .cloned()
                .ok_or_else(|| EvalError::MissingColumn {
                    column: c.name.clone(),
                    table: "synthetic",
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Table { columns })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use scorediff_tabular::Column;

    #[test]
    fn learns_a_threshold_rule() {
        // y = [x > 50] with a noise column: the test AUC must be 1.
        let mk = |lo: usize, hi: usize| {
            Table::new(vec![
                Column::numerical("x", (lo..hi).map(|i| Some((i % 100) as f64)).collect()),
                Column::categorical(
                    "noise",
                    (lo..hi).map(|i| Some(((i * 7) % 3).to_string())).collect(),
                ),
                Column::categorical(
                    "y",
                    (lo..hi)
                        .map(|i| Some(((i % 100 > 50) as u8).to_string()))
                        .collect(),
                ),
            ])
            .unwrap()
        };
        let mut cfg = EvalConfig::new("y");
        cfg.mle_grid = vec![GbdtParams {
            n_trees: 20,
            max_depth: 2,
            ..GbdtParams::default()
        }];
        cfg.mle_tree_step = 5;
        let r = mle(&mk(0, 600), &mk(600, 800), &mk(0, 600), &cfg, &NoProgress).unwrap();
        assert!((r.synthetic.test_auc - 1.0).abs() < 1e-12);
        assert!(r.real.is_some());
    }

    #[test]
    fn rejects_a_non_binary_target() {
        let t = Table::new(vec![Column::categorical(
            "y",
            ["a", "b", "c", "a"]
                .iter()
                .map(|s| Some(s.to_string()))
                .collect(),
        )])
        .unwrap();
        let cfg = EvalConfig::new("y");
        assert!(matches!(
            mle_fit(&t, &t, &cfg, &NoProgress, "t"),
            Err(EvalError::BadTarget { .. })
        ));
    }
}
