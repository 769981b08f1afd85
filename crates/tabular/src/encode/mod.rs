//! Encoding a table into the model's matrix and decoding samples back into a table.
//!
//! Each modelled column (schema order, ids dropped) owns a contiguous block of matrix columns:
//! - numerical: one score column ([`quantile`] transform to a standard normal by default, or
//!   [`standard`]ization), plus a missing indicator when the training column had missing
//!   values ([`numerical`]);
//! - categorical: a one-hot block, with a final missing category when needed ([`onehot`]);
//! - after every column block, when [`EncoderOptions::relations`] is on: a two-entry one-hot
//!   block per exact relation between numerical columns (one column equal to another, both
//!   non-zero), [`relation`];
//! - when [`EncoderOptions::dequantise`] is on, tied numerical values spread over their runs
//!   of the quantile map (no point masses in the training scores);
//! - when [`EncoderOptions::whiten`] is on, the numerical scores of each row decorrelated and
//!   scaled to unit variance by the training covariance's Cholesky factor ([`whiten`]).
//!
//! Decoding inverts each block: scores back to values (rounded to the column's decimal places,
//! integers for integer columns, clipped to the training range), one-hot blocks to a category
//! by argmax ([`Encoder::decode`]) or by sampling the block as a probability vector
//! ([`Encoder::decode_sampled`]). Encoding then decoding a training table returns it exactly:
//! knot values are snapped back bit for bit, and values between knots come back within the
//! `f32` decoding error, which the rounding to the column's decimal places removes as long as
//! that error stays below half the column's resolution (see [`quantile`]; for Credit Default
//! the worst error is a fraction of a unit, and the round trip is tested exact).

pub mod categorical;
pub mod codes;
pub mod condition;
pub mod matrix;
pub mod normal;
pub mod numerical;
pub mod quantile;
pub mod relation;
pub mod standard;
pub mod whiten;

use std::path::Path;

use rand::Rng;
use scorediff_backend::{ColumnBlock, Layout};
use serde::{Deserialize, Serialize};

use categorical::{CategoricalEncoder, Coding, bits_for};
pub use condition::CellRequirement;
pub use matrix::Matrix;
use numerical::{NumericalEncoder, NumericalMap};
use quantile::QuantileMap;
use relation::Relation;
use standard::StandardMap;
use whiten::Whitening;

use crate::error::{Result, TabularError};
use crate::number::NumberFormat;
use crate::schema::{ColumnKind, Schema, sorted_categories};
use crate::table::{CategoricalCells, Column, ColumnData, Table};

/// Version of the encoder JSON layout written by this crate.
pub const ENCODER_FORMAT_VERSION: u32 = 1;

/// Default number of quantile knots per numerical column.
pub const DEFAULT_N_QUANTILES: usize = 1000;

/// Largest number of categories a column is one-hot coded with by default: wider columns
/// are coded in bits (`ceil(log2 K)` coordinates), so a column of thousands of codes does not
/// make the network thousands of entries wide.
pub const DEFAULT_MAX_ONE_HOT: usize = 256;

fn default_max_one_hot() -> usize {
    DEFAULT_MAX_ONE_HOT
}

/// How numerical columns are transformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumericalTransform {
    /// Quantile transform to a standard normal with at most `n_quantiles` knots (2..=100000).
    Quantile {
        /// Number of knots.
        n_quantiles: usize,
    },
    /// `(x - mean) / sd`.
    Standardize,
}

