//! Finite-difference gradient checks shared by the network tests, generic over the backend.
#![allow(dead_code, clippy::too_many_arguments)]

pub mod gradcheck;
pub mod nets;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_net::ScoreNet;

/// `n` standard normal draws as `f32`.
pub fn normals(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| rng.sample::<f64, _>(StandardNormal) as f32)
        .collect()
}

/// A random batch: `x` (`rows x d`, standard normal) and `t` (`rows x 1`, uniform in
/// `[0.05, 2]`).
pub fn batch<B: Backend>(
    be: &B,
    rng: &mut ChaCha8Rng,
    rows: usize,
    d: usize,
) -> (B::Matrix, B::Matrix) {
    let x = normals(rng, rows * d);
    let t: Vec<f32> = (0..rows).map(|_| rng.random_range(0.05f32..2.0)).collect();
    (
        be.from_host(rows, d, &x).unwrap(),
        be.from_host(rows, 1, &t).unwrap(),
    )
}

/// The scalar test loss `L = sum(G * f(x, t))`, accumulated in `f64` on the host.
pub fn loss<B: Backend, N: ScoreNet<B>>(
    be: &B,
    net: &N,
    x: &B::Matrix,
    t: &B::Matrix,
    g: &[f32],
) -> f64 {
    let out = be.to_host(&net.predict(be, x, t).unwrap()).unwrap();
    out.iter()
        .zip(g)
        .map(|(&o, &gi)| f64::from(o) * f64::from(gi))
        .sum()
}

/// Analytic gradients of `L = sum(G * f)` from the network's backward pass, on the host.
pub fn analytic<B: Backend, N: ScoreNet<B>>(
    be: &B,
    net: &N,
    x: &B::Matrix,
    t: &B::Matrix,
    g: &[f32],
) -> Vec<Vec<f32>> {
    let fwd = net.forward(be, x, t).unwrap();
    let gm = be
        .from_host(fwd.output.rows(), fwd.output.cols(), g)
        .unwrap();
    let grads = net.backward(be, &fwd, &gm).unwrap();
    assert_eq!(grads.len(), net.params().len());
    grads
        .iter()
        .zip(net.params())
        .map(|(gr, p)| {
            assert_eq!(gr.shape(), p.shape(), "gradient shape of {}", p.name);
            be.to_host(gr).unwrap()
        })
        .collect()
}

/// Sets parameter `idx` to `base + step * dir`.
fn set_param<B: Backend, N: ScoreNet<B>>(
    be: &B,
    net: &mut N,
    idx: usize,
    base: &[f32],
    dir: &[f32],
    step: f32,
) {
    let v: Vec<f32> = base.iter().zip(dir).map(|(&b, &d)| b + step * d).collect();
    be.write(&mut net.params_mut()[idx].value, &v).unwrap();
}

/// Central difference of `L` along a direction `dirs` (one host vector per parameter; empty
/// for parameters left alone). Returns `None` when `regime` (e.g. a ReLU activation
/// pattern) differs between the two perturbed points and the base point: the loss is then
/// not smooth along the segment and the difference proves nothing.
pub fn central_difference<B: Backend, N: ScoreNet<B>>(
    be: &B,
    net: &mut N,
    x: &B::Matrix,
    t: &B::Matrix,
    g: &[f32],
    dirs: &[Vec<f32>],
    h: f32,
    regime: &dyn Fn(&N) -> Vec<f32>,
) -> Option<f64> {
    let base: Vec<Vec<f32>> = net
        .params()
        .iter()
        .map(|p| be.to_host(&p.value).unwrap())
        .collect();
    let base_regime = regime(net);
    let mut values = [0.0f64; 2];
    let mut smooth = true;
    for (k, sign) in [1.0f32, -1.0].into_iter().enumerate() {
        for (i, d) in dirs.iter().enumerate() {
            if !d.is_empty() {
                set_param(be, net, i, &base[i], d, sign * h);
            }
        }
        values[k] = loss(be, net, x, t, g);
        smooth &= regime(net) == base_regime;
    }
    for (i, d) in dirs.iter().enumerate() {
        if !d.is_empty() {
            be.write(&mut net.params_mut()[i].value, &base[i]).unwrap();
        }
    }
    smooth.then(|| (values[0] - values[1]) / (2.0 * f64::from(h)))
}

