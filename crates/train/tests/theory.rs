//! The theory's early-stopping rule hooked into the training loop (DESIGN.md §1,
//! docs/theory.md): the run stops at the planned step, and the plan is what
//! `scorediff_ntk` gives when called directly on the run's triples.

mod common;

use std::ops::ControlFlow;

use faer::Mat;
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_faer::FaerBackend;
use scorediff_net::{Mlp, MlpConfig, ScoreNet, TwoLayerConfig, TwoLayerNet};
use scorediff_ntk::{
    StoppingRuleConfig, TwoLayerReluNtk, eigenvalues_over_n, gram, host_gram, noise, ntk_inputs,
    theory_stopping_step,
};
use scorediff_train::{
    KernelSource, LrSchedule, NoiseMode, NormBound, OptimizerConfig, StopReason, TheoryError,
    TheoryStopConfig, TrainConfig, Trainer, fit_with_theory_stop, fixed_training_inputs,
    plan_theory_stop,
};

fn gd_config(lr: f64, max_steps: u64) -> TrainConfig {
    TrainConfig {
        optimizer: OptimizerConfig::Gd { lr },
        schedule: LrSchedule::default(),
        batch_size: None,
        noise: NoiseMode::Fixed,
        max_steps,
        ema_decay: None,
        seed: 11,
        eval_every: 0,
        log_every: 1,
        ..TrainConfig::default()
    }
}

fn two_layer<B: Backend>(be: &B, width: usize) -> TwoLayerNet<B> {
    TwoLayerNet::new(
        be,
        TwoLayerConfig {
            data_dim: 2,
            width,
            seed: 3,
        },
    )
    .unwrap()
}

