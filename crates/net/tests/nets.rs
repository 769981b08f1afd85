//! Closed forms, NTK access, output heads, configuration round trips and input errors (on
//! faer; `wgpu.rs` runs the same checks on the GPU backend).

mod common;

use common::nets::{
    check_config_round_trip, check_empirical_ntk, check_errors, check_softmax_heads,
    check_two_layer_closed_form, check_wide_two_layer,
};
use scorediff_faer::FaerBackend;

#[test]
fn two_layer_matches_closed_form() {
    check_two_layer_closed_form(&FaerBackend::default());
}

#[test]
fn two_layer_empirical_ntk_matches_gradient_inner_products() {
    check_empirical_ntk(&FaerBackend::default());
}

#[test]
fn mlp_softmax_heads_output_probabilities() {
    check_softmax_heads(&FaerBackend::default());
}

#[test]
fn configs_round_trip_and_rebuild_identical_weights() {
    check_config_round_trip(&FaerBackend::default());
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    check_errors(&FaerBackend::default());
}

#[test]
fn wide_two_layer_net_runs() {
    check_wide_two_layer(&FaerBackend::default());
}
