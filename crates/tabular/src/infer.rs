//! Column-kind inference and the statistics of each kind: the rules 1-7 of
//! [`crate::schema`]'s documentation, one function each, and the statistics
//! ([`ColumnSchema`]'s bounds, formats, categories, id shapes) they fill in.

use crate::datetime::DatetimeFormat;
use crate::error::Result;
use crate::id::IdShape;
use crate::number::{NumberFormat, is_code_like, is_non_finite_number};
use crate::read::RawTable;
use crate::schema::{
    ColumnKind, ColumnSchema, InferOptions, RARE_TOKEN, invalid, parse_values, read_categories,
    sorted_categories,
};

/// Whether a header names an identifier: `id`, or ending in `_id`, ` id`, `-id` (any case),
/// or `Id` after a lower-case letter (`customerId`).
fn id_like_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let camel = name.ends_with("Id")
        && name[..name.len() - 2]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_lowercase());
    lower == "id" || [" id", "_id", "-id"].iter().any(|s| lower.ends_with(s)) || camel
}

/// The kind of column `j` of `raw` (rules 1-7 of the module documentation).
pub(crate) fn infer_kind(
    raw: &RawTable,
    j: usize,
    options: &InferOptions,
    is_target: bool,
) -> Result<ColumnKind> {
    let name = raw.header[j].as_str();
    let cells = &raw.columns[j];
    let texts: Vec<&str> = cells.texts().collect();
    if texts.is_empty() {
        return Ok(ColumnKind::Categorical);
    }
    let complete = texts.len() == cells.len();
    let distinct = {
        let set: std::collections::HashSet<&str> = texts.iter().copied().collect();
        set.len()
    };
    if !is_target
        && (name.eq_ignore_ascii_case("id")
            || (id_like_name(name) && complete && distinct == texts.len()))
    {
        return Ok(ColumnKind::Id);
    }
    let numbers: Vec<Option<f64>> = texts.iter().map(|t| raw.number(t)).collect();
    if numbers.iter().any(Option::is_none)
        && texts
            .iter()
            .zip(&numbers)
            .all(|(t, v)| v.is_some() || is_non_finite_number(t))
    {
        // Every cell that is not a number is a non-finite one: the typed parse reports the
        // first of them, with its row.
        parse_values(raw, j, None)?;
    }
    let code_like = texts
        .iter()
        .zip(&numbers)
        .any(|(t, v)| v.is_some() && is_code_like(t));
    if let (Some(values), false) = (numbers.into_iter().collect::<Option<Vec<f64>>>(), code_like) {
        return Ok(numeric_kind(&values, complete, options, is_target));
    }
    if !code_like && DatetimeFormat::detect(texts.iter().copied()).is_some() {
        return Ok(ColumnKind::Datetime);
    }
    let id_shaped = complete
        && distinct == texts.len()
        && texts.len() >= options.min_id_rows
        && texts
            .iter()
            .all(|t| t.len() <= 64 && !t.chars().any(char::is_whitespace));
    if !is_target && id_shaped {
        return Ok(ColumnKind::Id);
    }
    Ok(ColumnKind::Categorical)
}

/// The kind of a column whose values are all finite numbers (rule 4).
fn numeric_kind(
    values: &[f64],
    complete: bool,
    options: &InferOptions,
    is_target: bool,
) -> ColumnKind {
    let integral = values.iter().all(|v| v.fract() == 0.0);
    let in_order = values.iter().enumerate().all(|(i, &v)| v == (i + 1) as f64);
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let distinct = sorted.len();
    let run = distinct == values.len()
        && values.len() >= options.min_id_rows
        && sorted[distinct - 1] - sorted[0] == (distinct - 1) as f64;
    if !is_target && integral && complete && (in_order || run) {
        return ColumnKind::Id;
    }
    let few =
        distinct <= 2 || (distinct as f64) <= options.max_int_category_share * values.len() as f64;
    if integral && distinct <= options.max_int_categories && few {
        ColumnKind::Categorical
    } else if integral {
        ColumnKind::Integer
    } else {
        ColumnKind::Continuous
    }
}