/// `|analytic - numeric| <= abs + rel * |analytic|`.
pub fn close(analytic: f64, numeric: f64, abs: f64, rel: f64) -> bool {
    (analytic - numeric).abs() <= abs + rel * analytic.abs()
}

/// Checks the gradient of every trainable parameter entry by central differences.
/// Returns the number of entries compared (entries crossing a kink are skipped).
pub fn check_entries<B: Backend, N: ScoreNet<B>>(
    be: &B,
    net: &mut N,
    x: &B::Matrix,
    t: &B::Matrix,
    g: &[f32],
    h: f32,
    regime: &dyn Fn(&N) -> Vec<f32>,
) -> usize {
    let grads = analytic(be, net, x, t, g);
    let shapes: Vec<(usize, bool, String)> = net
        .params()
        .iter()
        .map(|p| (p.value.len(), p.trainable, p.name.clone()))
        .collect();
    let mut compared = 0;
    for (i, (len, trainable, name)) in shapes.iter().enumerate() {
        if !trainable {
            assert!(
                grads[i].iter().all(|&v| v == 0.0),
                "frozen {name} has a gradient"
            );
            continue;
        }
        for e in 0..*len {
            let mut dirs: Vec<Vec<f32>> = vec![Vec::new(); shapes.len()];
            dirs[i] = vec![0.0; *len];
            dirs[i][e] = 1.0;
            if let Some(fd) = central_difference(be, net, x, t, g, &dirs, h, regime) {
                let a = f64::from(grads[i][e]);
                assert!(
                    close(a, fd, 2e-3, 2e-2),
                    "{name}[{e}]: analytic {a}, numeric {fd}"
                );
                compared += 1;
            }
        }
    }
    compared
}

/// Checks the directional derivative of `L` along `n_dirs` random unit directions over all
/// trainable parameters. Returns the number of directions compared.
pub fn check_directions<B: Backend, N: ScoreNet<B>>(
    be: &B,
    net: &mut N,
    x: &B::Matrix,
    t: &B::Matrix,
    g: &[f32],
    rng: &mut ChaCha8Rng,
    n_dirs: usize,
    h: f32,
    regime: &dyn Fn(&N) -> Vec<f32>,
) -> usize {
    let grads = analytic(be, net, x, t, g);
    let mut compared = 0;
    for _ in 0..n_dirs {
        let mut dirs: Vec<Vec<f32>> = net
            .params()
            .iter()
            .map(|p| {
                if p.trainable {
                    normals(rng, p.value.len())
                } else {
                    Vec::new()
                }
            })
            .collect();
        let norm = dirs
            .iter()
            .flatten()
            .map(|&v| f64::from(v).powi(2))
            .sum::<f64>()
            .sqrt();
        dirs.iter_mut()
            .flatten()
            .for_each(|v| *v = (f64::from(*v) / norm) as f32);
        let a: f64 = dirs
            .iter()
            .zip(&grads)
            .filter(|(d, _)| !d.is_empty())
            .flat_map(|(d, gr)| {
                d.iter()
                    .zip(gr)
                    .map(|(&di, &gi)| f64::from(di) * f64::from(gi))
            })
            .sum();
        if let Some(fd) = central_difference(be, net, x, t, g, &dirs, h, regime) {
            assert!(
                close(a, fd, 2e-3, 2e-2),
                "directional: analytic {a}, numeric {fd}"
            );
            compared += 1;
        }
    }
    compared
}

/// A fresh RNG for a test case.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}
