//! Targeted tests of the GPU kernels and of the backend's bookkeeping: the tiled matmul
//! against an f64 host product at sizes around the tile widths, buffer-pool reuse and
//! bounds, compiled-pipeline caching, and errors instead of panics on bad input.

mod common;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scorediff_backend::prelude::*;
use scorediff_backend::{BackendError, Binary, ColumnBlock, Transpose, Unary};
use scorediff_conformance::tol_accumulate;
use scorediff_wgpu::{WgpuBackend, WgpuConfig};

const SIZES: [usize; 7] = [1, 15, 16, 17, 63, 65, 130];

fn random(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

/// `alpha op(A) op(B) + beta C` in f64 and its error scale
/// `max |alpha| (|op A| |op B|) + |beta| |C|`.
#[allow(clippy::too_many_arguments)]
fn host_gemm(
    alpha: f32,
    a: &[f32],
    ta: bool,
    b: &[f32],
    tb: bool,
    beta: f32,
    c: &[f32],
    (m, k, n): (usize, usize, usize),
) -> (Vec<f64>, f64) {
    let at = |i: usize, p: usize| f64::from(if ta { a[p * m + i] } else { a[i * k + p] });
    let bt = |p: usize, j: usize| f64::from(if tb { b[j * k + p] } else { b[p * n + j] });
    let mut out = vec![0.0; m * n];
    let mut scale = 0.0f64;
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
            let abs: f64 = (0..k).map(|p| (at(i, p) * bt(p, j)).abs()).sum();
            let cterm = if beta == 0.0 {
                0.0
            } else {
                f64::from(beta) * f64::from(c[i * n + j])
            };
            out[i * n + j] = f64::from(alpha) * dot + cterm;
            scale = scale.max(f64::from(alpha.abs()) * abs + cterm.abs());
        }
    }
    (out, scale)
}

fn check_gemm(
    gpu: &WgpuBackend,
    rng: &mut ChaCha8Rng,
    dims: (usize, usize, usize),
    ta: bool,
    tb: bool,
    beta: f32,
) {
    let (m, k, n) = dims;
    let a = random(rng, m * k);
    let b = random(rng, k * n);
    let mut c = random(rng, m * n);
    if beta == 0.0 {
        c.fill(f32::NAN);
    }
    let (ar, ac) = if ta { (k, m) } else { (m, k) };
    let (br, bc) = if tb { (n, k) } else { (k, n) };
    let t = |f: bool| if f { Transpose::Yes } else { Transpose::No };
    let da = gpu.from_host(ar, ac, &a).unwrap();
    let db = gpu.from_host(br, bc, &b).unwrap();
    let mut dc = gpu.from_host(m, n, &c).unwrap();
    gpu.gemm(1.5, &da, t(ta), &db, t(tb), beta, &mut dc)
        .unwrap();
    let got = gpu.to_host(&dc).unwrap();
    let (want, scale) = host_gemm(1.5, &a, ta, &b, tb, beta, &c, dims);
    let tol = tol_accumulate(k) * (scale + 1e-30);
    for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (f64::from(g) - w).abs() <= tol,
            "{m}x{k}x{n} ta={ta} tb={tb} beta={beta}: element {i}: {g} vs {w} (tol {tol:e})"
        );
    }
}

#[test]
fn tiled_matmul_matches_f64_product_at_tile_edges_with_all_transposes() {
    let Some(gpu) = common::backend() else { return };
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for (idx, &s) in SIZES.iter().enumerate() {
        // Square, and a rectangle mixing three different edge sizes.
        let rect = (
            s,
            SIZES[(idx + 2) % SIZES.len()],
            SIZES[(idx + 4) % SIZES.len()],
        );
        for dims in [(s, s, s), rect] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let beta = if (ta, tb) == (true, false) { 0.0 } else { -0.5 };
                check_gemm(&gpu, &mut rng, dims, ta, tb, beta);
            }
        }
    }
}