/// Options of [`Encoder::fit`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EncoderOptions {
    /// Transform of numerical columns (default: quantile, [`DEFAULT_N_QUANTILES`] knots).
    pub numerical: NumericalTransform,
    /// Value of the hot entry of one-hot blocks and of a set bit (default 1, see
    /// [`categorical`]).
    pub onehot_scale: f64,
    /// Categorical columns of more categories than this (the missing value counted) are coded
    /// in bits rather than one-hot ([`categorical`]; default [`DEFAULT_MAX_ONE_HOT`]). Absent
    /// in older configurations: the default.
    #[serde(default = "default_max_one_hot")]
    pub max_one_hot: usize,
    /// Find exact relations between numerical columns and carry them as indicator blocks
    /// ([`relation`]). Absent in older configurations: off.
    #[serde(default)]
    pub relations: bool,
    /// Decode discrete numerical columns to their frequent values only
    /// ([`numerical`]: support and snapping). Absent in older configurations: off.
    #[serde(default)]
    pub snap_discrete: bool,
    /// Whiten the numerical scores ([`whiten`]). Absent in older configurations: off.
    #[serde(default)]
    pub whiten: bool,
    /// Spread each tied numerical value over its run of the quantile map when encoding
    /// (uniform dequantisation, [`quantile::QuantileMap::encode_spread`]), at a point fixed by
    /// the row and column: training scores without point masses. Decoding is unchanged.
    /// Absent in older configurations: off.
    #[serde(default)]
    pub dequantise: bool,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self {
            numerical: NumericalTransform::Quantile {
                n_quantiles: DEFAULT_N_QUANTILES,
            },
            onehot_scale: 1.0,
            max_one_hot: DEFAULT_MAX_ONE_HOT,
            relations: false,
            snap_discrete: false,
            whiten: false,
            dequantise: false,
        }
    }
}

/// The encoder of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnCodec {
    /// A numerical column.
    Numerical(NumericalEncoder),
    /// A categorical column.
    Categorical(CategoricalEncoder),
}

/// One column's place in the matrix and its encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncodedColumn {
    /// The table column.
    pub name: String,
    /// First matrix column of its block.
    pub start: usize,
    /// The encoder.
    pub codec: ColumnCodec,
}

impl EncodedColumn {
    /// Width of the block.
    pub fn width(&self) -> usize {
        match &self.codec {
            ColumnCodec::Numerical(e) => e.width(),
            ColumnCodec::Categorical(e) => e.width(),
        }
    }
}

/// A column's block in the matrix layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// The table column.
    pub column: String,
    /// First matrix column.
    pub start: usize,
    /// Number of matrix columns.
    pub len: usize,
    /// Whether the block is one-hot (the score network puts a softmax on it).
    pub one_hot: bool,
    /// For numerical blocks: whether the second column is a missing indicator.
    pub missing_indicator: bool,
}

/// A fitted encoder: the map from a table to the model's matrix and back. Serializable, to be
/// stored with a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    /// Layout version ([`ENCODER_FORMAT_VERSION`]).
    pub format_version: u32,
    /// The options it was fitted with.
    pub options: EncoderOptions,
    /// The columns, in matrix order.
    pub columns: Vec<EncodedColumn>,
    /// The exact relations, their blocks after the columns' (none in older encoders).
    #[serde(default)]
    pub relations: Vec<Relation>,
    /// The whitening of the numerical scores (none in older encoders, or when off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whitening: Option<Whitening>,
}

impl Encoder {
    /// Fits to `table` typed by `schema`: every modelled column of the schema must be in the
    /// table, with numerical data for continuous and integer columns (at least one value)
    /// and categorical data for categorical ones. Columns of the table that the schema marks
    /// as ids, or does not list, are not encoded.
    pub fn fit(table: &Table, schema: &Schema, options: &EncoderOptions) -> Result<Self> {
        check_options(options)?;
        schema.validate()?;
        let mut columns = Vec::new();
        let mut start = 0;
        for cs in schema.modelled() {
            let col = table
                .column(&cs.name)
                .ok_or_else(|| TabularError::MissingColumn {
                    file: "table".into(),
                    column: cs.name.clone(),
                })?;
            let codec = match (cs.kind, &col.data) {
                (ColumnKind::Categorical, ColumnData::Categorical(v)) => ColumnCodec::Categorical(
                    fit_categorical(v, &cs.categories, options.onehot_scale, options.max_one_hot),
                ),
                (
                    ColumnKind::Continuous | ColumnKind::Integer | ColumnKind::Datetime,
                    ColumnData::Numerical(v),
                ) => {
                    let mut format = cs.format;
                    if cs.kind == ColumnKind::Integer {
                        format.decimals = 0;
                    }
                    ColumnCodec::Numerical(fit_numerical(&cs.name, v, format, options)?)
                }
                (kind, data) => return Err(kind_mismatch(&cs.name, kind, data)),
            };
            let c = EncodedColumn {
                name: cs.name.clone(),
                start,
                codec,
            };
            start += c.width();
            columns.push(c);
        }
        let mut relations = if options.relations {
            let numerical: Vec<(&str, &[Option<f64>])> = columns
                .iter()
                .filter(|c| matches!(c.codec, ColumnCodec::Numerical(_)))
                .filter_map(|c| match &table.column(&c.name)?.data {
                    ColumnData::Numerical(v) => Some((c.name.as_str(), v.as_slice())),
                    ColumnData::Categorical(_) => None,
                })
                .collect();
            relation::find(&numerical)
        } else {
            Vec::new()
        };
        for r in &mut relations {
            r.start = start;
            start += Relation::WIDTH;
        }
        let mut encoder = Self {
            format_version: ENCODER_FORMAT_VERSION,
            options: *options,
            columns,
            relations,
            whitening: None,
        };
        encoder.fit_codes(table)?;
        if options.whiten {
            let scores = encoder.score_columns();
            encoder.whitening = Whitening::fit(&encoder.encode(table)?, scores);
        }
        Ok(encoder)
    }

