//! Checks of noising, generic over the backend; instantiated by `noising.rs` (faer) and
//! `wgpu.rs`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_process::{
    ForwardProcess, NoiseDraw, OrnsteinUhlenbeck, ProcessConfig, TimeSampler, VpCosine, VpLinear,
    apply_noise, noise_batch, noise_in_blocks, noise_matrix,
};

use super::{mixture_2d, moment_errors};

/// Many draws of one fixed record at one fixed time: per coordinate the empirical mean is
/// `alpha_t x_0` and the variance `h_t` (within 5 standard errors).
fn check_moments_at_fixed_time<B: Backend>(be: &B, process: ProcessConfig, t: f64) {
    let x0_row = [1.5f32, -2.0, 0.3];
    let (n, d) = (40_000, x0_row.len());
    let x0: Vec<f32> = x0_row.iter().copied().cycle().take(n * d).collect();
    let x0 = be.from_host(n, d, &x0).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let draw = NoiseDraw::at_time(n, d, t, &mut rng);
    let batch = apply_noise(be, &process, &x0, &draw).unwrap();
    let xt = be.to_host(&batch.x_t).unwrap();
    let t = f64::from(t as f32);
    let (alpha_t, h_t) = (process.alpha(t), process.h(t));
    for j in 0..d {
        let col: Vec<f64> = (0..n).map(|i| f64::from(xt[i * d + j])).collect();
        let mean = col.iter().sum::<f64>() / n as f64;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let expected_mean = alpha_t * f64::from(x0_row[j]);
        assert!(
            (mean - expected_mean).abs() < 5.0 * (h_t / n as f64).sqrt(),
            "{process:?} t={t} coord {j}: mean {mean} vs {expected_mean}"
        );
        // Var of the sample variance is 2 h^2 / n for Gaussian data.
        assert!(
            (var - h_t).abs() < 5.0 * h_t * (2.0 / n as f64).sqrt(),
            "{process:?} t={t} coord {j}: variance {var} vs {h_t}"
        );
    }
}

/// Kolmogorov-Smirnov distance of the drawn times to the sampler's law, under the 0.1%
/// critical value `1.95 / sqrt(n)`.
fn check_time_law<B: Backend>(be: &B, sampler: TimeSampler) {
    let n = 20_000;
    let x0 = vec![0.0f32; n];
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let batch = noise_batch(be, &OrnsteinUhlenbeck, &x0, 1, &sampler, &mut rng).unwrap();
    assert_eq!(batch.t.shape(), (n, 1));
    let mut t: Vec<f64> = be
        .to_host(&batch.t)
        .unwrap()
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    t.sort_by(f64::total_cmp);
    let (t0, t_end) = sampler.range();
    assert!(t[0] >= t0 as f32 as f64 && t[n - 1] <= t_end as f32 as f64);
    let ks = t
        .iter()
        .enumerate()
        .map(|(i, &ti)| {
            let f = sampler.cdf(ti);
            (f - i as f64 / n as f64)
                .abs()
                .max((f - (i + 1) as f64 / n as f64).abs())
        })
        .fold(0.0, f64::max);
    assert!(ks < 1.95 / (n as f64).sqrt(), "{sampler:?}: KS {ks}");
}

/// Noising in blocks draws the same times and gives the same `x_t`, bit for bit, as noising
/// all rows at once from the same seed, for blocks that divide the rows, that do not, and
/// that hold them all.
pub fn check_blocks_match_one_shot<B: Backend>(be: &B) {
    let (n, d) = (53, 3);
    let x0: Vec<f32> = (0..n * d).map(|i| (i as f32 * 0.37).sin()).collect();
    let x0 = be.from_host(n, d, &x0).unwrap();
    let process = VpCosine::default();
    let sampler = TimeSampler::uniform_for(&process);
    let whole = noise_matrix(
        be,
        &process,
        &x0,
        &sampler,
        &mut ChaCha8Rng::seed_from_u64(3),
    )
    .unwrap();
    let (t, x_t) = (
        be.to_host(&whole.t).unwrap(),
        be.to_host(&whole.x_t).unwrap(),
    );
    for block in [1, 7, 53, 100] {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let b = noise_in_blocks(be, &process, &x0, &sampler, &mut rng, block).unwrap();
        assert_eq!(b.t_host, t, "block {block}: times");
        assert_eq!(be.to_host(&b.t).unwrap(), t, "block {block}: device times");
        let got = be.to_host(&b.x_t).unwrap();
        let same = got
            .iter()
            .zip(&x_t)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "block {block}: x_t differs");
        assert_eq!(b.x_t.shape(), (n, d));
    }
}

