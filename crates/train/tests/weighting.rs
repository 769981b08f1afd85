//! The time weighting of the regression (`LossWeighting`): its closed form, the loss it
//! reports, and the gradient it follows.

use std::ops::ControlFlow;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::prelude::*;
use scorediff_faer::FaerBackend;
use scorediff_net::{Mlp, MlpConfig, ScoreNet};
use scorediff_process::{ProcessConfig, TimeSampler, standard_normal};
use scorediff_train::{
    Dataset, LossWeighting, NoiseMode, OptimizerConfig, PreconditionConfig, Preconditioned,
    TrainConfig, Trainer,
};

const UNIT: LossWeighting = LossWeighting::UnitTarget { sigma_data: 0.7 };

fn data(rows: usize, d: usize, seed: u64) -> Dataset {
    let v = standard_normal(&mut ChaCha8Rng::seed_from_u64(seed), rows * d);
    Dataset::new(v, rows, d).unwrap()
}

fn mlp(be: &FaerBackend) -> Mlp<FaerBackend> {
    Mlp::new(be, MlpConfig::new(3, 16, 2, 11)).unwrap()
}

/// `1/(2n) sum_j weight(t_j) ||f_j - x0_j||^2`, on the host, for predictions `f` (row-major,
/// the shape of `x0`).
fn host_objective(f: &[f32], x0: &Dataset, times: &[f32], weight: impl Fn(f64) -> f64) -> f64 {
    let (n, d) = (x0.rows(), x0.dim());
    let total: f64 = (0..n)
        .map(|j| {
            let sq: f64 = (0..d)
                .map(|c| (f64::from(f[j * d + c]) - f64::from(x0.data()[j * d + c])).powi(2))
                .sum();
            weight(f64::from(times[j])) * sq
        })
        .sum();
    total / (2.0 * n as f64)
}

