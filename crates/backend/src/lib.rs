//! The `Backend` trait of scorediff.
//!
//! A backend owns device-resident, row-major `f32` matrices and the operations the score
//! networks (`scorediff-net`), the samplers (`scorediff-process`) and the NTK Gram matrices
//! (`scorediff-ntk`) are written in. Numerical code above this crate is generic over
//! `B: Backend` and never names faer or wgpu (DESIGN.md §2).
//!
//! Conventions:
//! - Every operation checks its shapes and returns [`BackendError::ShapeMismatch`] instead of
//!   panicking. Empty matrices (0 rows or 0 columns) are valid operands.
//! - Operations that produce a new matrix return it; the few in-place ones (`gemm`, `axpby`,
//!   `write`) take `&mut`.
//! - Host synchronisation happens only where a value is read back (`to_host`, `sum`).
//! - A "row vector" is a `1 x cols` matrix, a "column vector" a `rows x 1` matrix.

mod error;
pub mod ops;
pub mod requirement;

pub use error::{BackendError, Result, arg_err, shape_err};
pub use ops::{
    Activation, AdamStep, ArcCos, Average, Binary, ColumnBlock, Layout, Transpose, Unary,
};
pub use requirement::{Choice, Interval, RowCondition};

use std::fmt::Debug;

/// Shape access for a backend's device matrix.
pub trait DeviceMatrix {
    /// Number of rows.
    fn rows(&self) -> usize;
    /// Number of columns.
    fn cols(&self) -> usize;
    /// `(rows, cols)`.
    fn shape(&self) -> (usize, usize) {
        (self.rows(), self.cols())
    }
    /// Number of elements.
    fn len(&self) -> usize {
        self.rows() * self.cols()
    }
    /// Whether the matrix has no elements.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A compute device holding row-major `f32` matrices: the matrix type and a name. The
/// operations come in op traits ([`MemoryOps`], [`LinalgOps`], [`ElementwiseOps`],
/// [`ReduceOps`], [`StructureOps`], [`ActivationOps`]); [`Backend`] is all of them.
pub trait Device: Clone + Debug + Send + Sync + 'static {
    /// A device-resident row-major `f32` matrix.
    type Matrix: DeviceMatrix + Debug + Send + Sync;

    /// A human-readable description, e.g. `faer (2 threads)` or `wgpu: llvmpipe (Vulkan)`.
    fn name(&self) -> String;
}

/// Allocation and host transfers.
pub trait MemoryOps: Device {
    /// A `rows x cols` matrix of zeros.
    fn zeros(&self, rows: usize, cols: usize) -> Result<Self::Matrix>;

    /// A `rows x cols` matrix with every element `value`.
    fn full(&self, rows: usize, cols: usize, value: f32) -> Result<Self::Matrix>;

    /// Uploads `data` (row-major, length `rows * cols`).
    #[allow(clippy::wrong_self_convention)] // a constructor on the device handle, not a conversion of self
    fn from_host(&self, rows: usize, cols: usize, data: &[f32]) -> Result<Self::Matrix>;

    /// [`Backend::from_host`] of data the caller gives up: a host backend keeps the vector
    /// as the matrix instead of copying it (one copy of a large matrix fewer at the peak).
    #[allow(clippy::wrong_self_convention)]
    fn from_host_vec(&self, rows: usize, cols: usize, data: Vec<f32>) -> Result<Self::Matrix> {
        self.from_host(rows, cols, &data)
    }

    /// Downloads a matrix to the host, row-major. Synchronises with the device.
    fn to_host(&self, a: &Self::Matrix) -> Result<Vec<f32>>;

    /// Overwrites `dst` with host data of the same length (fill with given host data).
    fn write(&self, dst: &mut Self::Matrix, data: &[f32]) -> Result<()>;

    /// A deep copy of `a`.
    fn copy(&self, a: &Self::Matrix) -> Result<Self::Matrix>;
}

/// Matrix products and transposition.
pub trait LinalgOps: MemoryOps {
    /// General matrix multiply-accumulate: `C = alpha * op(A) * op(B) + beta * C`,
    /// where `op` transposes its operand when the flag says so. With `beta == 0`, `C`'s
    /// previous contents are ignored (NaNs in it do not propagate).
    #[allow(clippy::too_many_arguments)]
    fn gemm(
        &self,
        alpha: f32,
        a: &Self::Matrix,
        trans_a: Transpose,
        b: &Self::Matrix,
        trans_b: Transpose,
        beta: f32,
        c: &mut Self::Matrix,
    ) -> Result<()>;

    /// The transpose of `a`.
    fn transpose(&self, a: &Self::Matrix) -> Result<Self::Matrix>;

