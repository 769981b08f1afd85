//! The table's schema: each column's kind (continuous, integer, datetime, categorical, id)
//! and the statistics the encoder and the writer need (bounds, categories, number and date
//! formats, identifier shapes, missing values).
//!
//! Inference heuristics ([`Schema::infer`]), in this order for each column:
//! 1. all values missing: categorical with no categories (it encodes to the single missing
//!    category and decodes to missing values);
//! 2. named `id` (any ASCII case), or named like one (`customer_id`, `Customer ID`,
//!    `customerId`) with every value present and distinct: **id**;
//! 3. every value a number but some not finite (`inf`, `1e309`): an error naming the row
//!    and column (never a silent retyping into text);
//! 4. every value a number, none written like a code (a leading zero as in `08585`, or an
//!    integer of 2^53 or more, which `f64` cannot hold exactly), and:
//!    - integers exactly `1, 2, ..., n` in row order, or a shuffled run of consecutive
//!      integers with at least [`InferOptions::min_id_rows`] rows, none missing: **id**;
//!    - integer-valued with at most [`InferOptions::max_int_categories`] (default 20)
//!      distinct values, which are either at most 2 or at most
//!      [`InferOptions::max_int_category_share`] (default 5%) of the non-missing values:
//!      **categorical** with numeric codes (`SEX`, `PAY_0`; `0`, `0.0` and `-0` are one
//!      code);
//!    - otherwise **integer** if every value is integral, else **continuous**.
//!
//!    Numbers with a decimal comma (`21,642`) are read in `;`-separated files;
//! 5. every value a date, datetime or time in one format ([`crate::datetime`]): **datetime**;
//! 6. text with every value present, distinct, without whitespace, in at least
//!    [`InferOptions::min_id_rows`] rows: **id** (`C13126`, UUIDs);
//! 7. otherwise **categorical**, kept as text byte for byte. A categorical column with more
//!    than [`InferOptions::rare_protect_above`] (default 100) distinct values (free text,
//!    codes) gets rare-value protection: values in fewer than
//!    [`InferOptions::rare_min_count`] (default 10) rows are pooled into [`RARE_TOKEN`], so
//!    no rare real value reaches the model or a synthetic row ([`ColumnSchema::rare_min_count`]
//!    switches it per column).
//!
//! Ids are not modelled: synthetic tables get fresh values in the same shape
//! ([`crate::id`]). The target is the last column unless named ([`TargetChoice`]); it is never
//! an id. A user schema may list only `name` and `kind` (and optionally `rare_min_count`,
//! `datetime`) for the columns to change; [`Schema::infer_with`] merges it with inference.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::datetime::DatetimeFormat;
use crate::error::{Result, TabularError};
use crate::id::IdShape;
use crate::infer::{column_stats, infer_kind};
use crate::number::{NumberFormat, is_non_finite_number, parse_number};
use crate::read::RawTable;
use crate::table::{CategoricalCells, Column, Table};

/// The text that stands for every value pooled by rare-value protection.
pub const RARE_TOKEN: &str = "_RARE_";

/// Version of the schema JSON layout written by this crate.
pub const SCHEMA_FORMAT_VERSION: u32 = 1;

/// The kind of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Real-valued.
    Continuous,
    /// Integer-valued numbers (decoded values are rounded to integers).
    Integer,
    /// Dates, datetimes or times, modelled as seconds ([`crate::datetime`]).
    Datetime,
    /// Categories, kept as text.
    Categorical,
    /// A row identifier: not modelled (dropped by [`Schema::apply`]); synthetic rows get
    /// fresh values in its shape ([`crate::id`]).
    Id,
}

impl ColumnKind {
    /// Whether values are numbers (continuous, integer or datetime seconds).
    pub fn is_numerical(self) -> bool {
        matches!(
            self,
            ColumnKind::Continuous | ColumnKind::Integer | ColumnKind::Datetime
        )
    }

    /// The kind's name as written in a schema file.
    pub fn name(self) -> &'static str {
        match self {
            ColumnKind::Continuous => "continuous",
            ColumnKind::Integer => "integer",
            ColumnKind::Datetime => "datetime",
            ColumnKind::Categorical => "categorical",
            ColumnKind::Id => "id",
        }
    }
}

