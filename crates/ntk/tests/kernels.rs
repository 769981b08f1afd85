//! Analytic kernels against Monte Carlo empirical kernels of wide random networks, the deep
//! recursion against the two-layer formula, and the backend path against the host path.

mod common;

/// Agreement of `f32` backend kernels with the `f64` host reference. Near `z = z'` the
/// cosine carries a few `f32` ulps (`~2e-7`), which `acos` turns into an angle error of
/// `~7e-4` and a relative kernel error of `~2e-4`; elsewhere the error is `~1e-6`.
const F32_TOL: f64 = 3e-4;

use common::*;
use faer::Mat;
use scorediff_backend::prelude::*;
use scorediff_faer::FaerBackend;
use scorediff_ntk::*;

/// The analytic two-layer NTK agrees with the empirical kernel of a random network of width
/// 65,536 (within 1% in relative Frobenius norm; the entrywise Monte Carlo error relative to
/// `sqrt(k(z,z) k(z',z'))` has standard deviation about `1 / sqrt(m)` = 0.4%).
fn check_two_layer_monte_carlo<B: Backend>(be: &B) {
    let (n, d, m) = (12, 3, 65_536);
    let mut r = rng(11);
    let z = random_z(n, d, &mut r);
    let zd = upload(be, n, d + 2, &z);
    let analytic = gram(be, &TwoLayerReluNtk, &zd, 5).unwrap();
    let emp = EmpiricalTwoLayerNtk::random(be, m, d + 2, &mut r).unwrap();
    let mc = gram(be, &emp, &zd, 5).unwrap();
    let rel = rel_frob(&mc, &analytic);
    let worst = max_scaled_err(&mc, &analytic);
    eprintln!("two-layer MC m={m}: rel Frobenius {rel:.4}, max scaled entry error {worst:.4}");
    assert!(rel < 0.01, "relative Frobenius error {rel}");
    assert!(worst < 0.02, "max scaled entry error {worst}");
}

#[test]
fn two_layer_monte_carlo_faer() {
    check_two_layer_monte_carlo(&FaerBackend::default());
}

/// Empirical NTK of a random fully connected ReLU network (host `f64`), every layer trained,
/// by the layerwise contraction `sum_l s_l^2 (D_l D_l^T) * (A_{l-1} A_{l-1}^T) + t_l^2 D_l D_l^T`
/// (`D_l` = d f / d h_l, `s_l` the weight multiplier, `t_l` the bias multiplier).
fn mc_deep_ntk(k: &DeepReluKernel, x: &Mat<f64>, seed: u64) -> Mat<f64> {
    let mut r = rng(seed);
    let widths: Vec<usize> = std::iter::once(x.ncols())
        .chain(k.hidden_widths.iter().copied())
        .chain(std::iter::once(1))
        .collect();
    let depth = widths.len() - 1;
    let mut acts = vec![x.clone()];
    let mut pre = Vec::new();
    let mut ws = Vec::new();
    let mut mult = Vec::new();
    for l in 0..depth {
        let (n_in, n_out) = (widths[l], widths[l + 1]);
        let (w_scale, s, b_scale, t) = match k.parameterization {
            Parameterization::Standard => (
                k.w_std / (n_in as f64).sqrt(),
                1.0,
                k.b_std.unwrap_or(0.0),
                1.0,
            ),
            Parameterization::Ntk => (
                1.0,
                k.w_std / (n_in as f64).sqrt(),
                1.0,
                k.b_std.unwrap_or(0.0),
            ),
        };
        let w = gaussian_mat(n_out, n_in, w_scale, &mut r);
        let b = gaussian_mat(1, n_out, b_scale, &mut r);
        let mut h = acts[l].as_ref() * w.transpose() * faer::Scale(s);
        if k.b_std.is_some() {
            for j in 0..n_out {
                for i in 0..h.nrows() {
                    h[(i, j)] += t * b[(0, j)];
                }
            }
        }
        let a = Mat::from_fn(h.nrows(), h.ncols(), |i, j| h[(i, j)].max(0.0));
        pre.push(h);
        acts.push(a);
        ws.push(w);
        mult.push((s, if k.b_std.is_some() { t } else { 0.0 }));
    }
    let n = x.nrows();
    let mut delta = Mat::<f64>::from_fn(n, 1, |_, _| 1.0);
    let mut ntk = Mat::<f64>::zeros(n, n);
    for l in (0..depth).rev() {
        let (s, t) = mult[l];
        let dd = &delta * delta.transpose();
        let aa = &acts[l] * acts[l].transpose();
        ntk += Mat::from_fn(n, n, |i, j| {
            s * s * dd[(i, j)] * aa[(i, j)] + t * t * dd[(i, j)]
        });
        if l > 0 {
            let back = &delta * &ws[l] * faer::Scale(s);
            delta = Mat::from_fn(n, back.ncols(), |i, j| {
                if pre[l - 1][(i, j)] > 0.0 {
                    back[(i, j)]
                } else {
                    0.0
                }
            });
        }
    }
    ntk
}

