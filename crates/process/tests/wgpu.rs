//! The backend checks of `noising.rs`, `score.rs` and `sampling.rs` on the wgpu backend,
//! with the same tolerances. The exact score is evaluated on the host, so the GPU runs only
//! the samplers' elementwise updates and the noising arithmetic.
//!
//! Without a wgpu adapter the tests print a message and pass; with
//! `SCOREDIFF_REQUIRE_GPU=1` a missing adapter fails them.

mod common;

use proptest::prelude::*;
use scorediff_process::SamplerKind;
use scorediff_wgpu::WgpuBackend;

use common::sampling::{N_2D, N_16D, N_VP};
use common::{mixture_2d, mixture_16d, noising, sampling, score};

/// The wgpu backend shared by every test of this binary (opened once), or `None` (with a
/// message on stderr) when no adapter exists. With `SCOREDIFF_REQUIRE_GPU=1` a missing
/// adapter is a failure instead.
fn gpu() -> Option<&'static WgpuBackend> {
    scorediff_wgpu::testing::shared()
}

#[test]
fn noised_moments_match_alpha_and_h() {
    let Some(be) = gpu() else { return };
    noising::check_noised_moments(be);
}

#[test]
fn time_samplers_follow_their_laws() {
    let Some(be) = gpu() else { return };
    noising::check_time_laws(be);
}

#[test]
fn noising_in_blocks_matches_one_shot() {
    let Some(be) = gpu() else { return };
    noising::check_blocks_match_one_shot(be);
}

#[test]
fn returned_noise_reproduces_xt() {
    let Some(be) = gpu() else { return };
    noising::check_noise_reproduces_xt(be);
}

#[test]
fn noised_mixture_matches_its_marginal() {
    let Some(be) = gpu() else { return };
    noising::check_noised_mixture_is_marginal(be);
}

#[test]
fn bad_noising_inputs_are_errors() {
    let Some(be) = gpu() else { return };
    noising::check_bad_inputs(be);
}

#[test]
fn parametric_form_of_exact_denoiser_is_exact_score_2d() {
    let Some(be) = gpu() else { return };
    score::check_parametric_matches_exact(be, &mixture_2d());
}

#[test]
fn parametric_form_of_exact_denoiser_is_exact_score_16d() {
    let Some(be) = gpu() else { return };
    score::check_parametric_matches_exact(be, &mixture_16d());
}

#[test]
fn denoiser_from_score_inverts_parametric_form() {
    let Some(be) = gpu() else { return };
    score::check_inversion(be);
}

#[test]
fn bad_score_inputs_are_errors() {
    let Some(be) = gpu() else { return };
    score::check_errors(be);
}

#[test]
fn euler_maruyama_reproduces_2d_mixture() {
    let Some(be) = gpu() else { return };
    sampling::check_2d(be, SamplerKind::EulerMaruyama, N_2D);
}

#[test]
fn euler_maruyama_reproduces_16d_mixture() {
    let Some(be) = gpu() else { return };
    sampling::check_16d(be, SamplerKind::EulerMaruyama, N_16D);
}

#[test]
fn exponential_integrator_reproduces_2d_mixture() {
    let Some(be) = gpu() else { return };
    sampling::check_2d(be, SamplerKind::ExponentialIntegrator, N_2D);
}

#[test]
fn exponential_integrator_reproduces_16d_mixture() {
    let Some(be) = gpu() else { return };
    sampling::check_16d(be, SamplerKind::ExponentialIntegrator, N_16D);
}

#[test]
fn heun_reproduces_2d_mixture() {
    let Some(be) = gpu() else { return };
    sampling::check_2d(be, SamplerKind::Heun, N_2D);
}

#[test]
fn heun_reproduces_16d_mixture() {
    let Some(be) = gpu() else { return };
    sampling::check_16d(be, SamplerKind::Heun, N_16D);
}

#[test]
fn dpm_solver_reproduces_16d_mixture() {
    let Some(be) = gpu() else { return };
    sampling::check_16d(be, SamplerKind::DpmSolver2m, N_16D);
}

#[test]
fn samplers_reproduce_2d_mixture_under_vp_processes() {
    let Some(be) = gpu() else { return };
    for kind in [
        SamplerKind::EulerMaruyama,
        SamplerKind::ExponentialIntegrator,
        SamplerKind::Heun,
        SamplerKind::DpmSolver2m,
    ] {
        sampling::check_vp_2d(be, kind, N_VP);
    }
}

#[test]
fn sampling_is_deterministic_and_reports_progress() {
    let Some(be) = gpu() else { return };
    sampling::check_determinism_and_progress(be);
}

#[test]
fn sampling_rejects_bad_config() {
    let Some(be) = gpu() else { return };
    sampling::check_rejects_bad_config(be);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn noising_keeps_shapes(rows in 0usize..40, d in 1usize..6, seed in any::<u64>()) {
        if let Some(be) = gpu() {
            noising::check_shapes(be, rows, d, seed);
        }
    }

    #[test]
    fn parametric_form_keeps_shapes(rows in 0usize..30, d in 1usize..6, t in 0.01f32..4.0) {
        if let Some(be) = gpu() {
            score::check_parametric_shapes(be, rows, d, t);
        }
    }
}

#[test]
fn conditioned_sampling_holds_a_known_value_and_steers_the_rest() {
    let Some(be) = gpu() else { return };
    common::condition::a_known_value_holds_exactly_and_steers_a_correlated_coordinate(be);
}

#[test]
fn conditioned_sampling_holds_a_category_set() {
    let Some(be) = gpu() else { return };
    common::condition::a_category_set_holds_exactly_and_picks_its_component(be);
}
