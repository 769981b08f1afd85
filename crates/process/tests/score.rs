//! The parametric score form against the exact score, Tweedie inversion, finite
//! differences of the exact log-density, shape properties.

mod common;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_faer::FaerBackend;
use scorediff_process::{
    Denoiser, DenoiserFromScore, ExactScore, FnDenoiser, ForwardProcess, GaussianMixture,
    OrnsteinUhlenbeck, ParametricScore, ProcessConfig, ProcessError, ScoreModel, TimeSampler,
    VpCosine, VpLinear, noise_batch,
};

use common::{mixture_2d, mixture_16d};

fn processes() -> Vec<ProcessConfig> {
    vec![
        ProcessConfig::OrnsteinUhlenbeck,
        VpLinear::default().config(),
        VpCosine::default().config(),
    ]
}

/// Max |a - b| / (1 + max |b|).
fn rel_diff(a: &[f32], b: &[f32]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (&x, &y)| m.max(f64::from(x - y).abs()));
    diff / (1.0 + scale)
}

/// Noisy records of `mixture` with a fresh time per row (a training batch).
fn noisy_batch<B: Backend>(
    be: &B,
    process: &ProcessConfig,
    mixture: &GaussianMixture,
    n: usize,
) -> (B::Matrix, B::Matrix) {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let x0 = mixture.sample(n, &mut rng).data_f32();
    let sampler = TimeSampler::uniform_for(process);
    let b = noise_batch(be, process, &x0, mixture.dim(), &sampler, &mut rng).unwrap();
    (b.x_t, b.t)
}

/// `(alpha_t E[X_0 | x] - x) / h_t` built from the exact denoiser equals the exact score,
/// both with a time per row and with one time for all rows; Tweedie's formula applied to
/// the exact score gives back the exact denoiser.
fn check_parametric_matches_exact<B: Backend>(be: &B, mixture: &GaussianMixture) {
    for process in processes() {
        let exact = ExactScore::new(process, mixture.clone());
        let (x, t) = noisy_batch(be, &process, mixture, 300);
        let parametric = ParametricScore::new(process, &exact);
        let s_exact = be.to_host(&exact.score(be, &x, &t).unwrap()).unwrap();
        let s_param = be.to_host(&parametric.score(be, &x, &t).unwrap()).unwrap();
        check_within_f32_cancellation(be, &process, &x, &t, &s_param, &s_exact);

        let t_mid = 0.3 * process.default_time_range().1;
        let s_exact = be.to_host(&exact.score_at(be, &x, t_mid).unwrap()).unwrap();
        let s_param = be
            .to_host(&parametric.score_at(be, &x, t_mid).unwrap())
            .unwrap();
        assert!(
            rel_diff(&s_param, &s_exact) < 1e-4,
            "{process:?}: shared time"
        );

        let tweedie = DenoiserFromScore::new(process, &exact);
        let d_exact = be.to_host(&exact.denoise(be, &x, &t).unwrap()).unwrap();
        let d_tweedie = be.to_host(&tweedie.denoise(be, &x, &t).unwrap()).unwrap();
        assert!(
            rel_diff(&d_tweedie, &d_exact) < 1e-3,
            "{process:?}: Tweedie"
        );
    }
}

/// Per row, `|s_param - s_exact| <= 1e-4 |s_exact| + 1e-5 (1 + |x| / h_t)`: the form
/// `(alpha_t f - x) / h_t` cancels in `f32`, so its absolute error scales like
/// `eps_f32 |x| / h_t`, large at the smallest times (`h_T0 ~ 4e-5` for the cosine schedule).
fn check_within_f32_cancellation<B: Backend>(
    be: &B,
    process: &ProcessConfig,
    x: &B::Matrix,
    t: &B::Matrix,
    s_param: &[f32],
    s_exact: &[f32],
) {
    let d = x.cols();
    let (xs, ts) = (be.to_host(x).unwrap(), be.to_host(t).unwrap());
    for (i, &ti) in ts.iter().enumerate() {
        let h_t = process.h(f64::from(ti));
        let row = i * d..(i + 1) * d;
        let x_max = xs[row.clone()]
            .iter()
            .fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
        for k in row {
            let (a, b) = (f64::from(s_param[k]), f64::from(s_exact[k]));
            let tol = 1e-4 * b.abs() + 1e-5 * (1.0 + x_max / h_t);
            assert!(
                (a - b).abs() < tol,
                "{process:?} row {i} t={ti}: {a} vs {b}"
            );
        }
    }
}