/// One column of a [`Schema`]. Only `name` and `kind` are needed in a user-written schema; the
/// other fields are statistics filled in from data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSchema {
    /// The column's header name.
    pub name: String,
    /// Its kind.
    pub kind: ColumnKind,
    /// Smallest value (numerical columns with some value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest value (numerical columns with some value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Categories seen, sorted (by numeric value when all are numbers, else as text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// How numbers were written (numerical columns): decimal places seen, fixed or exponent.
    #[serde(default)]
    pub format: NumberFormat,
    /// Whether some value is missing.
    #[serde(default)]
    pub has_missing: bool,
    /// Datetime columns: the format values are read and written in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datetime: Option<DatetimeFormat>,
    /// Id columns: the shape fresh values are drawn in (no real value is stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<IdShape>,
    /// Categorical columns: rare-value protection. Values in fewer rows than this are read
    /// as [`RARE_TOKEN`]; `Some(0)` turns protection off; `None` (absent) leaves it to
    /// inference (see the module documentation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rare_min_count: Option<usize>,
    /// Categorical columns whose categories are all numbers: cells are read by value, so
    /// `0`, `0.0` and `-0` are one category, written in [`ColumnSchema::format`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub numeric_codes: bool,
    /// Categorical columns with rare-value protection: how many distinct values were pooled.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pooled_values: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Which column is the target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TargetChoice {
    /// The last column (default).
    #[default]
    Last,
    /// The named column.
    Named(String),
    /// No target.
    None,
}

/// Options of [`Schema::infer`].
#[derive(Debug, Clone, PartialEq)]
pub struct InferOptions {
    /// The target column.
    pub target: TargetChoice,
    /// An integer column with at most this many distinct values may be categorical (rule 4).
    pub max_int_categories: usize,
    /// ... if its distinct values are also at most this share of its non-missing values.
    pub max_int_category_share: f64,
    /// Text columns of distinct values, and shuffled integer runs, are ids from this many rows.
    pub min_id_rows: usize,
    /// Categorical columns with more distinct values than this get rare-value protection.
    pub rare_protect_above: usize,
    /// Rare-value protection pools values that occur in fewer rows than this.
    pub rare_min_count: usize,
}

impl Default for InferOptions {
    fn default() -> Self {
        Self {
            target: TargetChoice::Last,
            max_int_categories: 20,
            max_int_category_share: 0.05,
            min_id_rows: 20,
            rare_protect_above: 100,
            rare_min_count: 10,
        }
    }
}

/// The schema of a table: its columns, in file order, and the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// Layout version ([`SCHEMA_FORMAT_VERSION`]).
    pub format_version: u32,
    /// Name of the target column, if any.
    #[serde(default)]
    pub target: Option<String>,
    /// The columns.
    pub columns: Vec<ColumnSchema>,
}

impl Schema {
    /// Infers the schema of `raw` (heuristics in the module documentation).
    pub fn infer(raw: &RawTable, options: &InferOptions) -> Result<Self> {
        Self::infer_with(raw, options, None)
    }

    /// Infers the schema of `raw`, taking what `user` gives for the columns it lists (their
    /// `kind`, and `rare_min_count` and `datetime` when set) and inferring everything else;
    /// every column `user` names must exist in `raw`. The target is `options.target` when
    /// named there (a `--target` given on top of a schema file), else the user's, else the
    /// last column (or none).
    pub fn infer_with(
        raw: &RawTable,
        options: &InferOptions,
        user: Option<&Schema>,
    ) -> Result<Self> {
        if let Some(u) = user {
            u.check_version()?;
            for c in &u.columns {
                raw.position(&c.name)
                    .ok_or_else(|| missing_column(&raw.source, &c.name))?;
            }
        }
        let target = match (&options.target, user.and_then(|u| u.target.as_ref())) {
            (TargetChoice::Named(t), _) | (_, Some(t)) => Some(t.clone()),
            (TargetChoice::Last, None) => raw.header.last().cloned(),
            (TargetChoice::None, None) => None,
        };
        if let Some(t) = &target
            && raw.position(t).is_none()
        {
            return Err(TabularError::UnknownTarget {
                file: raw.source.clone(),
                column: t.clone(),
                available: raw.header.join(", "),
            });
        }
        let mut columns = Vec::with_capacity(raw.header.len());
        for (j, name) in raw.header.iter().enumerate() {
            let given = user.and_then(|u| u.column(name));
            let is_target = target.as_deref() == Some(name.as_str());
            let kind = match given {
                Some(g) => g.kind,
                None => infer_kind(raw, j, options, is_target)?,
            };
            columns.push(column_stats(raw, j, kind, given, options)?);
        }
        let schema = Self {
            format_version: SCHEMA_FORMAT_VERSION,
            target,
            columns,
        };
        schema.validate()?;
        Ok(schema)
    }

