//! Conditions on columns, as a user states them: `sample --where`, the bindings' `where=`.
//!
//! A [`ColumnCondition`] names a column and what its values must be: equal to a value, one
//! of several values, or within a range (ends included, either open). [`parse_where`] reads
//! the command line's form, [`resolve`] checks conditions against a model and turns each into
//! the encoder's [`CellRequirement`]; the samplers hold them exactly
//! ([`crate::pipeline::sample_where`]).
//!
//! | text | meaning | columns |
//! | --- | --- | --- |
//! | `NAME=VALUE` | equal to `VALUE` | any modelled column |
//! | `NAME=A\|B\|C` | one of the listed categories (when `A\|B\|C` is not itself a category) | categorical |
//! | `NAME=LO..HI`, `NAME=LO..`, `NAME=..HI` | within the range, ends included | numerical, integer, datetime |
//!
//! `NAME` is a column of the model's table (a name may hold `=`: the longest leading part
//! that names a column is taken); values are read as the training table's cells were
//! (numeric category codes by value, so `1`, `1.0` and `01` are the same code; datetimes in
//! the column's format). A condition a model cannot hold is an error naming the column: an
//! id or unknown column, a category never seen, a value or range outside the training range
//! or between the values a discrete column takes.

use scorediff_tabular::encode::numerical::NumericalEncoder;
use scorediff_tabular::number::{float_text, parse_number};
use scorediff_tabular::{
    CategoricalCells, CellRequirement, ColumnCodec, ColumnData, ColumnKind, ColumnSchema, Encoder,
    Schema, Table,
};

use crate::{Error, Result};

/// A value as a user writes it: text (any column) or a number (numerical columns, numeric
/// category codes).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number.
    Number(f64),
    /// A text: a category, a number or a datetime in the column's format.
    Text(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Number(x) => f.write_str(&float_text(*x)),
            Value::Text(t) => f.write_str(t),
        }
    }
}

/// What a condition asks of its column.
#[derive(Debug, Clone, PartialEq)]
pub enum Requirement {
    /// Equal to a value.
    Equals(Value),
    /// One of several categories.
    OneOf(Vec<Value>),
    /// Within a range, ends included; `None` is an open end.
    Between {
        /// Lower end.
        lo: Option<Value>,
        /// Upper end.
        hi: Option<Value>,
    },
}

/// A condition on one column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnCondition {
    /// The column's name.
    pub column: String,
    /// What its values must be.
    pub requirement: Requirement,
}

impl std::fmt::Display for ColumnCondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = |v: &Option<Value>| v.as_ref().map(Value::to_string).unwrap_or_default();
        match &self.requirement {
            Requirement::Equals(v) => write!(f, "{}={v}", self.column),
            Requirement::OneOf(vs) => {
                let vs: Vec<String> = vs.iter().map(Value::to_string).collect();
                write!(f, "{}={}", self.column, vs.join("|"))
            }
            Requirement::Between { lo, hi } => {
                write!(f, "{}={}..{}", self.column, text(lo), text(hi))
            }
        }
    }
}

/// Reads a condition of the command line (`NAME=VALUE`, `NAME=A|B`, `NAME=LO..HI`; module
/// documentation) against the columns of `schema`.
pub fn parse_where(text: &str, schema: &Schema) -> Result<ColumnCondition> {
    let bad = |m: String| Error::Usage(format!("--where `{text}`: {m}"));
    // The longest leading part before an `=` that names a column.
    let split = text
        .match_indices('=')
        .rev()
        .map(|(i, _)| (&text[..i], &text[i + 1..]))
        .find(|(name, _)| schema.column(name).is_some());
    let Some((name, value)) = split else {
        let name = text.split('=').next().unwrap_or(text);
        return Err(bad(if text.contains('=') {
            format!(
                "no column `{name}` in the model's table (columns: {})",
                column_list(schema)
            )
        } else {
            "write it as NAME=VALUE, NAME=A|B or NAME=LO..HI".into()
        }));
    };
    let column = schema.column(name).expect("found above");
    let requirement = if column.kind == ColumnKind::Categorical {
        if column.categories.iter().any(|c| c == value) || !value.contains('|') {
            Requirement::Equals(Value::Text(value.to_string()))
        } else {
            Requirement::OneOf(
                value
                    .split('|')
                    .map(|v| Value::Text(v.to_string()))
                    .collect(),
            )
        }
    } else if let Some((lo, hi)) = value.split_once("..") {
        let end = |v: &str| (!v.trim().is_empty()).then(|| Value::Text(v.trim().to_string()));
        if lo.trim().is_empty() && hi.trim().is_empty() {
            return Err(bad(
                "a range needs at least one end: LO..HI, LO.. or ..HI".into()
            ));
        }
        Requirement::Between {
            lo: end(lo),
            hi: end(hi),
        }
    } else {
        Requirement::Equals(Value::Text(value.to_string()))
    };
    Ok(ColumnCondition {
        column: name.to_string(),
        requirement,
    })
}

