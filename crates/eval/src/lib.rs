//! Fidelity, utility and privacy metrics for synthetic tables (DESIGN.md §3).
//!
//! Every metric follows the definition used by the published tabular-synthesis benchmarks
//! (SDMetrics' `KSComplement`, `TVComplement`, `CorrelationSimilarity`,
//! `ContingencySimilarity`, `LogisticDetection`, and the same detection protocol with
//! XGBoost-style boosted trees; synthcity's naive `AlphaPrecision`; an
//! XGBoost-style machine-learning-efficiency test; the distance-to-closest-record test).
//! Each metric lives in its own module with its own public function ([`diagnose`] says where
//! the tree detector sees the synthetic rows; [`imputation`] scores filled-in cells and
//! holds the baseline imputers); [`evaluate`] runs them
//! all and returns a [`Report`], which [`write_report`] turns into `report.json` and a
//! self-contained `report.html`.
//!
//! Missing values: a missing categorical value is its own category everywhere; a missing
//! numerical value is dropped for the KS statistic and the Pearson correlation (pairwise
//! deletion), is its own bin in the contingency tables, and is replaced by the real column's
//! mean before min-max or robust scaling (alpha-precision, C2ST, DCR), as the reference
//! implementations do with a mean imputer.

pub mod alpha_beta;
pub mod auc;
pub mod c2st;
pub mod coding;
pub mod config;
pub mod dcr;
pub mod diagnose;
pub mod embed;
pub mod error;
pub mod evaluate;
pub mod figure;
pub mod gbdt;
pub mod html;
pub mod imputation;
pub mod knn;
pub mod logistic;
pub mod mle;
pub mod plots;
pub mod progress;
pub mod report;
pub mod shape;
pub mod trend;

pub use config::EvalConfig;
pub use error::{EvalError, Result};
pub use evaluate::evaluate;
pub use html::write_report;
pub use plots::{Plots, make_plots};
pub use progress::{NoProgress, Progress};
pub use report::Report;
