//! Runs every enabled metric (DESIGN.md §3) and gathers the [`Report`].

use std::time::Instant;

use scorediff_tabular::Table;

use crate::c2st::Detector;
use crate::config::EvalConfig;
use crate::error::Result;
use crate::progress::Progress;
use crate::report::{ReferenceScores, Report, Timing};
use crate::{alpha_beta, c2st, dcr, diagnose, mle, shape, trend};

/// Runs `f`, records its wall-clock seconds under `name`.
fn timed<T>(timings: &mut Vec<Timing>, name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let t0 = Instant::now();
    let r = f()?;
    timings.push(Timing {
        metric: name.to_string(),
        seconds: t0.elapsed().as_secs_f64(),
    });
    Ok(r)
}

/// Evaluates `syn` against the real training table `real_train`: Shape, Trend,
/// alpha-precision / beta-recall and C2ST always (when enabled), MLE when `test` is given,
/// DCR when `holdout` is given. `progress` receives reports from the slow parts.
pub fn evaluate(
    real_train: &Table,
    test: Option<&Table>,
    syn: &Table,
    holdout: Option<&Table>,
    cfg: &EvalConfig,
    progress: &dyn Progress,
) -> Result<Report> {
    let mut tm = Vec::new();
    let cap = cfg.max_rows.max(1);
    let longest = [Some(real_train), Some(syn), holdout]
        .into_iter()
        .flatten()
        .map(Table::n_rows)
        .max()
        .unwrap_or(0);
    let capped_rows = (longest > cap).then_some(cap);
    // Tables within the cap are used as they are (borrowed, not copied).
    let real_nn = subsample(real_train, cap, cfg.seed);
    let syn_nn = subsample(syn, cap, cfg.seed ^ 1);
    let holdout_nn = holdout.map(|h| subsample(h, cap, cfg.seed ^ 2));
    let (real_nn, syn_nn, holdout_nn) = (&*real_nn, &*syn_nn, holdout_nn.as_deref());
    let shape = if cfg.shape {
        Some(timed(&mut tm, "shape", || shape::shape(real_train, syn))?)
    } else {
        None
    };
    let trend = if cfg.trend {
        Some(timed(&mut tm, "trend", || {
            trend::trend(real_train, syn, cfg.trend_bins)
        })?)
    } else {
        None
    };
    let alpha_beta = if cfg.alpha_beta {
        let exclude: Vec<&str> = if cfg.alpha_beta_with_target {
            vec![]
        } else {
            vec![cfg.target.as_str()]
        };
        Some(timed(&mut tm, "alpha_beta", || {
            alpha_beta::alpha_beta(
                real_nn,
                syn_nn,
                &exclude,
                cfg.alpha_steps,
                cfg.seed,
                progress,
            )
        })?)
    } else {
        None
    };
    let c2st = if cfg.c2st {
        Some(timed(&mut tm, "c2st", || {
            c2st::c2st(
                real_nn,
                syn_nn,
                cfg.c2st_folds,
                &Detector::Logistic { c: cfg.c2st_c },
                cfg.seed,
                progress,
            )
        })?)
    } else {
        None
    };
    let trees = Detector::BoostedTrees {
        params: cfg.c2st_trees_params.clone(),
    };
    let c2st_trees = if cfg.c2st_trees {
        Some(timed(&mut tm, "c2st_trees", || {
            c2st::c2st(real_nn, syn_nn, cfg.c2st_folds, &trees, cfg.seed, progress)
        })?)
    } else {
        None
    };
    let diagnostics = if cfg.diagnostics {
        Some(timed(&mut tm, "diagnostics", || {
            diagnose::diagnose(
                real_nn,
                syn_nn,
                cfg.c2st_folds,
                &cfg.c2st_trees_params,
                cfg.seed,
                progress,
            )
        })?)
    } else {
        None
    };
    let mle = match test {
        Some(test) if cfg.mle => Some(timed(&mut tm, "mle", || {
            mle::mle(real_train, test, syn, cfg, progress)
        })?),
        _ => None,
    };
    let dcr = match holdout_nn {
        Some(h) if cfg.dcr => Some(timed(&mut tm, "dcr", || {
            dcr::dcr(real_nn, h, syn_nn, cfg.seed, progress)
        })?),
        _ => None,
    };
    let reference = match test {
        Some(t) if cfg.shape || cfg.trend => Some(timed(&mut tm, "reference", || {
            reference_scores(real_train, t, cfg)
        })?),
        _ => None,
    };
    Ok(Report {
        config: cfg.clone(),
        n_real: real_train.n_rows(),
        n_synthetic: syn.n_rows(),
        n_test: test.map(Table::n_rows),
        n_holdout: holdout.map(Table::n_rows),
        capped_rows,
        shape,
        trend,
        alpha_beta,
        c2st,
        c2st_trees,
        diagnostics,
        mle,
        dcr,
        reference,
        timings: tm,
    })
}

