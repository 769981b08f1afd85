//! The kernel traits and the two-layer ReLU NTK of DESIGN.md §1.

use crate::error::{Result, shape};
use scorediff_backend::{ArcCos, Backend, Binary, DeviceMatrix, Transpose, Unary};
use std::f64::consts::PI;
use std::fmt::Debug;

/// A kernel evaluated on the backend, a block at a time: the building block of
/// [`crate::gram`] and [`crate::cross_gram`].
pub trait Kernel<B: Backend>: Debug + Send + Sync {
    /// The `ra x rb` matrix `k(a_i, b_j)` for the rows of `a` (`ra x p`) and `b` (`rb x p`).
    fn block(&self, be: &B, a: &B::Matrix, b: &B::Matrix) -> Result<B::Matrix>;
}

/// A kernel evaluated in `f64` on the host, one pair of inputs at a time: the reference
/// for the backend implementation and the tool for small, precise problems.
pub trait ScalarKernel: Debug + Send + Sync {
    /// `k(a, b)` for two inputs of the same length.
    fn eval(&self, a: &[f64], b: &[f64]) -> f64;
}

/// Relative floor added to squared norms before dividing by them: a zero input gives a zero
/// cosine (hence a zero kernel, since its inner products vanish) instead of `0 / 0`.
pub(crate) const NORM_FLOOR: f32 = 1e-30;

/// The two-layer ReLU NTK with the first layer trained and the output signs frozen
/// (DESIGN.md §1): `k(z, z') = (z . z') (pi - angle(z, z')) / (2 pi)`.
///
/// It is the `m -> infinity` limit of the empirical kernel of
/// `f_W(z) = m^{-1/2} sum_r a_r relu(w_r . z)` with `w_r ~ N(0, I)`, `a_r in {+-1}^d`
/// frozen: `Theta(z, z') = k(z, z') I_d`. Equivalently `k = (z . z') kappa0(cos) / 2` with
/// the degree-0 arc-cosine map `kappa0` ([`ArcCos::Degree0`]). Zero when either input is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TwoLayerReluNtk;

impl ScalarKernel for TwoLayerReluNtk {
    fn eval(&self, a: &[f64], b: &[f64]) -> f64 {
        let dot = dot(a, b);
        let na = dot_self(a).sqrt();
        let nb = dot_self(b).sqrt();
        if na == 0.0 || nb == 0.0 {
            return 0.0;
        }
        let cos = (dot / (na * nb)).clamp(-1.0, 1.0);
        dot * (PI - cos.acos()) / (2.0 * PI)
    }
}

impl<B: Backend> Kernel<B> for TwoLayerReluNtk {
    fn block(&self, be: &B, a: &B::Matrix, b: &B::Matrix) -> Result<B::Matrix> {
        check_inputs(a, b)?;
        let gram = be.matmul(a, Transpose::No, b, Transpose::Yes)?;
        let cos = cosines(be, &gram, a, b)?;
        let k0 = be.arc_cosine(ArcCos::Degree0, &cos)?;
        let k = be.mul(&gram, &k0)?;
        Ok(be.scale(&k, 0.5)?)
    }
}

/// `a . b` in `f64`.
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn dot_self(a: &[f64]) -> f64 {
    dot(a, a)
}

/// Checks that two input blocks have the same number of columns.
pub(crate) fn check_inputs<M: DeviceMatrix>(a: &M, b: &M) -> Result<()> {
    if a.cols() != b.cols() {
        return Err(shape(format!(
            "kernel inputs have {} and {} columns",
            a.cols(),
            b.cols()
        )));
    }
    Ok(())
}

/// `1 / sqrt(q + floor)` of a vector of squared norms (column or row).
pub(crate) fn inv_sqrt<B: Backend>(be: &B, q: &B::Matrix) -> Result<B::Matrix> {
    let shifted = be.affine(q, 1.0, NORM_FLOOR)?;
    let root = be.unary(Unary::Sqrt, &shifted)?;
    Ok(be.unary(Unary::Recip, &root)?)
}

/// Cosines `G_ij / (|a_i| |b_j|)` from the inner products `G = A B^T`.
fn cosines<B: Backend>(
    be: &B,
    gram: &B::Matrix,
    a: &B::Matrix,
    b: &B::Matrix,
) -> Result<B::Matrix> {
    let qa = be.row_sq_norms(a)?;
    let qb = be.row_sq_norms(b)?;
    let qb_row = be.transpose(&qb)?;
    scale_by_norms(be, gram, &qa, &qb_row)
}

/// `g_ij / sqrt(qa_i qb_j)` with the norm floor, for a `rows x 1` column `qa` and a
/// `1 x cols` row `qb`.
pub(crate) fn scale_by_norms<B: Backend>(
    be: &B,
    g: &B::Matrix,
    qa: &B::Matrix,
    qb_row: &B::Matrix,
) -> Result<B::Matrix> {
    let ia = inv_sqrt(be, qa)?;
    let ib = inv_sqrt(be, qb_row)?;
    let scaled = be.broadcast_col(Binary::Mul, g, &ia)?;
    Ok(be.broadcast_row(Binary::Mul, &scaled, &ib)?)
}

/// A host `f64` Gram matrix `k(z_i, z_j)` of a [`ScalarKernel`] on row-major inputs
/// (`n x p`): for small, precise problems and as the reference of the backend path.
pub fn host_gram(
    kernel: &dyn ScalarKernel,
    z: &[f64],
    n: usize,
    p: usize,
) -> Result<faer::Mat<f64>> {
    host_cross_gram(kernel, z, n, z, n, p)
}

/// The host `f64` cross-Gram matrix `k(a_i, b_j)` (`na x nb`) of a [`ScalarKernel`].
pub fn host_cross_gram(
    kernel: &dyn ScalarKernel,
    a: &[f64],
    na: usize,
    b: &[f64],
    nb: usize,
    p: usize,
) -> Result<faer::Mat<f64>> {
    if a.len() != na * p || b.len() != nb * p {
        return Err(shape(format!(
            "inputs of {} and {} values for {na}x{p} and {nb}x{p}",
            a.len(),
            b.len()
        )));
    }
    Ok(faer::Mat::from_fn(na, nb, |i, j| {
        kernel.eval(&a[i * p..(i + 1) * p], &b[j * p..(j + 1) * p])
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_layer_kernel_landmarks() {
        let k = TwoLayerReluNtk;
        // Same direction: angle 0 -> |z|^2 / 2.
        assert!((k.eval(&[3.0, 4.0], &[3.0, 4.0]) - 12.5).abs() < 1e-12);
        // Orthogonal: z . z' = 0.
        assert_eq!(k.eval(&[1.0, 0.0], &[0.0, 2.0]), 0.0);
        // Opposite: angle pi -> 0.
        assert!(k.eval(&[1.0, 1.0], &[-1.0, -1.0]).abs() < 1e-7);
        // 60 degrees: (1/2) (pi - pi/3) / (2 pi) = 1/6.
        let c = 0.5f64;
        let s = (1.0 - c * c).sqrt();
        assert!((k.eval(&[1.0, 0.0], &[c, s]) - 1.0 / 6.0).abs() < 1e-12);
        // Zero input.
        assert_eq!(k.eval(&[0.0, 0.0], &[1.0, 2.0]), 0.0);
    }
}
