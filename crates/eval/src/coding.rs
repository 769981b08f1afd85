//! Column plans: which columns a metric compares and how categories are numbered.
//!
//! All metrics compare tables column by column under the real table's column list. A
//! categorical column's categories are the union over every table involved, so that a
//! synthetic category unseen in the real column still counts (TVComplement); a missing value
//! (`None`) is a category of its own. Categories are numbered in a fixed order (numbers by
//! value when every label parses as a number, otherwise by text; missing last), which makes
//! the codes deterministic and, for ordinal data such as `PAY_0`, meaningful to a tree.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use scorediff_tabular::{CategoricalCells, ColumnData, Table};

use crate::error::{EvalError, Result};

/// How one column is compared.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnKind {
    /// Numerical values.
    Numerical,
    /// Categorical values with the union of categories, in code order.
    Categorical {
        /// Category `k` has code `k`; `None` is the missing-value category.
        categories: Vec<Option<String>>,
    },
}

/// One column of a [`Plan`].
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPlan {
    /// The column name.
    pub name: String,
    /// Its kind and categories.
    pub kind: ColumnKind,
}

impl ColumnPlan {
    /// Whether the column is numerical.
    pub fn is_numerical(&self) -> bool {
        matches!(self.kind, ColumnKind::Numerical)
    }

    /// Number of categories (0 for a numerical column).
    pub fn n_categories(&self) -> usize {
        match &self.kind {
            ColumnKind::Numerical => 0,
            ColumnKind::Categorical { categories } => categories.len(),
        }
    }
}

/// The columns a metric compares, in the real table's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The columns.
    pub columns: Vec<ColumnPlan>,
}

/// A column coded under a [`Plan`].
#[derive(Debug, Clone, PartialEq)]
pub enum CodedColumn {
    /// Numerical values, `None` when missing.
    Num(Vec<Option<f64>>),
    /// Category codes (indices into the plan's categories).
    Cat(Vec<u32>),
}

/// A table coded under a [`Plan`].
#[derive(Debug, Clone, PartialEq)]
pub struct Coded {
    /// Number of rows.
    pub n_rows: usize,
    /// The coded columns, in plan order.
    pub columns: Vec<CodedColumn>,
}

/// Display label of a category (`(missing)` for the missing-value category).
pub fn category_label(c: &Option<String>) -> String {
    c.clone().unwrap_or_else(|| "(missing)".to_string())
}

/// Orders categories: all-numeric labels by value, otherwise by text; missing last.
fn sort_categories(cats: &mut [Option<String>]) {
    let all_numeric = cats
        .iter()
        .flatten()
        .all(|s| s.trim().parse::<f64>().is_ok());
    cats.sort_by(|a, b| match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) if all_numeric => {
            let (fx, fy) = (x.trim().parse::<f64>(), y.trim().parse::<f64>());
            match (fx, fy) {
                (Ok(fx), Ok(fy)) => fx.total_cmp(&fy).then_with(|| x.cmp(y)),
                _ => x.cmp(y),
            }
        }
        (Some(x), Some(y)) => x.cmp(y),
    });
}

/// Finds `name` in `table`, checking that its kind matches `numerical`.
fn find<'a>(
    table: &'a Table,
    name: &str,
    numerical: bool,
    which: &'static str,
) -> Result<&'a ColumnData> {
    let col = table.column(name).ok_or_else(|| EvalError::MissingColumn {
        column: name.to_string(),
        table: which,
    })?;
    if col.data.is_numerical() != numerical {
        return Err(EvalError::TypeMismatch {
            column: name.to_string(),
        });
    }
    Ok(&col.data)
}

impl Plan {
    /// The plan of `reference`'s columns (all of them, or those not in `exclude`), with the
    /// categories of each categorical column gathered over `reference` and `others`
    /// (`(table name, table)` pairs used in error messages).
    pub fn build(
        reference: &Table,
        others: &[(&'static str, &Table)],
        exclude: &[&str],
    ) -> Result<Self> {
        let mut columns = Vec::new();
        for col in &reference.columns {
            if exclude.contains(&col.name.as_str()) {
                continue;
            }
            let kind = match &col.data {
                ColumnData::Numerical(_) => {
                    for (which, t) in others {
                        find(t, &col.name, true, which)?;
                    }
                    ColumnKind::Numerical
                }
                ColumnData::Categorical(values) => {
                    let mut seen: HashSet<Option<String>> = HashSet::new();
                    let mut add = |vals: &CategoricalCells| {
                        seen.extend(vals.present().into_iter().map(|v| v.map(str::to_string)));
                    };
                    add(values);
                    for (which, t) in others {
                        if let ColumnData::Categorical(v) = find(t, &col.name, false, which)? {
                            add(v);
                        }
                    }
                    let mut cats: Vec<Option<String>> = seen.into_iter().collect();
                    sort_categories(&mut cats);
                    ColumnKind::Categorical { categories: cats }
                }
            };
            columns.push(ColumnPlan {
                name: col.name.clone(),
                kind,
            });
        }
        Ok(Self { columns })
    }

    /// Codes `table` (called `which` in errors) under this plan.
    pub fn code(&self, table: &Table, which: &'static str) -> Result<Coded> {
        let mut columns = Vec::with_capacity(self.columns.len());
        for cp in &self.columns {
            match &cp.kind {
                ColumnKind::Numerical => {
                    if let ColumnData::Numerical(v) = find(table, &cp.name, true, which)? {
                        columns.push(CodedColumn::Num(v.clone()));
                    }
                }
                ColumnKind::Categorical { categories } => {
                    let index: HashMap<Option<&str>, u32> = categories
                        .iter()
                        .enumerate()
                        .map(|(k, c)| (c.as_deref(), k as u32))
                        .collect();
                    if let ColumnData::Categorical(v) = find(table, &cp.name, false, which)? {
                        // Each level is looked up once, not each cell.
                        let by_level: Vec<Option<u32>> = (v.levels().iter())
                            .map(|l| index.get(&Some(l.as_str())).copied())
                            .collect();
                        let missing = index.get(&None).copied();
                        let mut codes = Vec::with_capacity(v.len());
                        for (i, &c) in v.codes().iter().enumerate() {
                            let code = match c {
                                CategoricalCells::MISSING => missing,
                                c => by_level[c as usize],
                            };
                            // A category outside the plan cannot happen for tables given to
                            // `build`; any other table's new category is an error.
                            let code = code.ok_or_else(|| {
                                EvalError::Config(format!(
                                    "column `{}` of the {which} table has category {:?} unknown to the plan",
                                    cp.name,
                                    category_label(&v.get(i).map(str::to_string))
                                ))
                            })?;
                            codes.push(code);
                        }
                        columns.push(CodedColumn::Cat(codes));
                    }
                }
            }
        }
        Ok(Coded {
            n_rows: table.n_rows(),
            columns,
        })
    }
}