#[test]
fn matmul_with_empty_inner_dimension_scales_or_zeroes_c() {
    let Some(gpu) = common::backend() else { return };
    let a = gpu.zeros(3, 0).unwrap();
    let b = gpu.zeros(0, 2).unwrap();
    let mut c = gpu
        .from_host(3, 2, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        .unwrap();
    gpu.gemm(1.0, &a, Transpose::No, &b, Transpose::No, 2.0, &mut c)
        .unwrap();
    assert_eq!(
        gpu.to_host(&c).unwrap(),
        vec![2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
    );
    gpu.write(&mut c, &[f32::NAN; 6]).unwrap();
    gpu.gemm(1.0, &a, Transpose::No, &b, Transpose::No, 0.0, &mut c)
        .unwrap();
    assert_eq!(gpu.to_host(&c).unwrap(), vec![0.0; 6]);
    let p = gpu.matmul(&b, Transpose::Yes, &a, Transpose::Yes).unwrap();
    assert_eq!((p.rows_cols()), (2, 3));
}

trait RowsCols {
    fn rows_cols(&self) -> (usize, usize);
}

impl<M: scorediff_backend::DeviceMatrix> RowsCols for M {
    fn rows_cols(&self) -> (usize, usize) {
        self.shape()
    }
}

#[test]
fn pool_reuses_buffers_instead_of_allocating() {
    let Some(gpu) = common::backend() else { return };
    let data = vec![0.5f32; 100 * 100];
    // Warm up: the first round allocates input, output and staging buffers.
    let warm = gpu.from_host(100, 100, &data).unwrap();
    drop(gpu.unary(Unary::Tanh, &warm).unwrap());
    drop(warm);
    let before = gpu.pool_stats();
    for _ in 0..300 {
        let a = gpu.from_host(100, 100, &data).unwrap();
        let b = gpu.unary(Unary::Tanh, &a).unwrap();
        let c = gpu.binary(Binary::Mul, &a, &b).unwrap();
        drop((a, b, c));
    }
    let after = gpu.pool_stats();
    assert!(
        after.allocations - before.allocations <= 4,
        "allocated {} buffers for 900 same-size matrices",
        after.allocations - before.allocations
    );
    assert!(after.reuses - before.reuses >= 900);
    assert_eq!(
        after.live_bytes, before.live_bytes,
        "every matrix returned its buffer"
    );
    // Pipelines compile once.
    let compiled = gpu.compiled_kernels();
    let a = gpu.from_host(100, 100, &data).unwrap();
    drop(gpu.unary(Unary::Sin, &a).unwrap());
    drop(gpu.unary(Unary::Cos, &a).unwrap());
    assert_eq!(gpu.compiled_kernels(), compiled);
}

#[test]
fn idle_pool_stays_within_its_byte_budget() {
    let budget = 64 * 1024;
    let Some(gpu) = common::backend_with(WgpuConfig {
        pool_max_free_bytes: budget,
        ..WgpuConfig::default()
    }) else {
        return;
    };
    // 40 live matrices of 16 KiB each, then all dropped: only 64 KiB may stay idle.
    let mats: Vec<_> = (0..40).map(|_| gpu.zeros(64, 64).unwrap()).collect();
    assert!(gpu.pool_stats().live_bytes >= 40 * 64 * 64 * 4);
    drop(mats);
    let stats = gpu.pool_stats();
    assert!(stats.free_bytes <= budget, "{stats:?}");
    assert!(stats.releases >= 36, "{stats:?}");
    assert_eq!(stats.live_bytes, 0, "{stats:?}");
    gpu.trim_pool();
    assert_eq!(gpu.pool_stats().free_bytes, 0);
}

#[test]
fn bad_shapes_and_arguments_are_errors_not_panics() {
    let Some(gpu) = common::backend() else { return };
    let a = gpu.zeros(3, 4).unwrap();
    let b = gpu.zeros(5, 2).unwrap();
    let mut c = gpu.zeros(3, 2).unwrap();
    let shape = |r: Result<(), BackendError>| matches!(r, Err(BackendError::ShapeMismatch { .. }));
    let arg = |r: Result<(), BackendError>| matches!(r, Err(BackendError::InvalidArgument { .. }));
    assert!(shape(gpu.gemm(
        1.0,
        &a,
        Transpose::No,
        &b,
        Transpose::No,
        0.0,
        &mut c
    )));
    assert!(shape(gpu.binary(Binary::Add, &a, &b).map(drop)));
    assert!(shape(gpu.from_host(2, 2, &[1.0; 3]).map(drop)));
    assert!(shape(gpu.from_host(usize::MAX, 2, &[]).map(drop)));
    assert!(shape(gpu.broadcast_row(Binary::Add, &a, &b).map(drop)));
    assert!(shape(gpu.broadcast_col(Binary::Add, &a, &b).map(drop)));
    assert!(shape(gpu.axpby(1.0, &a, 0.0, &mut c)));
    assert!(shape(gpu.concat_cols(&[&a, &b]).map(drop)));
    assert!(arg(gpu.gather_rows(&a, &[0, 3]).map(drop)));
    assert!(arg(gpu.slice_rows(&a, 2, 4).map(drop)));
    assert!(arg(gpu.slice_cols(&a, 3, 2).map(drop)));
    assert!(arg(gpu
        .softmax_blocks(&a, &[ColumnBlock::new(2, 3)])
        .map(drop)));
    assert!(arg(gpu
        .softmax_blocks(&a, &[ColumnBlock::new(0, 2), ColumnBlock::new(1, 2)])
        .map(drop)));
    // Too large for the device: an error, not an abort.
    assert!(matches!(
        gpu.zeros(1 << 20, 1 << 20),
        Err(BackendError::OutOfMemory { .. })
    ));
    // The device is still usable afterwards.
    let x = gpu.from_host(1, 3, &[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(gpu.sum(&x).unwrap(), 6.0);
}

#[test]
fn matrices_of_another_device_are_rejected() {
    let (Some(one), Some(two)) = (common::backend(), common::backend()) else {
        return;
    };
    let a = one.zeros(2, 2).unwrap();
    assert!(matches!(
        two.unary(Unary::Exp, &a),
        Err(BackendError::InvalidArgument { .. })
    ));
}

#[test]
fn column_sums_of_tall_matrices_take_several_passes() {
    let Some(gpu) = common::backend() else { return };
    // 70_000 rows: 274 chunks after the first pass, 2 after the second, 1 after the third.
    let rows = 70_000;
    let data: Vec<f32> = (0..rows * 3)
        .map(|i| ((i % 7) as f32) - 3.0 + 0.25)
        .collect();
    let a = gpu.from_host(rows, 3, &data).unwrap();
    let got = gpu.to_host(&gpu.col_sums(&a).unwrap()).unwrap();
    for (j, &g) in got.iter().enumerate() {
        let want: f64 = (0..rows).map(|i| f64::from(data[i * 3 + j])).sum();
        assert!(
            (f64::from(g) - want).abs() <= 1e-5 * 3.25 * rows as f64,
            "column {j}: {g} vs {want}"
        );
    }
}

/// A long inner dimension is split over several dispatches (llvmpipe silently stops an
/// invocation after 65,535 loop iterations, which a single pass over K = 70,000 exceeds);
/// the slices must add up to the whole product, with beta applied once.
#[test]
fn matmul_with_a_long_inner_dimension_matches_f64_product() {
    let Some(gpu) = common::backend() else { return };
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for (ta, tb, beta) in [(false, false, -0.5), (true, true, 0.0), (false, true, 1.0)] {
        check_gemm(&gpu, &mut rng, (3, 70_001, 5), ta, tb, beta);
    }
}