/// The deep recursion (one and two hidden layers, biases, both parameterizations) agrees
/// with Monte Carlo empirical NTKs of random networks.
fn check_deep_monte_carlo<B: Backend>(be: &B) {
    let (n, d) = (8, 2);
    let z = random_z(n, d, &mut rng(5));
    let x = mat(n, d + 2, &z);
    let zd = upload(be, n, d + 2, &z);
    let cases = [
        (
            DeepReluKernel::new(vec![65_536], 1.3, Some(0.4), Parameterization::Standard),
            0.01,
        ),
        (
            DeepReluKernel::new(vec![65_536], 1.3, Some(0.4), Parameterization::Ntk),
            0.01,
        ),
        (
            DeepReluKernel::new(vec![4096, 4096], 1.2, Some(0.3), Parameterization::Ntk),
            0.05,
        ),
        (
            DeepReluKernel::new(vec![4096, 4096], 1.2, None, Parameterization::Standard),
            0.05,
        ),
    ];
    for (i, (k, tol)) in cases.iter().enumerate() {
        let analytic = host_gram(k, &z, n, d + 2).unwrap();
        let on_backend = gram(be, k, &zd, 3).unwrap();
        let mc = mc_deep_ntk(k, &x, 100 + i as u64);
        let rel = rel_frob(&mc, &analytic);
        let dev = rel_frob(&on_backend, &analytic);
        eprintln!("deep case {i}: MC rel Frobenius {rel:.4}, backend vs host {dev:.2e}");
        assert!(rel < *tol, "case {i}: MC relative error {rel}");
        assert!(dev < F32_TOL, "case {i}: backend vs host {dev}");
    }
}

#[test]
fn deep_monte_carlo_faer() {
    check_deep_monte_carlo(&FaerBackend::default());
}

/// Where the recursion and the two-layer formula coincide: one hidden layer, standard
/// parameterization, `W_std = 1`, no bias, output layer frozen. Then
/// `ntk_1 = n_in * (z . z' / p) = z . z'` and the Relu multiplies it by `kappa0 / 2`, which is
/// `(pi - angle) / (2 pi)`; the frozen readout multiplies by `W_std^2 = 1`. The hidden width
/// drops out. In the NTK parameterization the same network gives the formula divided by `p`.
fn check_deep_reduces_to_two_layer<B: Backend>(be: &B) {
    let (n, d) = (10, 4);
    let mut z = random_z(n, d, &mut rng(3));
    // A zero row and a duplicated row: the safe paths at z = 0 and z = z'.
    for v in &mut z[0..d + 2] {
        *v = 0.0;
    }
    let (a, b) = z.split_at_mut(2 * (d + 2));
    b[..d + 2].copy_from_slice(&a[d + 2..2 * (d + 2)]);
    let p = (d + 2) as f64;
    let two = host_gram(&TwoLayerReluNtk, &z, n, d + 2).unwrap();
    for width in [16, 100_000] {
        let deep = host_gram(&DeepReluKernel::paper_two_layer(width), &z, n, d + 2).unwrap();
        assert!(rel_frob(&deep, &two) < 1e-8);
    }
    let ntk_param = DeepReluKernel::new(vec![7], 1.0, None, Parameterization::Ntk)
        .with_trainable(vec![true, false]);
    let deep = host_gram(&ntk_param, &z, n, d + 2).unwrap() * faer::Scale(p);
    assert!(rel_frob(&deep, &two) < 1e-8);
    // Backend path of both kernels, z = 0 row exactly 0, everything finite.
    let zd = upload(be, n, d + 2, &z);
    let kb = gram(be, &DeepReluKernel::paper_two_layer(64), &zd, 4).unwrap();
    let tb = gram(be, &TwoLayerReluNtk, &zd, 4).unwrap();
    assert!(rel_frob(&kb, &two) < F32_TOL, "{}", rel_frob(&kb, &two));
    assert!(rel_frob(&tb, &two) < F32_TOL);
    for j in 0..n {
        assert_eq!(kb[(0, j)], 0.0);
        assert_eq!(tb[(j, 0)], 0.0);
        for i in 0..n {
            assert!(kb[(i, j)].is_finite() && tb[(i, j)].is_finite());
        }
    }
    // Duplicate rows give identical rows of K and k(z, z) = |z|^2 / 2.
    let q: f64 = z[d + 2..2 * (d + 2)].iter().map(|v| v * v).sum();
    assert!((tb[(1, 2)] - q / 2.0).abs() < F32_TOL * q);
}

