//! Gram matrices on the backend, in row blocks (DESIGN.md §1: the kernel matrix `K`).
//!
//! A block of rows is computed on the device in `f32` and written into a host `f64`
//! [`faer::Mat`]; only `block_rows x N` device elements (a few of them, for the
//! temporaries of the kernel) live at once, so `N = 20,000` needs the `8 N^2` bytes of the
//! host matrix (3.2 GB) and little more. The symmetric Gram matrix computes only the blocks
//! on and right of the diagonal and mirrors them.

use crate::error::{Result, invalid, shape};
use crate::kernel::Kernel;
use faer::Mat;
use scorediff_backend::{Backend, DeviceMatrix};

/// Device elements of one block the default block size aims at (`2^24`, 64 MiB of `f32`).
pub const DEFAULT_BLOCK_ELEMENTS: usize = 1 << 24;

/// The default number of rows per block for a Gram matrix with `n` columns: as many rows
/// as fit in [`DEFAULT_BLOCK_ELEMENTS`], at least 1, at most `n`.
pub fn default_block_rows(n: usize) -> usize {
    (DEFAULT_BLOCK_ELEMENTS / n.max(1)).clamp(1, n.max(1))
}

/// The symmetric Gram matrix `K_ij = k(z_i, z_j)` of the rows of `z` (`N x p`), computed
/// on the backend `block_rows` rows at a time, as a host `f64` matrix.
pub fn gram<B: Backend, K: Kernel<B> + ?Sized>(
    be: &B,
    kernel: &K,
    z: &B::Matrix,
    block_rows: usize,
) -> Result<Mat<f64>> {
    if block_rows == 0 {
        return Err(invalid("block_rows must be >= 1"));
    }
    let n = z.rows();
    let mut out = Mat::<f64>::zeros(n, n);
    let mut start = 0;
    while start < n {
        let end = (start + block_rows).min(n);
        let a = be.slice_rows(z, start, end)?;
        let b = be.slice_rows(z, start, n)?;
        let blk = kernel.block(be, &a, &b)?;
        check_block(&blk, end - start, n - start)?;
        let host = be.to_host(&blk)?;
        // Row i of the block is column start + i of K from row `start` on (K symmetric):
        // a contiguous write into the column-major host matrix.
        for i in 0..end - start {
            let src = &host[i * (n - start)..(i + 1) * (n - start)];
            write_column(&mut out, start + i, start, src);
        }
        start = end;
    }
    mirror_lower_to_upper(&mut out);
    Ok(out)
}

/// The cross-Gram matrix `K_ij = k(a_i, b_j)` (`N_a x N_b`, e.g. test x train), computed on
/// the backend `block_rows` rows of `a` at a time, as a host `f64` matrix.
pub fn cross_gram<B: Backend, K: Kernel<B> + ?Sized>(
    be: &B,
    kernel: &K,
    a: &B::Matrix,
    b: &B::Matrix,
    block_rows: usize,
) -> Result<Mat<f64>> {
    if block_rows == 0 {
        return Err(invalid("block_rows must be >= 1"));
    }
    let (na, nb) = (a.rows(), b.rows());
    let mut out = Mat::<f64>::zeros(na, nb);
    let mut start = 0;
    while start < na {
        let end = (start + block_rows).min(na);
        let rows = be.slice_rows(a, start, end)?;
        let blk = kernel.block(be, &rows, b)?;
        check_block(&blk, end - start, nb)?;
        let host = be.to_host(&blk)?;
        write_rows(&mut out, start, end - start, &host);
        start = end;
    }
    Ok(out)
}

fn check_block<M: DeviceMatrix>(blk: &M, rows: usize, cols: usize) -> Result<()> {
    if blk.shape() != (rows, cols) {
        return Err(shape(format!(
            "kernel block is {}x{}, expected {rows}x{cols}",
            blk.rows(),
            blk.cols()
        )));
    }
    Ok(())
}

/// `out[row0 + r, col] = src[r]` (a contiguous column segment).
pub(crate) fn write_column(out: &mut Mat<f64>, col: usize, row0: usize, src: &[f32]) {
    let mut c = out.col_mut(col);
    for (r, &v) in src.iter().enumerate() {
        c[row0 + r] = f64::from(v);
    }
}

/// Writes a row-major `rows x out.ncols()` block at rows `row0..row0 + rows`.
pub(crate) fn write_rows(out: &mut Mat<f64>, row0: usize, rows: usize, host: &[f32]) {
    let cols = out.ncols();
    for j in 0..cols {
        let mut c = out.col_mut(j);
        for i in 0..rows {
            c[row0 + i] = f64::from(host[i * cols + j]);
        }
    }
}

/// Makes a matrix exactly symmetric from its lower triangle: `(r, c) = (c, r)` for `r < c`.
/// Every blocked writer sets at least the lower triangle (entries `(r, c)` with
/// `r >= block_start(c)`); copying it (rather than keeping both computed triangles of the
/// diagonal blocks, which differ in `f32` rounding) gives an exactly symmetric matrix.
pub(crate) fn mirror_lower_to_upper(out: &mut Mat<f64>) {
    let n = out.nrows();
    for c in 0..n {
        for r in 0..c {
            out[(r, c)] = out[(c, r)];
        }
    }
}

/// Gram-matrix throughput of a backend: computes the two-layer NTK Gram matrix
/// ([`crate::TwoLayerReluNtk`]) of `n` random inputs `z = (x, t, 1)` with `x ~ N(0, I_d)`,
/// `t ~ U[0, 1]` (fixed seed) and returns the number of Gram entries (`n^2`, both triangles
/// counted) per second of wall time, host transfer included. For `cargo xtask bench`.
pub fn bench_gram<B: Backend>(be: &B, n: usize, d: usize) -> Result<f64> {
    use rand::{RngExt, SeedableRng};
    use rand_distr::StandardNormal;
    if n == 0 {
        return Err(invalid("bench_gram needs n >= 1"));
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x6e746b);
    let p = d + 2;
    let mut data = vec![0f32; n * p];
    for row in data.chunks_mut(p) {
        for v in row.iter_mut().take(d) {
            *v = rng.sample(StandardNormal);
        }
        row[d] = rng.random::<f32>();
        row[d + 1] = 1.0;
    }
    let z = be.from_host(n, p, &data)?;
    let start = std::time::Instant::now();
    let k = gram(be, &crate::TwoLayerReluNtk, &z, default_block_rows(n))?;
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    std::hint::black_box(&k);
    Ok((n as f64) * (n as f64) / secs)
}
