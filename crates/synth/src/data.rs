//! The default tables of the main job: Credit Default when the benchmark split is present
//! beside the project, else the red wine quality table shipped inside `linfa-datasets`.

use crate::Result;
use scorediff_tabular::{Column, Table};
use std::path::{Path, PathBuf};

/// The Credit Default benchmark split (`train.csv`, `test.csv`) if it can be found: in
/// `$SCOREDIFF_DATA/credit-default`, or in `shared/data/credit-default` beside the working
/// directory or beside the workspace.
pub fn credit_default_dir() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("SCOREDIFF_DATA") {
        candidates.push(PathBuf::from(dir).join("credit-default"));
    }
    candidates.push(PathBuf::from("../shared/data/credit-default"));
    candidates
        .push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/credit-default"));
    candidates
        .into_iter()
        .find(|d| d.join("train.csv").is_file() && d.join("test.csv").is_file())
}

/// The red wine quality table (1,599 rows, 11 numerical features and the integer `quality`
/// score) from the `linfa-datasets` crate: real measurements, shipped inside the crate.
pub fn wine_quality() -> Result<Table> {
    let ds = linfa_datasets::winequality();
    let records = ds.records();
    let names = ds.feature_names();
    let mut columns: Vec<Column> = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            Column::numerical(
                name.clone(),
                records.column(j).iter().map(|&v| Some(v)).collect(),
            )
        })
        .collect();
    let quality = ds.targets().iter().map(|q| Some(q.to_string())).collect();
    columns.push(Column::categorical("quality", quality));
    Table::new(columns)
        .ok_or_else(|| crate::Error::Usage("wine quality table has ragged columns".into()))
}
