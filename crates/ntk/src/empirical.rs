//! Empirical (finite-width) NTKs (DESIGN.md §1): the two-layer network's in closed form,
//! and any network's from per-record parameter-gradient rows `J` (`K = J J^T`).

use crate::error::{NtkError, Result, invalid, shape};
use crate::gram::{mirror_lower_to_upper, write_column};
use crate::kernel::{Kernel, check_inputs};
use faer::Mat;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use scorediff_backend::{Activation, Backend, DeviceMatrix, Transpose};

/// Device elements one chunk of hidden units may occupy in [`EmpiricalTwoLayerNtk`].
const HIDDEN_CHUNK_ELEMENTS: usize = 1 << 24;

/// The empirical NTK of the paper's two-layer network at first-layer weights `W` (`m x p`),
/// output signs frozen (DESIGN.md §1):
/// `k_W(z, z') = (z . z') / m * sum_r 1{w_r . z > 0} 1{w_r . z' > 0}`.
///
/// Computed with gemms as `(Z Z'^T) * (S S'^T) / m`, `S = step(Z W^T)`, over chunks of
/// hidden units so that `m = 65,536` needs no `N x m` matrix. The indicator uses `> 0`
/// ([`Unary::ReluGrad`]), which differs from `>= 0` only where `w_r . z = 0` exactly (a
/// null event for Gaussian `w_r`, and at `z = 0` the factor `z . z'` is 0 anyway). It does
/// not depend on the output signs `a_r`, since `a_rc^2 = 1`.
#[derive(Debug)]
pub struct EmpiricalTwoLayerNtk<B: Backend> {
    w: B::Matrix,
}

impl<B: Backend> EmpiricalTwoLayerNtk<B> {
    /// The empirical kernel at the given first-layer weights (`m x p`, one row per neuron).
    pub fn new(w: B::Matrix) -> Self {
        Self { w }
    }

    /// The empirical kernel at fresh weights `w_r ~ N(0, I_p)` (the paper's initialisation)
    /// drawn from `rng`.
    pub fn random<R: Rng + ?Sized>(be: &B, m: usize, p: usize, rng: &mut R) -> Result<Self> {
        let data: Vec<f32> = (0..m * p).map(|_| StandardNormal.sample(rng)).collect();
        Ok(Self::new(be.from_host(m, p, &data)?))
    }

    /// The weights `W` (`m x p`).
    pub fn weights(&self) -> &B::Matrix {
        &self.w
    }

    /// The width `m`.
    pub fn width(&self) -> usize {
        self.w.rows()
    }
}

impl<B: Backend> Kernel<B> for EmpiricalTwoLayerNtk<B> {
    fn block(&self, be: &B, a: &B::Matrix, b: &B::Matrix) -> Result<B::Matrix> {
        check_inputs(a, b)?;
        if self.w.cols() != a.cols() {
            return Err(shape(format!(
                "weights have {} columns, inputs {}",
                self.w.cols(),
                a.cols()
            )));
        }
        let m = self.w.rows();
        if m == 0 {
            return Err(invalid("empirical kernel of width 0"));
        }
        let chunk = (HIDDEN_CHUNK_ELEMENTS / a.rows().max(b.rows()).max(1)).clamp(1, m);
        let mut overlap = be.zeros(a.rows(), b.rows())?;
        let mut start = 0;
        while start < m {
            let end = (start + chunk).min(m);
            let wc = be.slice_rows(&self.w, start, end)?;
            let sa = be.activation_grad(
                Activation::Relu,
                &be.matmul(a, Transpose::No, &wc, Transpose::Yes)?,
            )?;
            let sb = be.activation_grad(
                Activation::Relu,
                &be.matmul(b, Transpose::No, &wc, Transpose::Yes)?,
            )?;
            be.gemm(
                1.0,
                &sa,
                Transpose::No,
                &sb,
                Transpose::Yes,
                1.0,
                &mut overlap,
            )?;
            start = end;
        }
        let g = be.matmul(a, Transpose::No, b, Transpose::Yes)?;
        let k = be.mul(&g, &overlap)?;
        Ok(be.scale(&k, 1.0 / m as f32)?)
    }
}

/// Bytes of Jacobian rows [`jacobian_gram`] keeps on the device instead of recomputing them.
pub const JACOBIAN_CACHE_BYTES: usize = 1 << 29;

