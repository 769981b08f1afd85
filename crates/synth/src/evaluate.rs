//! The benchmark protocol (DESIGN.md §3) for a table, shared by `scorediff eval`, the main
//! job and `cargo xtask reproduce credit`.

use scorediff_eval::EvalConfig;
use scorediff_tabular::{ColumnKind, Schema};

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