    /// `op(A) * op(B)` into a new matrix.
    fn matmul(
        &self,
        a: &Self::Matrix,
        trans_a: Transpose,
        b: &Self::Matrix,
        trans_b: Transpose,
    ) -> Result<Self::Matrix> {
        let rows = if trans_a.is_yes() { a.cols() } else { a.rows() };
        let cols = if trans_b.is_yes() { b.rows() } else { b.cols() };
        let mut c = self.zeros(rows, cols)?;
        self.gemm(1.0, a, trans_a, b, trans_b, 0.0, &mut c)?;
        Ok(c)
    }
}

/// Elementwise maps and broadcasts.
pub trait ElementwiseOps: MemoryOps {
    /// `op(a)` elementwise.
    fn unary(&self, op: Unary, a: &Self::Matrix) -> Result<Self::Matrix>;

    /// `op(a, b)` elementwise; `a` and `b` have the same shape.
    fn binary(&self, op: Binary, a: &Self::Matrix, b: &Self::Matrix) -> Result<Self::Matrix>;

    /// `scale * a + shift` elementwise (scaling, adding a scalar, negation).
    fn affine(&self, a: &Self::Matrix, scale: f32, shift: f32) -> Result<Self::Matrix>;

    /// In place `y = alpha * x + beta * y` (axpy when `beta == 1`). With `beta == 0`, `y`'s
    /// previous contents are ignored.
    fn axpby(&self, alpha: f32, x: &Self::Matrix, beta: f32, y: &mut Self::Matrix) -> Result<()>;

    /// `op(a[i, j], row[0, j])`: a `1 x cols` row vector broadcast down the rows (bias add).
    fn broadcast_row(
        &self,
        op: Binary,
        a: &Self::Matrix,
        row: &Self::Matrix,
    ) -> Result<Self::Matrix>;

    /// `op(a[i, j], col[i, 0])`: a `rows x 1` column vector broadcast across the columns
    /// (per-row scalars such as `alpha_t` and `h_t` of each record's time).
    fn broadcast_col(
        &self,
        op: Binary,
        a: &Self::Matrix,
        col: &Self::Matrix,
    ) -> Result<Self::Matrix>;

    /// `a + b`.
    fn add(&self, a: &Self::Matrix, b: &Self::Matrix) -> Result<Self::Matrix> {
        self.binary(Binary::Add, a, b)
    }

    /// `a - b`.
    fn sub(&self, a: &Self::Matrix, b: &Self::Matrix) -> Result<Self::Matrix> {
        self.binary(Binary::Sub, a, b)
    }

    /// `a * b` elementwise.
    fn mul(&self, a: &Self::Matrix, b: &Self::Matrix) -> Result<Self::Matrix> {
        self.binary(Binary::Mul, a, b)
    }

    /// `s * a`.
    fn scale(&self, a: &Self::Matrix, s: f32) -> Result<Self::Matrix> {
        self.affine(a, s, 0.0)
    }
}

/// Row and column reductions.
pub trait ReduceOps: ElementwiseOps {
    /// Sum of each row: a `rows x 1` column vector.
    fn row_sums(&self, a: &Self::Matrix) -> Result<Self::Matrix>;

    /// Sum of each column: a `1 x cols` row vector.
    fn col_sums(&self, a: &Self::Matrix) -> Result<Self::Matrix>;

    /// Sum of all elements, accumulated on the host in `f64`. Synchronises.
    fn sum(&self, a: &Self::Matrix) -> Result<f64> {
        let sums = self.col_sums(a)?;
        Ok(self.to_host(&sums)?.iter().map(|&v| f64::from(v)).sum())
    }

    /// Squared Euclidean norm of each row: a `rows x 1` column vector.
    fn row_sq_norms(&self, a: &Self::Matrix) -> Result<Self::Matrix> {
        let sq = self.unary(Unary::Square, a)?;
        self.row_sums(&sq)
    }
}

/// Row and column selection, concatenation, and softmax within column blocks.
pub trait StructureOps: MemoryOps {
    /// The rows of `a` at `indices`, in that order (repeats allowed).
    fn gather_rows(&self, a: &Self::Matrix, indices: &[usize]) -> Result<Self::Matrix>;

    /// Rows `start..end` of `a`.
    fn slice_rows(&self, a: &Self::Matrix, start: usize, end: usize) -> Result<Self::Matrix>;

    /// Columns `start..end` of `a`.
    fn slice_cols(&self, a: &Self::Matrix, start: usize, end: usize) -> Result<Self::Matrix>;

    /// Side-by-side concatenation; all parts have the same number of rows.
    fn concat_cols(&self, parts: &[&Self::Matrix]) -> Result<Self::Matrix>;

    /// Stacked concatenation; all parts have the same number of columns.
    fn concat_rows(&self, parts: &[&Self::Matrix]) -> Result<Self::Matrix>;

