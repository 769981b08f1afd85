//! Writing outputs safely: tables to CSV, and any file through [`OutputFile`].
//!
//! The rules (the habits of `sort -o`, `curl -o` and editors' safe saves):
//! - `-` is standard output;
//! - a path that exists and is not a regular file (a pipe, `/dev/stdout`, a terminal, a
//!   character device) is written directly, never renamed over;
//! - a symbolic link is followed: the file it points to is replaced, the link kept;
//! - anything else is written to a temporary file beside the target (`.NAME.tmp-PID`), which
//!   is renamed over the target only once complete, so a failure never leaves a partial file
//!   under the target's name; every temporary is registered until it is renamed or removed,
//!   and [`remove_temporaries`] (called by the binary on SIGINT / SIGTERM) removes those left.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Result, TabularError};
use crate::number::{NumberFormat, float_text};
use crate::schema::{ColumnSchema, Schema};
use crate::table::{ColumnData, Table};

/// Temporary files and directories not yet renamed into place.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Registers a temporary path (file or directory) that [`remove_temporaries`] removes.
pub fn register_temporary(path: &Path) {
    if let Ok(mut t) = TEMPORARIES.lock() {
        t.push(path.to_path_buf());
    }
}

/// Forgets a temporary path (it was renamed into place or removed).
pub fn unregister_temporary(path: &Path) {
    if let Ok(mut t) = TEMPORARIES.lock() {
        t.retain(|p| p != path);
    }
}

/// Removes every registered temporary (best effort); for signal handlers.
pub fn remove_temporaries() {
    let paths = match TEMPORARIES.lock() {
        Ok(mut t) => std::mem::take(&mut *t),
        Err(_) => return,
    };
    for p in paths {
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(&p);
        } else {
            let _ = std::fs::remove_file(&p);
        }
    }
}

enum Target {
    Stdout,
    Direct,
    Staged { tmp: PathBuf, dest: PathBuf },
}

/// An output being written: to standard output, directly to a special file, or to a
/// temporary renamed into place by [`OutputFile::commit`] (dropped uncommitted, the
/// temporary is removed).
pub struct OutputFile {
    name: String,
    target: Target,
    writer: Option<BufWriter<Box<dyn Write + Send>>>,
}

impl OutputFile {
    /// Opens `path` for writing by the rules of the module documentation.
    pub fn create(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let err = |source| TabularError::Write {
            file: name.clone(),
            source,
        };
        if path.as_os_str() == "-" {
            return Ok(Self {
                name,
                target: Target::Stdout,
                writer: Some(BufWriter::new(Box::new(std::io::stdout()))),
            });
        }
        // `metadata` follows links: `/dev/stdout` -> a pipe or a terminal is written in place
        // (its link target may not even be a path, like `pipe:[1234]`).
        if let Ok(m) = std::fs::metadata(path) {
            if m.is_dir() {
                return Err(err(std::io::Error::other(
                    "is a directory; give a file name",
                )));
            }
            if !m.is_file() {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(err)?;
                return Ok(Self {
                    name,
                    target: Target::Direct,
                    writer: Some(BufWriter::new(Box::new(f))),
                });
            }
        }
        // A link to a regular file: replace the file, keep the link.
        let dest = match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(err)?,
            _ => path.to_path_buf(),
        };
        let tmp = temp_path(&dest);
        register_temporary(&tmp);
        let f = File::create(&tmp).map_err(|e| {
            unregister_temporary(&tmp);
            err(e)
        })?;
        Ok(Self {
            name,
            target: Target::Staged { tmp, dest },
            writer: Some(BufWriter::new(Box::new(f))),
        })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut BufWriter<Box<dyn Write + Send>> {
        self.writer.as_mut().expect("an open output has a writer")
    }

    /// Flushes and, for a staged file, syncs it and renames it over the target.
    pub fn commit(mut self) -> Result<()> {
        let err = |source| TabularError::Write {
            file: self.name.clone(),
            source,
        };
        if let Some(w) = self.writer.take() {
            let inner = w.into_inner().map_err(|e| err(e.into_error()))?;
            drop(inner);
        }
        if let Target::Staged { tmp, dest } = &self.target {
            File::open(tmp).and_then(|f| f.sync_all()).map_err(err)?;
            std::fs::rename(tmp, dest).map_err(err)?;
            unregister_temporary(tmp);
        }
        self.target = Target::Direct;
        Ok(())
    }

    fn write_error(&self, source: std::io::Error) -> TabularError {
        TabularError::Write {
            file: self.name.clone(),
            source,
        }
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if let Target::Staged { tmp, .. } = &self.target {
            self.writer.take();
            let _ = std::fs::remove_file(tmp);
            unregister_temporary(tmp);
        }
    }
}

/// Writes `path` through `fill` by the rules of the module documentation.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<Box<dyn Write + Send>>) -> std::io::Result<()>,
) -> Result<()> {
    let mut out = OutputFile::create(path)?;
    fill(out.writer()).map_err(|e| out.write_error(e))?;
    out.commit()
}

