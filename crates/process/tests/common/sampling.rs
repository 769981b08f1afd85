//! Checks of the reverse samplers driven by the exact score, generic over the backend;
//! instantiated by `sampling.rs` (faer) and `wgpu.rs`. Each sampler must reproduce the
//! mixture: per-component weights within 0.02, means within 0.05 (every coordinate) and
//! covariances within 10% (relative Frobenius norm), assigning each sample to its most
//! likely component.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_process::{
    ExactScore, ForwardProcess, GaussianMixture, OrnsteinUhlenbeck, SampleProgress, SamplerConfig,
    SamplerKind, TimeGrid, VpCosine, VpLinear, sample, sample_seeded, sample_with_progress,
};

use super::{mixture_2d, mixture_16d, moment_errors};

/// Settings per sampler: small enough to run fast, fine enough that the discretisation bias
/// is well under the tolerances (the PF-ODE Heun scheme is second order and needs few steps).
fn config(kind: SamplerKind) -> SamplerConfig {
    let (grid, steps) = match kind {
        SamplerKind::EulerMaruyama => (TimeGrid::LogSpaced, 400),
        SamplerKind::ExponentialIntegrator => (TimeGrid::LogSpaced, 200),
        SamplerKind::Heun => (TimeGrid::Quadratic, 40),
        SamplerKind::DpmSolver2m => (TimeGrid::Quadratic, 40),
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

/// Rows drawn by the 2-D check (for the weight tolerance 0.02 the Monte Carlo standard
/// error of a weight, at most `0.5 / sqrt(n)`, must sit well below it).
pub const N_2D: usize = 20_000;

/// Rows drawn by the 16-D check.
pub const N_16D: usize = 16_000;

/// Rows drawn per process by the VP check.
pub const N_VP: usize = 8_000;

/// `kind` driven by the exact score under OU reproduces the 2-D mixture from `n` rows.
pub fn check_2d<B: Backend>(be: &B, kind: SamplerKind, n: usize) {
    check_reproduces(be, OrnsteinUhlenbeck, &mixture_2d(), n, &config(kind));
}

/// `kind` driven by the exact score under OU reproduces the 16-D mixture from `n` rows.
pub fn check_16d<B: Backend>(be: &B, kind: SamplerKind, n: usize) {
    check_reproduces(be, OrnsteinUhlenbeck, &mixture_16d(), n, &config(kind));
}

/// The general (non-OU) coefficient paths: both VP schedules, each sampler, in 2-D.
pub fn check_vp_2d<B: Backend>(be: &B, kind: SamplerKind, n: usize) {
    let mut cfg = config(kind);
    if kind == SamplerKind::EulerMaruyama {
        // The cosine drift reaches |f| ~ 100 near T = 0.99: Euler needs a finer grid there.
        cfg.grid = TimeGrid::Uniform;
        cfg.steps = 1000;
    }
    if kind == SamplerKind::DpmSolver2m {
        // The cosine schedule's last stretch before T = 0.99 is steep in lambda: at 40
        // quadratic steps the means are off by 0.059 (VP cosine); 80 steps (as many network
        // passes as Heun's 40) pass.
        cfg.grid = TimeGrid::Quadratic;
        cfg.steps = 80;
    }
    check_reproduces(be, VpLinear::default(), &mixture_2d(), n, &cfg);
    check_reproduces(be, VpCosine::default(), &mixture_2d(), n, &cfg);
}

/// Same seed, same bytes; the progress callback counts every step of every batch; an empty
/// request gives an empty matrix.
pub fn check_determinism_and_progress<B: Backend>(be: &B) {
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
pub fn check_rejects_bad_config<B: Backend>(be: &B) {
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

/// DPM-Solver++(2M) is second order: on the 2-D mixture with the exact score, the mean error
/// of the ODE's end points against a 2,000-step solution falls about fourfold when the steps
/// double (at least 3.2x from 40 to 80 steps, 2.5x from 20 to 40).
pub fn check_dpm_solver_order<B: Backend>(be: &B) {
    let process = OrnsteinUhlenbeck;
    let exact = ExactScore::new(process, mixture_2d());
    let run = |steps: usize| {
        let cfg = SamplerConfig {
            kind: SamplerKind::DpmSolver2m,
            grid: TimeGrid::Quadratic,
            steps,
            final_denoise: false,
            seed: 3,
            ..SamplerConfig::default()
        };
        be.to_host(&sample_seeded(be, &process, &exact, 256, 2, &cfg).expect("sample"))
            .expect("download")
    };
    let reference = run(2000);
    let err = |steps: usize| {
        run(steps)
            .iter()
            .zip(&reference)
            .map(|(a, b)| f64::from((a - b).abs()))
            .sum::<f64>()
            / reference.len() as f64
    };
    let (e20, e40, e80) = (err(20), err(40), err(80));
    // Measured: 0.0305, 0.0092, 0.0023 (ratios 3.3 and 4.0; 10 steps, whose last step is
    // first order, give 0.063).
    assert!(
        e80 > 0.0 && e40 / e80 > 3.2 && e20 / e40 > 2.5,
        "mean errors {e20} (20 steps), {e40} (40), {e80} (80)"
    );
}