/// A condition checked against a model: the encoder's column and requirement, and the
/// training share of rows that meet it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The condition as given.
    pub condition: ColumnCondition,
    /// The column's position among the encoder's columns.
    pub position: usize,
    /// What the encoded cell must hold.
    pub requirement: CellRequirement,
    /// Share of training rows that meet it (where the encoder knows it).
    pub share: Option<f64>,
}

/// Conditions below this training share get a warning: the model has seen few such rows.
pub const RARE_CONDITION_SHARE: f64 = 0.01;

/// Checks `conditions` against a model's schema and encoder and resolves each (see the
/// module documentation for what is refused).
pub fn resolve(
    conditions: &[ColumnCondition],
    schema: &Schema,
    encoder: &Encoder,
) -> Result<Vec<Resolved>> {
    let mut out: Vec<Resolved> = Vec::with_capacity(conditions.len());
    for c in conditions {
        let bad = |m: String| Error::Usage(format!("condition `{c}`: {m}"));
        let column = schema.column(&c.column).ok_or_else(|| {
            bad(format!(
                "no column `{}` in the model's table (columns: {})",
                c.column,
                column_list(schema)
            ))
        })?;
        if column.kind == ColumnKind::Id {
            return Err(bad(format!(
                "`{}` is an id column: synthetic rows get fresh ids, which no condition can fix",
                c.column
            )));
        }
        if out.iter().any(|r| r.condition.column == c.column) {
            return Err(bad(format!(
                "`{}` has two conditions: give one per column",
                c.column
            )));
        }
        let position = encoder
            .column_position(&c.column)
            .ok_or_else(|| bad("the model's encoder does not hold this column".into()))?;
        let requirement = match &encoder.columns[position].codec {
            ColumnCodec::Categorical(_) => categorical(c, column).map_err(bad)?,
            ColumnCodec::Numerical(e) => numerical(c, column, e).map_err(bad)?,
        };
        // The encoder checks categories and ranges against what it was fitted on.
        encoder
            .row_condition(&[(position, requirement.clone())])
            .map_err(|e| bad(e.to_string()))?;
        out.push(Resolved {
            condition: c.clone(),
            position,
            share: encoder.share(position, &requirement),
            requirement,
        });
    }
    Ok(out)
}

/// One warning per condition that fewer than [`RARE_CONDITION_SHARE`] of the `n_train`
/// training rows meet, with its share.
pub fn warnings(resolved: &[Resolved], n_train: usize) -> Vec<String> {
    resolved
        .iter()
        .filter_map(|r| {
            let share = r.share?;
            (share < RARE_CONDITION_SHARE).then(|| {
                format!(
                    "condition `{}` holds in {:.2}% of the training rows (about {} of {n_train}): the model has seen few such rows, so the generated ones may be less faithful",
                    r.condition,
                    100.0 * share,
                    (share * n_train as f64).round() as u64
                )
            })
        })
        .collect()
}

/// The rows of `table` (typed by `schema`) that meet every condition: what a conditioned
/// sample is compared with (`scorediff eval --where`). A missing cell meets no condition.
pub fn matching_rows(
    conditions: &[ColumnCondition],
    schema: &Schema,
    table: &Table,
) -> Result<Vec<usize>> {
    let mut keep = vec![true; table.n_rows()];
    for c in conditions {
        let bad = |m: String| Error::Usage(format!("condition `{c}`: {m}"));
        let column = schema
            .column(&c.column)
            .filter(|s| s.kind != ColumnKind::Id)
            .ok_or_else(|| bad(format!("no modelled column `{}` in the table", c.column)))?;
        let data = &table
            .column(&c.column)
            .ok_or_else(|| bad(format!("the table has no column `{}`", c.column)))?
            .data;
        match data {
            ColumnData::Categorical(values) => {
                let CellRequirement::OneOf(allowed) = categorical(c, column).map_err(bad)? else {
                    unreachable!("categorical conditions are sets of categories")
                };
                let allowed_level: Vec<bool> = (values.levels().iter())
                    .map(|l| allowed.contains(l))
                    .collect();
                for (k, &c) in keep.iter_mut().zip(values.codes()) {
                    *k &= c != CategoricalCells::MISSING && allowed_level[c as usize];
                }
            }
            ColumnData::Numerical(values) => {
                let (lo, hi) = numerical_range(c, column).map_err(bad)?;
                for (k, v) in keep.iter_mut().zip(values) {
                    *k &= v.is_some_and(|v| lo <= v && v <= hi);
                }
            }
        }
    }
    Ok((0..table.n_rows()).filter(|&i| keep[i]).collect())
}

