//! A wide two-layer network trained by gradient descent stays close to kernel regression
//! with its NTK (DESIGN.md §1), and closer as the width grows.

mod common;

use common::*;
use faer::Mat;
use rand::RngExt;
use scorediff_ntk::*;

/// The paper's network `f_W(z) = m^{-1/2} sum_r a_r relu(w_r . z)` with `a_r in {+-1}^d`
/// frozen and `W` trained by full-batch GD on `1/(2N) ||f(Z) - Y||^2` (host `f64`).
struct TwoLayerNet {
    w: Mat<f64>,
    a: Mat<f64>,
}

impl TwoLayerNet {
    fn new(m: usize, p: usize, d: usize, seed: u64) -> Self {
        let mut r = rng(seed);
        let w = gaussian_mat(m, p, 1.0, &mut r);
        let a = Mat::from_fn(m, d, |_, _| if r.random::<bool>() { 1.0 } else { -1.0 });
        Self { w, a }
    }

    fn forward(&self, z: &Mat<f64>) -> (Mat<f64>, Mat<f64>) {
        let h = z * self.w.transpose();
        let act = Mat::from_fn(h.nrows(), h.ncols(), |i, j| h[(i, j)].max(0.0));
        let f = act * &self.a * faer::Scale(1.0 / (self.w.nrows() as f64).sqrt());
        (f, h)
    }

    fn gd_step(&mut self, z: &Mat<f64>, y: &Mat<f64>, eta: f64) {
        let (f, h) = self.forward(z);
        let n = z.nrows() as f64;
        let m = self.w.nrows() as f64;
        let e = (f - y) * faer::Scale(1.0 / n);
        let back = e * self.a.transpose() * faer::Scale(1.0 / m.sqrt());
        let g = Mat::from_fn(h.nrows(), h.ncols(), |i, j| {
            if h[(i, j)] > 0.0 { back[(i, j)] } else { 0.0 }
        });
        self.w -= g.transpose() * z * faer::Scale(eta);
    }
}

fn inputs(n: usize, seed: u64) -> (Vec<f64>, Mat<f64>) {
    let mut r = rng(seed);
    let mut z = Vec::new();
    for _ in 0..n {
        z.push(r.random_range(-1.0..1.0));
        z.push(r.random::<f64>());
        z.push(1.0);
    }
    let zm = mat(n, 3, &z);
    (z, zm)
}

#[test]
fn wide_network_tracks_kernel_regression() {
    let (n, m_test, d, eta, steps) = (32, 16, 2, 1.0, 200u64);
    let (z, zm) = inputs(n, 1);
    let (zt, ztm) = inputs(m_test, 2);
    let y = Mat::from_fn(n, d, |i, c| {
        let (x, t) = (zm[(i, 0)], zm[(i, 1)]);
        if c == 0 {
            (2.0 * x + t).sin()
        } else {
            (3.0 * x).cos() * 0.5
        }
    });
    let k = host_gram(&TwoLayerReluNtk, &z, n, 3).unwrap();
    let kt = host_cross_gram(&TwoLayerReluNtk, &zt, m_test, &z, n, 3).unwrap();
    let widths = [256, 1024, 4096, 16384];
    let seeds = [10u64, 20];
    let mut gaps = Vec::new();
    for &m in &widths {
        let mut total = 0.0;
        for &seed in &seeds {
            let mut net = TwoLayerNet::new(m, 3, d, seed + m as u64);
            let (f0, _) = net.forward(&zm);
            let (f0t, _) = net.forward(&ztm);
            let mut kr = KernelRegression::fit(&k, &y, Some(&f0), eta).unwrap();
            kr.attach_test(&kt, Some(&f0t), None).unwrap();
            for _ in 0..steps {
                net.gd_step(&zm, &y, eta);
            }
            let pred = kr.predict_at_step(steps).unwrap();
            let (fk_t, _) = net.forward(&ztm);
            total += mse(&fk_t, pred.test.as_ref().unwrap()).sqrt();
        }
        gaps.push(total / seeds.len() as f64);
    }
    eprintln!(
        "width -> RMS gap (net vs NTK regression) at step {steps}: {:?}",
        widths.iter().zip(&gaps).collect::<Vec<_>>()
    );
    assert!(
        gaps.windows(2).all(|w| w[1] < w[0]),
        "gap must shrink with width: {gaps:?}"
    );
    // Theory: O(m^{-1/2}), so a 64-fold width shrinks the gap about 8-fold; ask for 4.
    assert!(gaps[3] < gaps[0] / 4.0, "{gaps:?}");
}
