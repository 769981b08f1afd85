//! The CPU backend of scorediff, on faer.
//!
//! Matrices are row-major `Vec<f32>` on the host; `gemm` hands strided views to faer's
//! matrix multiply, so a row-major product costs the same as faer's own column-major one.
//! Elementwise maps and reductions run on rayon over fixed row blocks, so their results do
//! not depend on thread scheduling (DESIGN.md §2, determinism).
//!
//! The exponential family (exp, sigmoid, tanh, silu and its derivatives) runs on
//! branch-free `f32` kernels that vectorise, within a few ulps of the exact values (the
//! bounds are in the `fastmath` module), instead of libm's scalar `expf`.
//!
//! The fused ops (`FusedOps`) add a dense layer's bias inside the product's accumulation and
//! run Adam with the weights' moving average in one pass (bit for bit the composed default).
//! [`retain_freed_memory`] keeps glibc from unmapping the step's large buffers between steps.
//!
//! Parallelism is explicit: [`FaerBackend::new`] takes a [`faer::Par`]; the default uses
//! rayon's global pool with all cores.

mod elementwise;
mod fastmath;
mod memory;
mod structure;
mod transpose;

pub use memory::retain_freed_memory;

use faer::{Accum, MatMut, MatRef, Par};
use scorediff_backend::{
    Activation, ActivationOps, AdamStep, ArcCos, Average, Binary, ColumnBlock, Device,
    DeviceMatrix, ElementwiseOps, FusedOps, LinalgOps, MemoryOps, ReduceOps, Result, StructureOps,
    Transpose, Unary, shape_err,
};

/// A row-major `f32` matrix in host memory.
#[derive(Debug, Clone, PartialEq)]
pub struct FaerMatrix {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

impl FaerMatrix {
    /// The row-major elements.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// A faer view of the matrix.
    pub fn as_mat_ref(&self) -> MatRef<'_, f32> {
        MatRef::from_row_major_slice(&self.data, self.rows, self.cols)
    }

    fn as_mat_mut(&mut self) -> MatMut<'_, f32> {
        MatMut::from_row_major_slice_mut(&mut self.data, self.rows, self.cols)
    }

    pub(crate) fn from_vec(rows: usize, cols: usize, data: Vec<f32>) -> Self {
        debug_assert_eq!(data.len(), rows * cols);
        Self { rows, cols, data }
    }

    pub(crate) fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

impl DeviceMatrix for FaerMatrix {
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
}

/// The faer CPU backend.
#[derive(Debug, Clone, Copy)]
pub struct FaerBackend {
    par: Par,
}

impl Default for FaerBackend {
    /// All cores of rayon's global pool.
    fn default() -> Self {
        Self::new(Par::rayon(0))
    }
}

impl FaerBackend {
    /// A backend running faer's kernels with parallelism `par` (`Par::Seq` for one thread).
    pub fn new(par: Par) -> Self {
        Self { par }
    }

    /// The parallelism faer's kernels use.
    pub fn par(&self) -> Par {
        self.par
    }

    fn parallel(&self) -> bool {
        !matches!(self.par, Par::Seq)
    }
}

fn check_len(op: &'static str, rows: usize, cols: usize, len: usize) -> Result<()> {
    if rows.checked_mul(cols) != Some(len) {
        return Err(shape_err(
            op,
            format!("{rows}x{cols} matrix from {len} values"),
        ));
    }
    Ok(())
}

fn same_shape(op: &'static str, a: &FaerMatrix, b: &FaerMatrix) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(shape_err(
            op,
            format!("{}x{} vs {}x{}", a.rows, a.cols, b.rows, b.cols),
        ));
    }
    Ok(())
}

impl Device for FaerBackend {
    type Matrix = FaerMatrix;

    fn name(&self) -> String {
        match self.par {
            Par::Seq => "faer (1 thread)".to_string(),
            par => format!("faer ({} threads)", par.degree()),
        }
    }
}

impl MemoryOps for FaerBackend {
    fn zeros(&self, rows: usize, cols: usize) -> Result<FaerMatrix> {
        self.full(rows, cols, 0.0)
    }

    fn full(&self, rows: usize, cols: usize, value: f32) -> Result<FaerMatrix> {
        let len = rows
            .checked_mul(cols)
            .ok_or_else(|| shape_err("full", format!("{rows}x{cols} overflows")))?;
        Ok(FaerMatrix::from_vec(rows, cols, vec![value; len]))
    }

    fn from_host(&self, rows: usize, cols: usize, data: &[f32]) -> Result<FaerMatrix> {
        check_len("from_host", rows, cols, data.len())?;
        Ok(FaerMatrix::from_vec(rows, cols, data.to_vec()))
    }

