//! Imputation accuracy: cells of a real table masked at random, filled by an imputer, and
//! scored against the values they held; and the baseline imputers a filled table is
//! measured beside.
//!
//! Protocol (the one of the imputation benchmarks, e.g. HyperImpute's and TabCSDI's):
//! [`mask_cells`] hides each present cell of the chosen columns with probability `share`
//! (missing completely at random, seeded); [`score_imputation`] gives, over the masked
//! cells, the RMSE of numerical cells standardised by the reference (training) table's
//! column standard deviation, pooled over columns, and the accuracy of categorical cells,
//! with both per column.
//!
//! Baselines, fitted on a complete reference table (the training rows):
//! - [`impute_mean_mode`]: the column's mean, or its most frequent category;
//! - [`impute_knn`]: the `k` nearest reference rows on the row's known cells (numerical
//!   cells standardised, a categorical mismatch counting 1, distances over the known cells
//!   scaled up to all columns as scikit-learn's `nan_euclidean` does), averaged for a
//!   numerical cell, the most frequent among them for a categorical one (ties to the
//!   nearer neighbour); scikit-learn's `KNNImputer` with `k = 5` on one-hot categoricals
//!   (`xtask/scripts/impute_reference.py`) is its reference.

use std::collections::HashMap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use scorediff_tabular::{CategoricalCells, ColumnData, Table};
use serde::Serialize;

use crate::error::{EvalError, Result};

/// A masked cell: its row and the column's position in the table.
pub type Cell = (usize, usize);

/// `table` with each present cell of `columns` hidden with probability `share` (seeded;
/// rows in order, columns in order, one draw per present cell), and the hidden cells.
pub fn mask_cells(
    table: &Table,
    columns: &[&str],
    share: f64,
    seed: u64,
) -> Result<(Table, Vec<Cell>)> {
    if !(0.0..=1.0).contains(&share) {
        return Err(EvalError::Config(format!(
            "the masked share must lie in [0, 1], got {share}"
        )));
    }
    let mut positions = Vec::with_capacity(columns.len());
    for name in columns {
        positions.push(
            table
                .columns
                .iter()
                .position(|c| c.name == *name)
                .ok_or_else(|| EvalError::MissingColumn {
                    column: name.to_string(),
                    table: "masked",
                })?,
        );
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = table.clone();
    let mut cells = Vec::new();
    for i in 0..table.n_rows() {
        for &j in &positions {
            let hidden = match &mut out.columns[j].data {
                ColumnData::Numerical(v) => {
                    v[i].is_some() && rng.random::<f64>() < share && {
                        v[i] = None;
                        true
                    }
                }
                ColumnData::Categorical(v) => {
                    !v.is_missing(i) && rng.random::<f64>() < share && {
                        v.set(i, None);
                        true
                    }
                }
            };
            if hidden {
                cells.push((i, j));
            }
        }
    }
    Ok((out, cells))
}

/// One column's imputation figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnImputation {
    /// The column.
    pub column: String,
    /// `rmse` (standardised) or `accuracy`.
    pub metric: &'static str,
    /// Its value.
    pub value: f64,
    /// Masked cells of the column.
    pub cells: usize,
}

/// The accuracy of an imputation (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImputationScore {
    /// RMSE of the numerical cells, standardised by the reference's column standard
    /// deviations, pooled (`None` without a masked numerical cell).
    pub rmse: Option<f64>,
    /// Share of categorical cells given their value (`None` without one).
    pub accuracy: Option<f64>,
    /// Masked numerical cells.
    pub numerical_cells: usize,
    /// Masked categorical cells.
    pub categorical_cells: usize,
    /// Per column, in table order.
    pub columns: Vec<ColumnImputation>,
}

