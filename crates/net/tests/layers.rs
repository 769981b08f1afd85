//! Every layer's backward pass against central finite differences, and a layer defined in
//! this file alone (`Gain`) composed with the crate's layers: adding a layer type needs
//! nothing but an implementation of `Layer`.
//!
//! The loss is `L = sum(G * y)` for a fixed random `G`, accumulated in `f64` on the host;
//! the layer runs in `f32` on the faer backend. Inputs stay at least 0.2 away from 0 where a
//! ReLU sees them, so no difference crosses its kink.

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use scorediff_backend::prelude::*;
use scorediff_backend::{Binary, ColumnBlock, Transpose};
use scorediff_faer::FaerBackend;
use scorediff_net::layer::{
    Activation, Dense, InputGrad, Layer, Pass, Residual, Sequential, SoftmaxHeads, Tape,
    WeightInit, WeightLayout, kernel_map,
};
use scorediff_net::{NetError, Param, TimeEmbedding, TimeFeatures};

type Be = FaerBackend;

/// A test-only layer: a learned gain per column, `y[i, j] = x[i, j] g[j]`.
/// `dL/dg = 1^T (dL/dy * x)`, `dL/dx = dL/dy * g` (broadcast down the rows).
#[derive(Debug)]
struct Gain {
    width: usize,
}

impl<B: Backend> Layer<B> for Gain {
    fn n_params(&self) -> usize {
        1
    }

    fn init(&self, be: &B, rng: &mut ChaCha8Rng, out: &mut Vec<Param<B>>) -> Result<(), NetError> {
        let g: Vec<f32> = (0..self.width)
            .map(|_| rng.random_range(0.5f32..1.5))
            .collect();
        out.push(Param::new("gain", be.from_host(1, self.width, &g)?, true));
        Ok(())
    }

    fn forward(
        &self,
        be: &B,
        params: &[Param<B>],
        x: &B::Matrix,
    ) -> Result<(B::Matrix, Tape<B>), NetError> {
        Ok((
            be.broadcast_row(Binary::Mul, x, &params[0].value)?,
            Tape::empty(),
        ))
    }

    fn backward(
        &self,
        be: &B,
        params: &[Param<B>],
        pass: Pass<'_, B>,
        dy: &B::Matrix,
        grads: &mut [Option<B::Matrix>],
        input: InputGrad<B::Matrix>,
    ) -> Result<Option<B::Matrix>, NetError> {
        grads[0] = Some(be.col_sums(&be.mul(dy, pass.input)?)?);
        scorediff_net::layer::deliver(
            be,
            || Ok(be.broadcast_row(Binary::Mul, dy, &params[0].value)?),
            input,
        )
    }
}

fn normals(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| rng.sample::<f64, _>(StandardNormal) as f32)
        .collect()
}

/// Standard normal draws pushed at least 0.2 away from 0.
fn away_from_zero(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    normals(rng, n)
        .into_iter()
        .map(|v| v + 0.2f32.copysign(v))
        .collect()
}

fn sum_product(be: &Be, y: &<Be as Device>::Matrix, g: &[f32]) -> f64 {
    let y = be.to_host(y).unwrap();
    y.iter()
        .zip(g)
        .map(|(&a, &b)| f64::from(a) * f64::from(b))
        .sum()
}

fn close(analytic: f64, numeric: f64) -> bool {
    (analytic - numeric).abs() <= 2e-3 + 2e-2 * analytic.abs()
}