    fn from_host_vec(&self, rows: usize, cols: usize, data: Vec<f32>) -> Result<FaerMatrix> {
        check_len("from_host_vec", rows, cols, data.len())?;
        Ok(FaerMatrix::from_vec(rows, cols, data))
    }

    fn to_host(&self, a: &FaerMatrix) -> Result<Vec<f32>> {
        Ok(a.data.clone())
    }

    fn write(&self, dst: &mut FaerMatrix, data: &[f32]) -> Result<()> {
        check_len("write", dst.rows, dst.cols, data.len())?;
        dst.data.copy_from_slice(data);
        Ok(())
    }

    fn copy(&self, a: &FaerMatrix) -> Result<FaerMatrix> {
        Ok(a.clone())
    }
}

impl LinalgOps for FaerBackend {
    fn gemm(
        &self,
        alpha: f32,
        a: &FaerMatrix,
        trans_a: Transpose,
        b: &FaerMatrix,
        trans_b: Transpose,
        beta: f32,
        c: &mut FaerMatrix,
    ) -> Result<()> {
        let a_view = if trans_a.is_yes() {
            a.as_mat_ref().transpose()
        } else {
            a.as_mat_ref()
        };
        let b_view = if trans_b.is_yes() {
            b.as_mat_ref().transpose()
        } else {
            b.as_mat_ref()
        };
        if a_view.ncols() != b_view.nrows() || c.rows != a_view.nrows() || c.cols != b_view.ncols()
        {
            return Err(shape_err(
                "gemm",
                format!(
                    "op(A) {}x{}, op(B) {}x{}, C {}x{}",
                    a_view.nrows(),
                    a_view.ncols(),
                    b_view.nrows(),
                    b_view.ncols(),
                    c.rows,
                    c.cols
                ),
            ));
        }
        // faer accumulates with beta in {0, 1}; any other beta scales C first.
        let accum = if beta == 0.0 {
            Accum::Replace
        } else {
            if beta != 1.0 {
                c.data.iter_mut().for_each(|v| *v *= beta);
            }
            Accum::Add
        };
        if a_view.ncols() == 0 {
            // An empty inner dimension contributes nothing; faer's Replace would leave C as is.
            if matches!(accum, Accum::Replace) {
                c.data.fill(0.0);
            }
            return Ok(());
        }
        faer::linalg::matmul::matmul(c.as_mat_mut(), accum, a_view, b_view, alpha, self.par);
        Ok(())
    }

    fn transpose(&self, a: &FaerMatrix) -> Result<FaerMatrix> {
        Ok(transpose::transpose(self.parallel(), a))
    }
}

impl ElementwiseOps for FaerBackend {
    fn unary(&self, op: Unary, a: &FaerMatrix) -> Result<FaerMatrix> {
        Ok(elementwise::unary(self.parallel(), op, a))
    }

    fn binary(&self, op: Binary, a: &FaerMatrix, b: &FaerMatrix) -> Result<FaerMatrix> {
        same_shape("binary", a, b)?;
        Ok(elementwise::binary(self.parallel(), op, a, b))
    }

    fn affine(&self, a: &FaerMatrix, scale: f32, shift: f32) -> Result<FaerMatrix> {
        Ok(elementwise::map(self.parallel(), a, |x| scale * x + shift))
    }

    fn axpby(&self, alpha: f32, x: &FaerMatrix, beta: f32, y: &mut FaerMatrix) -> Result<()> {
        same_shape("axpby", x, y)?;
        elementwise::axpby(self.parallel(), alpha, x, beta, y);
        Ok(())
    }

    fn broadcast_row(&self, op: Binary, a: &FaerMatrix, row: &FaerMatrix) -> Result<FaerMatrix> {
        if row.rows != 1 || row.cols != a.cols {
            return Err(shape_err(
                "broadcast_row",
                format!(
                    "matrix {}x{}, row {}x{}",
                    a.rows, a.cols, row.rows, row.cols
                ),
            ));
        }
        Ok(elementwise::broadcast_row(
            self.parallel(),
            op,
            a,
            &row.data,
        ))
    }

    fn broadcast_col(&self, op: Binary, a: &FaerMatrix, col: &FaerMatrix) -> Result<FaerMatrix> {
        if col.cols != 1 || col.rows != a.rows {
            return Err(shape_err(
                "broadcast_col",
                format!(
                    "matrix {}x{}, column {}x{}",
                    a.rows, a.cols, col.rows, col.cols
                ),
            ));
        }
        Ok(elementwise::broadcast_col(
            self.parallel(),
            op,
            a,
            &col.data,
        ))
    }
}

