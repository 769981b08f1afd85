//! Backward passes against central finite differences (f32 network, f64 loss on the host).
//!
//! The checks are generic over the backend and instantiated for the faer CPU backend.

mod common;

use common::{batch, check_directions, check_entries, normals, rng};
use proptest::prelude::*;
use scorediff_backend::Backend;
use scorediff_faer::FaerBackend;
use scorediff_net::{
    Init, Mlp, MlpConfig, OutputBlock, ScoreNet, TimeEmbedding, TwoLayerConfig, TwoLayerNet,
};

/// The ReLU activation pattern: the loss is linear in `W` while it does not change.
fn two_layer_regime<'a, B: Backend>(
    be: &'a B,
    x: &'a B::Matrix,
    t: &'a B::Matrix,
) -> impl Fn(&TwoLayerNet<B>) -> Vec<f32> + 'a {
    move |net| {
        let z = net.inputs(be, x, t).unwrap();
        be.to_host(&net.activation_pattern(be, &z).unwrap())
            .unwrap()
    }
}

fn check_two_layer<B: Backend>(be: &B, d: usize, m: usize, rows: usize, seed: u64, train_a: bool) {
    let mut net = TwoLayerNet::new(
        be,
        TwoLayerConfig {
            data_dim: d,
            width: m,
            seed,
        },
    )
    .unwrap();
    net.params_mut()[1].trainable = train_a;
    let mut r = rng(seed.wrapping_add(17));
    let (x, t) = batch(be, &mut r, rows, d);
    let g = normals(&mut r, rows * d);
    let regime = two_layer_regime(be, &x, &t);
    let compared = check_entries(be, &mut net, &x, &t, &g, 1e-2, &regime);
    let total = net.n_trainable();
    assert!(
        2 * compared >= total,
        "only {compared} of {total} entries away from kinks"
    );
    let dirs = check_directions(be, &mut net, &x, &t, &g, &mut r, 6, 1e-3, &regime);
    assert!(dirs >= 3, "only {dirs} of 6 directions away from kinks");
}

fn smooth<N>(_: &N) -> Vec<f32> {
    Vec::new()
}

#[allow(clippy::too_many_arguments)]
fn check_mlp<B: Backend>(
    be: &B,
    d: usize,
    width: usize,
    depth: usize,
    residual: bool,
    fourier: bool,
    blocks: Vec<OutputBlock>,
    seed: u64,
) {
    let time_embedding = if fourier {
        TimeEmbedding::RandomFourier { dim: 4, scale: 1.0 }
    } else {
        TimeEmbedding::Sinusoidal {
            dim: 6,
            max_period: 100.0,
            time_scale: 10.0,
        }
    };
    let config = MlpConfig {
        data_dim: d,
        width,
        depth,
        residual,
        time_embedding,
        init: if residual { Init::LeCun } else { Init::He },
        seed,
        categorical_blocks: blocks,
    };
    let mut net = Mlp::new(be, config).unwrap();
    let mut r = rng(seed.wrapping_add(29));
    let rows = 3;
    let (x, t) = batch(be, &mut r, rows, d);
    let g = normals(&mut r, rows * d);
    let compared = check_entries(be, &mut net, &x, &t, &g, 1e-2, &smooth);
    assert_eq!(compared, net.n_trainable());
    check_directions(be, &mut net, &x, &t, &g, &mut r, 4, 1e-2, &smooth);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn two_layer_backward_matches_finite_differences(
        d in 1usize..4, m in 1usize..9, rows in 1usize..5, seed in any::<u64>(), train_a in any::<bool>(),
    ) {
        check_two_layer(&FaerBackend::default(), d, m, rows, seed, train_a);
    }

    #[test]
    fn mlp_backward_matches_finite_differences(
        d in 1usize..5, width in 1usize..6, depth in 1usize..4, residual in any::<bool>(),
        fourier in any::<bool>(), with_block in any::<bool>(), seed in any::<u64>(),
    ) {
        // A categorical block over the last two columns when there are at least three.
        let blocks = if with_block && d >= 3 {
            vec![OutputBlock { start: d - 2, len: 2 }]
        } else {
            Vec::new()
        };
        check_mlp(&FaerBackend::default(), d, width, depth, residual, fourier, blocks, seed);
    }
}

#[test]
fn mlp_with_two_blocks_matches_finite_differences() {
    let blocks = vec![
        OutputBlock { start: 0, len: 3 },
        OutputBlock { start: 4, len: 2 },
    ];
    check_mlp(
        &FaerBackend::default(),
        6,
        5,
        2,
        true,
        false,
        blocks.clone(),
        3,
    );
    check_mlp(&FaerBackend::default(), 6, 5, 2, false, true, blocks, 4);
}