    /// Fits the codes of the bit-coded columns ([`codes`]), one column after the other: a
    /// column's profiles are taken on every coordinate but its own and those of the bit-coded
    /// columns still to fit, so that a column whose categories follow an earlier one's (a
    /// product and its merchant) gets codes that follow the earlier column's fitted bits.
    fn fit_codes(&mut self, table: &Table) -> Result<()> {
        let bit_coded: Vec<usize> = (0..self.columns.len())
            .filter(|&i| matches!(&self.columns[i].codec, ColumnCodec::Categorical(e) if !e.is_one_hot()))
            .collect();
        if bit_coded.is_empty() {
            return Ok(());
        }
        let mut m = self.encode(table)?;
        for (n, &i) in bit_coded.iter().enumerate() {
            let mut skip = vec![false; m.cols];
            for &k in &bit_coded[n..] {
                let c = &self.columns[k];
                skip[c.start..c.start + c.width()]
                    .iter_mut()
                    .for_each(|s| *s = true);
            }
            let dims: Vec<usize> = (0..m.cols).filter(|&j| !skip[j]).collect();
            let Some(fitted) = self.column_codes(table, &m, i, &dims) else {
                continue;
            };
            let EncodedColumn { name, start, codec } = &mut self.columns[i];
            if let (ColumnCodec::Categorical(e), Some(ColumnData::Categorical(v))) =
                (codec, table.column(name).map(|col| &col.data))
            {
                e.codes = fitted;
                e.cache = Default::default();
                // The later columns' profiles see this column's fitted bits.
                encode_categorical(name, *start, e, v, &mut m)?;
            }
        }
        Ok(())
    }

    /// The fitted codes of bit-coded column `i` from its categories' profiles on the
    /// coordinates `dims` of the encoded table `m` (`None` for a one-hot column).
    fn column_codes(
        &self,
        table: &Table,
        m: &Matrix,
        i: usize,
        dims: &[usize],
    ) -> Option<Vec<u64>> {
        let ColumnCodec::Categorical(e) = &self.columns[i].codec else {
            return None;
        };
        let Coding::Bits { bits } = e.coding else {
            return None;
        };
        let ColumnData::Categorical(values) = &table.column(&self.columns[i].name)?.data else {
            return None;
        };
        let mean: Vec<f64> = dims
            .iter()
            .map(|&j| {
                (0..m.rows).map(|r| f64::from(m.row(r)[j])).sum::<f64>() / m.rows.max(1) as f64
            })
            .collect();
        let (n, d) = (e.n_values(), dims.len());
        let mut sums = vec![0.0; n * d];
        let mut counts = vec![0.0; n];
        for (r, k) in e.cell_indices(values).enumerate() {
            let Some(k) = k else {
                continue;
            };
            counts[k] += 1.0;
            let row = m.row(r);
            for (slot, &j) in sums[k * d..(k + 1) * d].iter_mut().zip(dims) {
                *slot += f64::from(row[j]);
            }
        }
        let prior = codes::PROFILE_PRIOR_ROWS;
        for k in 0..n {
            for (jj, slot) in sums[k * d..(k + 1) * d].iter_mut().enumerate() {
                *slot = (*slot + prior * mean[jj]) / (counts[k] + prior);
            }
        }
        Some(codes::tree_codes(&sums, d, &counts, bits))
    }