    /// Types `raw` by this schema: the table of the schema's non-id columns, in schema order.
    /// Errors name a schema column missing from `raw`, or a value of a numerical or datetime
    /// column that does not read as one (with its file row). Columns of `raw` the schema does
    /// not list are ignored. Categorical cells with rare-value protection that are not among
    /// the schema's categories read as [`RARE_TOKEN`]; other categories not listed are kept
    /// (the encoder rejects them).
    pub fn apply(&self, raw: &RawTable) -> Result<Table> {
        self.validate()?;
        let mut columns = Vec::new();
        for c in self.columns.iter().filter(|c| c.kind != ColumnKind::Id) {
            let j = raw
                .position(&c.name)
                .ok_or_else(|| missing_column(&raw.source, &c.name))?;
            let column = if c.kind.is_numerical() {
                Column::numerical(c.name.clone(), parse_values(raw, j, c.datetime.as_ref())?)
            } else {
                Column::categorical_cells(c.name.clone(), categorical_cells(raw, j, c))
            };
            columns.push(column);
        }
        // All columns of a RawTable have its row count, so this cannot fail.
        Table::new(columns).ok_or_else(|| TabularError::InvalidSchema {
            message: "ragged table".into(),
        })
    }

    /// The table to write for `table` (decoded rows, the schema's non-id columns): every
    /// column in schema order, id columns filled with fresh values in their shape for rows
    /// `first_row..first_row + n` of the output (`seed` draws pattern ids).
    pub fn with_ids(&self, mut table: Table, first_row: u64, seed: u64) -> Table {
        let n = table.n_rows();
        let mut out = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            if c.kind == ColumnKind::Id {
                let shape = c.id.clone().unwrap_or(IdShape::Integer { start: 1 });
                let values = (0..n as u64)
                    .map(|k| Some(shape.value(first_row + k, seed)))
                    .collect();
                out.push(Column::categorical(c.name.clone(), values));
            } else if let Some(pos) = table.columns.iter().position(|t| t.name == c.name) {
                out.push(table.columns.swap_remove(pos));
            }
        }
        out.extend(table.columns);
        Table { columns: out }
    }

    /// One line per column: its name, kind and what inference noticed (ids regenerated,
    /// rare values pooled, a datetime format, numeric codes).
    pub fn describe(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| {
                let mut line = format!("{}: {}", c.name, c.kind.name());
                let detail = match c.kind {
                    ColumnKind::Id => Some("not modelled; synthetic rows get fresh values".into()),
                    ColumnKind::Datetime => {
                        c.datetime.as_ref().map(|f| format!("format {}", f.pattern))
                    }
                    ColumnKind::Categorical if c.pooled_values > 0 => Some(format!(
                        "{} categories; {} values in fewer than {} rows pooled as {RARE_TOKEN}",
                        c.categories.len(),
                        c.pooled_values,
                        c.rare_min_count.unwrap_or(0)
                    )),
                    ColumnKind::Categorical => Some(format!("{} categories", c.categories.len())),
                    _ => None,
                };
                if let Some(d) = detail {
                    line.push_str(&format!(" ({d})"));
                }
                if self.target.as_deref() == Some(c.name.as_str()) {
                    line.push_str(" [target]");
                }
                line
            })
            .collect()
    }

    /// Warnings a user should see: columns with rare-value protection (free text or very high
    /// cardinality), one line each.
    pub fn warnings(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| c.kind == ColumnKind::Categorical && c.pooled_values > 0)
            .map(|c| {
                format!(
                    "column `{}` looks like free text or codes of very high cardinality: {} values that occur in fewer than {} rows are written as `{RARE_TOKEN}` in synthetic rows (set \"rare_min_count\": 0 for it in a schema file to keep them)",
                    c.name,
                    c.pooled_values,
                    c.rare_min_count.unwrap_or(0)
                )
            })
            .collect()
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSchema> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The columns that are modelled (all but ids), target included, in order.
    pub fn modelled(&self) -> impl Iterator<Item = &ColumnSchema> {
        self.columns.iter().filter(|c| c.kind != ColumnKind::Id)
    }

    /// Checks the version, that names are unique, and that the target is a non-id column.
    pub fn validate(&self) -> Result<()> {
        self.check_version()?;
        let mut seen = std::collections::HashSet::new();
        for c in &self.columns {
            if !seen.insert(c.name.as_str()) {
                return Err(invalid(format!("column `{}` is listed twice", c.name)));
            }
        }
        if let Some(t) = &self.target {
            match self.column(t) {
                None => {
                    return Err(invalid(format!(
                        "the target `{t}` is not one of the columns"
                    )));
                }
                Some(c) if c.kind == ColumnKind::Id => {
                    return Err(invalid(format!("the target `{t}` is an id")));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn check_version(&self) -> Result<()> {
        if self.format_version == 0 || self.format_version > SCHEMA_FORMAT_VERSION {
            return Err(invalid(format!(
                "format_version {} is not supported (this build reads 1..={SCHEMA_FORMAT_VERSION})",
                self.format_version
            )));
        }
        Ok(())
    }

    /// The schema as pretty-printed JSON.
    pub fn to_json_pretty(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses a schema from JSON text; `source` names it in errors.
    pub fn from_json_str(source: &str, text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| TabularError::SchemaJson {
            file: source.to_string(),
            source: e,
        })
    }

    /// Reads a schema JSON file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TabularError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_json_str(&file, &text)
    }

    /// Writes the schema as pretty JSON, atomically (see [`crate::write::write_atomic`]).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::write::write_atomic(path.as_ref(), |w| {
            w.write_all(self.to_json_pretty().as_bytes())
        })
    }
}

