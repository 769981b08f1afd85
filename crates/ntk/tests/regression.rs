//! Kernel regression at gradient-descent time against explicit gradient descent, and the
//! other spectral filters against direct solves.

mod common;

use common::*;
use faer::Mat;
use faer::linalg::solvers::Solve;
use scorediff_ntk::*;

/// A random-feature problem: features `Phi` (`N x D`), test features, labels, a start.
struct Problem {
    phi: Mat<f64>,
    phi_test: Mat<f64>,
    y: Mat<f64>,
    theta0: Mat<f64>,
}

fn problem(n: usize, m: usize, dim: usize, d: usize, seed: u64) -> Problem {
    let mut r = rng(seed);
    // Random ReLU features of Gaussian inputs: an explicit finite feature map.
    let x = gaussian_mat(n, 3, 1.0, &mut r);
    let xt = gaussian_mat(m, 3, 1.0, &mut r);
    let w = gaussian_mat(dim, 3, 1.0, &mut r);
    let feat = |x: &Mat<f64>| {
        let h = x * w.transpose();
        Mat::from_fn(h.nrows(), dim, |i, j| {
            h[(i, j)].max(0.0) / (dim as f64).sqrt()
        })
    };
    Problem {
        phi: feat(&x),
        phi_test: feat(&xt),
        y: gaussian_mat(n, d, 1.0, &mut r),
        theta0: gaussian_mat(dim, d, 0.5, &mut r),
    }
}

/// Kernel regression at GD step k equals k explicit GD steps on the weights of the linear
/// model `f = Phi theta` with kernel `K = Phi Phi^T`, started at `theta_0` (so `f_0 != 0`),
/// on the loss `1/(2N) ||Phi theta - Y||^2`, to 1e-6 relative.
#[test]
fn regression_at_step_k_equals_explicit_gradient_descent() {
    let (n, m, dim, d) = (30, 11, 80, 2);
    let p = problem(n, m, dim, d, 1);
    let k = &p.phi * p.phi.transpose();
    let kt = &p.phi_test * p.phi.transpose();
    let f0 = &p.phi * &p.theta0;
    let f0t = &p.phi_test * &p.theta0;
    let probe = KernelRegression::fit(&k, &p.y, Some(&f0), 1.0).unwrap();
    let eta = 0.9 * probe.max_stable_eta().min(1e3) / 2.0;
    let mut kr = KernelRegression::fit(&k, &p.y, Some(&f0), eta).unwrap();
    kr.attach_test(&kt, Some(&f0t), None).unwrap();
    let mut theta = p.theta0.clone();
    let checkpoints = [0u64, 1, 2, 7, 50, 300];
    let mut step = 0;
    for &target in &checkpoints {
        while step < target {
            let resid = &p.phi * &theta - &p.y;
            theta -= p.phi.transpose() * resid * faer::Scale(eta / n as f64);
            step += 1;
        }
        let pred = kr.predict_at_step(target).unwrap();
        let gd_train = &p.phi * &theta;
        let gd_test = &p.phi_test * &theta;
        let e1 = rel_frob(&pred.train, &gd_train);
        let e2 = rel_frob(pred.test.as_ref().unwrap(), &gd_test);
        assert!(
            e1 < 1e-6 && e2 < 1e-6,
            "step {target}: train {e1:e}, test {e2:e}"
        );
        let mse_direct = mse(&pred.train, &p.y);
        let mse_fast = kr.train_mse(SpectralFilter::GdSteps(target)).unwrap();
        assert!((mse_direct - mse_fast).abs() < 1e-10 * mse_direct.max(1.0));
    }
}

/// Gradient flow at time `eta k` is the small-step limit of `k` GD steps.
#[test]
fn flow_is_the_small_step_limit() {
    let p = problem(25, 5, 60, 1, 2);
    let k = &p.phi * p.phi.transpose();
    let tau = 40.0;
    let flow = KernelRegression::fit(&k, &p.y, None, 1.0)
        .unwrap()
        .predict_flow(tau)
        .unwrap();
    let mut last = f64::INFINITY;
    for steps in [10u64, 100, 1000, 10_000] {
        let kr = KernelRegression::fit(&k, &p.y, None, tau / steps as f64).unwrap();
        let gd = kr.predict_at_step(steps).unwrap();
        let e = rel_frob(&gd.train, &flow.train);
        assert!(e < last, "GD to flow gap must shrink with the step size");
        last = e;
    }
    assert!(last < 1e-3, "{last}");
}