    /// Softmax within each column block of every row; columns outside the blocks are copied.
    /// Blocks must lie inside the matrix and must not overlap. Numerically stable (the
    /// block maximum is subtracted first).
    fn softmax_blocks(&self, a: &Self::Matrix, blocks: &[ColumnBlock]) -> Result<Self::Matrix>;

    /// Backward pass of [`StructureOps::softmax_blocks`]: given its output `y` and the
    /// gradient `dy` with respect to `y`, returns the gradient with respect to its input,
    /// `dx = y * (dy - sum_block(dy * y))` inside blocks and `dy` outside them.
    fn softmax_blocks_backward(
        &self,
        y: &Self::Matrix,
        dy: &Self::Matrix,
        blocks: &[ColumnBlock],
    ) -> Result<Self::Matrix>;
}

/// Activations, their derivatives and fused backward maps, and the arc-cosine kernel maps.
///
/// Every method has a default composed of the core elementwise ops (the formulas of
/// [`Activation`] and [`ArcCos`]); a backend overrides them with fused kernels (both
/// backends here do: one pass instead of three to five).
pub trait ActivationOps: ElementwiseOps {
    /// `phi(x)` elementwise.
    fn activation(&self, act: Activation, x: &Self::Matrix) -> Result<Self::Matrix> {
        ops::composed::activation(self, act, x)
    }

    /// The derivative `phi'(x)` elementwise (for ReLU the step `1{x > 0}`).
    fn activation_grad(&self, act: Activation, x: &Self::Matrix) -> Result<Self::Matrix> {
        ops::composed::activation_grad(self, act, x)
    }

    /// The fused backward map `dy * phi'(x)` of a pre-activation `x` and an incoming
    /// gradient `dy` of the same shape.
    fn activation_backward(
        &self,
        act: Activation,
        x: &Self::Matrix,
        dy: &Self::Matrix,
    ) -> Result<Self::Matrix> {
        ops::composed::activation_backward(self, act, x, dy)
    }

    /// The arc-cosine kernel map of a cosine matrix (clamped to `[-1, 1]`).
    fn arc_cosine(&self, degree: ArcCos, c: &Self::Matrix) -> Result<Self::Matrix> {
        ops::composed::arc_cosine(self, degree, c)
    }
}

/// Fused kernels of the layers and the optimizer: each default is composed of core ops
/// (`ops::composed`) and gives the specification; a backend overrides them to do in one
/// pass what the composition does in several.
pub trait FusedOps: LinalgOps + ElementwiseOps {
    /// The dense layer's forward product `y = s x op(W) + b`, with the bias row `b`
    /// (`1 x cols(op(W))`) when given. Equal to [`LinalgOps::gemm`] followed by
    /// [`ElementwiseOps::broadcast_row`] up to rounding (a backend may add the bias inside
    /// the product's accumulation).
    fn linear(
        &self,
        scale: f32,
        x: &Self::Matrix,
        w: &Self::Matrix,
        trans_w: Transpose,
        bias: Option<&Self::Matrix>,
    ) -> Result<Self::Matrix> {
        ops::composed::linear(self, scale, x, w, trans_w, bias)
    }

    /// One Adam update of a parameter `p` with gradient `g` and moments `m`, `v` (all the
    /// same shape), in place, and optionally the moving average `ema` of the updated `p`:
    /// the formulas of [`AdamStep::apply`] and [`Average::apply`], element by element, bit
    /// for bit.
    #[allow(clippy::too_many_arguments)]
    fn adam_update(
        &self,
        step: &AdamStep,
        p: &mut Self::Matrix,
        g: &Self::Matrix,
        m: &mut Self::Matrix,
        v: &mut Self::Matrix,
        ema: Option<(&mut Self::Matrix, Average)>,
    ) -> Result<()> {
        ops::composed::adam_update(self, step, p, g, m, v, ema)
    }
}

/// A compute device with every op trait: what numerical code above this crate is generic
/// over (`B: Backend`). Implemented for every type that implements the op traits.
///
/// Implementations: `scorediff_faer::FaerBackend` (CPU, multi-threaded) and
/// `scorediff_wgpu::WgpuBackend` (WGSL compute shaders). The handle is cheap to clone and
/// shares the device.
pub trait Backend:
    MemoryOps + LinalgOps + ElementwiseOps + ReduceOps + StructureOps + ActivationOps + FusedOps
{
}

impl<T> Backend for T where
    T: MemoryOps + LinalgOps + ElementwiseOps + ReduceOps + StructureOps + ActivationOps + FusedOps
{
}

/// The op traits, for code that calls operations on a concrete backend type.
pub mod prelude {
    pub use crate::{
        ActivationOps, Backend, Device, DeviceMatrix, ElementwiseOps, FusedOps, LinalgOps,
        MemoryOps, ReduceOps, StructureOps,
    };
}
