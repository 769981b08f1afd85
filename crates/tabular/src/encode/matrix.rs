//! The model's data matrix: row-major `f32`, free of any backend type.

use crate::error::{Result, TabularError};

/// A dense row-major `f32` matrix: entry `(i, j)` is `data[i * cols + j]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Number of rows (records).
    pub rows: usize,
    /// Number of columns (the encoder's width `d`).
    pub cols: usize,
    /// The entries, row after row.
    pub data: Vec<f32>,
}

impl Matrix {
    /// A matrix from its row-major entries; errors when `data.len() != rows * cols`.
    pub fn new(rows: usize, cols: usize, data: Vec<f32>) -> Result<Self> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(TabularError::MatrixShape {
                message: format!("{} entries for a {rows} x {cols} matrix", data.len()),
            });
        }
        Ok(Self { rows, cols, data })
    }

    /// A zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i`, mutable.
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }
}
