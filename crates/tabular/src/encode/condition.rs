//! Conditions on the cells of a row, turned into requirements on its encoded record
//! ([`scorediff_backend::RowCondition`]) for conditional sampling and imputation.
//!
//! | cell requirement | numerical block | one-hot block |
//! | --- | --- | --- |
//! | [`CellRequirement::Between`] `[lo, hi]` | the score in the scores of `[lo, hi]` (a tie's whole run; an end beyond the training range open), the missing indicator 0 | - |
//! | `Between` with `lo = hi` (a known value) | the value's own score (the whole run of a tie when the encoder spreads ties), indicator 0 | - |
//! | [`CellRequirement::OneOf`] | - | the listed categories' entries (a bit-coded block: one category, each bit held to its sign) |
//! | [`CellRequirement::Present`] (a cell to impute) | indicator 0 | every entry but missing (a bit-coded block: free) |
//!
//! A relation block ([`crate::EncoderOptions::relations`]) is held only when both its
//! columns are known values: whether the relation holds is then known too. Conditions need
//! an encoder that does not whiten: whitening mixes the numerical scores, so a cell is no
//! longer one coordinate.

use scorediff_backend::{Choice, Interval, RowCondition};

use super::relation::Relation;
use super::{ColumnCodec, Encoder};
use crate::error::{Result, TabularError};

/// What one cell of a row must hold.
#[derive(Debug, Clone, PartialEq)]
pub enum CellRequirement {
    /// A numerical value in `[lo, hi]` (`lo = hi`: that value; an infinite end is open).
    Between {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// One of these categories (the column's texts).
    OneOf(Vec<String>),
    /// A value, whichever, but not missing: a cell to impute.
    Present,
}

impl CellRequirement {
    /// A known numerical value.
    pub fn value(x: f64) -> Self {
        Self::Between { lo: x, hi: x }
    }
}

impl Encoder {
    /// The position of column `name` among [`Encoder::columns`].
    pub fn column_position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The requirement on an encoded record whose cells hold `cells`, each a column position
    /// (see [`Encoder::column_position`]) and what it must hold (see the module
    /// documentation). Errors name the column: a category the encoder does not know, a
    /// numerical requirement on a categorical column or the reverse, an empty range, a
    /// column given twice, or an encoder that whitens.
    pub fn row_condition(&self, cells: &[(usize, CellRequirement)]) -> Result<RowCondition> {
        let mut row = RowCondition::default();
        let mut seen = vec![false; self.columns.len()];
        for (k, req) in cells {
            let column = self
                .columns
                .get(*k)
                .ok_or_else(|| TabularError::InvalidArgument {
                    message: format!("no encoded column at position {k}"),
                })?;
            let fail = |message: String| TabularError::Condition {
                column: column.name.clone(),
                message,
            };
            if self.whitening.is_some() {
                return Err(fail(
                    "the model's encoder whitens its numerical columns, so a cell is not one coordinate: conditions need a model fitted without encoder.whiten".into(),
                ));
            }
            if std::mem::replace(&mut seen[*k], true) {
                return Err(fail("given twice: give one condition per column".into()));
            }
            match (&column.codec, req) {
                (ColumnCodec::Numerical(e), CellRequirement::Between { lo, hi }) => {
                    if lo.is_nan() || hi.is_nan() || lo > hi {
                        return Err(fail(format!("the range {lo}..{hi} is empty")));
                    }
                    let (z_lo, z_hi) = if lo == hi && !self.options.dequantise {
                        let z = e.score(*lo);
                        (z, z)
                    } else {
                        e.map.score_bounds(*lo, *hi)
                    };
                    if z_lo > f64::NEG_INFINITY || z_hi < f64::INFINITY {
                        row.intervals.push(Interval {
                            coord: column.start,
                            lo: z_lo,
                            hi: z_hi,
                        });
                    }
                    if e.indicator {
                        row.intervals.push(Interval::known(column.start + 1, 0.0));
                    }
                }
                (ColumnCodec::Numerical(e), CellRequirement::Present) => {
                    if e.indicator {
                        row.intervals.push(Interval::known(column.start + 1, 0.0));
                    }
                }
                (ColumnCodec::Categorical(e), CellRequirement::OneOf(values)) => {
                    let lookup = e.lookup();
                    let mut allowed = vec![false; e.n_values()];
                    for v in values {
                        let k = e.index(&lookup, Some(v)).ok_or_else(|| {
                            fail(format!(
                                "`{v}` is not a category of the column ({})",
                                preview(&e.categories)
                            ))
                        })?;
                        allowed[k] = true;
                    }
                    let chosen: Vec<usize> = (0..allowed.len()).filter(|&k| allowed[k]).collect();
                    match (e.is_one_hot(), chosen.as_slice()) {
                        (_, []) => return Err(fail("no category given".into())),
                        (true, _) => row.choices.push(Choice {
                            block: column_block(column),
                            allowed,
                        }),
                        // A bit-coded category is a known point: each bit held to its sign.
                        (false, [k]) => {
                            let mut block = vec![0.0f32; e.width()];
                            e.encode(*k, &mut block);
                            for (i, &v) in block.iter().enumerate() {
                                row.intervals
                                    .push(Interval::known(column.start + i, f64::from(v)));
                            }
                        }
                        (false, _) => {
                            return Err(fail(format!(
                                "the column has {} categories and is coded in bits: a condition on it takes one category, not a set",
                                e.n_values()
                            )));
                        }
                    }
                }
                (ColumnCodec::Categorical(e), CellRequirement::Present) => {
                    // A bit-coded column's missing value is a code like any other: left free.
                    if e.missing && e.is_one_hot() {
                        let mut allowed = vec![true; e.width()];
                        allowed[e.categories.len()] = false;
                        row.choices.push(Choice {
                            block: column_block(column),
                            allowed,
                        });
                    }
                }
                (ColumnCodec::Numerical(_), CellRequirement::OneOf(_)) => {
                    return Err(fail(
                        "the column is numerical: give a value or a range (LO..HI)".into(),
                    ));
                }
                (ColumnCodec::Categorical(_), CellRequirement::Between { .. }) => {
                    return Err(fail(
                        "the column is categorical: give one of its categories".into(),
                    ));
                }
            }
        }
        self.hold_relations(cells, &mut row);
        Ok(row)
    }

