//! Matmul throughput: `C = A B` on square `f32` matrices, `2 n^3` flops.

use super::timing::{Timing, secs, time};
use crate::backends::{self, Sync};
use anyhow::Result;
use faer::{Accum, Mat, Par};
use scorediff_backend::Transpose;
use scorediff_backend::prelude::*;
use scorediff_faer::FaerBackend;
use scorediff_wgpu::WgpuBackend;

/// Deterministic operand values in `[-1, 1)` (no RNG needed for a timing).
fn operand(n: usize, salt: usize) -> Vec<f32> {
    (0..n * n)
        .map(|i| ((i.wrapping_mul(2_654_435_761).wrapping_add(salt)) % 2001) as f32 / 1000.0 - 1.0)
        .collect()
}

fn gflops(n: usize, t: Timing) -> (f64, f64) {
    let flops = 2.0 * (n as f64).powi(3);
    (flops / secs(t.best) / 1e9, flops / secs(t.median) / 1e9)
}

/// Times `C = A B` (n x n) on a backend through `gemm`.
fn time_backend<B: Sync>(be: &B, n: usize, reps: usize) -> Result<Timing> {
    let a = be.from_host(n, n, &operand(n, 1))?;
    let b = be.from_host(n, n, &operand(n, 2))?;
    let mut c = be.zeros(n, n)?;
    time(be, reps, || {
        Ok(be.gemm(1.0, &a, Transpose::No, &b, Transpose::No, 0.0, &mut c)?)
    })
}

fn header(title: &str) {
    println!("{title}");
    println!(
        "{:<52} {:>6} {:>12} {:>12}",
        "backend", "n", "best GFLOP/s", "median"
    );
}

fn row(name: &str, n: usize, t: Timing) {
    let (best, median) = gflops(n, t);
    println!("{name:<52} {n:>6} {best:>12.2} {median:>12.2}");
}

/// faer at 256, 1024, 2048, then the bare faer call at 2048 and the ratio (target >= 0.70).
/// Returns whether the ratio met the target.
pub fn faer_section(faer: &FaerBackend, reps: usize) -> Result<bool> {
    header("matmul, C = A B, f32");
    for n in [256, 1024, 2048] {
        row(&faer.name(), n, time_backend(faer, n, reps)?);
    }
    let n = 2048;
    let ours = time_backend(faer, n, reps)?;
    let bare = time_bare_faer(n, reps)?;
    row("bare faer::linalg::matmul (col-major)", n, bare);
    let ratio_best = secs(bare.best) / secs(ours.best);
    let ratio_median = secs(bare.median) / secs(ours.median);
    let ok = ratio_best >= 0.70;
    println!(
        "scorediff-faer / bare faer at n = {n}: {ratio_best:.3} (best), {ratio_median:.3} (median); target >= 0.70: {}",
        if ok { "OK" } else { "BELOW TARGET" }
    );
    Ok(ok)
}

/// A direct `faer::linalg::matmul::matmul` on column-major `faer::Mat`s with the same
/// values and all cores.
fn time_bare_faer(n: usize, reps: usize) -> Result<Timing> {
    let (av, bv) = (operand(n, 1), operand(n, 2));
    let a = Mat::<f32>::from_fn(n, n, |i, j| av[i * n + j]);
    let b = Mat::<f32>::from_fn(n, n, |i, j| bv[i * n + j]);
    let mut c = Mat::<f32>::zeros(n, n);
    time(&backends::faer(), reps, || {
        faer::linalg::matmul::matmul(
            c.as_mut(),
            Accum::Replace,
            a.as_ref(),
            b.as_ref(),
            1.0f32,
            Par::rayon(0),
        );
        Ok(())
    })
}

/// wgpu at 256/512 on a software adapter (lavapipe, about 1 GFLOP/s), else 256/1024/2048.
pub fn wgpu_section(gpu: &WgpuBackend, reps: usize) -> Result<()> {
    let sizes: &[usize] = if backends::is_software(gpu) {
        &[256, 512]
    } else {
        &[256, 1024, 2048]
    };
    if !backends::is_software(gpu) {
        header("matmul, C = A B, f32");
    }
    for &n in sizes {
        row(&gpu.name(), n, time_backend(gpu, n, reps)?);
    }
    Ok(())
}