/// Checks `layer` on a `rows x fan_in` input: every trainable parameter entry and every input
/// entry against central differences, `AddTo` against `New` plus the accumulator, `Skip`
/// against `None` with the same parameter gradients. Returns the entries compared.
fn check_layer(layer: &dyn Layer<Be>, x_host: Vec<f32>, rows: usize, seed: u64) -> usize {
    let be = Be::default();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut params = Vec::new();
    layer.init(&be, &mut rng, &mut params).unwrap();
    assert_eq!(params.len(), layer.n_params());
    for p in params.iter_mut() {
        p.trainable = true;
    }
    let fan_in = x_host.len() / rows;
    let x = be.from_host(rows, fan_in, &x_host).unwrap();
    let (y, tape) = layer.forward(&be, &params, &x).unwrap();
    let g = normals(&mut rng, y.len());
    let gm = be.from_host(y.rows(), y.cols(), &g).unwrap();
    let pass = || Pass {
        input: &x,
        output: &y,
        tape: &tape,
    };
    let mut grads: Vec<Option<_>> = (0..params.len()).map(|_| None).collect();
    let dx = layer
        .backward(&be, &params, pass(), &gm, &mut grads, InputGrad::New)
        .unwrap()
        .expect("New returns dx");
    let dx = be.to_host(&dx).unwrap();
    let h = 2e-3f32;
    let mut compared = 0;
    // Parameters.
    for (i, grad) in grads.iter().enumerate() {
        let grad = be
            .to_host(grad.as_ref().expect("trainable gets a gradient"))
            .unwrap();
        let base = be.to_host(&params[i].value).unwrap();
        for e in 0..base.len() {
            let mut values = [0.0; 2];
            for (k, sign) in [1.0f32, -1.0].into_iter().enumerate() {
                let mut v = base.clone();
                v[e] += sign * h;
                be.write(&mut params[i].value, &v).unwrap();
                values[k] = sum_product(&be, &layer.forward(&be, &params, &x).unwrap().0, &g);
            }
            be.write(&mut params[i].value, &base).unwrap();
            let fd = (values[0] - values[1]) / (2.0 * f64::from(h));
            let a = f64::from(grad[e]);
            assert!(
                close(a, fd),
                "{}[{e}]: analytic {a}, numeric {fd}",
                params[i].name
            );
            compared += 1;
        }
    }
    // Input.
    for e in 0..x_host.len() {
        let mut values = [0.0; 2];
        for (k, sign) in [1.0f32, -1.0].into_iter().enumerate() {
            let mut v = x_host.clone();
            v[e] += sign * h;
            let xp = be.from_host(rows, fan_in, &v).unwrap();
            values[k] = sum_product(&be, &layer.forward(&be, &params, &xp).unwrap().0, &g);
        }
        let fd = (values[0] - values[1]) / (2.0 * f64::from(h));
        let a = f64::from(dx[e]);
        assert!(close(a, fd), "x[{e}]: analytic {a}, numeric {fd}");
        compared += 1;
    }
    // AddTo adds into the accumulator; Skip returns nothing and the same gradients.
    let acc_host = normals(&mut rng, x_host.len());
    let acc = be.from_host(rows, fan_in, &acc_host).unwrap();
    let mut grads2: Vec<Option<_>> = (0..params.len()).map(|_| None).collect();
    let summed = layer
        .backward(
            &be,
            &params,
            pass(),
            &gm,
            &mut grads2,
            InputGrad::AddTo(acc),
        )
        .unwrap()
        .expect("AddTo returns the accumulator");
    for ((s, a), d) in be.to_host(&summed).unwrap().iter().zip(&acc_host).zip(&dx) {
        assert!(
            (s - (a + d)).abs() <= 1e-5 * (1.0 + s.abs()),
            "AddTo: {s} vs {a} + {d}"
        );
    }
    let mut grads3: Vec<Option<_>> = (0..params.len()).map(|_| None).collect();
    let none = layer
        .backward(&be, &params, pass(), &gm, &mut grads3, InputGrad::Skip)
        .unwrap();
    assert!(none.is_none(), "Skip returns no input gradient");
    for (a, b) in grads.iter().zip(&grads3) {
        let (a, b) = (a.as_ref().unwrap(), b.as_ref().unwrap());
        assert_eq!(be.to_host(a).unwrap(), be.to_host(b).unwrap());
    }
    compared
}

fn input(seed: u64, rows: usize, cols: usize) -> Vec<f32> {
    away_from_zero(&mut ChaCha8Rng::seed_from_u64(seed ^ 0x5eed), rows * cols)
}

fn normal(std: f64) -> WeightInit {
    WeightInit::Normal { std }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn dense_layers_match_finite_differences(
        rows in 1usize..4, fan_in in 1usize..5, fan_out in 1usize..5, seed in any::<u64>(),
    ) {
        let x = input(seed, rows, fan_in);
        let affine = Dense::affine("a", fan_in, fan_out, normal(0.7));
        prop_assert!(check_layer(&affine, x.clone(), rows, seed) > 0);
        let rows_as_units = Dense::linear("W", fan_in, fan_out, WeightLayout::OutIn, normal(1.0))
            .scaled(0.6);
        prop_assert!(check_layer(&rows_as_units, x.clone(), rows, seed) > 0);
        let signs = Dense::linear("A", fan_in, fan_out, WeightLayout::InOut, WeightInit::Signs)
            .scaled(0.5)
            .frozen();
        prop_assert!(check_layer(&signs, x, rows, seed) > 0);
    }

    #[test]
    fn activations_match_finite_differences(
        rows in 1usize..4, cols in 1usize..5, seed in any::<u64>(),
    ) {
        for act in [Activation::Relu, Activation::Silu] {
            prop_assert!(check_layer(&act, input(seed, rows, cols), rows, seed) > 0);
        }
    }

    #[test]
    fn softmax_heads_match_finite_differences(rows in 1usize..4, seed in any::<u64>()) {
        let heads = SoftmaxHeads::new(6, vec![ColumnBlock::new(0, 3), ColumnBlock::new(4, 2)])
            .unwrap();
        prop_assert!(check_layer(&heads, input(seed, rows, 6), rows, seed) > 0);
    }

    #[test]
    fn composites_match_finite_differences(
        rows in 1usize..4, width in 1usize..5, seed in any::<u64>(),
    ) {
        let branch = || Sequential::new(vec![
            Box::new(Dense::affine("fc1", width, width, normal(0.8))) as Box<dyn Layer<Be>>,
            Box::new(Activation::Silu),
            Box::new(Dense::affine("fc2", width, width, normal(0.8))),
        ]);
        prop_assert!(check_layer(&branch(), input(seed, rows, width), rows, seed) > 0);
        let block = Residual::new(branch());
        prop_assert!(check_layer(&block, input(seed, rows, width), rows, seed) > 0);
    }

    /// The test-only layer, alone and inside the crate's composites.
    #[test]
    fn a_layer_defined_outside_the_crate_composes(
        rows in 1usize..4, width in 1usize..5, seed in any::<u64>(),
    ) {
        let gain = Gain { width };
        prop_assert!(check_layer(&gain, input(seed, rows, width), rows, seed) > 0);
        let block = Residual::new(Sequential::new(vec![
            Box::new(Dense::affine("fc", width, width, normal(0.8))) as Box<dyn Layer<Be>>,
            Box::new(Gain { width }),
            Box::new(Activation::Silu),
        ]));
        let net = Sequential::new(vec![
            Box::new(block) as Box<dyn Layer<Be>>,
            Box::new(Gain { width }),
        ]);
        prop_assert_eq!(Layer::<Be>::n_params(&net), 4);
        prop_assert!(check_layer(&net, input(seed, rows, width), rows, seed) > 0);
    }
}