    /// The matrix columns of the numerical scores (each numerical block's first entry).
    fn score_columns(&self) -> Vec<usize> {
        self.columns
            .iter()
            .filter(|c| matches!(c.codec, ColumnCodec::Numerical(_)))
            .map(|c| c.start)
            .collect()
    }

    /// The matrix width `d`.
    pub fn width(&self) -> usize {
        match self.relations.last() {
            Some(r) => r.start + Relation::WIDTH,
            None => self.columns.last().map_or(0, |c| c.start + c.width()),
        }
    }

    /// Every block, in matrix order: the columns', then the relations' (named by
    /// [`Relation::describe`]).
    pub fn blocks(&self) -> Vec<Block> {
        let columns = self.columns.iter().map(|c| Block {
            column: c.name.clone(),
            start: c.start,
            len: c.width(),
            one_hot: matches!(&c.codec, ColumnCodec::Categorical(e) if e.is_one_hot()),
            missing_indicator: matches!(&c.codec, ColumnCodec::Numerical(e) if e.indicator),
        });
        let relations = self.relations.iter().map(|r| Block {
            column: r.describe(),
            start: r.start,
            len: Relation::WIDTH,
            one_hot: true,
            missing_indicator: false,
        });
        columns.chain(relations).collect()
    }

    /// The layout of the encoded matrix: its width and one-hot blocks, what the network
    /// (softmax heads), the preconditioner and the training data take.
    pub fn layout(&self) -> Layout {
        Layout {
            width: self.width(),
            one_hot: self.categorical_blocks(),
        }
    }

    /// The one-hot blocks (where the score network puts a softmax), in column order.
    pub fn categorical_blocks(&self) -> Vec<ColumnBlock> {
        self.blocks()
            .into_iter()
            .filter(|b| b.one_hot)
            .map(|b| ColumnBlock::new(b.start, b.len))
            .collect()
    }

    /// Value of the hot entry of one-hot blocks.
    pub fn onehot_scale(&self) -> f64 {
        self.options.onehot_scale
    }

    /// Encodes `table` (its columns found by name). Errors on a missing column, a column of the
    /// wrong type, or a category not seen in fitting (naming its 1-based data row).
    pub fn encode(&self, table: &Table) -> Result<Matrix> {
        let (n, d) = (table.n_rows(), self.width());
        let mut m = Matrix::zeros(n, d);
        for c in &self.columns {
            let col = table
                .column(&c.name)
                .ok_or_else(|| TabularError::MissingColumn {
                    file: "table".into(),
                    column: c.name.clone(),
                })?;
            let w = c.width();
            match (&c.codec, &col.data) {
                (ColumnCodec::Numerical(e), ColumnData::Numerical(v)) => {
                    for (i, x) in v.iter().enumerate() {
                        let out = &mut m.data[i * d + c.start..i * d + c.start + w];
                        if self.options.dequantise {
                            e.encode_spread(*x, spread_point(i, c.start), out);
                        } else {
                            e.encode(*x, out);
                        }
                    }
                }
                (ColumnCodec::Categorical(e), ColumnData::Categorical(v)) => {
                    encode_categorical(&c.name, c.start, e, v, &mut m)?;
                }
                (ColumnCodec::Numerical(_), data) => {
                    return Err(kind_mismatch(&c.name, ColumnKind::Continuous, data));
                }
                (ColumnCodec::Categorical(_), data) => {
                    return Err(kind_mismatch(&c.name, ColumnKind::Categorical, data));
                }
            }
        }
        let scale = self.options.onehot_scale as f32;
        for r in &self.relations {
            let target = numerical_values(table, &r.target)?;
            let source = numerical_values(table, &r.source)?;
            for (i, (&b, &a)) in target.iter().zip(source).enumerate() {
                let k = usize::from(!Relation::holds(b, a));
                m.data[i * d + r.start + k] = scale;
            }
        }
        if let Some(w) = &self.whitening {
            w.whiten(&mut m);
        }
        Ok(m)
    }