#[test]
fn deep_reduces_to_two_layer_faer() {
    check_deep_reduces_to_two_layer(&FaerBackend::default());
}

/// Blocked Gram matrices do not depend on the block size and match the cross-Gram path.
fn check_blocking<B: Backend>(be: &B) {
    let (n, m, d) = (23, 9, 3);
    let z = random_z(n, d, &mut rng(8));
    let zt = random_z(m, d, &mut rng(9));
    let zd = upload(be, n, d + 2, &z);
    let ztd = upload(be, m, d + 2, &zt);
    let k = DeepReluKernel::new(vec![32, 32], 1.4, Some(0.1), Parameterization::Ntk);
    let full = gram(be, &k, &zd, n).unwrap();
    for br in [1, 4, 7, 100] {
        let g = gram(be, &k, &zd, br).unwrap();
        assert!(rel_frob(&g, &full) < F32_TOL, "block {br}");
        for i in 0..n {
            for j in 0..n {
                assert_eq!(g[(i, j)], g[(j, i)]);
            }
        }
    }
    let cross = cross_gram(be, &k, &zd, &zd, 5).unwrap();
    assert!(rel_frob(&cross, &full) < F32_TOL);
    let ct = cross_gram(be, &k, &ztd, &zd, 4).unwrap();
    let host = host_cross_gram(&k, &zt, m, &z, n, d + 2).unwrap();
    assert_eq!((ct.nrows(), ct.ncols()), (m, n));
    assert!(rel_frob(&ct, &host) < F32_TOL);
    assert!(gram(be, &k, &zd, 0).is_err());
    let bad = upload(be, 2, d + 1, &vec![0.0; 2 * (d + 1)]);
    assert!(cross_gram(be, &k, &bad, &zd, 4).is_err());
}

#[test]
fn blocking_faer() {
    check_blocking(&FaerBackend::default());
}