fn go(_: &scorediff_train::Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

fn host<B: Backend>(be: &B, m: &B::Matrix) -> Mat<f64> {
    let v = be.to_host(m).unwrap();
    Mat::from_fn(m.rows(), m.cols(), |i, j| f64::from(v[i * m.cols() + j]))
}

fn check_run_stops_at_planned_step<B: Backend>(be: &B) {
    let data = common::mixture_data(64, 1);
    let config = gd_config(0.5, 10_000);
    for (rule, norm) in [
        (StoppingRuleConfig::paper_literal(), NormBound::Configured),
        (StoppingRuleConfig::balanced(1.0), NormBound::Estimated),
    ] {
        let cfg = TheoryStopConfig {
            rule,
            norm,
            ..TheoryStopConfig::default()
        };
        let mut trainer = Trainer::new(be.clone(), two_layer(be, 512), config.clone()).unwrap();
        let run = fit_with_theory_stop(&mut trainer, &data, None, &cfg, &mut go).unwrap();
        let k = run.plan.decision.step.expect("the rule fires");
        eprintln!(
            "{norm:?}: stop at {k}, sigma_hat {:.3}, B {:?}",
            run.plan.sigma.sigma, run.plan.rkhs_norm
        );
        assert_eq!(run.plan.kernel, KernelSource::TwoLayerAnalytic);
        assert_eq!(run.report.stop_reason, StopReason::Theory);
        assert_eq!(run.report.steps, k);
        assert_eq!(trainer.step(), k);
        assert!(k < config.max_steps);
        assert_eq!(run.plan.eta, 0.5);
        // The label noise of this regression is substantial (X_0 given X_t at large t is
        // nearly the data law): sigma_hat is of the order of the data's spread.
        assert!(run.plan.sigma.sigma > 0.1 && run.plan.sigma.sigma < 1.5);
        // The estimated norm makes the threshold B / (c sigma eta k) explicit.
        if norm == NormBound::Estimated {
            let b = run.plan.rkhs_norm.unwrap();
            assert_eq!(run.plan.decision.config.rkhs_norm_bound, b);
        }
    }
}

fn check_plan_matches_direct_ntk<B: Backend>(be: &B) {
    let data = common::mixture_data(80, 2);
    let config = gd_config(0.3, 1);
    let net = two_layer(be, 256);
    // The reconstructed triples are the trainer's: the first step's loss (at the initial
    // weights) equals 1/(2N) ||f_0(x_t, t) - x_0||^2 on them.
    let noised = fixed_training_inputs(be, &config, &data).unwrap();
    let f0 = host(be, &net.predict(be, &noised.x_t, &noised.t).unwrap());
    let x0 = Mat::from_fn(80, 2, |i, j| f64::from(data.data()[i * 2 + j]));
    let loss0 = 0.5 * scorediff_ntk::mse(&f0, &x0) * 2.0;
    let cfg = TheoryStopConfig::default();
    let plan = plan_theory_stop(be, &net, &config, &data, &cfg).unwrap();
    let mut trainer = Trainer::new(be.clone(), net, config.clone()).unwrap();
    let report = trainer.fit(&data, None, &mut go).unwrap();
    let first = report.curve.iter().find(|e| e.step == 1).unwrap();
    let rel = (first.train_loss.unwrap() - loss0).abs() / loss0;
    assert!(rel < 1e-5, "trainer loss {:?} vs {loss0}", first.train_loss);
    // scorediff_ntk called directly on those triples.
    let z = ntk_inputs(be, &noised.x_t, &noised.t).unwrap();
    let k = gram(be, &TwoLayerReluNtk, &z, 32).unwrap();
    let sigma = noise::estimate_sigma(&cfg.rule.sigma_estimator, &k, &x0).unwrap();
    let eigs = eigenvalues_over_n(&k).unwrap();
    let direct = theory_stopping_step(&eigs, 0.3, sigma.sigma, &cfg.rule).unwrap();
    assert_eq!(plan.decision.step, direct.step);
    assert_eq!(plan.sigma.sigma, sigma.sigma);
    assert_eq!(plan.records, 80);
    // And the f64 host kernel (no f32 round-off) gives nearly the same step.
    let zh = host(be, &z);
    let zv: Vec<f64> = (0..80)
        .flat_map(|i| (0..4).map(move |j| (i, j)))
        .map(|(i, j)| zh[(i, j)])
        .collect();
    let kh = host_gram(&TwoLayerReluNtk, &zv, 80, 4).unwrap();
    let eh = eigenvalues_over_n(&kh).unwrap();
    let host_step = theory_stopping_step(&eh, 0.3, sigma.sigma, &cfg.rule)
        .unwrap()
        .step
        .unwrap() as f64;
    let k_plan = plan.decision.step.unwrap() as f64;
    assert!((host_step - k_plan).abs() <= 1.0 + 0.02 * k_plan);
}

fn check_subsample_keeps_full_n<B: Backend>(be: &B) {
    let data = common::mixture_data(150, 3);
    let config = gd_config(0.5, 1);
    let net = two_layer(be, 128);
    let cfg = TheoryStopConfig {
        max_records: 50,
        ..TheoryStopConfig::default()
    };
    let plan = plan_theory_stop(be, &net, &config, &data, &cfg).unwrap();
    assert_eq!((plan.records, plan.total_records), (50, 150));
    assert_eq!(plan.eigenvalues_over_n.len(), 50);
    // R(eps)^2 keeps the full run's 1/N: the decision is the rule on the eigenvalues padded
    // with zeros to N values.
    let mut padded = plan.eigenvalues_over_n.clone();
    padded.resize(150, 0.0);
    let direct = theory_stopping_step(&padded, 0.5, plan.sigma.sigma, &cfg.rule).unwrap();
    assert_eq!(plan.decision.step, direct.step);
    let unpadded =
        theory_stopping_step(&plan.eigenvalues_over_n, 0.5, plan.sigma.sigma, &cfg.rule).unwrap();
    // Fewer effective records per eigenvalue: the padded complexity is smaller, later stop.
    assert!(plan.decision.step.unwrap() >= unpadded.step.unwrap());
}

fn check_mlp_and_optimizers<B: Backend>(be: &B) {
    let data = common::mixture_data(48, 4);
    let mlp = || Mlp::new(be, MlpConfig::new(2, 16, 2, 9)).unwrap();
    let cfg = TheoryStopConfig {
        probes: 4,
        ..TheoryStopConfig::default()
    };
    let config = gd_config(0.05, 100_000);
    let mut trainer = Trainer::new(be.clone(), mlp(), config.clone()).unwrap();
    let run = fit_with_theory_stop(&mut trainer, &data, None, &cfg, &mut go).unwrap();
    assert_eq!(
        run.plan.kernel,
        KernelSource::EmpiricalProjected { probes: 4 }
    );
    let k = run.plan.decision.step.expect("the rule fires");
    assert_eq!(run.report.steps, k);
    // The empirical kernel is a Gram matrix: non-negative spectrum, positive trace.
    assert!(run.plan.eigenvalues_over_n.iter().all(|&l| l >= 0.0));
    assert!(run.plan.eigenvalues_over_n[0] > 0.0);
    // Adam is refused unless a GD step is assumed.
    let adam = TrainConfig {
        optimizer: OptimizerConfig::adam(1e-3),
        ..config.clone()
    };
    let err = plan_theory_stop(be, &mlp(), &adam, &data, &cfg).unwrap_err();
    assert!(matches!(err, TheoryError::Unsupported(_)), "{err}");
    let assumed = TheoryStopConfig {
        assume_gd_step: Some(0.05),
        ..cfg.clone()
    };
    let plan = plan_theory_stop(be, &mlp(), &adam, &data, &assumed).unwrap();
    assert_eq!(
        plan.decision.step,
        Some(k),
        "same kernel and step as the GD run"
    );
    // A schedule is refused.
    let sched = TrainConfig {
        schedule: LrSchedule {
            warmup_steps: 10,
            ..LrSchedule::default()
        },
        ..config
    };
    assert!(plan_theory_stop(be, &mlp(), &sched, &data, &cfg).is_err());
}

#[test]
fn run_stops_at_planned_step() {
    check_run_stops_at_planned_step(&FaerBackend::default());
}

#[test]
fn plan_matches_direct_ntk() {
    check_plan_matches_direct_ntk(&FaerBackend::default());
}

#[test]
fn subsample_keeps_full_n() {
    check_subsample_keeps_full_n(&FaerBackend::default());
}

#[test]
fn mlp_and_optimizers() {
    check_mlp_and_optimizers(&FaerBackend::default());
}
