//! Imputation: a table's missing cells filled from the model's law given each row's known
//! cells, with the same conditioned sampler as `sample --where`
//! ([`scorediff_process::condition`]): every row is its own condition, its known cells held
//! exactly, its missing cells drawn (never "missing" again).
//!
//! With `draws = 1` each missing cell gets one draw of the model's conditional law (a
//! multiple-imputation draw: run it with several seeds for several completed tables). With
//! `draws > 1` it gets the point estimate over that many draws, the habit of scikit-learn's
//! imputers: the mean for a numerical cell (rounded to the column's resolution, a discrete
//! column's nearest value), the most probable category for a categorical one (the category
//! of largest summed class probability at the sampler's last step; for a column coded in
//! bits, the category the mean of the draws' bits spells).
//!
//! Known cells are never touched: [`impute`] returns the table it was given with only the
//! missing cells of modelled columns set, rows in their order; columns the model does not
//! know are returned as they were.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, RowCondition};
use scorediff_process::{Condition, SamplerConfig};
use scorediff_tabular::{
    CategoricalCells, CellRequirement, ColumnCodec, ColumnData, Encoder, Matrix, Table,
    TabularError,
};
use serde::Serialize;

use crate::pipeline::{Model, SAMPLE_CHUNK_ROWS, sample_matrix};
use crate::{Error, Result};

/// Draws averaged per cell when a caller does not say: the point estimate. The mean of
/// heavy-tailed amounts needs many draws: on Credit Default's `test.csv` (20% of cells
/// masked, five masks) the standardised RMSE was 0.648 with 10 draws and 0.611 with 30, the
/// k-NN baseline's 0.632 (docs/conditional.md).
pub const DEFAULT_DRAWS: usize = 30;

/// What [`impute`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImputeSummary {
    /// Rows of the table.
    pub rows: usize,
    /// Rows with at least one missing cell in a modelled column.
    pub rows_imputed: usize,
    /// Cells filled.
    pub cells_filled: usize,
    /// Draws per cell.
    pub draws: usize,
}

