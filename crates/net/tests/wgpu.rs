//! The network checks of `gradcheck.rs` and `nets.rs` on the wgpu backend: every backward
//! pass against central finite differences (f32 network, f64 loss on the host) on random
//! shapes and inputs, closed forms, NTK access, output heads and errors. Shapes are as
//! small as on faer; fewer proptest cases, since every difference costs two forward passes
//! through the device.
//!
//! Without a wgpu adapter the tests print a message and pass; with
//! `SCOREDIFF_REQUIRE_GPU=1` a missing adapter fails them.

mod common;

use common::gradcheck::{check_mlp, check_two_layer};
use common::nets;
use proptest::prelude::*;
use scorediff_backend::ColumnBlock;
use scorediff_wgpu::WgpuBackend;

/// The wgpu backend shared by every test of this binary (opened once), or `None` (with a
/// message on stderr) when no adapter exists. With `SCOREDIFF_REQUIRE_GPU=1` a missing
/// adapter is a failure instead.
fn gpu() -> Option<&'static WgpuBackend> {
    scorediff_wgpu::testing::shared()
}

proptest! {
    // As many cases as on faer: the two-layer net is cheap.
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn two_layer_backward_matches_finite_differences(
        d in 1usize..4, m in 1usize..9, rows in 1usize..5, seed in any::<u64>(), train_a in any::<bool>(),
    ) {
        if let Some(be) = gpu() {
            prop_assume!(check_two_layer(be, d, m, rows, seed, train_a));
        }
    }
}

proptest! {
    // Half the faer cases: each MLP case takes about 1.5 s on a CPU Vulkan driver.
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn mlp_backward_matches_finite_differences(
        d in 1usize..5, width in 1usize..6, depth in 1usize..4, residual in any::<bool>(),
        fourier in any::<bool>(), with_block in any::<bool>(), seed in any::<u64>(),
    ) {
        if let Some(be) = gpu() {
            // A categorical block over the last two columns when there are at least three.
            let blocks = if with_block && d >= 3 {
                vec![ColumnBlock { start: d - 2, len: 2 }]
            } else {
                Vec::new()
            };
            check_mlp(be, d, width, depth, residual, fourier, blocks, seed);
        }
    }
}

#[test]
fn mlp_with_two_blocks_matches_finite_differences() {
    let Some(be) = gpu() else { return };
    let blocks = vec![
        ColumnBlock { start: 0, len: 3 },
        ColumnBlock { start: 4, len: 2 },
    ];
    check_mlp(be, 6, 5, 2, true, false, blocks.clone(), 3);
    check_mlp(be, 6, 5, 2, false, true, blocks, 4);
}

#[test]
fn two_layer_matches_closed_form() {
    let Some(be) = gpu() else { return };
    nets::check_two_layer_closed_form(be);
}

#[test]
fn two_layer_empirical_ntk_matches_gradient_inner_products() {
    let Some(be) = gpu() else { return };
    nets::check_empirical_ntk(be);
}

#[test]
fn mlp_softmax_heads_output_probabilities() {
    let Some(be) = gpu() else { return };
    nets::check_softmax_heads(be);
}

#[test]
fn configs_round_trip_and_rebuild_identical_weights() {
    let Some(be) = gpu() else { return };
    nets::check_config_round_trip(be);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let Some(be) = gpu() else { return };
    nets::check_errors(be);
}

#[test]
fn wide_two_layer_net_runs() {
    let Some(be) = gpu() else { return };
    nets::check_wide_two_layer(be);
}
