//! The backward-pass checks of `gradcheck.rs`, generic over the backend; instantiated by
//! `gradcheck.rs` (faer) and `wgpu.rs`.

use super::{batch, check_directions, check_entries, normals, rng};
use scorediff_backend::Backend;
use scorediff_backend::ColumnBlock;
use scorediff_net::{Init, Mlp, MlpConfig, ScoreNet, TimeEmbedding, TwoLayerConfig, TwoLayerNet};

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

/// The two-layer net's backward pass against central differences, entrywise and along 6
/// random directions, on the entries and directions away from ReLU kinks (a difference
/// across a kink is not a derivative). Returns whether the case was evidence: at least half
/// the entries and 3 directions compared. A tiny net (a single unit, one row) can have most
/// entries beside a kink; the property tests skip such a case with `prop_assume!` and draw
/// another, rather than pass it on nothing or fail it on no error.
pub fn check_two_layer<B: Backend>(
    be: &B,
    d: usize,
    m: usize,
    rows: usize,
    seed: u64,
    train_a: bool,
) -> bool {
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
    let dirs = check_directions(be, &mut net, &x, &t, &g, &mut r, 6, 1e-3, &regime);
    2 * compared >= total && dirs >= 3
}

fn smooth<N>(_: &N) -> Vec<f32> {
    Vec::new()
}

#[allow(clippy::too_many_arguments)]
/// The MLP's backward pass against central differences, every entry and 4 random
/// directions.
pub fn check_mlp<B: Backend>(
    be: &B,
    d: usize,
    width: usize,
    depth: usize,
    residual: bool,
    fourier: bool,
    blocks: Vec<ColumnBlock>,
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
