//! Reverse samplers driven by the exact score reproduce Gaussian mixtures: per-component
//! weights within 0.02, means within 0.05 (every coordinate) and covariances within 10%
//! (relative Frobenius norm), assigning each sample to its most likely component.

mod common;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_faer::FaerBackend;
use scorediff_process::{
    ExactScore, ForwardProcess, GaussianMixture, OrnsteinUhlenbeck, SampleProgress, SamplerConfig,
    SamplerKind, TimeGrid, VpCosine, VpLinear, sample, sample_seeded, sample_with_progress,
};

use common::{mixture_2d, mixture_16d, moment_errors};

/// Settings per sampler: small enough to run fast, fine enough that the discretisation bias
/// is well under the tolerances (the PF-ODE Heun scheme is second order and needs few steps).
fn config(kind: SamplerKind) -> SamplerConfig {
    let (grid, steps) = match kind {
        SamplerKind::EulerMaruyama => (TimeGrid::LogSpaced, 400),
        SamplerKind::ExponentialIntegrator => (TimeGrid::LogSpaced, 200),
        SamplerKind::Heun => (TimeGrid::Quadratic, 40),
    };
    SamplerConfig {
        kind,
        grid,
        steps,
        ..SamplerConfig::default()
    }
}

fn check_reproduces<B: Backend, P: ForwardProcess + Clone>(
    be: &B,
    process: P,
    mixture: &GaussianMixture,
    n: usize,
    cfg: &SamplerConfig,
) {
    let exact = ExactScore::new(process.clone(), mixture.clone());
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let out = sample(be, &process, &exact, n, mixture.dim(), cfg, &mut rng).expect("sample");
    assert_eq!(out.shape(), (n, mixture.dim()));
    let errs = moment_errors(mixture, &be.to_host(&out).expect("download"));
    let ctx = format!("{process:?} {cfg:?}: {errs:?}");
    assert!(errs.weight < 0.02, "weights off: {ctx}");
    assert!(errs.mean < 0.05, "means off: {ctx}");
    assert!(errs.cov < 0.10, "covariances off: {ctx}");
}

fn check_2d<B: Backend>(be: &B, kind: SamplerKind) {
    check_reproduces(be, OrnsteinUhlenbeck, &mixture_2d(), 20_000, &config(kind));
}

fn check_16d<B: Backend>(be: &B, kind: SamplerKind) {
    check_reproduces(be, OrnsteinUhlenbeck, &mixture_16d(), 16_000, &config(kind));
}

/// The general (non-OU) coefficient paths: both VP schedules, each sampler, in 2-D.
fn check_vp_2d<B: Backend>(be: &B, kind: SamplerKind) {
    let mut cfg = config(kind);
    if kind == SamplerKind::EulerMaruyama {
        // The cosine drift reaches |f| ~ 100 near T = 0.99: Euler needs a finer grid there.
        cfg.grid = TimeGrid::Uniform;
        cfg.steps = 1000;
    }
    check_reproduces(be, VpLinear::default(), &mixture_2d(), 8_000, &cfg);
    check_reproduces(be, VpCosine::default(), &mixture_2d(), 8_000, &cfg);
}

/// Same seed, same bytes; the progress callback counts every step of every batch; an empty
/// request gives an empty matrix.
fn check_determinism_and_progress<B: Backend>(be: &B) {
    let mixture = mixture_2d();
    let exact = ExactScore::new(OrnsteinUhlenbeck, mixture.clone());
    let cfg = SamplerConfig {
        steps: 10,
        batch_size: 7,
        seed: 3,
        ..SamplerConfig::default()
    };
    let a = sample_seeded(be, &OrnsteinUhlenbeck, &exact, 20, 2, &cfg).expect("sample");
    let b = sample_seeded(be, &OrnsteinUhlenbeck, &exact, 20, 2, &cfg).expect("sample");
    assert_eq!(be.to_host(&a).unwrap(), be.to_host(&b).unwrap());

    let mut seen: Vec<SampleProgress> = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    sample_with_progress(
        be,
        &OrnsteinUhlenbeck,
        &exact,
        20,
        2,
        &cfg,
        &mut rng,
        &mut |p| seen.push(p),
    )
    .expect("sample");
    let last = seen.last().expect("progress reported");
    // 3 batches (7 + 7 + 6 rows) of 10 steps plus the final denoising step.
    assert_eq!(last.steps_total, 3 * 11);
    assert_eq!(last.steps_done, last.steps_total);
    assert_eq!(last.rows_done, 20);
    assert!(seen.windows(2).all(|w| w[0].steps_done <= w[1].steps_done));

    let empty = sample_seeded(be, &OrnsteinUhlenbeck, &exact, 0, 2, &cfg).expect("sample");
    assert_eq!(empty.shape(), (0, 2));
}

/// Bad settings are errors, not panics.
fn check_rejects_bad_config<B: Backend>(be: &B) {
    let exact = ExactScore::new(OrnsteinUhlenbeck, mixture_2d());
    let bad = [
        SamplerConfig {
            steps: 0,
            ..SamplerConfig::default()
        },
        SamplerConfig {
            batch_size: 0,
            ..SamplerConfig::default()
        },
        SamplerConfig {
            t0: Some(0.0),
            ..SamplerConfig::default()
        },
        SamplerConfig {
            t0: Some(2.0),
            t_end: Some(1.0),
            ..SamplerConfig::default()
        },
    ];
    for cfg in &bad {
        assert!(
            sample_seeded(be, &OrnsteinUhlenbeck, &exact, 4, 2, cfg).is_err(),
            "{cfg:?}"
        );
    }
    // Cosine schedule at T = 1: alpha_T = 0.
    let cos = SamplerConfig {
        t_end: Some(1.0),
        ..SamplerConfig::default()
    };
    let exact_cos = ExactScore::new(VpCosine::default(), mixture_2d());
    assert!(sample_seeded(be, &VpCosine::default(), &exact_cos, 4, 2, &cos).is_err());
    // Wrong data dimension for the score model.
    assert!(
        sample_seeded(
            be,
            &OrnsteinUhlenbeck,
            &exact,
            4,
            3,
            &SamplerConfig::default()
        )
        .is_err()
    );
}

fn faer() -> FaerBackend {
    FaerBackend::default()
}

#[test]
fn euler_maruyama_reproduces_2d_mixture() {
    check_2d(&faer(), SamplerKind::EulerMaruyama);
}

#[test]
fn euler_maruyama_reproduces_16d_mixture() {
    check_16d(&faer(), SamplerKind::EulerMaruyama);
}

#[test]
fn exponential_integrator_reproduces_2d_mixture() {
    check_2d(&faer(), SamplerKind::ExponentialIntegrator);
}

#[test]
fn exponential_integrator_reproduces_16d_mixture() {
    check_16d(&faer(), SamplerKind::ExponentialIntegrator);
}

#[test]
fn heun_reproduces_2d_mixture() {
    check_2d(&faer(), SamplerKind::Heun);
}

#[test]
fn heun_reproduces_16d_mixture() {
    check_16d(&faer(), SamplerKind::Heun);
}

#[test]
fn samplers_reproduce_2d_mixture_under_vp_processes() {
    for kind in [
        SamplerKind::EulerMaruyama,
        SamplerKind::ExponentialIntegrator,
        SamplerKind::Heun,
    ] {
        check_vp_2d(&faer(), kind);
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