/// Fills the missing cells of `table`'s modelled columns (see the module documentation).
/// `table` must hold every column the model's encoder holds, of the same kind; a category
/// the model never saw is an error naming its 1-based row and column. `progress(done,
/// total)` counts rows times draws.
pub fn impute<B: Backend>(
    be: &B,
    model: &Model<B>,
    table: &Table,
    sampler: &SamplerConfig,
    draws: usize,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(Table, ImputeSummary)> {
    if draws == 0 {
        return Err(Error::Usage("draws must be at least 1".into()));
    }
    let encoder = &model.encoder;
    let columns = table_columns(table, encoder)?;
    check_categories(table, &columns, encoder)?;
    let missing = |i: usize| {
        columns
            .iter()
            .any(|&c| is_missing(&table.columns[c].data, i))
    };
    let rows: Vec<usize> = (0..table.n_rows()).filter(|&i| missing(i)).collect();
    let mut out = table.clone();
    let mut rng = ChaCha8Rng::seed_from_u64(sampler.seed);
    let total = rows.len() * draws;
    let mut cells_filled = 0;
    for (c, chunk) in rows.chunks(SAMPLE_CHUNK_ROWS).enumerate() {
        let requirements = chunk
            .iter()
            .map(|&i| row_requirement(table, &columns, encoder, i))
            .collect::<Result<Vec<RowCondition>>>()?;
        let condition = Condition::per_row(&encoder.layout(), requirements)?;
        let mut estimate = Estimate::new(encoder, chunk.len());
        for d in 0..draws {
            let done = (c * SAMPLE_CHUNK_ROWS) * draws + d * chunk.len();
            let m = sample_matrix(
                be,
                &model.net,
                encoder,
                model.config.train.process,
                chunk.len(),
                Some(&condition),
                sampler,
                &mut rng,
                &mut |r, _| progress(done + r, total),
            )?;
            if draws == 1 {
                let decoded = encoder.decode_sampled(&m, &mut rng)?;
                cells_filled += fill_from(&mut out, &columns, chunk, &decoded);
            } else {
                estimate.add(encoder, &m);
            }
        }
        if draws > 1 {
            let decoded = estimate.finish(encoder)?;
            cells_filled += fill_from(&mut out, &columns, chunk, &decoded);
        }
    }
    let summary = ImputeSummary {
        rows: table.n_rows(),
        rows_imputed: rows.len(),
        cells_filled,
        draws,
    };
    Ok((out, summary))
}

/// For each encoder column, the position of the table's column of that name, checked to be
/// of the same kind.
fn table_columns(table: &Table, encoder: &Encoder) -> Result<Vec<usize>> {
    encoder
        .columns
        .iter()
        .map(|e| {
            let j = table
                .columns
                .iter()
                .position(|c| c.name == e.name)
                .ok_or_else(|| TabularError::MissingColumn {
                    file: "table".into(),
                    column: e.name.clone(),
                })?;
            let numerical = matches!(e.codec, ColumnCodec::Numerical(_));
            if numerical != table.columns[j].data.is_numerical() {
                return Err(TabularError::KindMismatch {
                    column: e.name.clone(),
                    expected: if numerical {
                        "numerical"
                    } else {
                        "categorical"
                    },
                    found: if numerical {
                        "categorical"
                    } else {
                        "numerical"
                    },
                }
                .into());
            }
            Ok(j)
        })
        .collect()
}

/// Refuses a category the encoder does not know, in any row (whether or not the row has a
/// cell to fill), naming its 1-based row and column.
fn check_categories(table: &Table, columns: &[usize], encoder: &Encoder) -> Result<()> {
    for (k, &j) in columns.iter().enumerate() {
        let (ColumnData::Categorical(values), ColumnCodec::Categorical(e)) =
            (&table.columns[j].data, &encoder.columns[k].codec)
        else {
            continue;
        };
        let unknown = e
            .cell_indices(values)
            .enumerate()
            .find(|&(i, k)| k.is_none() && !values.is_missing(i));
        if let Some((i, _)) = unknown {
            return Err(TabularError::UnknownCategory {
                row: i + 1,
                column: encoder.columns[k].name.clone(),
                value: values.get(i).unwrap_or_default().to_string(),
            }
            .into());
        }
    }
    Ok(())
}

fn is_missing(data: &ColumnData, i: usize) -> bool {
    match data {
        ColumnData::Numerical(v) => v[i].is_none(),
        ColumnData::Categorical(v) => v.is_missing(i),
    }
}

/// Row `i`'s requirement: its known cells held, its missing cells present (categories
/// checked by [`check_categories`]).
fn row_requirement(
    table: &Table,
    columns: &[usize],
    encoder: &Encoder,
    i: usize,
) -> Result<RowCondition> {
    let mut cells = Vec::with_capacity(columns.len());
    for (k, &j) in columns.iter().enumerate() {
        let requirement = match (&table.columns[j].data, &encoder.columns[k].codec) {
            (ColumnData::Numerical(v), _) => {
                v[i].map_or(CellRequirement::Present, CellRequirement::value)
            }
            (ColumnData::Categorical(v), ColumnCodec::Categorical(_)) => match v.get(i) {
                None => CellRequirement::Present,
                Some(text) => CellRequirement::OneOf(vec![text.to_string()]),
            },
            (ColumnData::Categorical(_), ColumnCodec::Numerical(_)) => {
                unreachable!("kinds checked by table_columns")
            }
        };
        cells.push((k, requirement));
    }
    Ok(encoder.row_condition(&cells)?)
}

/// Sets the missing cells of rows `chunk` of `out` (the `columns` of the encoder's columns)
/// from `decoded` (one row per chunk row, the encoder's columns in order). Returns the cells
/// set.
fn fill_from(out: &mut Table, columns: &[usize], chunk: &[usize], decoded: &Table) -> usize {
    let mut filled = 0;
    for (k, &j) in columns.iter().enumerate() {
        match (&mut out.columns[j].data, &decoded.columns[k].data) {
            (ColumnData::Numerical(v), ColumnData::Numerical(d)) => {
                for (r, &i) in chunk.iter().enumerate() {
                    if v[i].is_none() && d[r].is_some() {
                        v[i] = d[r];
                        filled += 1;
                    }
                }
            }
            (ColumnData::Categorical(v), ColumnData::Categorical(d)) => {
                let map = v.adopt_levels(d);
                for (r, &i) in chunk.iter().enumerate() {
                    let code = d.codes()[r];
                    if v.is_missing(i) && code != CategoricalCells::MISSING {
                        v.set_code(i, map[code as usize]);
                        filled += 1;
                    }
                }
            }
            _ => {}
        }
    }
    filled
}

/// The running point estimate of a chunk's rows over several draws: per numerical column the
/// sum of decoded values, per categorical column the sum of class probabilities.
struct Estimate {
    rows: usize,
    /// Per encoder column: `rows` sums (numerical) or `rows x width` sums (categorical).
    sums: Vec<Vec<f64>>,
    /// Per numerical column and row, how many draws gave a value.
    counts: Vec<Vec<u32>>,
}

impl Estimate {
    fn new(encoder: &Encoder, rows: usize) -> Self {
        let sums = encoder
            .columns
            .iter()
            .map(|c| match &c.codec {
                ColumnCodec::Numerical(_) => vec![0.0; rows],
                ColumnCodec::Categorical(e) => vec![0.0; rows * e.width()],
            })
            .collect();
        Self {
            rows,
            sums,
            counts: vec![vec![0; rows]; encoder.columns.len()],
        }
    }

    /// Adds one draw's encoded records.
    fn add(&mut self, encoder: &Encoder, m: &Matrix) {
        for (k, c) in encoder.columns.iter().enumerate() {
            let w = c.width();
            for r in 0..self.rows {
                let block = &m.row(r)[c.start..c.start + w];
                match &c.codec {
                    ColumnCodec::Numerical(e) => {
                        if let Some(x) = e.decode(block) {
                            self.sums[k][r] += x;
                            self.counts[k][r] += 1;
                        }
                    }
                    ColumnCodec::Categorical(e) => {
                        // Class probabilities (one-hot) or signed bits: their mean.
                        let floor = if e.is_one_hot() { 0.0 } else { f32::MIN };
                        for (s, &p) in self.sums[k][r * w..(r + 1) * w].iter_mut().zip(block) {
                            *s += f64::from(p.max(floor));
                        }
                    }
                }
            }
        }
    }

    /// The estimate as a table of the encoder's columns.
    fn finish(&self, encoder: &Encoder) -> Result<Table> {
        let columns = encoder
            .columns
            .iter()
            .enumerate()
            .map(|(k, c)| match &c.codec {
                ColumnCodec::Numerical(e) => {
                    let values = (0..self.rows)
                        .map(|r| {
                            let n = self.counts[k][r];
                            (n > 0).then(|| e.finish(self.sums[k][r] / f64::from(n)))
                        })
                        .collect();
                    scorediff_tabular::Column::numerical(c.name.clone(), values)
                }
                ColumnCodec::Categorical(e) => {
                    let w = e.width();
                    let values = (0..self.rows)
                        .map(|r| {
                            let probs: Vec<f32> = self.sums[k][r * w..(r + 1) * w]
                                .iter()
                                .map(|&s| s as f32)
                                .collect();
                            e.category(e.pick(&probs))
                        })
                        .collect();
                    scorediff_tabular::Column::categorical(c.name.clone(), values)
                }
            })
            .collect();
        Table::new(columns).ok_or_else(|| {
            Error::Usage("internal: the imputation estimate has ragged columns".into())
        })
    }
}
