//! The preconditioned denoiser: its forward formula and its backward pass against central
//! finite differences.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use scorediff_backend::prelude::*;
use scorediff_backend::{ColumnBlock, Layout};
use scorediff_faer::FaerBackend;
use scorediff_net::{Mlp, MlpConfig, ScoreNet};
use scorediff_process::{ForwardProcess, ProcessConfig};
use scorediff_train::{PreconditionConfig, Preconditioned};

fn normals(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| StandardNormal.sample(rng)).collect()
}

fn wrapped<B: Backend>(be: &B, d: usize, blocks: &[ColumnBlock]) -> Preconditioned<Mlp<B>> {
    let mut cfg = MlpConfig::new(d, 16, 2, 5);
    cfg.categorical_blocks = blocks.to_vec();
    let net = Mlp::new(be, cfg).unwrap();
    let pc = PreconditionConfig { sigma_data: 0.8 };
    let layout = Layout::new(d, blocks.to_vec()).unwrap();
    Preconditioned::new(net, ProcessConfig::OrnsteinUhlenbeck, Some(pc), &layout)
}

fn check_forward_formula<B: Backend>(be: &B) {
    let (rows, d) = (5, 5);
    let blocks = [ColumnBlock::new(2, 3)];
    let net = wrapped(be, d, &blocks);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let xs = normals(&mut rng, rows * d);
    let ts: Vec<f32> = vec![0.001, 0.05, 0.5, 2.0, 5.0];
    let (x, t) = (
        be.from_host(rows, d, &xs).unwrap(),
        be.from_host(rows, 1, &ts).unwrap(),
    );
    let f = be.to_host(&net.predict(be, &x, &t).unwrap()).unwrap();
    for (i, &ti) in ts.iter().enumerate() {
        let (c_in, c_skip, c_out) = net.coefficients(f64::from(ti));
        let x_in: Vec<f32> = xs[i * d..(i + 1) * d]
            .iter()
            .map(|&v| (f64::from(v) * c_in) as f32)
            .collect();
        let inner = be
            .to_host(
                &net.net
                    .predict(
                        be,
                        &be.from_host(1, d, &x_in).unwrap(),
                        &be.from_host(1, 1, &[ti]).unwrap(),
                    )
                    .unwrap(),
            )
            .unwrap();
        for j in 0..d {
            let want = if j < 2 {
                c_skip * f64::from(xs[i * d + j]) + c_out * f64::from(inner[j])
            } else {
                f64::from(inner[j])
            };
            assert!(
                (f64::from(f[i * d + j]) - want).abs() < 1e-5,
                "row {i} col {j}"
            );
        }
        // The skip is the linear minimum-mean-square denoiser of N(0, sigma_d^2) data.
        let p = ProcessConfig::OrnsteinUhlenbeck;
        let (a, h, s2) = (p.alpha(f64::from(ti)), p.h(f64::from(ti)), 0.64);
        assert!((c_skip - a * s2 / (a * a * s2 + h)).abs() < 1e-12);
        assert!((c_in * c_in * (a * a * s2 + h) - 1.0).abs() < 1e-12);
    }
}

fn check_backward<B: Backend>(be: &B) {
    let (rows, d) = (6, 5);
    let blocks = [ColumnBlock::new(3, 2)];
    let mut net = wrapped(be, d, &blocks);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let x = be.from_host(rows, d, &normals(&mut rng, rows * d)).unwrap();
    let ts: Vec<f32> = (0..rows).map(|i| 0.01 + i as f32 * 0.7).collect();
    let t = be.from_host(rows, 1, &ts).unwrap();
    let g = normals(&mut rng, rows * d);
    let loss = |net: &Preconditioned<Mlp<B>>| -> f64 {
        let f = be.to_host(&net.predict(be, &x, &t).unwrap()).unwrap();
        f.iter()
            .zip(&g)
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum()
    };
    let fwd = net.forward(be, &x, &t).unwrap();
    let grads = net
        .backward(be, &fwd, &be.from_host(rows, d, &g).unwrap())
        .unwrap();
    let grads: Vec<Vec<f32>> = grads.iter().map(|m| be.to_host(m).unwrap()).collect();
    // Directional derivatives along random directions of all trainable parameters.
    for _ in 0..4 {
        let dirs: Vec<Vec<f32>> = net
            .params()
            .iter()
            .map(|p| normals(&mut rng, be.to_host(&p.value).unwrap().len()))
            .collect();
        let analytic: f64 = net
            .params()
            .iter()
            .zip(&grads)
            .zip(&dirs)
            .filter(|((p, _), _)| p.trainable)
            .map(|((_, g), u)| {
                g.iter()
                    .zip(u)
                    .map(|(&a, &b)| f64::from(a) * f64::from(b))
                    .sum::<f64>()
            })
            .sum();
        let h = 1e-2f32;
        let shift = |net: &mut Preconditioned<Mlp<B>>, s: f32| {
            for (p, u) in net.params_mut().iter_mut().zip(&dirs) {
                if p.trainable {
                    let v: Vec<f32> = be
                        .to_host(&p.value)
                        .unwrap()
                        .iter()
                        .zip(u)
                        .map(|(&a, &b)| a + s * b)
                        .collect();
                    let (r, c) = p.shape();
                    p.value = be.from_host(r, c, &v).unwrap();
                }
            }
        };
        shift(&mut net, h);
        let up = loss(&net);
        shift(&mut net, -2.0 * h);
        let down = loss(&net);
        shift(&mut net, h);
        let numeric = (up - down) / (2.0 * f64::from(h));
        assert!(
            (analytic - numeric).abs() <= 2e-2 * (1.0 + numeric.abs()),
            "directional derivative {analytic} vs finite difference {numeric}"
        );
    }
}

#[test]
fn forward_follows_the_preconditioning_formula_on_faer() {
    check_forward_formula(&FaerBackend::default());
}

#[test]
fn backward_matches_finite_differences_on_faer() {
    check_backward(&FaerBackend::default());
}

/// The host times give the same coefficients as the downloaded column, bit for bit, and a
/// host copy of the wrong length is an error.
#[test]
fn host_times_give_the_same_forward_pass() {
    let be = FaerBackend::default();
    let d = 5;
    let net = wrapped(&be, d, &[ColumnBlock::new(2, 3)]);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let rows = 7;
    let x = be.from_host(rows, d, &normals(&mut rng, rows * d)).unwrap();
    let t_host: Vec<f32> = (0..rows).map(|i| 0.01 + 0.4 * i as f32).collect();
    let t = be.from_host(rows, 1, &t_host).unwrap();
    let downloaded = be.to_host(&net.predict(&be, &x, &t).unwrap()).unwrap();
    let host = be
        .to_host(&net.predict_at(&be, &x, &t, &t_host).unwrap())
        .unwrap();
    assert_eq!(
        downloaded.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        host.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    assert!(net.predict_at(&be, &x, &t, &t_host[1..]).is_err());
}