/// The statistics of column `j` of `raw` for the given kind; `given` is the user's entry for
/// the column, whose `datetime` and `rare_min_count` are kept when set.
pub(crate) fn column_stats(
    raw: &RawTable,
    j: usize,
    kind: ColumnKind,
    given: Option<&ColumnSchema>,
    options: &InferOptions,
) -> Result<ColumnSchema> {
    let cells = &raw.columns[j];
    let texts = || cells.texts();
    let mut c = ColumnSchema {
        name: raw.header[j].clone(),
        kind,
        min: None,
        max: None,
        categories: Vec::new(),
        format: NumberFormat::default(),
        has_missing: cells.has_missing(),
        datetime: None,
        id: None,
        rare_min_count: given.and_then(|g| g.rare_min_count),
        numeric_codes: false,
        pooled_values: 0,
    };
    match kind {
        ColumnKind::Id => {
            let mut distinct: Vec<&str> = texts().collect();
            distinct.sort_unstable();
            distinct.dedup();
            c.id = IdShape::learn(&distinct);
            c.rare_min_count = None;
        }
        ColumnKind::Categorical => categorical_stats(raw, j, &mut c, options),
        ColumnKind::Datetime => {
            c.datetime = match given.and_then(|g| g.datetime.clone()) {
                Some(f) => Some(f),
                None => Some(DatetimeFormat::detect(texts()).ok_or_else(|| {
                    invalid(format!(
                        "column `{}` is declared datetime, but its values are in none of the known formats; give its \"datetime\" format in the schema",
                        c.name
                    ))
                })?),
            };
            let values = parse_values(raw, j, c.datetime.as_ref())?;
            set_bounds(&mut c, &values);
            let digits = c.datetime.as_ref().map_or(0, |f| f.fraction_digits);
            c.format = NumberFormat {
                decimals: digits,
                ..NumberFormat::default()
            };
            c.rare_min_count = None;
        }
        ColumnKind::Continuous | ColumnKind::Integer => {
            let values = parse_values(raw, j, c.datetime.as_ref())?;
            set_bounds(&mut c, &values);
            c.format = NumberFormat::learn_in(texts(), raw.decimal_comma);
            c.rare_min_count = None;
        }
    }
    Ok(c)
}

fn set_bounds(c: &mut ColumnSchema, values: &[Option<f64>]) {
    let present = values.iter().flatten();
    c.min = present.clone().copied().reduce(f64::min);
    c.max = present.copied().reduce(f64::max);
}

/// Categories of column `j`: numeric codes read by value, rare values pooled when the column
/// is protected (given, or more than `rare_protect_above` distinct values).
fn categorical_stats(raw: &RawTable, j: usize, c: &mut ColumnSchema, options: &InferOptions) {
    let cells = &raw.columns[j];
    let texts: Vec<&str> = cells.texts().collect();
    c.numeric_codes = !texts.is_empty()
        && texts
            .iter()
            .all(|t| raw.number(t).is_some() && !is_code_like(t));
    if c.numeric_codes {
        c.format = NumberFormat::learn_in(texts.iter().copied(), raw.decimal_comma);
    }
    let read: Vec<Option<String>> = read_categories(raw, j, c, false);
    let mut counts = std::collections::HashMap::<&str, usize>::new();
    for t in read.iter().flatten() {
        *counts.entry(t.as_str()).or_default() += 1;
    }
    let threshold = c
        .rare_min_count
        .unwrap_or(if counts.len() > options.rare_protect_above {
            options.rare_min_count
        } else {
            0
        });
    let kept: Vec<Option<String>> = counts
        .iter()
        .filter(|&(_, &n)| n >= threshold)
        .map(|(t, _)| Some(t.to_string()))
        .collect();
    c.pooled_values = counts.len() - kept.len();
    c.categories = sorted_categories(&kept);
    if c.pooled_values > 0 {
        c.categories.push(RARE_TOKEN.to_string());
    }
    if threshold > 0 {
        c.rare_min_count = Some(threshold);
    }
}
