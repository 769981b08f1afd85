//! Writing tables to CSV, atomically: the text goes to a temporary file in the target's
//! directory, which is renamed over the target only once complete, so a failure never leaves
//! a partial file under the target's name.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Result, TabularError};
use crate::number::{NumberFormat, float_text};
use crate::schema::Schema;
use crate::table::{ColumnData, Table};

/// Writes `path` through `fill`, atomically (temporary file in the same directory, then rename).
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<()> {
    let file = path.display().to_string();
    let err = |source| TabularError::Write {
        file: file.clone(),
        source,
    };
    let tmp = temp_path(path);
    let result = (|| {
        let mut w = BufWriter::new(File::create(&tmp)?);
        fill(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: the temporary file is ours and incomplete.
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// `dir/.name.tmp-<pid>` next to `path`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "table".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `table` as comma-separated CSV with a header, atomically. Numerical values are
/// written in their column's [`NumberFormat`] from `schema` (so decoded values reproduce the
/// texts read; without a schema entry, in shortest form); missing values are empty fields.
pub fn write_csv(path: impl AsRef<Path>, table: &Table, schema: Option<&Schema>) -> Result<()> {
    let path = path.as_ref();
    write_atomic(path, |w| write_csv_to(w, table, schema))
}

/// Writes `table` as CSV to any writer (see [`write_csv`]).
pub fn write_csv_to(
    w: &mut impl Write,
    table: &Table,
    schema: Option<&Schema>,
) -> std::io::Result<()> {
    let mut out = csv::WriterBuilder::new().from_writer(w);
    out.write_record(table.columns.iter().map(|c| c.name.as_str()))?;
    let formats: Vec<Option<NumberFormat>> = table
        .columns
        .iter()
        .map(|c| schema.and_then(|s| s.column(&c.name)).map(|c| c.format))
        .collect();
    let mut record: Vec<String> = Vec::with_capacity(table.n_cols());
    for i in 0..table.n_rows() {
        record.clear();
        for (c, f) in table.columns.iter().zip(&formats) {
            record.push(match &c.data {
                ColumnData::Numerical(v) => v[i].map_or_else(String::new, |x| {
                    f.map_or_else(|| float_text(x), |f| f.format(x))
                }),
                ColumnData::Categorical(v) => v[i].clone().unwrap_or_default(),
            });
        }
        out.write_record(&record)?;
    }
    out.flush()
}
