//! Closed forms, NTK access, output heads, configuration round trips and input errors,
//! generic over the backend; instantiated by `nets.rs` (faer) and `wgpu.rs`.

use super::{batch, normals, rng};
use scorediff_backend::ColumnBlock;
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_net::{Mlp, MlpConfig, NetConfig, NetError, ScoreNet, TwoLayerConfig, TwoLayerNet};

/// `f_W(z) = m^{-1/2} sum_r a_r relu(w_r . z)` evaluated naively on the host in f64.
pub fn check_two_layer_closed_form<B: Backend>(be: &B) {
    let (d, m, rows) = (3, 7, 5);
    let net = TwoLayerNet::new(
        be,
        TwoLayerConfig {
            data_dim: d,
            width: m,
            seed: 9,
        },
    )
    .unwrap();
    let (x, t) = batch(be, &mut rng(1), rows, d);
    let out = be.to_host(&net.predict(be, &x, &t).unwrap()).unwrap();
    let (xh, th) = (be.to_host(&x).unwrap(), be.to_host(&t).unwrap());
    let w = be.to_host(net.weights()).unwrap();
    let a = be.to_host(net.signs()).unwrap();
    assert!(a.iter().all(|&v| v == 1.0 || v == -1.0));
    for i in 0..rows {
        let mut z: Vec<f64> = xh[i * d..(i + 1) * d]
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        z.push(f64::from(th[i]));
        z.push(1.0);
        for k in 0..d {
            let f: f64 = (0..m)
                .map(|r| {
                    let pre: f64 = (0..d + 2)
                        .map(|j| f64::from(w[r * (d + 2) + j]) * z[j])
                        .sum();
                    f64::from(a[r * d + k]) * pre.max(0.0)
                })
                .sum::<f64>()
                / (m as f64).sqrt();
            assert!(
                (f - f64::from(out[i * d + k])).abs() < 1e-4,
                "row {i} col {k}"
            );
        }
    }
}

/// The closed-form empirical NTK equals the inner product of per-row parameter gradients of
/// the same output coordinate (DESIGN.md §1), computed through the backward pass.
pub fn check_empirical_ntk<B: Backend>(be: &B) {
    let (d, m, rows) = (2, 16, 4);
    let net = TwoLayerNet::new(
        be,
        TwoLayerConfig {
            data_dim: d,
            width: m,
            seed: 4,
        },
    )
    .unwrap();
    let (x, t) = batch(be, &mut rng(2), rows, d);
    let z = net.inputs(be, &x, &t).unwrap();
    let ntk = be.to_host(&net.empirical_ntk(be, &z, &z).unwrap()).unwrap();
    for k in 0..d {
        // Gradient of f_k(z_i) with respect to W, for each row i.
        let jac: Vec<Vec<f32>> = (0..rows)
            .map(|i| {
                let xi = be.slice_rows(&x, i, i + 1).unwrap();
                let ti = be.slice_rows(&t, i, i + 1).unwrap();
                let fwd = net.forward(be, &xi, &ti).unwrap();
                let mut e = vec![0.0; d];
                e[k] = 1.0;
                let g = be.from_host(1, d, &e).unwrap();
                be.to_host(&net.backward(be, &fwd, &g).unwrap()[0]).unwrap()
            })
            .collect();
        for i in 0..rows {
            for j in 0..rows {
                let dot: f64 = jac[i]
                    .iter()
                    .zip(&jac[j])
                    .map(|(&a, &b)| f64::from(a) * f64::from(b))
                    .sum();
                let k_ij = f64::from(ntk[i * rows + j]);
                assert!(
                    (dot - k_ij).abs() < 1e-4 * (1.0 + dot.abs()),
                    "({i},{j}): {dot} vs {k_ij}"
                );
            }
        }
    }
}

/// Each categorical block of the MLP's output is a probability vector (softmax head).
pub fn check_softmax_heads<B: Backend>(be: &B) {
    let mut config = MlpConfig::new(6, 8, 2, 5);
    config.categorical_blocks = vec![
        ColumnBlock { start: 1, len: 3 },
        ColumnBlock { start: 4, len: 2 },
    ];
    let net = Mlp::new(be, config).unwrap();
    let (x, t) = batch(be, &mut rng(3), 10, 6);
    let out = be.to_host(&net.predict(be, &x, &t).unwrap()).unwrap();
    for row in out.chunks(6) {
        for (s, e) in [(1, 4), (4, 6)] {
            let sum: f32 = row[s..e].iter().sum();
            assert!((sum - 1.0).abs() < 1e-5);
            assert!(row[s..e].iter().all(|&p| p > 0.0));
        }
    }
}