/// Ridge equals the direct solve `f_0 + K (K + N mu I)^{-1} (Y - f_0)`; conjugate gradients
/// agree; the interpolant reproduces the labels when `K` is well conditioned; Nyström with
/// every point as a landmark gives the exact spectrum.
#[test]
fn ridge_interpolation_cg_and_nystrom() {
    let (n, m) = (40, 7);
    let p = problem(n, m, 200, 3, 3);
    let k = &p.phi * p.phi.transpose();
    let kt = &p.phi_test * p.phi.transpose();
    let mu = 1e-2;
    let mut kr = KernelRegression::fit(&k, &p.y, None, 1.0).unwrap();
    kr.attach_test(&kt, None, Some(&Mat::zeros(m, 3))).unwrap();
    let ridge = kr.ridge(mu).unwrap();
    let a = &k + Mat::<f64>::identity(n, n) * faer::Scale(n as f64 * mu);
    let alpha = a.partial_piv_lu().solve(&p.y);
    assert!(rel_frob(&ridge.train, &(&k * &alpha)) < 1e-9);
    assert!(rel_frob(ridge.test.as_ref().unwrap(), &(&kt * &alpha)) < 1e-9);
    let (alpha_cg, iters) = ridge_cg(&k, &p.y, mu, 1e-12, 500).unwrap();
    assert!(iters < 500);
    assert!(
        rel_frob(&alpha_cg, &alpha) < 1e-8,
        "{}",
        rel_frob(&alpha_cg, &alpha)
    );
    // This Gram matrix is exact f64, so a cutoff far below the f32 default applies.
    kr.set_rcond(1e-13);
    let interp = kr.predict_infinite().unwrap();
    assert!(
        rel_frob(&interp.train, &p.y) < 1e-6,
        "{}",
        rel_frob(&interp.train, &p.y)
    );
    // Ridge at mu -> 0 approaches the interpolant; large mu shrinks to f_0 = 0.
    let tiny = kr.ridge(1e-12).unwrap();
    assert!(rel_frob(&tiny.train, &interp.train) < 1e-4);
    assert!(
        kr.train_mse(SpectralFilter::Ridge(1e6)).unwrap() > 0.99 * mse(&Mat::zeros(n, 3), &p.y)
    );
    let exact = eigenvalues_over_n(&k).unwrap();
    let ny = nystrom_eigenvalues_over_n(&k, &k, 1e-12).unwrap();
    for (a, b) in exact.iter().zip(&ny) {
        assert!((a - b).abs() < 1e-8 * exact[0], "{a} vs {b}");
    }
    // The curve is decreasing in training error.
    let c = kr.curve(&[1, 10, 100, 1000]).unwrap();
    assert!(c.windows(2).all(|w| w[1].train_mse <= w[0].train_mse));
    assert!(c[0].test_mse.is_some());
    assert!(kr.ridge(-1.0).is_err());
    assert!(KernelRegression::fit(&k, &Mat::zeros(n + 1, 1), None, 1.0).is_err());
}

#[test]
fn gd_filter_is_stable_and_exact() {
    // Small x: 1 - (1 - x)^k ~ k x without cancellation.
    let v = gd_filter(1e-12, 3);
    assert!((v - 3e-12).abs() < 1e-10 * 3e-12);
    assert_eq!(gd_filter(0.5, 0), 0.0);
    assert!((gd_filter(0.5, 2) - 0.75).abs() < 1e-15);
    // x in (1, 2): oscillating but convergent; x > 2: divergent, like GD.
    assert!((gd_filter(1.5, 3) - (1.0 + 0.125)).abs() < 1e-15);
    assert!(gd_filter(2.5, 40).abs() > 1e6);
}