/// `x_t = alpha_t x_0 + sqrt(h_t) eps` row by row, with the returned `t` and `eps`.
pub fn check_noise_reproduces_xt<B: Backend>(be: &B) {
    let (n, d) = (50, 4);
    let x0: Vec<f32> = (0..n * d).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
    let sampler = TimeSampler::uniform(1e-3, 5.0).unwrap();
    let process = VpLinear::default().config();
    let sampler_vp = TimeSampler::uniform_for(&process);
    for (p, s) in [
        (ProcessConfig::OrnsteinUhlenbeck, sampler),
        (process, sampler_vp),
    ] {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let b = noise_batch(be, &p, &x0, d, &s, &mut rng).unwrap();
        let (t, xt, eps) = (
            be.to_host(&b.t).unwrap(),
            be.to_host(&b.x_t).unwrap(),
            be.to_host(&b.eps).unwrap(),
        );
        for (i, &ti) in t.iter().enumerate() {
            let ti = f64::from(ti);
            for j in 0..d {
                let k = i * d + j;
                let expected = p.alpha(ti) * f64::from(x0[k]) + p.h(ti).sqrt() * f64::from(eps[k]);
                assert!((f64::from(xt[k]) - expected).abs() < 1e-5, "{p:?} row {i}");
            }
        }
        // Same seed, same bytes.
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let again = noise_batch(be, &p, &x0, d, &s, &mut rng).unwrap();
        assert_eq!(be.to_host(&again.x_t).unwrap(), xt);
        assert_eq!(be.to_host(&again.t).unwrap(), t);
    }
}

/// Noising samples of a mixture at time t gives samples of the mixture's marginal at t.
pub fn check_noised_mixture_is_marginal<B: Backend>(be: &B) {
    let mixture = mixture_2d();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let x0 = mixture.sample(20_000, &mut rng);
    let x0 = be.from_host(20_000, 2, &x0.data_f32()).unwrap();
    let t = 0.05;
    let draw = NoiseDraw::at_time(20_000, 2, t, &mut rng);
    let b = apply_noise(be, &OrnsteinUhlenbeck, &x0, &draw).unwrap();
    let marginal = mixture
        .at_time(&OrnsteinUhlenbeck, f64::from(t as f32))
        .unwrap();
    let errs = moment_errors(&marginal, &be.to_host(&b.x_t).unwrap());
    assert!(
        errs.weight < 0.02 && errs.mean < 0.05 && errs.cov < 0.1,
        "{errs:?}"
    );
}

/// Inconsistent shapes and times outside the schedule's domain are errors.
pub fn check_bad_inputs<B: Backend>(be: &B) {
    let s = TimeSampler::uniform(1e-3, 1.0).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    assert!(noise_batch(be, &OrnsteinUhlenbeck, &[1.0; 7], 2, &s, &mut rng).is_err());
    assert!(noise_batch(be, &OrnsteinUhlenbeck, &[1.0; 4], 0, &s, &mut rng).is_err());
    // Times beyond the cosine schedule's domain.
    let late = TimeSampler::uniform(1.5, 2.0).unwrap();
    assert!(noise_batch(be, &VpCosine::default(), &[1.0; 4], 2, &late, &mut rng).is_err());
    // A draw of the wrong shape.
    let x0 = be.from_host(2, 2, &[1.0; 4]).unwrap();
    let draw = NoiseDraw::at_time(3, 2, 0.5, &mut rng);
    assert!(apply_noise(be, &OrnsteinUhlenbeck, &x0, &draw).is_err());
}

/// Noising `rows x d` data gives `t`, `x_t` and `eps` of the right shapes, all finite.
pub fn check_shapes<B: Backend>(be: &B, rows: usize, d: usize, seed: u64) {
    let x0: Vec<f32> = (0..rows * d).map(|i| i as f32 * 0.1).collect();
    let s = TimeSampler::log_uniform(1e-3, 3.0).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let b = noise_batch(be, &OrnsteinUhlenbeck, &x0, d, &s, &mut rng).unwrap();
    assert_eq!(b.t.shape(), (rows, 1));
    assert_eq!(b.x_t.shape(), (rows, d));
    assert_eq!(b.eps.shape(), (rows, d));
    assert!(be.to_host(&b.x_t).unwrap().iter().all(|v| v.is_finite()));
}

/// Empirical moments of noised data at fixed times, under OU and both VP schedules.
pub fn check_noised_moments<B: Backend>(be: &B) {
    check_moments_at_fixed_time(be, ProcessConfig::OrnsteinUhlenbeck, 0.3);
    check_moments_at_fixed_time(be, ProcessConfig::OrnsteinUhlenbeck, 2.0);
    check_moments_at_fixed_time(be, VpLinear::default().config(), 0.4);
    check_moments_at_fixed_time(be, VpCosine::default().config(), 0.7);
}

/// Both time samplers follow their laws.
pub fn check_time_laws<B: Backend>(be: &B) {
    check_time_law(be, TimeSampler::uniform(1e-3, 5.0).unwrap());
    check_time_law(be, TimeSampler::log_uniform(1e-3, 5.0).unwrap());
}