#[test]
fn time_features_match_finite_differences() {
    // Times in [0.05, 2] and frequencies of order 1, so the sinusoids are resolved by h.
    let layer = TimeFeatures::new(TimeEmbedding::RandomFourier { dim: 6, scale: 0.3 }).unwrap();
    let t: Vec<f32> = (0..4).map(|i| 0.05 + 0.5 * i as f32).collect();
    assert!(check_layer(&layer, t, 4, 11) >= 4 + 3);
}

#[test]
fn the_relu_kernel_map_is_the_two_layer_ntk_formula() {
    // One ReLU layer on an input kernel: ntk' = ntk kappa0(c) / 2 with ntk = z . z'; the
    // paper's two-layer NTK is (z . z') kappa0(c) / 2 (DESIGN.md §1).
    let be = Be::default();
    let z = [[0.3f32, -1.2, 1.0], [2.0, 0.1, 1.0]];
    let flat: Vec<f32> = z.iter().flatten().copied().collect();
    let zm = be.from_host(2, 3, &flat).unwrap();
    let dots = be.matmul(&zm, Transpose::No, &zm, Transpose::Yes).unwrap();
    let d = be.to_host(&dots).unwrap();
    let norms: Vec<f32> = [d[0], d[3]].iter().map(|v| v.sqrt()).collect();
    let cos: Vec<f32> = (0..4)
        .map(|k| d[k] / (norms[k / 2] * norms[k % 2]))
        .collect();
    let cos = be.from_host(2, 2, &cos).unwrap();
    let qa = be.from_host(2, 1, &norms).unwrap();
    let qb = be.from_host(1, 2, &norms).unwrap();
    let (nngp, ntk) = kernel_map(&be, Activation::Relu, &cos, &qa, &qb, &dots)
        .unwrap()
        .expect("ReLU has a kernel map");
    let (nngp, ntk) = (be.to_host(&nngp).unwrap(), be.to_host(&ntk).unwrap());
    for k in 0..4 {
        let c = f64::from(be.to_host(&cos).unwrap()[k]).clamp(-1.0, 1.0);
        let kappa0 = (std::f64::consts::PI - c.acos()) / std::f64::consts::PI;
        let kappa1 =
            ((1.0 - c * c).sqrt() + (std::f64::consts::PI - c.acos()) * c) / std::f64::consts::PI;
        let r = f64::from(norms[k / 2] * norms[k % 2]);
        assert!((f64::from(ntk[k]) - f64::from(d[k]) * kappa0 / 2.0).abs() < 1e-4);
        assert!((f64::from(nngp[k]) - r * kappa1 / 2.0).abs() < 1e-4);
    }
    assert!(
        kernel_map(&be, Activation::Silu, &cos, &qa, &qb, &dots)
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_layer_given_the_wrong_parameters_is_an_error() {
    let be = Be::default();
    let dense = Dense::affine("a", 2, 3, normal(1.0));
    let x = be.from_host(1, 2, &[1.0, 2.0]).unwrap();
    assert!(matches!(
        dense.forward(&be, &[], &x),
        Err(NetError::Shape(_))
    ));
    let wrong = be.from_host(1, 3, &[1.0, 2.0, 3.0]).unwrap();
    let mut params = Vec::new();
    dense
        .init(&be, &mut ChaCha8Rng::seed_from_u64(0), &mut params)
        .unwrap();
    assert!(matches!(
        dense.forward(&be, &params, &wrong),
        Err(NetError::Shape(_))
    ));
    // A tape from another layer is a cache error, not a panic.
    let seq = Sequential::new(vec![Box::new(dense) as Box<dyn Layer<Be>>]);
    let (y, _) = seq.forward(&be, &params, &x).unwrap();
    let mut grads = vec![None, None];
    let bad = Pass {
        input: &x,
        output: &y,
        tape: &Tape::empty(),
    };
    assert!(matches!(
        seq.backward(&be, &params, bad, &y, &mut grads, InputGrad::New),
        Err(NetError::Cache(_))
    ));
}