/// The empirical NTK `K = J J^T` (`N x N`, host `f64`) of any network, from a callback
/// `jacobian(start, end)` returning the parameter-gradient rows of records `start..end`
/// (`(end - start) x P`, row `j` = d f(z_j) / d theta for a scalar output, or for one fixed
/// output coordinate / projection). Rows come in blocks of `block_rows`.
///
/// When all of `J` fits in [`JACOBIAN_CACHE_BYTES`] each block is computed once; otherwise
/// block `j` is recomputed for every block `i <= j` (the callback must be deterministic).
/// This keeps scorediff-ntk independent of the network crate: the caller wraps its
/// network's backward pass (one record per row) in the callback.
pub fn jacobian_gram<B, F>(be: &B, n: usize, block_rows: usize, mut jacobian: F) -> Result<Mat<f64>>
where
    B: Backend,
    F: FnMut(usize, usize) -> Result<B::Matrix>,
{
    if block_rows == 0 {
        return Err(invalid("block_rows must be >= 1"));
    }
    let starts: Vec<usize> = (0..n).step_by(block_rows).collect();
    let range = |i: usize| (starts[i], (starts[i] + block_rows).min(n));
    let mut out = Mat::<f64>::zeros(n, n);
    if starts.is_empty() {
        return Ok(out);
    }
    let first = checked_jacobian(&mut jacobian, range(0), None)?;
    let p = first.cols();
    let nb = starts.len();
    let put = |out: &mut Mat<f64>, i: usize, j: usize, ji: &B::Matrix, jj: &B::Matrix| {
        // Block (i, j) = J_i J_j^T: its row r is column starts[i] + r of K from row starts[j].
        let blk = be.matmul(ji, Transpose::No, jj, Transpose::Yes)?;
        let host = be.to_host(&blk)?;
        let ((si, ei), (sj, ej)) = (range(i), range(j));
        for r in 0..ei - si {
            write_column(out, si + r, sj, &host[r * (ej - sj)..(r + 1) * (ej - sj)]);
        }
        Ok::<(), NtkError>(())
    };
    if n.saturating_mul(p).saturating_mul(4) <= JACOBIAN_CACHE_BYTES {
        let mut blocks = vec![first];
        for i in 1..nb {
            blocks.push(checked_jacobian(&mut jacobian, range(i), Some(p))?);
        }
        for i in 0..nb {
            for j in i..nb {
                put(&mut out, i, j, &blocks[i], &blocks[j])?;
            }
        }
    } else {
        let mut first = Some(first);
        for i in 0..nb {
            let ji = match first.take() {
                Some(j) => j,
                None => checked_jacobian(&mut jacobian, range(i), Some(p))?,
            };
            put(&mut out, i, i, &ji, &ji)?;
            for j in i + 1..nb {
                let jj = checked_jacobian(&mut jacobian, range(j), Some(p))?;
                put(&mut out, i, j, &ji, &jj)?;
            }
        }
    }
    mirror_lower_to_upper(&mut out);
    Ok(out)
}

fn checked_jacobian<M: DeviceMatrix, F: FnMut(usize, usize) -> Result<M>>(
    jacobian: &mut F,
    (s, e): (usize, usize),
    cols: Option<usize>,
) -> Result<M> {
    let j = jacobian(s, e)?;
    if j.rows() != e - s || cols.is_some_and(|p| p != j.cols()) {
        return Err(shape(format!(
            "Jacobian block for rows {s}..{e} is {}x{}",
            j.rows(),
            j.cols()
        )));
    }
    Ok(j)
}

/// A random-projection estimate of the separable empirical NTK `k` of a network with
/// `d` outputs (`Theta(z, z') ~ k(z, z') I_d`), from a callback
/// `jacobian(u, start, end)` returning the gradient rows of the projected output `u . f(z_j)`.
///
/// For a probe `u ~ N(0, I_d)` (the same for every record), `J_u J_u^T` has expectation
/// `tr Theta(z, z')`, so the average over `probes` probes divided by `d` is an unbiased
/// estimate of the mean diagonal NTK, which is `k` for a separable kernel. Its relative
/// standard error decays like `1 / sqrt(probes * d)` for well-separated outputs. Costs one
/// scalar-output Jacobian per probe instead of `d`.
pub fn projected_jacobian_gram<B, R, F>(
    be: &B,
    n: usize,
    d: usize,
    probes: usize,
    block_rows: usize,
    rng: &mut R,
    mut jacobian: F,
) -> Result<Mat<f64>>
where
    B: Backend,
    R: Rng + ?Sized,
    F: FnMut(&[f32], usize, usize) -> Result<B::Matrix>,
{
    if probes == 0 || d == 0 {
        return Err(invalid(
            "projected_jacobian_gram needs probes >= 1 and d >= 1",
        ));
    }
    let mut acc = Mat::<f64>::zeros(n, n);
    for _ in 0..probes {
        let u: Vec<f32> = (0..d).map(|_| StandardNormal.sample(rng)).collect();
        let k = jacobian_gram(be, n, block_rows, |s, e| jacobian(&u, s, e))?;
        acc += &k;
    }
    let scale = 1.0 / (probes * d) as f64;
    Ok(acc * faer::Scale(scale))
}

/// Wraps any error of a user callback as [`NtkError::Callback`].
pub fn callback_error<E: std::error::Error + Send + Sync + 'static>(e: E) -> NtkError {
    NtkError::Callback(Box::new(e))
}