/// `dir/.name.tmp-<pid>` next to `path`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "table".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `table` as CSV with a header (see [`CsvWriter`]) by the rules of the module
/// documentation.
pub fn write_csv(path: impl AsRef<Path>, table: &Table, schema: Option<&Schema>) -> Result<()> {
    let mut out = CsvWriter::create(path.as_ref(), schema)?;
    out.write(table)?;
    out.finish()
}

/// Writes `table` as CSV to any writer (see [`CsvWriter`]).
pub fn write_csv_to(
    w: &mut impl Write,
    table: &Table,
    schema: Option<&Schema>,
) -> std::io::Result<()> {
    let mut out = csv::WriterBuilder::new()
        .delimiter(delimiter(schema))
        .from_writer(w);
    out.write_record(table.columns.iter().map(|c| c.name.as_str()))?;
    write_rows(&mut out, table, schema)?;
    out.flush()
}

/// The field delimiter for a table in `schema`: `;` when a column is written with decimal
/// commas (the convention of such files), else `,`.
fn delimiter(schema: Option<&Schema>) -> u8 {
    let comma = schema.is_some_and(|s| s.columns.iter().any(|c| c.format.decimal_comma));
    if comma { b';' } else { b',' }
}

/// How one column's values are written.
enum CellFormat<'a> {
    Number(Option<NumberFormat>),
    Datetime(&'a crate::datetime::DatetimeFormat),
}

impl<'a> CellFormat<'a> {
    /// The format of a column described by `column` (none: shortest numbers).
    fn of(column: Option<&'a ColumnSchema>) -> Self {
        match column.and_then(|c| c.datetime.as_ref()) {
            Some(f) => CellFormat::Datetime(f),
            None => CellFormat::Number(column.map(|c| c.format)),
        }
    }

    fn text(&self, x: f64) -> String {
        match self {
            CellFormat::Datetime(f) => f.format(x),
            CellFormat::Number(Some(f)) => f.format(x),
            CellFormat::Number(None) => float_text(x),
        }
    }
}

/// The text a CSV output writes for the numerical value `x` of a column described by
/// `column`: a datetime in its format, a number in its [`NumberFormat`], or in shortest form
/// without a schema entry.
pub fn number_text(x: f64, column: Option<&ColumnSchema>) -> String {
    CellFormat::of(column).text(x)
}

fn write_rows<W: Write>(
    out: &mut csv::Writer<W>,
    table: &Table,
    schema: Option<&Schema>,
) -> std::io::Result<()> {
    let formats: Vec<CellFormat> = table
        .columns
        .iter()
        .map(|c| CellFormat::of(schema.and_then(|s| s.column(&c.name))))
        .collect();
    let mut record: Vec<String> = Vec::with_capacity(table.n_cols());
    for i in 0..table.n_rows() {
        record.clear();
        for (c, f) in table.columns.iter().zip(&formats) {
            record.push(match &c.data {
                ColumnData::Numerical(v) => v[i].map_or_else(String::new, |x| f.text(x)),
                ColumnData::Categorical(v) => v.get(i).unwrap_or_default().to_string(),
            });
        }
        out.write_record(&record)?;
    }
    Ok(())
}

/// A CSV output written in chunks of rows: the header comes from the first chunk; numbers
/// are written in their column's [`NumberFormat`] and datetimes in their format from
/// `schema` (so decoded values reproduce the texts read; without a schema entry, numbers in
/// shortest form); missing values are empty fields. Nothing appears under the target's name
/// before [`CsvWriter::finish`] (unless the target is standard output or a special file).
pub struct CsvWriter<'s> {
    out: OutputFile,
    schema: Option<&'s Schema>,
    header_written: bool,
}

impl<'s> CsvWriter<'s> {
    /// Opens `path` (see [`OutputFile::create`]).
    pub fn create(path: &Path, schema: Option<&'s Schema>) -> Result<Self> {
        Ok(Self {
            out: OutputFile::create(path)?,
            schema,
            header_written: false,
        })
    }

    /// Appends the rows of `table` (the same columns every time).
    pub fn write(&mut self, table: &Table) -> Result<()> {
        let header = !self.header_written;
        let schema = self.schema;
        let res = (|| {
            let mut csv = csv::WriterBuilder::new()
                .delimiter(delimiter(schema))
                .from_writer(self.out.writer());
            if header {
                csv.write_record(table.columns.iter().map(|c| c.name.as_str()))?;
            }
            write_rows(&mut csv, table, schema)?;
            csv.flush()
        })();
        res.map_err(|e| self.out.write_error(e))?;
        self.header_written = true;
        Ok(())
    }

    /// Completes the file (renames it into place).
    pub fn finish(self) -> Result<()> {
        self.out.commit()
    }
}