/// Building twice from the same (serialised) configuration gives bitwise-equal weights.
pub fn check_config_round_trip<B: Backend>(be: &B) {
    let mut mlp = MlpConfig::new(4, 6, 3, 11);
    mlp.residual = true;
    mlp.categorical_blocks = vec![ColumnBlock { start: 2, len: 2 }];
    let configs = [
        NetConfig::TwoLayer(TwoLayerConfig {
            data_dim: 3,
            width: 5,
            seed: 8,
        }),
        NetConfig::Mlp(mlp),
    ];
    for config in configs {
        let json = serde_json::to_string(&config).unwrap();
        let back: NetConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
        let (a, b) = (config.build(be).unwrap(), back.build(be).unwrap());
        assert_eq!(a.config(), config);
        assert_eq!(a.n_params(), b.n_params());
        for (pa, pb) in a.params().iter().zip(b.params()) {
            assert_eq!(pa.name, pb.name);
            let (va, vb) = (
                be.to_host(&pa.value).unwrap(),
                be.to_host(&pb.value).unwrap(),
            );
            assert!(va.iter().zip(&vb).all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }
}

/// Bad shapes and configurations are errors, not panics.
pub fn check_errors<B: Backend>(be: &B) {
    let net = TwoLayerNet::new(
        be,
        TwoLayerConfig {
            data_dim: 3,
            width: 4,
            seed: 0,
        },
    )
    .unwrap();
    let (x, t) = batch(be, &mut rng(4), 2, 3);
    let bad_x = be.zeros(2, 2).unwrap();
    assert!(matches!(
        net.forward(be, &bad_x, &t),
        Err(NetError::Shape(_))
    ));
    let bad_t = be.zeros(3, 1).unwrap();
    assert!(matches!(
        net.forward(be, &x, &bad_t),
        Err(NetError::Shape(_))
    ));
    let fwd = net.forward(be, &x, &t).unwrap();
    let bad_g = be.zeros(2, 4).unwrap();
    assert!(matches!(
        net.backward(be, &fwd, &bad_g),
        Err(NetError::Shape(_))
    ));
    // A cache from another network is rejected, not misread.
    let mlp = Mlp::new(be, MlpConfig::new(3, 4, 2, 0)).unwrap();
    let g = be.from_host(2, 3, &normals(&mut rng(5), 6)).unwrap();
    assert!(mlp.backward(be, &fwd, &g).is_err());
    assert!(
        TwoLayerNet::new(
            be,
            TwoLayerConfig {
                data_dim: 3,
                width: 0,
                seed: 0
            }
        )
        .is_err()
    );
    let mut odd = MlpConfig::new(3, 4, 2, 0);
    odd.time_embedding = scorediff_net::TimeEmbedding::RandomFourier { dim: 3, scale: 1.0 };
    assert!(matches!(Mlp::new(be, odd), Err(NetError::InvalidConfig(_))));
    let mut outside = MlpConfig::new(3, 4, 2, 0);
    outside.categorical_blocks = vec![ColumnBlock { start: 2, len: 2 }];
    assert!(matches!(
        Mlp::new(be, outside),
        Err(NetError::InvalidConfig(_))
    ));
}

/// A wide net runs through gemm with memory linear in the width.
pub fn check_wide_two_layer<B: Backend>(be: &B) {
    let (d, m, rows) = (24, 65_536, 8);
    let net = TwoLayerNet::new(
        be,
        TwoLayerConfig {
            data_dim: d,
            width: m,
            seed: 1,
        },
    )
    .unwrap();
    let (x, t) = batch(be, &mut rng(6), rows, d);
    let fwd = net.forward(be, &x, &t).unwrap();
    assert_eq!(fwd.output.shape(), (rows, d));
    let g = be.full(rows, d, 1.0).unwrap();
    let grads = net.backward(be, &fwd, &g).unwrap();
    assert_eq!(grads[0].shape(), (m, d + 2));
    // At initialisation each output is a sum of m independent terms scaled by m^{-1/2}: O(1).
    let out = be.to_host(&fwd.output).unwrap();
    assert!(out.iter().all(|v| v.is_finite() && v.abs() < 20.0));
}