    /// Holds each relation block whose two columns are known values.
    fn hold_relations(&self, cells: &[(usize, CellRequirement)], row: &mut RowCondition) {
        let known = |name: &str| {
            let k = self.column_position(name)?;
            cells.iter().find_map(|(j, req)| match req {
                CellRequirement::Between { lo, hi } if *j == k && lo == hi => Some(*lo),
                _ => None,
            })
        };
        for r in &self.relations {
            if let (Some(b), Some(a)) = (known(&r.target), known(&r.source)) {
                let holds = Relation::holds(Some(b), Some(a));
                row.choices.push(Choice {
                    block: scorediff_backend::ColumnBlock::new(r.start, Relation::WIDTH),
                    allowed: vec![holds, !holds],
                });
            }
        }
    }

    /// The training share of rows whose cell of column position `k` holds `req` (an
    /// estimate from the quantile map's knots for a numerical range; `None` where the
    /// encoder does not know it: a standardised column, an older encoder's categories).
    pub fn share(&self, k: usize, req: &CellRequirement) -> Option<f64> {
        match (&self.columns.get(k)?.codec, req) {
            (ColumnCodec::Numerical(e), CellRequirement::Between { lo, hi }) => {
                e.map.probability(*lo, *hi)
            }
            (ColumnCodec::Categorical(e), CellRequirement::OneOf(values)) => {
                if e.shares.len() != e.n_values() {
                    return None;
                }
                let lookup = e.lookup();
                let mut allowed = vec![false; e.n_values()];
                for v in values {
                    allowed[e.index(&lookup, Some(v))?] = true;
                }
                Some(
                    e.shares
                        .iter()
                        .zip(&allowed)
                        .filter(|&(_, &a)| a)
                        .map(|(s, _)| s)
                        .sum(),
                )
            }
            _ => None,
        }
    }
}

fn column_block(column: &super::EncodedColumn) -> scorediff_backend::ColumnBlock {
    scorediff_backend::ColumnBlock::new(column.start, column.width())
}

/// Up to ten categories, then how many more.
fn preview(categories: &[String]) -> String {
    let shown: Vec<String> = categories
        .iter()
        .take(10)
        .map(|c| format!("`{c}`"))
        .collect();
    match categories.len().saturating_sub(10) {
        0 => shown.join(", "),
        more => format!("{}, and {more} more", shown.join(", ")),
    }
}