/// The generic Jacobian path: the two-layer net's explicit parameter-gradient rows
/// (`d f_c / d w_r = m^{-1/2} a_rc 1{w_r . z > 0} z`) give `J_c J_c^T` = the closed-form
/// empirical kernel, for any block size; the projected estimator averages to it.
fn check_jacobian_paths<B: Backend>(be: &B) {
    let (n, d, p, m) = (9, 2, 4, 64);
    let mut r = rng(21);
    let zx = random_z(n, p - 2, &mut r);
    let w = gaussian_mat(m, p, 1.0, &mut r);
    let a: Vec<[f64; 2]> = (0..m)
        .map(|i| {
            [
                if i % 2 == 0 { 1.0 } else { -1.0 },
                if i % 3 == 0 { -1.0 } else { 1.0 },
            ]
        })
        .collect();
    let wd: Vec<f64> = (0..m * p).map(|k| w[(k / p, k % p)]).collect();
    let emp = EmpiricalTwoLayerNtk::new(upload(be, m, p, &wd));
    let closed = gram(be, &emp, &upload(be, n, p, &zx), 4).unwrap();
    // Gradient rows of u . f(z_j) for a probe u (u = e_0 gives output coordinate 0).
    let rows = |u: &[f32], s: usize, e: usize| -> Vec<f64> {
        let mut out = Vec::with_capacity((e - s) * m * p);
        for j in s..e {
            let z = &zx[j * p..(j + 1) * p];
            for (wr, ar) in (0..m).zip(&a) {
                let pre: f64 = (0..p).map(|c| w[(wr, c)] * z[c]).sum();
                let ua = f64::from(u[0]) * ar[0] + f64::from(u[1]) * ar[1];
                let g = if pre > 0.0 {
                    ua / (m as f64).sqrt()
                } else {
                    0.0
                };
                out.extend(z.iter().map(|zc| g * zc));
            }
        }
        out
    };
    for br in [1, 4, 9] {
        let k = jacobian_gram(be, n, br, |s, e| {
            Ok(upload(be, e - s, m * p, &rows(&[1.0, 0.0], s, e)))
        })
        .unwrap();
        assert!(
            rel_frob(&k, &closed) < 1e-5,
            "block {br}: {}",
            rel_frob(&k, &closed)
        );
    }
    let proj = projected_jacobian_gram(be, n, d, 400, 4, &mut rng(2), |u, s, e| {
        Ok(upload(be, e - s, m * p, &rows(u, s, e)))
    })
    .unwrap();
    let rel = rel_frob(&proj, &closed);
    eprintln!("projected estimator, 400 probes: rel Frobenius {rel:.4}");
    assert!(rel < 0.1, "{rel}");
    // A callback returning the wrong number of rows is an error, not a panic.
    let bad = jacobian_gram(be, n, 4, |_, _| Ok(upload(be, 1, 3, &[0.0; 3])));
    assert!(bad.is_err());
}

#[test]
fn jacobian_paths_faer() {
    check_jacobian_paths(&FaerBackend::default());
}

#[test]
fn ntk_inputs_appends_time_and_bias() {
    let be = FaerBackend::default();
    let x = be.from_host(2, 2, &[1.0, 2.0, 3.0, 4.0]).unwrap();
    let t = be.from_host(2, 1, &[0.5, 0.25]).unwrap();
    let z = ntk_inputs(&be, &x, &t).unwrap();
    assert_eq!(
        be.to_host(&z).unwrap(),
        vec![1.0, 2.0, 0.5, 1.0, 3.0, 4.0, 0.25, 1.0]
    );
    let bad_t = be.from_host(1, 1, &[0.5]).unwrap();
    assert!(ntk_inputs(&be, &x, &bad_t).is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Both analytic kernels are symmetric and positive semi-definite on pairs
        /// (`k(a, b)^2 <= k(a, a) k(b, b)`), for any depth and parameterization.
        #[test]
        fn kernels_are_symmetric_and_psd_on_pairs(
            a in proptest::collection::vec(-3.0f64..3.0, 4),
            b in proptest::collection::vec(-3.0f64..3.0, 4),
            depth in 0usize..4,
            w_std in 0.5f64..2.0,
            b_std in 0.0f64..1.0,
            ntk_param in any::<bool>(),
        ) {
            let param = if ntk_param { Parameterization::Ntk } else { Parameterization::Standard };
            let deep = DeepReluKernel::new(vec![50; depth], w_std, Some(b_std), param);
            let kernels: [&dyn ScalarKernel; 3] =
                [&TwoLayerReluNtk, &deep, &deep.clone().with_kind(KernelKind::Nngp)];
            for k in kernels {
                let (ab, ba) = (k.eval(&a, &b), k.eval(&b, &a));
                prop_assert!((ab - ba).abs() <= 1e-12 * ab.abs().max(1.0));
                let (aa, bb) = (k.eval(&a, &a), k.eval(&b, &b));
                prop_assert!(aa >= 0.0 && bb >= 0.0);
                prop_assert!(ab * ab <= aa * bb * (1.0 + 1e-9) + 1e-12);
            }
        }
    }
}
