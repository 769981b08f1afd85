//! Training data: encoded records as a host matrix.

use scorediff_backend::ColumnBlock;

use crate::error::{Result, TrainError};

/// Encoded records (`rows x d`, row-major `f32` on the host) and the one-hot blocks of
/// their categorical columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    data: Vec<f32>,
    rows: usize,
    dim: usize,
    blocks: Vec<ColumnBlock>,
}

impl Dataset {
    /// Records from a row-major buffer of `rows * dim` finite values.
    pub fn new(data: Vec<f32>, rows: usize, dim: usize) -> Result<Self> {
        if dim == 0 || rows.checked_mul(dim) != Some(data.len()) {
            return Err(TrainError::Data(format!(
                "{} values do not form {rows} rows of {dim} columns",
                data.len()
            )));
        }
        if let Some(i) = data.iter().position(|v| !v.is_finite()) {
            return Err(TrainError::Data(format!(
                "non-finite value {} at row {}, column {}",
                data[i],
                i / dim,
                i % dim
            )));
        }
        Ok(Self {
            data,
            rows,
            dim,
            blocks: Vec::new(),
        })
    }

    /// Attaches the categorical one-hot blocks (checked to lie inside the columns).
    pub fn with_blocks(mut self, blocks: Vec<ColumnBlock>) -> Result<Self> {
        scorediff_backend::ops::check_blocks("dataset", &blocks, self.dim)
            .map_err(|e| TrainError::Data(e.to_string()))?;
        self.blocks = blocks;
        Ok(self)
    }

    /// Number of records.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns `d`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The row-major values.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The categorical one-hot blocks.
    pub fn blocks(&self) -> &[ColumnBlock] {
        &self.blocks
    }

    /// Rows `start..end` as a new data set (e.g. to hold out a validation split).
    pub fn slice(&self, start: usize, end: usize) -> Result<Self> {
        if start > end || end > self.rows {
            return Err(TrainError::Data(format!(
                "rows {start}..{end} outside 0..{}",
                self.rows
            )));
        }
        Ok(Self {
            data: self.data[start * self.dim..end * self.dim].to_vec(),
            rows: end - start,
            dim: self.dim,
            blocks: self.blocks.clone(),
        })
    }
}
