//! Noising: empirical moments match `alpha_t` and `h_t`, time samplers follow their laws,
//! the returned noise reproduces `x_t`, seeds are reproducible, shapes hold (on faer;
//! `wgpu.rs` runs the same checks on the GPU backend).

mod common;

use proptest::prelude::*;
use scorediff_faer::FaerBackend;

use common::noising::{
    check_bad_inputs, check_blocks_match_one_shot, check_noise_reproduces_xt,
    check_noised_mixture_is_marginal, check_noised_moments, check_shapes, check_time_laws,
};

fn faer() -> FaerBackend {
    FaerBackend::default()
}

#[test]
fn noised_moments_match_alpha_and_h() {
    check_noised_moments(&faer());
}

#[test]
fn time_samplers_follow_their_laws() {
    check_time_laws(&faer());
}

#[test]
fn noising_in_blocks_matches_one_shot() {
    check_blocks_match_one_shot(&faer());
}

#[test]
fn returned_noise_reproduces_xt() {
    check_noise_reproduces_xt(&faer());
}

#[test]
fn noised_mixture_matches_its_marginal() {
    check_noised_mixture_is_marginal(&faer());
}

#[test]
fn bad_noising_inputs_are_errors() {
    check_bad_inputs(&faer());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn noising_keeps_shapes(rows in 0usize..40, d in 1usize..6, seed in any::<u64>()) {
        check_shapes(&faer(), rows, d, seed);
    }
}