/// Scores `imputed` against `truth` (the same columns and rows) on the `cells` that were
/// masked; `reference` gives the numerical columns' standard deviations. A masked cell that
/// the imputer left missing, or whose true value was missing, is an error.
pub fn score_imputation(
    truth: &Table,
    imputed: &Table,
    cells: &[Cell],
    reference: &Table,
) -> Result<ImputationScore> {
    let mut sums: HashMap<usize, (f64, usize)> = HashMap::new();
    for &(i, j) in cells {
        let name = &truth.columns[j].name;
        let got = imputed
            .column(name)
            .ok_or_else(|| EvalError::MissingColumn {
                column: name.clone(),
                table: "imputed",
            })?;
        let unfilled = || EvalError::Config(format!("row {}, column `{name}`: not imputed", i + 1));
        let err = match (&truth.columns[j].data, &got.data) {
            (ColumnData::Numerical(t), ColumnData::Numerical(g)) => {
                let (t, g) = (t[i].ok_or_else(unfilled)?, g[i].ok_or_else(unfilled)?);
                let sd = spread(reference, name)?;
                ((g - t) / sd).powi(2)
            }
            (ColumnData::Categorical(t), ColumnData::Categorical(g)) => {
                let g = g.get(i).ok_or_else(unfilled)?;
                f64::from(u8::from(t.get(i) == Some(g)))
            }
            _ => {
                return Err(EvalError::TypeMismatch {
                    column: name.clone(),
                });
            }
        };
        let e = sums.entry(j).or_insert((0.0, 0));
        e.0 += err;
        e.1 += 1;
    }
    let mut columns = Vec::new();
    let (mut sq, mut n_num, mut hits, mut n_cat) = (0.0, 0, 0.0, 0);
    for (j, c) in truth.columns.iter().enumerate() {
        let Some(&(sum, n)) = sums.get(&j) else {
            continue;
        };
        let numerical = c.data.is_numerical();
        if numerical {
            sq += sum;
            n_num += n;
        } else {
            hits += sum;
            n_cat += n;
        }
        columns.push(ColumnImputation {
            column: c.name.clone(),
            metric: if numerical { "rmse" } else { "accuracy" },
            value: if numerical {
                (sum / n as f64).sqrt()
            } else {
                sum / n as f64
            },
            cells: n,
        });
    }
    Ok(ImputationScore {
        rmse: (n_num > 0).then(|| (sq / n_num as f64).sqrt()),
        accuracy: (n_cat > 0).then(|| hits / n_cat as f64),
        numerical_cells: n_num,
        categorical_cells: n_cat,
        columns,
    })
}

/// The population standard deviation of a numerical column of `reference` (1 when zero).
fn spread(reference: &Table, name: &str) -> Result<f64> {
    let (_, sd) = moments(reference, name)?;
    Ok(sd)
}

/// Mean and standard deviation (1 when zero or undefined) of a numerical column.
fn moments(reference: &Table, name: &str) -> Result<(f64, f64)> {
    let column = reference
        .column(name)
        .ok_or_else(|| EvalError::MissingColumn {
            column: name.to_string(),
            table: "reference",
        })?;
    let ColumnData::Numerical(v) = &column.data else {
        return Err(EvalError::TypeMismatch {
            column: name.to_string(),
        });
    };
    let present: Vec<f64> = v.iter().flatten().copied().collect();
    let n = present.len().max(1) as f64;
    let mean = present.iter().sum::<f64>() / n;
    let var = present.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let sd = var.sqrt();
    Ok((mean, if sd > 0.0 && sd.is_finite() { sd } else { 1.0 }))
}

/// The most frequent present category of `values` (the first in sorted order on a tie).
fn mode(values: &CategoricalCells) -> Option<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in values.iter().flatten() {
        *counts.entry(v).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(v, _)| v.to_string())
}

