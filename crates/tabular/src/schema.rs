//! The table's schema: each column's kind (continuous, integer, categorical, id) and the
//! statistics the encoder and the writer need (bounds, categories, number format, missing).
//!
//! Inference heuristics ([`Schema::infer`]), in this order for each column:
//! 1. all values missing: categorical with no categories (it encodes to the single missing
//!    category and decodes to missing values);
//! 2. named `id` (any ASCII case), or integer values exactly `1, 2, ..., n` in row order with
//!    none missing: **id**, dropped from the modelled table (never for the target);
//! 3. some value is not a finite number: **categorical**;
//! 4. integer-valued with at most [`InferOptions::max_int_categories`] (default 20) distinct
//!    values, which are either at most 2 or at most [`InferOptions::max_int_category_share`]
//!    (default 5%) of the non-missing values: **categorical** (codes like `SEX`, `PAY_0`);
//!    the share condition keeps small counts in a short table numerical;
//! 5. otherwise numerical: **integer** if every value is integral, else **continuous**.
//!
//! The target is the last column unless named ([`TargetChoice`]); it gets the same typing.
//! A user may override kinds by writing a schema JSON that lists only `name` and `kind` for the
//! columns to change ([`Schema::infer_with`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, TabularError};
use crate::number::{NumberFormat, parse_number};
use crate::read::RawTable;
use crate::table::{Column, Table};

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
    /// Categories, kept as text.
    Categorical,
    /// A row identifier: not modelled, dropped by [`Schema::apply`].
    Id,
}

impl ColumnKind {
    /// Whether values are numbers (continuous or integer).
    pub fn is_numerical(self) -> bool {
        matches!(self, ColumnKind::Continuous | ColumnKind::Integer)
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
}

impl Default for InferOptions {
    fn default() -> Self {
        Self {
            target: TargetChoice::Last,
            max_int_categories: 20,
            max_int_category_share: 0.05,
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

    /// Infers the schema of `raw`, taking the kinds (and target, if set) of the columns listed
    /// in `user` as given; every column `user` names must exist in `raw`.
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
        let target = match (user.and_then(|u| u.target.as_ref()), &options.target) {
            (Some(t), _) | (None, TargetChoice::Named(t)) => Some(t.clone()),
            (None, TargetChoice::Last) => raw.header.last().cloned(),
            (None, TargetChoice::None) => None,
        };
        if let Some(t) = &target {
            raw.position(t)
                .ok_or_else(|| missing_column(&raw.source, t))?;
        }
        let mut columns = Vec::with_capacity(raw.header.len());
        for (j, name) in raw.header.iter().enumerate() {
            let given = user.and_then(|u| u.column(name)).map(|c| c.kind);
            let is_target = target.as_deref() == Some(name.as_str());
            let kind =
                given.unwrap_or_else(|| infer_kind(name, &raw.columns[j], options, is_target));
            columns.push(column_stats(raw, j, kind)?);
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
    /// Errors name a schema column missing from `raw`, or a value of a numerical column that
    /// is not a number (with its file row). Columns of `raw` the schema does not list are
    /// ignored. Categories not listed in the schema are kept (the encoder rejects them).
    pub fn apply(&self, raw: &RawTable) -> Result<Table> {
        self.validate()?;
        let mut columns = Vec::new();
        for c in self.columns.iter().filter(|c| c.kind != ColumnKind::Id) {
            let j = raw
                .position(&c.name)
                .ok_or_else(|| missing_column(&raw.source, &c.name))?;
            let cells = &raw.columns[j];
            let column = if c.kind.is_numerical() {
                Column::numerical(c.name.clone(), parse_column(raw, j)?)
            } else {
                Column::categorical(c.name.clone(), cells.clone())
            };
            columns.push(column);
        }
        // All columns of a RawTable have its row count, so this cannot fail.
        Table::new(columns).ok_or_else(|| TabularError::InvalidSchema {
            message: "ragged table".into(),
        })
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

fn invalid(message: String) -> TabularError {
    TabularError::InvalidSchema { message }
}

fn missing_column(file: &str, column: &str) -> TabularError {
    TabularError::MissingColumn {
        file: file.to_string(),
        column: column.to_string(),
    }
}

/// Parses column `j` of `raw` as numbers, reporting the first cell that is not one.
fn parse_column(raw: &RawTable, j: usize) -> Result<Vec<Option<f64>>> {
    raw.columns[j]
        .iter()
        .zip(&raw.rows)
        .map(|(cell, &row)| match cell {
            None => Ok(None),
            Some(s) => parse_number(s)
                .map(Some)
                .ok_or_else(|| TabularError::NotNumeric {
                    file: raw.source.clone(),
                    row,
                    column: raw.header[j].clone(),
                    value: s.clone(),
                }),
        })
        .collect()
}

/// The kind of one column (rules 1-5 of the module documentation).
fn infer_kind(
    name: &str,
    cells: &[Option<String>],
    options: &InferOptions,
    is_target: bool,
) -> ColumnKind {
    let texts: Vec<&str> = cells.iter().flatten().map(String::as_str).collect();
    if texts.is_empty() {
        return ColumnKind::Categorical;
    }
    if !is_target && name.eq_ignore_ascii_case("id") {
        return ColumnKind::Id;
    }
    let Some(values) = texts
        .iter()
        .map(|t| parse_number(t))
        .collect::<Option<Vec<f64>>>()
    else {
        return ColumnKind::Categorical;
    };
    let integral = values.iter().all(|v| v.fract() == 0.0);
    let complete = texts.len() == cells.len();
    if !is_target
        && integral
        && complete
        && values.iter().enumerate().all(|(i, &v)| v == (i + 1) as f64)
    {
        return ColumnKind::Id;
    }
    let mut sorted = values;
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let distinct = sorted.len();
    let few =
        distinct <= 2 || (distinct as f64) <= options.max_int_category_share * texts.len() as f64;
    if integral && distinct <= options.max_int_categories && few {
        ColumnKind::Categorical
    } else if integral {
        ColumnKind::Integer
    } else {
        ColumnKind::Continuous
    }
}

/// The statistics of column `j` of `raw` for the given kind.
fn column_stats(raw: &RawTable, j: usize, kind: ColumnKind) -> Result<ColumnSchema> {
    let cells = &raw.columns[j];
    let mut c = ColumnSchema {
        name: raw.header[j].clone(),
        kind,
        min: None,
        max: None,
        categories: Vec::new(),
        format: NumberFormat::default(),
        has_missing: cells.iter().any(Option::is_none),
    };
    match kind {
        ColumnKind::Id => {}
        ColumnKind::Categorical => c.categories = sorted_categories(cells),
        ColumnKind::Continuous | ColumnKind::Integer => {
            let values = parse_column(raw, j)?;
            let present = values.iter().flatten();
            c.min = present.clone().copied().reduce(f64::min);
            c.max = present.copied().reduce(f64::max);
            c.format = NumberFormat::learn(cells.iter().flatten().map(String::as_str));
        }
    }
    Ok(c)
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
