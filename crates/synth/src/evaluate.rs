//! The benchmark protocol (DESIGN.md §3) for a table, shared by `scorediff eval`, the main
//! job and `cargo xtask reproduce credit`.

use std::path::Path;

use scorediff_eval::{EvalConfig, Progress, Report, evaluate, make_plots, write_report};
use scorediff_tabular::{ColumnData, ColumnKind, Schema, Table};

use crate::{Error, Result};

/// The evaluation settings for a table of `schema`: every metric, with the
/// machine-learning-efficiency test (and its real-data reference) when the target is a
/// binary categorical column. Errors when the schema has no target.
pub fn protocol(schema: &Schema, seed: u64) -> Result<EvalConfig> {
    let target = schema.target.clone().ok_or_else(|| {
        Error::Usage("the table has no target column: name one with --target".into())
    })?;
    let binary = schema
        .column(&target)
        .is_some_and(|c| c.kind == ColumnKind::Categorical && c.categories.len() == 2);
    let mut cfg = EvalConfig::new(target);
    cfg.seed = seed;
    cfg.mle = binary;
    cfg.mle_real_reference = binary;
    Ok(cfg)
}

/// Evaluates a synthetic table against real ones, all typed by `schema` (the real training
/// table's), with the protocol for that schema: the benchmark's metrics in memory, whatever
/// produced the tables. `holdout` (real rows the model never saw, for the DCR test)
/// defaults to `test`.
pub fn evaluate_synthetic(
    schema: &Schema,
    real: &Table,
    test: Option<&Table>,
    synthetic: &Table,
    holdout: Option<&Table>,
    seed: u64,
    progress: &dyn Progress,
) -> Result<Report> {
    let mut cfg = protocol(schema, seed)?;
    // A table of one target class (the real rows of a condition on the target) has nothing
    // for a classifier to learn: no utility test.
    if cfg.mle && target_classes(real, &cfg.target) < 2 {
        cfg.mle = false;
        cfg.mle_real_reference = false;
    }
    Ok(evaluate(
        real,
        test,
        synthetic,
        holdout.or(test),
        &cfg,
        progress,
    )?)
}

/// The number of distinct present values of `target` in `table`.
fn target_classes(table: &Table, target: &str) -> usize {
    match table.column(target).map(|c| &c.data) {
        Some(ColumnData::Categorical(v)) => v.present().iter().flatten().count(),
        _ => 2,
    }
}

/// Writes `report.json` and `report.html` (with the marginal and correlation figures unless
/// `plots` is false) into `dir`.
pub fn write_evaluation(
    dir: &Path,
    real: &Table,
    synthetic: &Table,
    report: &Report,
    plots: bool,
) -> Result<()> {
    let figures = if plots {
        Some(make_plots(real, synthetic, report)?)
    } else {
        None
    };
    Ok(write_report(dir, report, figures.as_ref())?)
}