fn go(_: &scorediff_train::Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// `w(t) = 1 / c_out(t)^2` of the preconditioner with the same `sigma_d`, on both processes.
#[test]
fn unit_target_weight_is_inverse_square_output_scale() {
    for process in [
        ProcessConfig::OrnsteinUhlenbeck,
        ProcessConfig::VpLinear(Default::default()),
    ] {
        let pre = Preconditioned::new(
            (),
            process,
            Some(PreconditionConfig { sigma_data: 0.7 }),
            &scorediff_backend::Layout::new(3, Vec::new()).unwrap(),
        );
        for t in [1e-3, 0.01, 0.3, 1.0, 2.9] {
            let (_, _, c_out) = pre.coefficients(t);
            let w = UNIT.weight(&process, t);
            assert!(
                (w * c_out * c_out - 1.0).abs() < 1e-12,
                "{process:?} t {t}: w {w}, c_out {c_out}"
            );
            assert_eq!(LossWeighting::Plain.weight(&process, t), 1.0);
        }
    }
}

/// The reported objective is `1/(2n) sum_j w(t_j) ||f(x_tj, t_j) - x_0j||^2`, computed here
/// on the host from the network's predictions.
#[test]
fn evaluate_reports_the_weighted_objective() {
    let be = FaerBackend::default();
    let (n, d) = (40, 3);
    let x0 = data(n, d, 1);
    let x_t = data(n, d, 2);
    let times: Vec<f32> = (0..n).map(|j| 0.002 + 0.07 * j as f32).collect();
    let config = TrainConfig {
        loss_weighting: UNIT,
        ema_decay: None,
        ..TrainConfig::default()
    };
    let process = config.process;
    let mut trainer = Trainer::new(be, mlp(&be), config).unwrap();
    let [x0m, xtm] = [&x0, &x_t].map(|m| be.from_host(n, d, m.data()).unwrap());
    let tm = be.from_host(n, 1, &times).unwrap();
    let reported = trainer.evaluate(&x0m, &tm, &xtm).unwrap();
    let f = be
        .to_host(&trainer.net().predict(&be, &xtm, &tm).unwrap())
        .unwrap();
    let expected = host_objective(&f, &x0, &times, |t| UNIT.weight(&process, t));
    let plain = {
        let mut t = Trainer::new(
            be,
            mlp(&be),
            TrainConfig {
                ema_decay: None,
                ..TrainConfig::default()
            },
        )
        .unwrap();
        t.evaluate(&x0m, &tm, &xtm).unwrap()
    };
    assert!(
        (reported - expected).abs() < 1e-5 * expected,
        "{reported} vs {expected}"
    );
    // The weights matter: small times weigh more than 1 here.
    assert!(reported > 1.5 * plain, "{reported} vs plain {plain}");
}

/// With every time (almost) equal to `t*`, gradient descent on the weighted objective is
/// gradient descent on the plain one with the step multiplied by `w(t*)`: the gradient is
/// scaled by the weight, once.
#[test]
fn weighted_gradient_is_the_plain_gradient_times_the_weight() {
    let be = FaerBackend::default();
    let t_star = 0.05;
    let sampler = TimeSampler::Uniform {
        t0: t_star,
        t_end: t_star * (1.0 + 1e-9),
    };
    let process = ProcessConfig::OrnsteinUhlenbeck;
    let w = UNIT.weight(&process, t_star);
    assert!(w > 5.0, "the check needs a weight far from 1, got {w}");
    let eta = 1e-3;
    let run = |weighting: LossWeighting, lr: f64| {
        let config = TrainConfig {
            process,
            time_sampler: sampler,
            loss_weighting: weighting,
            optimizer: OptimizerConfig::Gd { lr },
            schedule: Default::default(),
            batch_size: None,
            max_steps: 3,
            noise: NoiseMode::Fixed,
            ema_decay: None,
            eval_every: 0,
            ..TrainConfig::default()
        };
        let mut trainer = Trainer::new(be, mlp(&be), config).unwrap();
        trainer.fit(&data(30, 3, 5), None, &mut go).unwrap();
        trainer
            .net()
            .params()
            .iter()
            .flat_map(|p| be.to_host(&p.value).unwrap())
            .collect::<Vec<f32>>()
    };
    let start: Vec<f32> = mlp(&be)
        .params()
        .iter()
        .flat_map(|p| be.to_host(&p.value).unwrap())
        .collect();
    let weighted = run(UNIT, eta);
    let scaled = run(LossWeighting::Plain, eta * w);
    let unscaled = run(LossWeighting::Plain, eta);
    let dist = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| f64::from(x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let moved = dist(&weighted, &start);
    assert!(moved > 1e-3, "training moved the weights by {moved} only");
    assert!(
        dist(&weighted, &scaled) < 1e-4 * moved,
        "weighted vs step-scaled plain GD: {} (moved {moved})",
        dist(&weighted, &scaled)
    );
    assert!(dist(&weighted, &unscaled) > 0.5 * moved);
}

/// With `TimeSampler::ImportanceLogUniform` the reported objective carries the sampler's
/// importance weight on top of `w(t)`: `1/(2n) sum_j w(t_j) q(t_j) ||f - x_0||^2` with
/// `q(t) = t ln(T / T0) / (T - T0)`, for the unit-target and the plain weighting alike.
#[test]
fn importance_sampled_times_weigh_the_reported_objective() {
    let be = FaerBackend::default();
    let (n, d) = (40, 3);
    let x0 = data(n, d, 3);
    let x_t = data(n, d, 4);
    let times: Vec<f32> = (0..n).map(|j| 0.002 + 0.07 * j as f32).collect();
    let law = TimeSampler::importance_log_uniform(1e-3, 3.0).unwrap();
    let [x0m, xtm] = [&x0, &x_t].map(|m| be.from_host(n, d, m.data()).unwrap());
    let tm = be.from_host(n, 1, &times).unwrap();
    for weighting in [UNIT, LossWeighting::Plain] {
        let config = TrainConfig {
            loss_weighting: weighting,
            time_sampler: law,
            ema_decay: None,
            ..TrainConfig::default()
        };
        let process = config.process;
        let mut trainer = Trainer::new(be, mlp(&be), config).unwrap();
        let reported = trainer.evaluate(&x0m, &tm, &xtm).unwrap();
        let f = be
            .to_host(&trainer.net().predict(&be, &xtm, &tm).unwrap())
            .unwrap();
        let expected = host_objective(&f, &x0, &times, |t| {
            weighting.weight(&process, t) * law.importance_weight(t)
        });
        assert!(
            (reported - expected).abs() < 1e-5 * expected,
            "{weighting:?}: {reported} vs {expected}"
        );
    }
}