/// Shape and Trend of the real test rows against the training rows.
fn reference_scores(real_train: &Table, test: &Table, cfg: &EvalConfig) -> Result<ReferenceScores> {
    let shape_error = if cfg.shape {
        Some(shape::shape(real_train, test)?.error)
    } else {
        None
    };
    let trend = if cfg.trend {
        Some(trend::trend(real_train, test, cfg.trend_bins)?)
    } else {
        None
    };
    Ok(ReferenceScores {
        table: "test".into(),
        n_rows: test.n_rows(),
        shape_error,
        trend_error: trend.as_ref().map(|t| t.error),
        trend_error_real_bins: trend.as_ref().map(|t| t.error_real_bins),
    })
}

/// At most `n` rows of `table`, drawn without replacement (seeded), in their original order;
/// the table itself when it has no more.
fn subsample(table: &Table, n: usize, seed: u64) -> std::borrow::Cow<'_, Table> {
    if table.n_rows() <= n {
        return std::borrow::Cow::Borrowed(table);
    }
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut rows = rand::seq::index::sample(&mut rng, table.n_rows(), n).into_vec();
    rows.sort_unstable();
    std::borrow::Cow::Owned(table.select_rows(&rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gbdt::GbdtParams;
    use scorediff_tabular::Column;

    fn table(n: usize, shift: usize) -> Table {
        Table::new(vec![
            Column::numerical(
                "x",
                (0..n).map(|i| Some(((i + shift) % 17) as f64)).collect(),
            ),
            Column::categorical(
                "c",
                (0..n)
                    .map(|i| Some(((i + shift) % 3).to_string()))
                    .collect(),
            ),
            Column::categorical(
                "y",
                (0..n)
                    .map(|i| Some((((i + shift) % 17 > 8) as u8).to_string()))
                    .collect(),
            ),
        ])
        .unwrap()
    }

    #[test]
    fn evaluate_runs_every_metric_and_writes_the_report() {
        let mut cfg = EvalConfig::new("y");
        cfg.mle_grid = vec![GbdtParams {
            n_trees: 10,
            max_depth: 2,
            ..GbdtParams::default()
        }];
        cfg.mle_tree_step = 5;
        let (real, syn, test) = (table(120, 0), table(120, 0), table(60, 5));
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let progress = |_: &str, _: usize, _: usize| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        };
        let r = evaluate(&real, Some(&test), &syn, Some(&test), &cfg, &progress).unwrap();
        // Identical tables: Shape and Trend errors are exactly 0.
        assert_eq!(r.shape.as_ref().unwrap().error, 0.0);
        assert_eq!(r.trend.as_ref().unwrap().error, 0.0);
        assert!(r.alpha_beta.is_some() && r.c2st.is_some() && r.mle.is_some() && r.dcr.is_some());
        // Identical tables: no detector can tell them apart.
        assert!(
            r.c2st_trees.as_ref().unwrap().score > 0.8,
            "{:?}",
            r.c2st_trees
        );
        let d = r.diagnostics.as_ref().unwrap();
        assert_eq!(d.columns.len(), 3);
        assert_eq!(d.value_sets[0].unseen_share, 0.0);
        assert!(r.summary().contains("C2ST (trees)"));
        assert!(calls.load(std::sync::atomic::Ordering::Relaxed) > 0);
        let dir = std::env::temp_dir().join(format!("scorediff-eval-test-{}", std::process::id()));
        let plots = crate::plots::make_plots(&real, &syn, &r).unwrap();
        crate::html::write_report(&dir, &r, Some(&plots)).unwrap();
        let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
        let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
        assert!(json.contains("\"shape\"") && html.contains("<svg") && !html.contains("<img"));
        assert!(html.contains("id=\"summary-table\"") && json.contains("\"reference\""));
        // Identical real and synthetic tables: the test rows' reference scores are reported.
        let reference = r.reference.as_ref().unwrap();
        assert_eq!(reference.n_rows, 60);
        assert!(reference.shape_error.unwrap() > 0.0);
        assert!(json.contains("\"c2st_trees\"") && json.contains("\"value_sets\""));
        assert!(html.contains("Where the detector sees the difference"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn long_tables_are_capped_for_the_neighbour_metrics_and_the_report_says_so() {
        let mut cfg = EvalConfig::new("y");
        cfg.mle = false;
        let (real, syn) = (table(120, 0), table(120, 3));
        let full = evaluate(&real, None, &syn, Some(&real), &cfg, &|_: &str, _, _| {}).unwrap();
        assert_eq!(full.capped_rows, None);
        cfg.max_rows = 50;
        let capped = evaluate(&real, None, &syn, Some(&real), &cfg, &|_: &str, _, _| {}).unwrap();
        assert_eq!(capped.capped_rows, Some(50));
        assert!(capped.summary().contains("subsample of 50 rows"));
        // Shape and Trend still see every row; the neighbour metrics see the subsample.
        assert_eq!(capped.shape.unwrap().error, full.shape.unwrap().error);
        assert!(capped.alpha_beta.is_some() && capped.dcr.is_some());
        let sub = subsample(&real, 50, 1);
        assert_eq!(sub.n_rows(), 50);
        assert_eq!(sub, subsample(&real, 50, 1), "seeded");
    }
}