    /// Decodes a matrix, one-hot blocks by argmax, bit blocks by their signs.
    pub fn decode(&self, m: &Matrix) -> Result<Table> {
        self.decode_with(m, |e, block| e.pick(block))
    }

    /// Decodes a matrix, each one-hot block by drawing a category with probability
    /// proportional to its positive entries (see [`CategoricalEncoder::sample`]). Draws are made
    /// column by column, rows in order, so the same RNG state gives the same table.
    pub fn decode_sampled<R: Rng + ?Sized>(&self, m: &Matrix, rng: &mut R) -> Result<Table> {
        self.decode_with(m, |e, block| e.draw(block, rng))
    }

    fn decode_with(
        &self,
        m: &Matrix,
        mut pick: impl FnMut(&CategoricalEncoder, &[f32]) -> usize,
    ) -> Result<Table> {
        let d = self.width();
        if m.cols != d || m.data.len() != m.rows * m.cols {
            return Err(TabularError::MatrixShape {
                message: format!(
                    "{} x {} matrix with {} entries, the encoder's width is {d}",
                    m.rows,
                    m.cols,
                    m.data.len()
                ),
            });
        }
        let coloured;
        let m = match &self.whitening {
            Some(w) => {
                let mut z = m.clone();
                w.color(&mut z);
                coloured = z;
                &coloured
            }
            None => m,
        };
        let mut columns = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let w = c.width();
            let blocks = (0..m.rows).map(|i| &m.data[i * d + c.start..i * d + c.start + w]);
            if let Some(i) =
                (0..m.rows).find(|&i| m.row(i)[c.start..c.start + w].iter().any(|v| v.is_nan()))
            {
                return Err(TabularError::NanInMatrix {
                    row: i + 1,
                    column: c.name.clone(),
                });
            }
            let column = match &c.codec {
                ColumnCodec::Numerical(e) => {
                    Column::numerical(c.name.clone(), blocks.map(|b| e.decode(b)).collect())
                }
                ColumnCodec::Categorical(e) => {
                    Column::categorical_cells(c.name.clone(), e.cells(blocks.map(|b| pick(e, b))))
                }
            };
            columns.push(column);
        }
        // A relation block is a two-entry one-hot block ([holds, does not hold]).
        let relation_block = CategoricalEncoder::one_hot(2, self.options.onehot_scale);
        for r in &self.relations {
            self.apply_relation(r, m, &mut columns, &mut |b| pick(&relation_block, b));
        }
        Table::new(columns).ok_or_else(|| TabularError::MatrixShape {
            message: "ragged decode".into(),
        })
    }

    /// Sets relation `r`'s target to its non-zero source in the rows where its block says it
    /// holds; the value is rounded and clipped as the target's own values are.
    fn apply_relation(
        &self,
        r: &Relation,
        m: &Matrix,
        columns: &mut [Column],
        pick: &mut dyn FnMut(&[f32]) -> usize,
    ) {
        let position = |name: &str| self.columns.iter().position(|c| c.name == name);
        let Some(t) = position(&r.target) else {
            return;
        };
        let ColumnCodec::Numerical(enc) = &self.columns[t].codec else {
            return;
        };
        let source: Vec<Option<f64>> = match position(&r.source).map(|s| &columns[s].data) {
            Some(ColumnData::Numerical(v)) => v.clone(),
            _ => return,
        };
        let ColumnData::Numerical(target) = &mut columns[t].data else {
            return;
        };
        for (i, (b, a)) in target.iter_mut().zip(source).enumerate() {
            let block = &m.row(i)[r.start..r.start + Relation::WIDTH];
            if let (0, Some(a)) = (pick(block), a)
                && a != 0.0
            {
                *b = Some(enc.format.round(a).clamp(enc.min, enc.max));
            }
        }
    }

    /// The encoder as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses an encoder from JSON; `source` names it in errors.
    pub fn from_json_str(source: &str, text: &str) -> Result<Self> {
        let bad = |message: String| TabularError::EncoderFile {
            file: source.to_string(),
            message,
        };
        let e: Self = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if e.format_version == 0 || e.format_version > ENCODER_FORMAT_VERSION {
            return Err(bad(format!(
                "encoder format_version {} is not supported",
                e.format_version
            )));
        }
        e.check().map_err(bad)?;
        Ok(e)
    }

    /// Checks an encoder read from a file against its own layout: each block starts where
    /// the previous one ends, categorical blocks have a category, numerical maps are sane
    /// and their bounds ordered. Decoding a checked encoder cannot index out of range.
    pub fn check(&self) -> std::result::Result<(), String> {
        check_options(&self.options).map_err(|e| e.to_string())?;
        let mut start = 0;
        for c in &self.columns {
            if c.start != start {
                return Err(format!(
                    "column `{}` starts at matrix column {}, but the blocks before it end at {start}",
                    c.name, c.start
                ));
            }
            match &c.codec {
                ColumnCodec::Categorical(e) if e.width() == 0 => {
                    return Err(format!("column `{}` has no category", c.name));
                }
                ColumnCodec::Categorical(e) if !e.is_one_hot() => {
                    e.check_codes()
                        .map_err(|m| format!("column `{}`: {m}", c.name))?;
                }
                ColumnCodec::Numerical(e) => {
                    if let NumericalMap::Quantile(q) = &e.map {
                        q.check().map_err(|m| format!("column `{}`: {m}", c.name))?;
                    }
                    if !(e.min <= e.max && e.impute.is_finite()) {
                        return Err(format!("column `{}`: bad bounds", c.name));
                    }
                    e.check().map_err(|m| format!("column `{}`: {m}", c.name))?;
                }
                ColumnCodec::Categorical(_) => {}
            }
            start += c.width();
        }
        for r in &self.relations {
            if r.start != start {
                return Err(format!(
                    "relation `{}` starts at matrix column {}, but the blocks before it end at {start}",
                    r.describe(),
                    r.start
                ));
            }
            let numerical = |name: &str| {
                self.columns
                    .iter()
                    .any(|c| c.name == name && matches!(c.codec, ColumnCodec::Numerical(_)))
            };
            if !(numerical(&r.target) && numerical(&r.source)) {
                return Err(format!(
                    "relation `{}` names a column that is not a numerical column of the encoder",
                    r.describe()
                ));
            }
            start += Relation::WIDTH;
        }
        if let Some(w) = &self.whitening {
            w.check(start)?;
            if w.columns != self.score_columns() {
                return Err("the whitening's columns are not the numerical scores".into());
            }
        }
        Ok(())
    }

    /// Writes the encoder as JSON, atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        use std::io::Write as _;
        crate::write::write_atomic(path.as_ref(), |w| w.write_all(self.to_json().as_bytes()))
    }

    /// Reads an encoder JSON file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TabularError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_json_str(&file, &text)
    }
}

