//! The evaluation settings.

use serde::{Deserialize, Serialize};

use crate::gbdt::GbdtParams;

/// Which metrics to run and their settings (DESIGN.md §3). [`EvalConfig::new`] gives the
/// benchmark protocol's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalConfig {
    /// Name of the target column (binary classification target of the MLE test).
    pub target: String,
    /// Seed of every random draw (fold assignment, subsampling, validation split).
    pub seed: u64,
    /// Run the Shape metric.
    pub shape: bool,
    /// Run the Trend metric.
    pub trend: bool,
    /// Number of equal-width bins of a numerical column in a contingency table (SDMetrics: 10).
    pub trend_bins: usize,
    /// Run alpha-precision / beta-recall.
    pub alpha_beta: bool,
    /// Number of alpha levels in `[0, 1]` (synthcity: 30).
    pub alpha_steps: usize,
    /// Keep the target column among the alpha-precision features (TabSyn does).
    pub alpha_beta_with_target: bool,
    /// Run the C2ST detection test.
    pub c2st: bool,
    /// Folds of the C2ST cross-validation (SDMetrics: 3).
    pub c2st_folds: usize,
    /// Inverse L2 strength `C` of the C2ST logistic regression (scikit-learn default 1).
    pub c2st_c: f64,
    /// Run the C2ST with the boosted-tree detector (same folds and seed as the logistic one).
    #[serde(default = "yes")]
    pub c2st_trees: bool,
    /// Settings of the boosted-tree detector (XGBoost's defaults).
    #[serde(default = "GbdtParams::xgboost_defaults")]
    pub c2st_trees_params: GbdtParams,
    /// Run the detector diagnostics: the boosted-tree detector on each column and each
    /// column group alone, exact relations between column pairs, value sets of numerical
    /// columns ([`crate::diagnose`]).
    #[serde(default = "yes")]
    pub diagnostics: bool,
    /// Run the machine-learning-efficiency test (needs the test table).
    pub mle: bool,
    /// Also fit the MLE model on the real training table as the reference.
    pub mle_real_reference: bool,
    /// Hyper-parameter grid of the MLE classifier; the number of trees of each entry is the
    /// maximum, the best count is chosen on the validation split in steps of `mle_tree_step`.
    pub mle_grid: Vec<GbdtParams>,
    /// Granularity of the tree-count search on the validation split.
    pub mle_tree_step: usize,
    /// Fraction of the training rows held out to choose the hyper-parameters.
    pub mle_val_fraction: f64,
    /// Run the DCR test (needs the holdout table).
    pub dcr: bool,
    /// Most rows of each table the nearest-neighbour and detection metrics use
    /// (alpha-precision / beta-recall, DCR, C2ST): a larger table is subsampled (seeded), so
    /// their time and memory stay bounded whatever the table's length. The report states
    /// the rows used. Above Credit Default's 27,000 rows, so its benchmark is unaffected.
    #[serde(default = "default_max_rows")]
    pub max_rows: usize,
}

/// [`EvalConfig::max_rows`] by default.
pub const DEFAULT_MAX_ROWS: usize = 50_000;

fn yes() -> bool {
    true
}

fn default_max_rows() -> usize {
    DEFAULT_MAX_ROWS
}

impl EvalConfig {
    /// The benchmark protocol for a table whose binary target column is `target`.
    pub fn new(target: impl Into<String>) -> Self {
        let grid = [(3, 0.1), (5, 0.05), (5, 0.1), (7, 0.05)]
            .into_iter()
            .map(|(max_depth, learning_rate)| GbdtParams {
                n_trees: 300,
                max_depth,
                learning_rate,
                ..GbdtParams::default()
            })
            .collect();
        Self {
            target: target.into(),
            seed: 0,
            shape: true,
            trend: true,
            trend_bins: 10,
            alpha_beta: true,
            alpha_steps: 30,
            alpha_beta_with_target: true,
            c2st: true,
            c2st_folds: 3,
            c2st_c: 1.0,
            c2st_trees: true,
            c2st_trees_params: GbdtParams::xgboost_defaults(),
            diagnostics: true,
            mle: true,
            mle_real_reference: true,
            mle_grid: grid,
            mle_tree_step: 25,
            mle_val_fraction: 0.2,
            dcr: true,
            max_rows: DEFAULT_MAX_ROWS,
        }
    }
}
