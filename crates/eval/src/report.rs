//! The evaluation report: every number of a run, serialisable to JSON.

use serde::Serialize;

use crate::alpha_beta::AlphaBetaResult;
use crate::c2st::C2stResult;
use crate::config::EvalConfig;
use crate::dcr::DcrResult;
use crate::diagnose::Diagnostics;
use crate::mle::MleResult;
use crate::shape::ShapeResult;
use crate::trend::TrendResult;

/// Wall-clock seconds of one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    /// Metric name.
    pub metric: String,
    /// Seconds spent.
    pub seconds: f64,
}

/// What real rows score against the real training rows: the test table's rows, scored as if
/// they were synthetic (Shape and Trend; cheap, so computed whenever a test table is given).
/// A synthetic table cannot be expected to beat real rows of the same population by much;
/// these give each fidelity figure its scale on this table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceScores {
    /// The table scored ("test").
    pub table: String,
    /// Its rows.
    pub n_rows: usize,
    /// Its Shape error against the training rows.
    pub shape_error: Option<f64>,
    /// Its Trend error against the training rows.
    pub trend_error: Option<f64>,
    /// Its Trend error on the real table's bin edges (the diagnostic beside the protocol's).
    pub trend_error_real_bins: Option<f64>,
}

/// All results of [`crate::evaluate`]; a metric that was not run (disabled, or missing its
/// test or holdout table) is `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The configuration of the run.
    pub config: EvalConfig,
    /// Rows of the real training table.
    pub n_real: usize,
    /// Rows of the synthetic table.
    pub n_synthetic: usize,
    /// Rows of the test table, if given.
    pub n_test: Option<usize>,
    /// Rows of the holdout table, if given.
    pub n_holdout: Option<usize>,
    /// When a table was longer than [`EvalConfig::max_rows`]: the rows of each table that
    /// alpha-precision / beta-recall, C2ST and DCR used (a seeded subsample).
    #[serde(default)]
    pub capped_rows: Option<usize>,
    /// Shape (column marginals).
    pub shape: Option<ShapeResult>,
    /// Trend (column pairs).
    pub trend: Option<TrendResult>,
    /// alpha-precision / beta-recall.
    pub alpha_beta: Option<AlphaBetaResult>,
    /// C2ST detection, logistic detector.
    pub c2st: Option<C2stResult>,
    /// C2ST detection, boosted-tree detector.
    #[serde(default)]
    pub c2st_trees: Option<C2stResult>,
    /// Where the boosted-tree detector sees the synthetic rows.
    #[serde(default)]
    pub diagnostics: Option<Diagnostics>,
    /// Machine-learning efficiency.
    pub mle: Option<MleResult>,
    /// Distance to closest record.
    pub dcr: Option<DcrResult>,
    /// What the real test rows score on the cheap fidelity figures (with a test table).
    #[serde(default)]
    pub reference: Option<ReferenceScores>,
    /// Seconds per metric.
    pub timings: Vec<Timing>,
}

impl Report {
    /// One line per headline number, for a terminal.
    pub fn summary(&self) -> String {
        let mut s = Vec::new();
        if let Some(x) = &self.shape {
            s.push(format!("Shape error      {:8.3}", x.error));
        }
        if let Some(x) = &self.trend {
            s.push(format!("Trend error      {:8.3}", x.error));
            s.push(format!(
                "  on real bins   {:8.3}  (diagnostic: numerical columns cut on the real edges)",
                x.error_real_bins
            ));
        }
        if let Some(x) = &self.alpha_beta {
            s.push(format!("alpha-precision  {:8.3}", x.alpha_precision));
            s.push(format!("beta-recall      {:8.3}", x.beta_recall));
        }
        if let Some(x) = &self.c2st {
            s.push(format!("C2ST (logistic)  {:8.4}", x.score));
        }
        if let Some(x) = &self.c2st_trees {
            s.push(format!("C2ST (trees)     {:8.4}", x.score));
        }
        if let Some(n) = self.capped_rows {
            s.push(format!(
                "  (alpha, beta, C2ST, diagnostics and DCR on a seeded subsample of {n} rows per table)"
            ));
        }
        if let Some(x) = &self.mle {
            s.push(format!("MLE AUC (syn)    {:8.4}", x.synthetic.test_auc));
            if let Some(r) = &x.real {
                s.push(format!("MLE AUC (real)   {:8.4}", r.test_auc));
            }
        }
        if let Some(x) = &self.dcr {
            s.push(format!("DCR (% train)    {:8.3}", x.share_closer_to_train));
        }
        s.join("\n")
    }
}
