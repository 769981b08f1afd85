//! The parametric score form against the exact score, Tweedie inversion, finite
//! differences of the exact log-density, shape properties (the backend checks on faer;
//! `wgpu.rs` runs them on the GPU backend).

mod common;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_faer::FaerBackend;
use scorediff_process::{ExactScore, ForwardProcess, GaussianMixture, OrnsteinUhlenbeck};

use common::score::{
    check_errors, check_inversion, check_parametric_matches_exact, check_parametric_shapes,
    processes,
};
use common::{mixture_2d, mixture_16d};

/// The exact score against central differences of the exact log-density of `X_t`, in f64.
#[test]
fn exact_score_matches_finite_differences_of_log_density() {
    for mixture in [mixture_2d(), mixture_16d()] {
        let d = mixture.dim();
        for process in processes() {
            let exact = ExactScore::new(process, mixture.clone());
            let (_, t_end) = process.default_time_range();
            for (i, t) in [0.0, 0.01, 0.2 * t_end, 0.9 * t_end]
                .into_iter()
                .enumerate()
            {
                let x: Vec<f64> = (0..d)
                    .map(|j| ((i * 7 + j) as f64 * 0.61).sin() * 2.0)
                    .collect();
                let score = exact.score_host(&x, &[t]).unwrap();
                let marginal = mixture.at_time(&process, t).unwrap();
                assert_eq!(marginal.score(&x).unwrap().len(), d);
                for j in 0..d {
                    let e = 1e-5;
                    let (mut xp, mut xm) = (x.clone(), x.clone());
                    xp[j] += e;
                    xm[j] -= e;
                    let fd = (marginal.log_density(&xp).unwrap()
                        - marginal.log_density(&xm).unwrap())
                        / (2.0 * e);
                    assert!(
                        (score[j] - fd).abs() < 1e-5 * (1.0 + fd.abs()),
                        "{process:?} t={t} j={j}: {} vs {fd}",
                        score[j]
                    );
                    let direct = marginal.score(&x).unwrap()[j];
                    assert!((direct - score[j]).abs() < 1e-12 * (1.0 + fd.abs()));
                }
            }
        }
    }
}

/// The exact denoiser at `t = 0` is the identity, and a Gaussian's exact denoiser is the
/// closed-form posterior mean `mu + alpha Sigma C^{-1} (x - alpha mu)` in 1-D.
#[test]
fn exact_denoiser_closed_forms() {
    let mixture = mixture_2d();
    let exact = ExactScore::new(OrnsteinUhlenbeck, mixture);
    let x = [0.3, -1.2, 2.0, 0.5];
    let d0 = exact.denoise_host(&x, &[0.0, 0.0]).unwrap();
    for (a, b) in d0.iter().zip(&x) {
        assert!((a - b).abs() < 1e-10);
    }
    let g = GaussianMixture::gaussian(
        nalgebra::DVector::from_vec(vec![1.5]),
        nalgebra::DMatrix::from_vec(1, 1, vec![0.4]),
    )
    .unwrap();
    let exact = ExactScore::new(OrnsteinUhlenbeck, g);
    let (t, x) = (0.7f64, 0.9f64);
    let (a, h) = ((-t).exp(), 1.0 - (-2.0 * t).exp());
    let expected = 1.5 + a * 0.4 / (a * a * 0.4 + h) * (x - a * 1.5);
    assert!((exact.denoise_host(&[x], &[t]).unwrap()[0] - expected).abs() < 1e-12);
}

/// Sampling from a mixture: labels follow the weights, per-label moments the components.
#[test]
fn mixture_samples_follow_the_mixture() {
    let mixture = mixture_2d();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let s = mixture.sample(20_000, &mut rng);
    let errs = common::moment_errors(&mixture, &s.data_f32());
    assert!(
        errs.weight < 0.02 && errs.mean < 0.05 && errs.cov < 0.1,
        "{errs:?}"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    assert_eq!(mixture.sample(20_000, &mut rng), s);
}

fn faer() -> FaerBackend {
    FaerBackend::default()
}

#[test]
fn parametric_form_of_exact_denoiser_is_exact_score_2d() {
    check_parametric_matches_exact(&faer(), &mixture_2d());
}

#[test]
fn parametric_form_of_exact_denoiser_is_exact_score_16d() {
    check_parametric_matches_exact(&faer(), &mixture_16d());
}

#[test]
fn denoiser_from_score_inverts_parametric_form() {
    check_inversion(&faer());
}

#[test]
fn bad_score_inputs_are_errors() {
    check_errors(&faer());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn parametric_form_keeps_shapes(rows in 0usize..30, d in 1usize..6, t in 0.01f32..4.0) {
        check_parametric_shapes(&faer(), rows, d, t);
    }
}
