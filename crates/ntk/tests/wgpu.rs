//! Kernels on the wgpu backend: the analytic kernels' Gram matrices equal faer's and the
//! `f64` host reference within `f32` tolerance; the two-layer empirical kernel at shared
//! weights equals faer's, and at width 65,536 it matches the analytic NTK (DESIGN.md §1).
//!
//! Without a wgpu adapter the tests print a message and pass; with
//! `SCOREDIFF_REQUIRE_GPU=1` a missing adapter fails them.

mod common;

use common::*;
use faer::Mat;
use scorediff_faer::FaerBackend;
use scorediff_ntk::*;
use scorediff_wgpu::WgpuBackend;

/// Agreement of `f32` backend kernels with each other and with the `f64` host reference.
/// Near `z = z'` the cosine carries a few `f32` ulps (`~2e-7`), which `acos` turns into an
/// angle error of `~7e-4` and a relative kernel error of `~2e-4`; elsewhere the error is
/// `~1e-6`. (The same bound as in `kernels.rs`.)
const F32_TOL: f64 = 3e-4;

/// The wgpu backend shared by every test of this binary (opened once), or `None` (with a
/// message on stderr) when no adapter exists. With `SCOREDIFF_REQUIRE_GPU=1` a missing
/// adapter is a failure instead.
fn gpu() -> Option<&'static WgpuBackend> {
    scorediff_wgpu::testing::shared()
}

/// `n` inputs `z = (x, t, 1)` in `d + 2` columns, with a zero row (the safe path at
/// `|z| = 0`) and a duplicated row (the safe path at `z = z'`).
fn inputs_with_edge_rows(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let p = d + 2;
    let mut z = random_z(n, d, &mut rng(seed));
    z[..p].fill(0.0);
    let (a, b) = z.split_at_mut(2 * p);
    b[..p].copy_from_slice(&a[p..2 * p]);
    z
}

/// Gram (several block sizes) and cross-Gram of `kernel` on wgpu against faer and against
/// the host `f64` reference: relative Frobenius error and the largest entry error relative
/// to `sqrt(k(z,z) k(z',z'))`, both under [`F32_TOL`]. Without biases `k(0, z') = 0`
/// exactly (`zero_row_vanishes`).
fn check_analytic<K>(gpu: &WgpuBackend, kernel: &K, name: &str, zero_row_vanishes: bool)
where
    K: Kernel<WgpuBackend> + Kernel<FaerBackend> + ScalarKernel,
{
    let cpu = FaerBackend::default();
    let (n, m, d) = (23, 9, 3);
    let p = d + 2;
    let z = inputs_with_edge_rows(n, d, 8);
    let zt = random_z(m, d, &mut rng(9));
    let host = host_gram(kernel, &z, n, p).unwrap();
    let on_faer = gram(&cpu, kernel, &upload(&cpu, n, p, &z), 7).unwrap();
    let zg = upload(gpu, n, p, &z);
    for block in [1, 7, 100] {
        let on_gpu = gram(gpu, kernel, &zg, block).unwrap();
        for (other, what) in [(&on_faer, "faer"), (&host, "host f64")] {
            let rel = rel_frob(&on_gpu, other);
            let worst = max_scaled_err(&on_gpu, other);
            assert!(
                rel < F32_TOL && worst < F32_TOL,
                "{name}, block {block}: wgpu vs {what}: rel Frobenius {rel:e}, max scaled {worst:e}"
            );
        }
        for j in 0..n {
            if zero_row_vanishes {
                assert_eq!(on_gpu[(0, j)], 0.0, "{name}: zero row");
            }
            for i in 0..n {
                assert!(on_gpu[(i, j)].is_finite(), "{name}: ({i}, {j})");
            }
        }
    }
    let cross_gpu = cross_gram(gpu, kernel, &upload(gpu, m, p, &zt), &zg, 4).unwrap();
    let cross_faer = cross_gram(
        &cpu,
        kernel,
        &upload(&cpu, m, p, &zt),
        &upload(&cpu, n, p, &z),
        4,
    )
    .unwrap();
    let cross_host = host_cross_gram(kernel, &zt, m, &z, n, p).unwrap();
    assert_eq!((cross_gpu.nrows(), cross_gpu.ncols()), (m, n));
    for (other, what) in [(&cross_faer, "faer"), (&cross_host, "host f64")] {
        let rel = rel_frob(&cross_gpu, other);
        assert!(rel < F32_TOL, "{name}: cross-Gram wgpu vs {what}: {rel:e}");
    }
}

