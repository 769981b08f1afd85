//! Reverse samplers driven by the exact score reproduce Gaussian mixtures: per-component
//! weights within 0.02, means within 0.05 (every coordinate) and covariances within 10%
//! (relative Frobenius norm), assigning each sample to its most likely component (on faer;
//! `wgpu.rs` runs the same checks on the GPU backend).

mod common;

use scorediff_faer::FaerBackend;
use scorediff_process::SamplerKind;

use common::sampling::{
    N_2D, N_16D, N_VP, check_2d, check_16d, check_determinism_and_progress, check_dpm_solver_order,
    check_rejects_bad_config, check_vp_2d,
};

fn faer() -> FaerBackend {
    FaerBackend::default()
}

#[test]
fn euler_maruyama_reproduces_2d_mixture() {
    check_2d(&faer(), SamplerKind::EulerMaruyama, N_2D);
}

#[test]
fn euler_maruyama_reproduces_16d_mixture() {
    check_16d(&faer(), SamplerKind::EulerMaruyama, N_16D);
}

#[test]
fn exponential_integrator_reproduces_2d_mixture() {
    check_2d(&faer(), SamplerKind::ExponentialIntegrator, N_2D);
}

#[test]
fn exponential_integrator_reproduces_16d_mixture() {
    check_16d(&faer(), SamplerKind::ExponentialIntegrator, N_16D);
}

#[test]
fn heun_reproduces_2d_mixture() {
    check_2d(&faer(), SamplerKind::Heun, N_2D);
}

#[test]
fn heun_reproduces_16d_mixture() {
    check_16d(&faer(), SamplerKind::Heun, N_16D);
}

#[test]
fn dpm_solver_reproduces_2d_mixture() {
    check_2d(&faer(), SamplerKind::DpmSolver2m, N_2D);
}

#[test]
fn dpm_solver_reproduces_16d_mixture() {
    check_16d(&faer(), SamplerKind::DpmSolver2m, N_16D);
}

#[test]
fn dpm_solver_is_second_order() {
    check_dpm_solver_order(&faer());
}

#[test]
fn samplers_reproduce_2d_mixture_under_vp_processes() {
    for kind in [
        SamplerKind::EulerMaruyama,
        SamplerKind::ExponentialIntegrator,
        SamplerKind::Heun,
        SamplerKind::DpmSolver2m,
    ] {
        check_vp_2d(&faer(), kind, N_VP);
    }
}

#[test]
fn sampling_is_deterministic_and_reports_progress() {
    check_determinism_and_progress(&faer());
}

#[test]
fn sampling_rejects_bad_config() {
    check_rejects_bad_config(&faer());
}