use std::io::Write as _;

pub(crate) fn invalid(message: String) -> TabularError {
    TabularError::InvalidSchema { message }
}

fn missing_column(file: &str, column: &str) -> TabularError {
    TabularError::MissingColumn {
        file: file.to_string(),
        column: column.to_string(),
    }
}

/// The values of column `j` of `raw` as numbers, or as datetime seconds in `dt`'s format,
/// reporting the first cell that does not read (a non-finite number as such).
pub(crate) fn parse_values(
    raw: &RawTable,
    j: usize,
    dt: Option<&DatetimeFormat>,
) -> Result<Vec<Option<f64>>> {
    raw.columns[j]
        .iter()
        .zip(&raw.rows)
        .map(|(cell, &row)| {
            let Some(s) = cell else { return Ok(None) };
            let v = match dt {
                Some(f) => f.parse(s),
                None => raw.number(s),
            };
            v.map(Some).ok_or_else(|| {
                let (file, column, value) =
                    (raw.source.clone(), raw.header[j].clone(), s.to_string());
                match dt {
                    Some(f) => TabularError::NotDatetime {
                        file,
                        row,
                        column,
                        value,
                        pattern: f.pattern.clone(),
                    },
                    None if is_non_finite_number(s) => TabularError::NonFinite {
                        file,
                        row,
                        column,
                        value,
                    },
                    None => TabularError::NotNumeric {
                        file,
                        row,
                        column,
                        value,
                    },
                }
            })
        })
        .collect()
}

/// The cells of categorical column `j` as the schema reads them: numeric codes by value,
/// protected rare values pooled.
fn categorical_cells(raw: &RawTable, j: usize, c: &ColumnSchema) -> CategoricalCells {
    let pooled = c.pooled_values > 0 || c.rare_min_count.is_some_and(|k| k > 0);
    read_categories(raw, j, c, pooled)
}

/// The cells of categorical column `j`, numeric codes read by value; with `pooled`, those not
/// among `c.categories` read as [`RARE_TOKEN`].
pub(crate) fn read_categories<C: FromIterator<Option<String>>>(
    raw: &RawTable,
    j: usize,
    c: &ColumnSchema,
    pooled: bool,
) -> C {
    let cells = &raw.columns[j];
    let known: std::collections::HashSet<&str> = if pooled {
        c.categories.iter().map(String::as_str).collect()
    } else {
        Default::default()
    };
    cells
        .iter()
        .map(|cell| {
            let text = cell?;
            let text = match c.numeric_codes.then(|| raw.number(text)).flatten() {
                Some(v) => c.format.format(c.format.round(v)),
                None => text.to_string(),
            };
            Some(if pooled && !known.contains(text.as_str()) {
                RARE_TOKEN.to_string()
            } else {
                text
            })
        })
        .collect()
}

/// The distinct texts of a column, sorted by numeric value when all are numbers (`-2`, `-1`,
/// `0`, `10`), else as text.
pub fn sorted_categories(cells: &[Option<String>]) -> Vec<String> {
    let mut cats: Vec<String> = cells.iter().flatten().cloned().collect();
    cats.sort_unstable();
    cats.dedup();
    let numbers: Option<Vec<f64>> = cats.iter().map(|c| parse_number(c)).collect();
    if let Some(nums) = numbers {
        let mut paired: Vec<(f64, String)> = nums.into_iter().zip(cats).collect();
        paired.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        cats = paired.into_iter().map(|(_, c)| c).collect();
    }
    cats
}