#[test]
fn analytic_kernel_grams_match_faer_and_host() {
    let Some(gpu) = gpu() else { return };
    check_analytic(gpu, &TwoLayerReluNtk, "two-layer NTK", true);
    check_analytic(
        gpu,
        &DeepReluKernel::paper_two_layer(64),
        "paper two-layer",
        true,
    );
    let cases = [
        DeepReluKernel::new(vec![65_536], 1.3, Some(0.4), Parameterization::Standard),
        DeepReluKernel::new(vec![32, 32], 1.4, Some(0.1), Parameterization::Ntk),
        DeepReluKernel::new(vec![4096, 4096], 1.2, None, Parameterization::Standard),
        DeepReluKernel::new(vec![50; 3], 0.8, Some(0.6), Parameterization::Ntk),
    ];
    for (i, k) in cases.into_iter().enumerate() {
        let no_bias = k.b_std.is_none();
        check_analytic(gpu, &k, &format!("deep NTK case {i}"), no_bias);
        let nngp = k.with_kind(KernelKind::Nngp);
        check_analytic(gpu, &nngp, &format!("deep NNGP case {i}"), no_bias);
    }
}

/// The closed-form empirical kernel at the same first-layer weights on wgpu and faer.
#[test]
fn empirical_two_layer_kernel_matches_faer() {
    let Some(gpu) = gpu() else { return };
    let cpu = FaerBackend::default();
    let (n, d, m) = (23, 3, 4096);
    let p = d + 2;
    let z = inputs_with_edge_rows(n, d, 12);
    let w = gaussian_mat(m, p, 1.0, &mut rng(13));
    let wd: Vec<f64> = (0..m * p).map(|k| w[(k / p, k % p)]).collect();
    let k_gpu = EmpiricalTwoLayerNtk::new(upload(gpu, m, p, &wd));
    let k_cpu = EmpiricalTwoLayerNtk::new(upload(&cpu, m, p, &wd));
    let on_faer = gram(&cpu, &k_cpu, &upload(&cpu, n, p, &z), 5).unwrap();
    let zg = upload(gpu, n, p, &z);
    for block in [1, 5, 100] {
        let on_gpu = gram(gpu, &k_gpu, &zg, block).unwrap();
        let rel = rel_frob(&on_gpu, &on_faer);
        let worst = max_scaled_err(&on_gpu, &on_faer);
        assert!(
            rel < F32_TOL && worst < F32_TOL,
            "block {block}: rel Frobenius {rel:e}, max scaled {worst:e}"
        );
        assert!((0..n).all(|j| on_gpu[(0, j)] == 0.0));
    }
    assert!(gram(gpu, &k_gpu, &zg, 0).is_err());
    let bad = upload(gpu, 2, p + 1, &vec![0.0; 2 * (p + 1)]);
    assert!(gram(gpu, &k_gpu, &bad, 4).is_err());
}

/// The analytic two-layer NTK agrees with the empirical kernel of a random network of
/// width `m` computed on wgpu (within 1% in relative Frobenius norm and 2% entrywise
/// relative to `sqrt(k(z,z) k(z',z'))`, the Monte Carlo error having standard deviation
/// about `1 / sqrt(m)`: 0.4% at `m = 65,536`).
fn check_two_layer_monte_carlo(gpu: &WgpuBackend, m: usize) {
    let (n, d) = (12, 3);
    let mut r = rng(11);
    let z = random_z(n, d, &mut r);
    let zd = upload(gpu, n, d + 2, &z);
    let analytic: Mat<f64> = gram(gpu, &TwoLayerReluNtk, &zd, 5).unwrap();
    let emp = EmpiricalTwoLayerNtk::random(gpu, m, d + 2, &mut r).unwrap();
    let mc = gram(gpu, &emp, &zd, 5).unwrap();
    let rel = rel_frob(&mc, &analytic);
    let worst = max_scaled_err(&mc, &analytic);
    eprintln!("two-layer MC m={m} on wgpu: rel Frobenius {rel:.4}, max scaled {worst:.4}");
    assert!(rel < 0.01, "relative Frobenius error {rel}");
    assert!(worst < 0.02, "max scaled entry error {worst}");
}

/// The width of the faer check (`kernels.rs`). Its `S S^T` has the hidden width as inner
/// dimension, longer than one gemm dispatch covers on lavapipe (whose driver stops an
/// invocation after 65,535 loop iterations): this also checks that the slices add up.
#[test]
fn two_layer_monte_carlo_width_65536() {
    let Some(gpu) = gpu() else { return };
    check_two_layer_monte_carlo(gpu, 65_536);
}
