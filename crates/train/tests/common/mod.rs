//! The 2-D Gaussian mixtures of the tests: the end-to-end mixture, its training settings
//! and the recovery check (train, sample through the parametric score form, compare weights
//! and means), shared by the faer and wgpu test binaries; and the small two-bump data of
//! the gradient-descent (theory) tests.
#![allow(dead_code)] // each test binary uses a part

use std::ops::ControlFlow;

use nalgebra::DVector;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::Backend;
use scorediff_net::ScoreNet;
use scorediff_process::{
    GaussianMixture, OrnsteinUhlenbeck, SamplerConfig, SamplerKind, TimeGrid, TimeSampler,
    sample_seeded,
};
use scorediff_train::{
    Dataset, Decay, LrSchedule, NetDenoiser, OptimizerConfig, TrainConfig, Trainer,
};

pub const WEIGHTS: [f64; 2] = [0.3, 0.7];
pub const T0: f64 = 0.01;

pub fn mixture() -> GaussianMixture {
    let means = vec![
        DVector::from_vec(vec![-1.5, -1.0]),
        DVector::from_vec(vec![1.5, 1.0]),
    ];
    GaussianMixture::isotropic(WEIGHTS.to_vec(), means, &[0.1, 0.1]).unwrap()
}

/// `n` draws (seeded) of the equal-weight two-bump mixture of the gradient-descent tests.
pub fn mixture_data(n: usize, seed: u64) -> Dataset {
    let means = vec![
        DVector::from_vec(vec![-1.0, 0.5]),
        DVector::from_vec(vec![1.0, -0.5]),
    ];
    let gm = GaussianMixture::isotropic(vec![0.5, 0.5], means, &[0.2, 0.2]).unwrap();
    let s = gm.sample(n, &mut ChaCha8Rng::seed_from_u64(seed));
    Dataset::new(s.data_f32(), n, 2).unwrap()
}

/// Minibatch Adam on the mixture's noisy-label regression, logging every `log_every` steps.
pub fn mixture_config(steps: u64, lr: f64, log_every: u64) -> TrainConfig {
    TrainConfig {
        optimizer: OptimizerConfig::adam(lr),
        schedule: LrSchedule {
            warmup_steps: 100,
            decay: Decay::Cosine,
            min_factor: 0.05,
        },
        batch_size: Some(256),
        max_steps: steps,
        ema_decay: Some(0.995),
        seed: 11,
        // Stop the reverse process at T0 = 0.01 (train on the same range): below it the
        // score's 1/h_t factor only amplifies the denoiser's error.
        time_sampler: TimeSampler::Uniform { t0: T0, t_end: 5.0 },
        eval_every: 0,
        log_every,
        ..TrainConfig::default()
    }
}

/// Trains `net`, samples 3000 rows and checks the weights (within 0.05) and the means
/// (within 0.1) of the samples, each sample assigned to its most likely component.
pub fn check_recovery<B: Backend, N: ScoreNet<B>>(be: &B, net: N, config: TrainConfig) {
    let gm = mixture();
    let real = gm.sample(3000, &mut ChaCha8Rng::seed_from_u64(5));
    let data = Dataset::new(real.data_f32(), 3000, 2).unwrap();
    let mut trainer = Trainer::new(be.clone(), net, config).unwrap();
    let report = trainer
        .fit(&data, None, &mut |_| ControlFlow::Continue(()))
        .unwrap();
    let first = report.curve[1].train_loss.unwrap();
    let last = report.curve.last().unwrap().train_loss.unwrap();
    assert!(last < first, "training loss {first} -> {last}");

    eprintln!("trained in {:.1} s", report.elapsed_s);
    let net = trainer.into_model();
    let score = NetDenoiser::new(&net).score_model(OrnsteinUhlenbeck);
    let sampler = SamplerConfig {
        kind: SamplerKind::ExponentialIntegrator,
        steps: 100,
        grid: TimeGrid::Quadratic,
        batch_size: 3000,
        t0: Some(T0),
        seed: 3,
        ..SamplerConfig::default()
    };
    let n = 3000;
    let out = sample_seeded(be, &OrnsteinUhlenbeck, &score, n, 2, &sampler).unwrap();
    let xs: Vec<f64> = be
        .to_host(&out)
        .unwrap()
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    assert!(xs.iter().all(|v| v.is_finite()));
    let labels = gm.classify(&xs).unwrap();
    for (k, want_w) in WEIGHTS.iter().enumerate() {
        let rows: Vec<usize> = (0..n).filter(|&i| labels[i] == k).collect();
        let w = rows.len() as f64 / n as f64;
        eprintln!("component {k}: weight {w:.3}");
        assert!(
            (w - want_w).abs() < 0.05,
            "component {k}: weight {w}, want {want_w}"
        );
        for j in 0..2 {
            let mean = rows.iter().map(|&i| xs[2 * i + j]).sum::<f64>() / rows.len() as f64;
            let want = gm.means()[k][j];
            eprintln!("  mean[{j}] = {mean:.3} (want {want})");
            assert!(
                (mean - want).abs() < 0.1,
                "component {k}, coordinate {j}: mean {mean}, want {want}"
            );
        }
    }
}