/// `DenoiserFromScore(ParametricScore(f)) = f` for an arbitrary denoiser `f`, per-row and
/// shared times, and `score_at` agrees with `score` on a constant time column.
fn check_inversion<B: Backend>(be: &B) {
    let f = FnDenoiser(|be: &B, x: &B::Matrix, t: &B::Matrix| {
        let tanh = be.unary(scorediff_backend::Unary::Tanh, x)?;
        Ok(be.broadcast_col(scorediff_backend::Binary::Add, &tanh, t)?)
    });
    for process in processes() {
        let (x, t) = noisy_batch(be, &process, &mixture_2d(), 64);
        let score = ParametricScore::new(process, &f);
        let back = DenoiserFromScore::new(process, &score);
        let f_x = be.to_host(&f.denoise(be, &x, &t).unwrap()).unwrap();
        let back_x = be.to_host(&back.denoise(be, &x, &t).unwrap()).unwrap();
        assert!(rel_diff(&back_x, &f_x) < 1e-4, "{process:?}");

        let t_mid = 0.5 * process.default_time_range().1;
        let t_col = be.full(x.rows(), 1, t_mid as f32).unwrap();
        let a = be.to_host(&score.score_at(be, &x, t_mid).unwrap()).unwrap();
        let b = be.to_host(&score.score(be, &x, &t_col).unwrap()).unwrap();
        assert!(rel_diff(&a, &b) < 1e-6, "{process:?}");
        let a = be
            .to_host(&back.denoise_at(be, &x, t_mid).unwrap())
            .unwrap();
        assert!(
            rel_diff(
                &a,
                &be.to_host(&f.denoise(be, &x, &t_col).unwrap()).unwrap()
            ) < 1e-4
        );
    }
}

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

fn check_errors<B: Backend>(be: &B) {
    let exact = ExactScore::new(OrnsteinUhlenbeck, mixture_2d());
    let param = ParametricScore::new(OrnsteinUhlenbeck, &exact);
    let x = be.from_host(3, 2, &[0.0; 6]).unwrap();
    // h_0 = 0: the score form is undefined.
    let t0 = be.zeros(3, 1).unwrap();
    assert!(matches!(
        param.score(be, &x, &t0),
        Err(ProcessError::InvalidTime { .. })
    ));
    // Negative and non-finite times.
    let neg = be.full(3, 1, -0.5).unwrap();
    assert!(param.score(be, &x, &neg).is_err());
    assert!(exact.score(be, &x, &neg).is_err());
    let nan = be.full(3, 1, f32::NAN).unwrap();
    assert!(param.score(be, &x, &nan).is_err());
    // Shapes: wrong time rows, time not a column, wrong data dimension.
    let t2 = be.full(2, 1, 0.5).unwrap();
    assert!(matches!(
        param.score(be, &x, &t2),
        Err(ProcessError::Shape(_))
    ));
    let t_wide = be.full(3, 2, 0.5).unwrap();
    assert!(exact.score(be, &x, &t_wide).is_err());
    let x3 = be.from_host(2, 3, &[0.0; 6]).unwrap();
    assert!(exact.score(be, &x3, &t2).is_err());
    // A denoiser returning the wrong shape.
    let bad = FnDenoiser(|be: &B, x: &B::Matrix, _t: &B::Matrix| Ok(be.zeros(x.rows(), 1)?));
    let param_bad = ParametricScore::new(OrnsteinUhlenbeck, bad);
    let t = be.full(3, 1, 0.5).unwrap();
    assert!(matches!(
        param_bad.score(be, &x, &t),
        Err(ProcessError::Shape(_))
    ));
    // Bad mixtures.
    use nalgebra::{DMatrix, DVector};
    let m = DVector::from_vec(vec![0.0, 0.0]);
    assert!(
        GaussianMixture::gaussian(
            m.clone(),
            DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0])
        )
        .is_err()
    );
    assert!(
        GaussianMixture::gaussian(
            m.clone(),
            DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.0, 1.0])
        )
        .is_err()
    );
    assert!(
        GaussianMixture::new(vec![-1.0], vec![m.clone()], vec![DMatrix::identity(2, 2)]).is_err()
    );
    assert!(GaussianMixture::new(vec![], vec![], vec![]).is_err());
}

fn check_parametric_shapes<B: Backend>(be: &B, rows: usize, d: usize, t: f32) {
    let scale = FnDenoiser(|be: &B, x: &B::Matrix, _t: &B::Matrix| Ok(be.scale(x, 0.5)?));
    let score = ParametricScore::new(OrnsteinUhlenbeck, scale);
    let data: Vec<f32> = (0..rows * d).map(|i| (i as f32 * 0.7).cos()).collect();
    let x = be.from_host(rows, d, &data).unwrap();
    let tc = be.full(rows, 1, t).unwrap();
    let s = score.score(be, &x, &tc).unwrap();
    assert_eq!(s.shape(), (rows, d));
    let t = f64::from(t);
    let (a, h) = (OrnsteinUhlenbeck.alpha(t), OrnsteinUhlenbeck.h(t));
    for (sv, xv) in be.to_host(&s).unwrap().iter().zip(&data) {
        let expected = (a * 0.5 - 1.0) * f64::from(*xv) / h;
        assert!((f64::from(*sv) - expected).abs() < 1e-4 * (1.0 + expected.abs()));
    }
    let back = DenoiserFromScore::new(OrnsteinUhlenbeck, &score)
        .denoise(be, &x, &tc)
        .unwrap();
    assert_eq!(back.shape(), (rows, d));
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
