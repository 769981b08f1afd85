//! Checks of the parametric score form against the exact score, generic over the backend;
//! instantiated by `score.rs` (faer) and `wgpu.rs`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_process::{
    Denoiser, DenoiserFromScore, ExactScore, FnDenoiser, ForwardProcess, GaussianMixture,
    OrnsteinUhlenbeck, ParametricScore, ProcessConfig, ProcessError, ScoreModel, TimeSampler,
    VpCosine, VpLinear, noise_batch,
};

use super::mixture_2d;

/// The processes every check runs under: OU and both VP schedules.
pub fn processes() -> Vec<ProcessConfig> {
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
pub fn check_parametric_matches_exact<B: Backend>(be: &B, mixture: &GaussianMixture) {
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
pub fn check_inversion<B: Backend>(be: &B) {
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

/// Bad times, shapes and mixtures are errors, not panics.
pub fn check_errors<B: Backend>(be: &B) {
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

/// The parametric form of `f = x / 2` has the closed form `(alpha_t / 2 - 1) x / h_t` and
/// keeps the input's shape, as does its Tweedie inversion.
pub fn check_parametric_shapes<B: Backend>(be: &B, rows: usize, d: usize, t: f32) {
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