impl ReduceOps for FaerBackend {
    fn row_sums(&self, a: &FaerMatrix) -> Result<FaerMatrix> {
        Ok(elementwise::row_sums(self.parallel(), a))
    }

    fn col_sums(&self, a: &FaerMatrix) -> Result<FaerMatrix> {
        Ok(elementwise::col_sums(self.parallel(), a))
    }
}

impl StructureOps for FaerBackend {
    fn gather_rows(&self, a: &FaerMatrix, indices: &[usize]) -> Result<FaerMatrix> {
        structure::gather_rows(a, indices)
    }

    fn slice_rows(&self, a: &FaerMatrix, start: usize, end: usize) -> Result<FaerMatrix> {
        structure::slice_rows(a, start, end)
    }

    fn slice_cols(&self, a: &FaerMatrix, start: usize, end: usize) -> Result<FaerMatrix> {
        structure::slice_cols(a, start, end)
    }

    fn concat_cols(&self, parts: &[&FaerMatrix]) -> Result<FaerMatrix> {
        structure::concat_cols(parts)
    }

    fn concat_rows(&self, parts: &[&FaerMatrix]) -> Result<FaerMatrix> {
        structure::concat_rows(parts)
    }

    fn softmax_blocks(&self, a: &FaerMatrix, blocks: &[ColumnBlock]) -> Result<FaerMatrix> {
        structure::softmax_blocks(a, blocks)
    }

    fn softmax_blocks_backward(
        &self,
        y: &FaerMatrix,
        dy: &FaerMatrix,
        blocks: &[ColumnBlock],
    ) -> Result<FaerMatrix> {
        same_shape("softmax_blocks_backward", y, dy)?;
        structure::softmax_blocks_backward(y, dy, blocks)
    }
}

/// The fused one-pass kernels (instead of the composed defaults).
impl ActivationOps for FaerBackend {
    fn activation(&self, act: Activation, x: &FaerMatrix) -> Result<FaerMatrix> {
        Ok(elementwise::activation(self.parallel(), act, x))
    }

    fn activation_grad(&self, act: Activation, x: &FaerMatrix) -> Result<FaerMatrix> {
        Ok(elementwise::activation_grad(self.parallel(), act, x))
    }

    fn activation_backward(
        &self,
        act: Activation,
        x: &FaerMatrix,
        dy: &FaerMatrix,
    ) -> Result<FaerMatrix> {
        same_shape("activation_backward", x, dy)?;
        Ok(elementwise::activation_backward(
            self.parallel(),
            act,
            x,
            dy,
        ))
    }

    fn arc_cosine(&self, degree: ArcCos, c: &FaerMatrix) -> Result<FaerMatrix> {
        Ok(elementwise::arc_cosine(self.parallel(), degree, c))
    }
}

/// The bias added inside the product's accumulation, and Adam in one pass.
impl FusedOps for FaerBackend {
    fn linear(
        &self,
        scale: f32,
        x: &FaerMatrix,
        w: &FaerMatrix,
        trans_w: Transpose,
        bias: Option<&FaerMatrix>,
    ) -> Result<FaerMatrix> {
        let Some(bias) = bias else {
            return scorediff_backend::ops::composed::linear(self, scale, x, w, trans_w, None);
        };
        let cols = if trans_w.is_yes() { w.rows } else { w.cols };
        if bias.rows != 1 || bias.cols != cols {
            return Err(shape_err(
                "linear",
                format!("bias {}x{} for {cols} outputs", bias.rows, bias.cols),
            ));
        }
        // y starts as the bias rows and the product accumulates onto them (beta = 1):
        // one write of y instead of a zero fill, a product and a read-modify-write pass.
        let mut data = Vec::with_capacity(x.rows * cols);
        for _ in 0..x.rows {
            data.extend_from_slice(&bias.data);
        }
        let mut y = FaerMatrix::from_vec(x.rows, cols, data);
        self.gemm(scale, x, Transpose::No, w, trans_w, 1.0, &mut y)?;
        Ok(y)
    }

    fn adam_update(
        &self,
        step: &AdamStep,
        p: &mut FaerMatrix,
        g: &FaerMatrix,
        m: &mut FaerMatrix,
        v: &mut FaerMatrix,
        ema: Option<(&mut FaerMatrix, Average)>,
    ) -> Result<()> {
        same_shape("adam_update", p, g)?;
        same_shape("adam_update", p, m)?;
        same_shape("adam_update", p, v)?;
        if let Some((e, _)) = &ema {
            same_shape("adam_update", p, e)?;
        }
        elementwise::adam_update(
            self.parallel(),
            step,
            &mut p.data,
            &g.data,
            &mut m.data,
            &mut v.data,
            ema.map(|(e, a)| (&mut e.data[..], a)),
        );
        Ok(())
    }
}