/// The category text of `value` in `column` as the reader types cells (numeric codes by
/// value, in the column's format).
fn category_text(value: &Value, column: &ColumnSchema) -> String {
    let number = match value {
        Value::Number(x) => Some(*x),
        Value::Text(t) => column.numeric_codes.then(|| parse_number(t)).flatten(),
    };
    match (number, value) {
        (Some(x), _) if column.numeric_codes => column.format.format(column.format.round(x)),
        (_, Value::Text(t)) => t.clone(),
        (_, Value::Number(x)) => float_text(*x),
    }
}

fn categorical(
    c: &ColumnCondition,
    column: &ColumnSchema,
) -> std::result::Result<CellRequirement, String> {
    let texts = match &c.requirement {
        Requirement::Equals(v) => vec![category_text(v, column)],
        Requirement::OneOf(vs) => vs.iter().map(|v| category_text(v, column)).collect(),
        Requirement::Between { .. } => {
            return Err(format!(
                "`{}` is categorical: give one of its categories, or several as A|B",
                c.column
            ));
        }
    };
    Ok(CellRequirement::OneOf(texts))
}

/// The number `value` stands for in a numerical `column` (a datetime in its format).
fn number(value: &Value, column: &ColumnSchema) -> std::result::Result<f64, String> {
    let parsed = match (value, &column.datetime) {
        (Value::Number(x), _) => Some(*x),
        (Value::Text(t), Some(f)) => f.parse(t),
        (Value::Text(t), None) => parse_number(t),
    };
    match (parsed, &column.datetime) {
        (Some(x), _) if x.is_finite() => Ok(x),
        (_, Some(f)) => Err(format!(
            "`{value}` is not a date/time in the column's format `{}`",
            f.pattern
        )),
        _ => Err(format!("`{value}` is not a number")),
    }
}

/// The range `[lo, hi]` a numerical condition asks for (open ends infinite).
fn numerical_range(
    c: &ColumnCondition,
    column: &ColumnSchema,
) -> std::result::Result<(f64, f64), String> {
    let end = |v: &Option<Value>, open: f64| v.as_ref().map_or(Ok(open), |v| number(v, column));
    match &c.requirement {
        Requirement::Equals(v) => {
            let x = number(v, column)?;
            Ok((x, x))
        }
        Requirement::Between { lo, hi } => {
            Ok((end(lo, f64::NEG_INFINITY)?, end(hi, f64::INFINITY)?))
        }
        Requirement::OneOf(_) => Err(format!(
            "`{}` is numerical: give a value or a range LO..HI",
            c.column
        )),
    }
}

fn numerical(
    c: &ColumnCondition,
    column: &ColumnSchema,
    e: &NumericalEncoder,
) -> std::result::Result<CellRequirement, String> {
    let (lo, hi) = numerical_range(c, column)?;
    let shown = |x: f64| match &column.datetime {
        Some(f) => f.format(x),
        None => e.format.format(x),
    };
    if lo > hi {
        return Err(format!(
            "the range is empty ({} > {})",
            shown(lo),
            shown(hi)
        ));
    }
    if hi < e.min || lo > e.max {
        return Err(format!(
            "the training values of `{}` lie in {}..{}; the model cannot generate values outside them",
            c.column,
            shown(e.min),
            shown(e.max)
        ));
    }
    match e.value_within(lo, lo, hi) {
        Some(_) => Ok(CellRequirement::Between { lo, hi }),
        None if lo == hi => Err(format!(
            "`{}` takes no value {} (nearest it generates: {})",
            c.column,
            shown(lo),
            shown(e.finish(lo))
        )),
        None => Err(format!(
            "`{}` takes no value in {}..{} ({})",
            c.column,
            shown(lo),
            shown(hi),
            if e.support.is_empty() {
                format!("its resolution is {} decimal places", e.format.decimals)
            } else {
                "it takes only the values it held in at least 10 training rows".to_string()
            }
        )),
    }
}

/// The schema's modelled columns, up to twelve names.
fn column_list(schema: &Schema) -> String {
    let names: Vec<String> = schema
        .modelled()
        .take(12)
        .map(|c| format!("`{}`", c.name))
        .collect();
    let more = schema.modelled().count().saturating_sub(12);
    if more > 0 {
        format!("{}, and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}