/// `masked` with every missing cell of a column that `reference` holds set to the
/// reference column's mean (numerical) or most frequent category.
pub fn impute_mean_mode(masked: &Table, reference: &Table) -> Result<Table> {
    let mut out = masked.clone();
    for c in &mut out.columns {
        let Some(r) = reference.column(&c.name) else {
            continue;
        };
        match (&mut c.data, &r.data) {
            (ColumnData::Numerical(v), ColumnData::Numerical(_)) => {
                let (mean, _) = moments(reference, &c.name)?;
                v.iter_mut()
                    .filter(|x| x.is_none())
                    .for_each(|x| *x = Some(mean));
            }
            (ColumnData::Categorical(v), ColumnData::Categorical(rv)) => {
                let m = v.code_of(mode(rv).as_deref());
                for i in 0..v.len() {
                    if v.is_missing(i) {
                        v.set_code(i, m);
                    }
                }
            }
            _ => {
                return Err(EvalError::TypeMismatch {
                    column: c.name.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// One column as the k-NN search sees it: standardised numbers or category codes, `NaN` /
/// `u32::MAX` for missing.
enum Feature {
    Numerical(Vec<f64>),
    Categorical(Vec<u32>),
}

/// The columns of `table` that `reference` holds, coded on the reference's scale and
/// categories (a category the reference lacks gets a code of its own).
fn features(
    table: &Table,
    reference: &Table,
    codes: &mut [HashMap<String, u32>],
) -> Result<Vec<Feature>> {
    let mut out = Vec::new();
    for (k, r) in reference.columns.iter().enumerate() {
        let c = table
            .column(&r.name)
            .ok_or_else(|| EvalError::MissingColumn {
                column: r.name.clone(),
                table: "masked",
            })?;
        out.push(match &c.data {
            ColumnData::Numerical(v) => {
                let (mean, sd) = moments(reference, &r.name)?;
                Feature::Numerical(
                    v.iter()
                        .map(|x| x.map_or(f64::NAN, |x| (x - mean) / sd))
                        .collect(),
                )
            }
            ColumnData::Categorical(v) => {
                let map = &mut codes[k];
                Feature::Categorical(
                    v.iter()
                        .map(|x| match x {
                            None => u32::MAX,
                            Some(s) => {
                                let next = map.len() as u32;
                                *map.entry(s.to_string()).or_insert(next)
                            }
                        })
                        .collect(),
                )
            }
        });
    }
    Ok(out)
}

/// `masked` with every missing cell filled from its row's `k` nearest rows of `reference`
/// (see the module documentation).
pub fn impute_knn(masked: &Table, reference: &Table, k: usize) -> Result<Table> {
    if k == 0 || reference.n_rows() == 0 {
        return Err(EvalError::Config(
            "k-NN imputation needs k >= 1 and reference rows".into(),
        ));
    }
    let mut codes = vec![HashMap::new(); reference.n_cols()];
    let donors = features(reference, reference, &mut codes)?;
    let queries = features(masked, reference, &mut codes)?;
    let p = donors.len();
    let rows: Vec<usize> = (0..masked.n_rows())
        .filter(|&i| queries.iter().any(|f| missing(f, i)))
        .collect();
    let neighbours: Vec<Vec<usize>> = rows
        .par_iter()
        .map(|&i| nearest(&donors, &queries, i, k, p))
        .collect();
    let mut out = masked.clone();
    for (&i, near) in rows.iter().zip(&neighbours) {
        for (f, r) in queries.iter().zip(&reference.columns) {
            if !missing(f, i) {
                continue;
            }
            let Some(column) = out.columns.iter_mut().find(|c| c.name == r.name) else {
                continue;
            };
            match (&mut column.data, &r.data) {
                (ColumnData::Numerical(v), ColumnData::Numerical(rv)) => {
                    let xs: Vec<f64> = near.iter().filter_map(|&d| rv[d]).collect();
                    if !xs.is_empty() {
                        v[i] = Some(xs.iter().sum::<f64>() / xs.len() as f64);
                    }
                }
                (ColumnData::Categorical(v), ColumnData::Categorical(rv)) => {
                    let vals: Vec<Option<String>> = near
                        .iter()
                        .map(|&d| rv.get(d).map(str::to_string))
                        .collect();
                    v.set(i, vote(&vals).as_deref());
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

fn missing(f: &Feature, i: usize) -> bool {
    match f {
        Feature::Numerical(v) => v[i].is_nan(),
        Feature::Categorical(v) => v[i] == u32::MAX,
    }
}

/// The `k` reference rows nearest to query row `i` over the cells both hold, nearest first
/// (ties to the lower row).
fn nearest(donors: &[Feature], queries: &[Feature], i: usize, k: usize, p: usize) -> Vec<usize> {
    let n = match &donors[0] {
        Feature::Numerical(v) => v.len(),
        Feature::Categorical(v) => v.len(),
    };
    let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
    for d in 0..n {
        let (mut sum, mut both) = (0.0, 0usize);
        for (df, qf) in donors.iter().zip(queries) {
            match (df, qf) {
                (Feature::Numerical(a), Feature::Numerical(b)) => {
                    let (x, y) = (a[d], b[i]);
                    if !(x.is_nan() || y.is_nan()) {
                        sum += (x - y) * (x - y);
                        both += 1;
                    }
                }
                (Feature::Categorical(a), Feature::Categorical(b)) => {
                    let (x, y) = (a[d], b[i]);
                    if x != u32::MAX && y != u32::MAX {
                        sum += f64::from(u8::from(x != y));
                        both += 1;
                    }
                }
                _ => {}
            }
        }
        if both == 0 {
            continue;
        }
        let dist = sum * p as f64 / both as f64;
        if best.len() < k || dist < best[best.len() - 1].0 {
            let at = best.partition_point(|&(b, _)| b <= dist);
            best.insert(at, (dist, d));
            best.truncate(k);
        }
    }
    best.into_iter().map(|(_, d)| d).collect()
}

/// The most frequent present value, ties to the one that came first (the nearer neighbour).
fn vote(values: &[Option<String>]) -> Option<String> {
    let mut counts: Vec<(&String, usize)> = Vec::new();
    for v in values.iter().flatten() {
        match counts.iter_mut().find(|(c, _)| *c == v) {
            Some(e) => e.1 += 1,
            None => counts.push((v, 1)),
        }
    }
    let top = counts.iter().map(|e| e.1).max()?;
    counts.iter().find(|e| e.1 == top).map(|e| e.0.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use scorediff_tabular::Column;

    fn table() -> Table {
        Table::new(vec![
            Column::numerical("x", (0..10).map(|i| Some(f64::from(i))).collect()),
            Column::categorical(
                "c",
                (0..10)
                    .map(|i| Some(if i < 7 { "a" } else { "b" }.to_string()))
                    .collect(),
            ),
        ])
        .unwrap()
    }

    #[test]
    fn masking_hides_about_the_share_asked_and_only_those_cells() {
        let t = table();
        let (m, cells) = mask_cells(&t, &["x", "c"], 0.5, 3).unwrap();
        let hidden = |j: usize, i: usize| match &m.columns[j].data {
            ColumnData::Numerical(v) => v[i].is_none(),
            ColumnData::Categorical(v) => v.is_missing(i),
        };
        for i in 0..10 {
            for j in 0..2 {
                assert_eq!(hidden(j, i), cells.contains(&(i, j)));
            }
        }
        assert!((4..=16).contains(&cells.len()), "{}", cells.len());
        assert_eq!(mask_cells(&t, &["x"], 0.0, 3).unwrap().1.len(), 0);
        assert_eq!(mask_cells(&t, &["x"], 1.0, 3).unwrap().1.len(), 10);
    }

    #[test]
    fn scores_match_hand_computed_values() {
        let t = table();
        let (m, cells) = mask_cells(&t, &["x", "c"], 1.0, 0).unwrap();
        let filled = impute_mean_mode(&m, &t).unwrap();
        let s = score_imputation(&t, &filled, &cells, &t).unwrap();
        // Mean 4.5, sd sqrt(8.25): the standardised RMSE of the mean is exactly 1.
        assert!((s.rmse.unwrap() - 1.0).abs() < 1e-12);
        // The mode `a` is right on 7 of 10 cells.
        assert!((s.accuracy.unwrap() - 0.7).abs() < 1e-12);
        // The truth itself scores 0 and 1.
        let s = score_imputation(&t, &t, &cells, &t).unwrap();
        assert_eq!((s.rmse, s.accuracy), (Some(0.0), Some(1.0)));
    }

    #[test]
    fn knn_takes_the_nearest_rows_on_the_known_cells() {
        // Reference: x in 0..10, c = a below 7. A query with c = b and x missing gets the
        // mean x of the three b rows (7, 8, 9); a query with x = 1 and c missing gets `a`.
        let t = table();
        let q = Table::new(vec![
            Column::numerical("x", vec![None, Some(1.0)]),
            Column::categorical("c", vec![Some("b".into()), None]),
        ])
        .unwrap();
        let f = impute_knn(&q, &t, 3).unwrap();
        let ColumnData::Numerical(x) = &f.columns[0].data else {
            unreachable!()
        };
        let ColumnData::Categorical(c) = &f.columns[1].data else {
            unreachable!()
        };
        assert_eq!(x[0], Some(8.0));
        assert_eq!(c.get(1), Some("a"));
    }

    #[test]
    fn an_unfilled_cell_is_an_error() {
        let t = table();
        let (m, cells) = mask_cells(&t, &["x"], 1.0, 0).unwrap();
        assert!(score_imputation(&t, &m, &cells, &t).is_err());
    }
}
