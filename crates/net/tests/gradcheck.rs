//! Backward passes against central finite differences (f32 network, f64 loss on the host).
//!
//! The checks are generic over the backend (`common::gradcheck`); this file runs them on
//! the faer CPU backend, `wgpu.rs` on the GPU backend.

mod common;

use common::gradcheck::{check_mlp, check_two_layer};
use proptest::prelude::*;
use scorediff_backend::ColumnBlock;
use scorediff_faer::FaerBackend;

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn two_layer_backward_matches_finite_differences(
        d in 1usize..4, m in 1usize..9, rows in 1usize..5, seed in any::<u64>(), train_a in any::<bool>(),
    ) {
        prop_assume!(check_two_layer(&FaerBackend::default(), d, m, rows, seed, train_a));
    }

    #[test]
    fn mlp_backward_matches_finite_differences(
        d in 1usize..5, width in 1usize..6, depth in 1usize..4, residual in any::<bool>(),
        fourier in any::<bool>(), with_block in any::<bool>(), seed in any::<u64>(),
    ) {
        // A categorical block over the last two columns when there are at least three.
        let blocks = if with_block && d >= 3 {
            vec![ColumnBlock { start: d - 2, len: 2 }]
        } else {
            Vec::new()
        };
        check_mlp(&FaerBackend::default(), d, width, depth, residual, fourier, blocks, seed);
    }
}

/// A net of 8 units on 4 rows has most of its entries away from kinks: the property test's
/// skipped cases are the exception, not the rule.
#[test]
fn a_moderate_two_layer_net_is_evidence() {
    for seed in 0..4 {
        assert!(check_two_layer(
            &FaerBackend::default(),
            3,
            8,
            4,
            seed,
            seed % 2 == 0
        ));
    }
}

#[test]
fn mlp_with_two_blocks_matches_finite_differences() {
    let blocks = vec![
        ColumnBlock { start: 0, len: 3 },
        ColumnBlock { start: 4, len: 2 },
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