/// The values of numerical column `name` of `table`.
fn numerical_values<'t>(table: &'t Table, name: &str) -> Result<&'t [Option<f64>]> {
    let col = table
        .column(name)
        .ok_or_else(|| TabularError::MissingColumn {
            file: "table".into(),
            column: name.to_string(),
        })?;
    match &col.data {
        ColumnData::Numerical(v) => Ok(v),
        data => Err(kind_mismatch(name, ColumnKind::Continuous, data)),
    }
}

fn check_options(o: &EncoderOptions) -> Result<()> {
    if let NumericalTransform::Quantile { n_quantiles } = o.numerical
        && !(2..=100_000).contains(&n_quantiles)
    {
        return Err(TabularError::InvalidArgument {
            message: format!("n_quantiles {n_quantiles} is not in 2..=100000"),
        });
    }
    if !(o.onehot_scale.is_finite() && o.onehot_scale > 0.0) {
        return Err(TabularError::InvalidArgument {
            message: format!("onehot_scale {} must be positive", o.onehot_scale),
        });
    }
    Ok(())
}

/// A point in `[0, 1)` fixed by a row and a matrix column (SplitMix64 of both): where a
/// tied value of that cell sits in its run when [`EncoderOptions::dequantise`] is on, so
/// that encoding a table is a function of the table.
fn spread_point(row: usize, column: usize) -> f64 {
    let mut z = ((row as u64) << 20 ^ column as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn kind_mismatch(column: &str, kind: ColumnKind, data: &ColumnData) -> TabularError {
    let name = |numerical: bool| {
        if numerical {
            "numerical"
        } else {
            "categorical"
        }
    };
    TabularError::KindMismatch {
        column: column.to_string(),
        expected: name(kind.is_numerical()),
        found: name(data.is_numerical()),
    }
}

/// Writes the blocks of the categorical column `name` starting at matrix column `start`
/// (encoder `e`) for `values` into the rows of `m`; a value the encoder does not know is an
/// error naming its row.
fn encode_categorical(
    name: &str,
    start: usize,
    e: &CategoricalEncoder,
    values: &CategoricalCells,
    m: &mut Matrix,
) -> Result<()> {
    let (d, w) = (m.cols, e.width());
    for (i, k) in e.cell_indices(values).enumerate() {
        let k = k.ok_or_else(|| TabularError::UnknownCategory {
            row: i + 1,
            column: name.to_string(),
            value: values.get(i).unwrap_or("(missing)").to_string(),
        })?;
        e.encode(k, &mut m.data[i * d + start..i * d + start + w]);
    }
    Ok(())
}

/// The encoder of the categories of `values` and those the schema lists: one-hot up to
/// `max_one_hot` categories (the missing one included), bits beyond.
fn fit_categorical(
    values: &CategoricalCells,
    listed: &[String],
    scale: f64,
    max_one_hot: usize,
) -> CategoricalEncoder {
    let (level_counts, n_missing) = values.level_counts();
    let present = (values.levels().iter().zip(&level_counts))
        .filter(|&(_, &n)| n > 0)
        .map(|(l, _)| Some(l.clone()));
    let all: Vec<Option<String>> = present.chain(listed.iter().cloned().map(Some)).collect();
    let categories = sorted_categories(&all);
    let missing = n_missing > 0;
    let mut counts = vec![0usize; categories.len() + usize::from(missing)];
    let position: std::collections::HashMap<&str, usize> = categories
        .iter()
        .enumerate()
        .map(|(k, c)| (c.as_str(), k))
        .collect();
    for (level, &n) in values.levels().iter().zip(&level_counts) {
        if let Some(&k) = position.get(level.as_str()) {
            counts[k] += n;
        }
    }
    if missing {
        counts[categories.len()] = n_missing;
    }
    let n = values.len().max(1) as f64;
    let n_values = categories.len() + usize::from(missing);
    CategoricalEncoder {
        shares: counts.iter().map(|&c| c as f64 / n).collect(),
        categories,
        missing,
        scale,
        coding: if n_values > max_one_hot {
            Coding::Bits {
                bits: bits_for(n_values),
            }
        } else {
            Coding::OneHot
        },
        codes: Vec::new(),
        cache: Default::default(),
    }
}

fn fit_numerical(
    name: &str,
    values: &[Option<f64>],
    format: NumberFormat,
    options: &EncoderOptions,
) -> Result<NumericalEncoder> {
    let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
    if sorted.is_empty() {
        return Err(TabularError::AllMissing {
            column: name.to_string(),
        });
    }
    if let Some(bad) = sorted.iter().position(|v| !v.is_finite()) {
        return Err(TabularError::InvalidArgument {
            message: format!("column `{name}`: value {} is not finite", sorted[bad]),
        });
    }
    sorted.sort_by(f64::total_cmp);
    let map = match options.numerical {
        NumericalTransform::Quantile { n_quantiles } => {
            NumericalMap::Quantile(QuantileMap::fit(&sorted, n_quantiles))
        }
        NumericalTransform::Standardize => NumericalMap::Standard(StandardMap::fit(&sorted)),
    };
    let indicator = sorted.len() < values.len();
    Ok(NumericalEncoder::fit(
        &sorted,
        map,
        indicator,
        format,
        options.snap_discrete,
    ))
}
