//! The loop's contracts: determinism, resumption, early stopping, logs, errors.

use std::ops::ControlFlow;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::Backend;
use scorediff_faer::FaerBackend;
use scorediff_net::{Mlp, MlpConfig, ScoreNet, TwoLayerConfig, TwoLayerNet};
use scorediff_process::standard_normal;
use scorediff_train::{
    Dataset, EarlyStop, LogEntry, LrSchedule, OptimizerConfig, StopInfo, StopReason, StoppingRule,
    TrainConfig, TrainError, Trainer, load_model, read_meta,
};

fn data(rows: usize, d: usize, seed: u64) -> Dataset {
    let v = standard_normal(&mut ChaCha8Rng::seed_from_u64(seed), rows * d);
    Dataset::new(v, rows, d).unwrap()
}

fn config(steps: u64) -> TrainConfig {
    TrainConfig {
        optimizer: OptimizerConfig::adam(3e-3),
        schedule: LrSchedule {
            warmup_steps: 5,
            decay: scorediff_train::Decay::Cosine,
            min_factor: 0.1,
        },
        batch_size: Some(32),
        max_steps: steps,
        ema_decay: Some(0.9),
        seed: 42,
        eval_every: 10,
        log_every: 5,
        max_rows_per_pass: 20,
        ..TrainConfig::default()
    }
}

fn mlp<B: Backend>(be: &B) -> Mlp<B> {
    Mlp::new(be, MlpConfig::new(3, 16, 2, 7)).unwrap()
}

fn go(_: &scorediff_train::Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

fn weights<B: Backend, N: ScoreNet<B>>(be: &B, net: &N) -> Vec<Vec<u32>> {
    net.params()
        .iter()
        .map(|p| {
            be.to_host(&p.value)
                .unwrap()
                .iter()
                .map(|v| v.to_bits())
                .collect()
        })
        .collect()
}

fn check_determinism<B: Backend>(be: &B) {
    let (train, val) = (data(100, 3, 1), data(30, 3, 2));
    let run = |seed: u64| {
        let mut c = config(30);
        c.seed = seed;
        let mut t = Trainer::new(be.clone(), mlp(be), c).unwrap();
        let report = t.fit(&train, Some(&val), &mut go).unwrap();
        (weights(be, &t.into_model()), report)
    };
    let (a, ra) = run(42);
    let (b, rb) = run(42);
    assert_eq!(a, b, "same seed, same backend: identical weights");
    let val_a: Vec<_> = ra.curve.iter().map(|e| e.val_loss).collect();
    let val_b: Vec<_> = rb.curve.iter().map(|e| e.val_loss).collect();
    assert_eq!(val_a, val_b);
    let (c, _) = run(43);
    assert_ne!(a, c, "another seed draws other noise");
}

fn check_resume<B: Backend>(be: &B) {
    let (train, val) = (data(100, 3, 3), data(30, 3, 4));
    let dir = tempfile::tempdir().unwrap();
    let full = {
        let mut t = Trainer::new(be.clone(), mlp(be), config(40)).unwrap();
        t.fit(&train, Some(&val), &mut go).unwrap();
        (weights(be, t.net()), weights(be, &t.into_model()))
    };
    // Stop at step 17 (mid-epoch: 100 rows in batches of 32), save, resume.
    let mut t = Trainer::new(be.clone(), mlp(be), config(40)).unwrap();
    let report = t
        .fit(&train, Some(&val), &mut |p| {
            if p.step == 17 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(report.stop_reason, StopReason::Callback);
    assert_eq!(report.steps, 17);
    t.save_checkpoint(dir.path()).unwrap();
    let meta = read_meta(dir.path()).unwrap();
    assert_eq!((meta.step, meta.epoch, meta.batch_in_epoch), (17, 4, 1));
    let mut resumed = Trainer::resume(be.clone(), mlp(be), config(40), dir.path()).unwrap();
    resumed.fit(&train, Some(&val), &mut go).unwrap();
    let curve_len = resumed.curve().len();
    assert_eq!(weights(be, resumed.net()), full.0, "live weights");
    let model = resumed.into_model();
    assert_eq!(weights(be, &model), full.1, "EMA weights");
    assert!(curve_len > meta.curve().len());
}

fn check_saved_model<B: Backend>(be: &B) {
    let train = data(64, 3, 5);
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(12);
    c.checkpoint = Some(scorediff_train::CheckpointPolicy {
        dir: dir.path().to_path_buf(),
        every_steps: 5,
    });
    let mut t = Trainer::new(be.clone(), mlp(be), c).unwrap();
    t.fit(&train, None, &mut go).unwrap();
    let model = t.into_model();
    let (loaded, meta) = load_model(be, dir.path()).unwrap();
    assert_eq!(meta.step, 12);
    assert_eq!(loaded.config(), model.config());
    assert_eq!(
        weights(be, &loaded),
        weights(be, &model),
        "saved model = EMA weights"
    );
    // A truncated weights file is an error, not a panic.
    let path = dir.path().join(scorediff_train::WEIGHTS_FILE);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(load_model(be, dir.path()).is_err());
}

/// 40 training and 40 validation records, a constant high rate and a validation every 5
/// steps: a run whose validation loss soon stops improving and turns up.
fn overfitting_run() -> (Dataset, Dataset, TrainConfig) {
    let mut c = config(400);
    c.optimizer = OptimizerConfig::adam(2e-2);
    c.schedule = LrSchedule::default();
    c.eval_every = 5;
    (data(40, 3, 6), data(40, 3, 7), c)
}

/// Validation early stopping restores the weights of the best validation.
fn check_validation_stop<B: Backend>(be: &B) {
    let (train, val, mut c) = overfitting_run();
    let mut t = Trainer::new(be.clone(), mlp(be), c.clone())
        .unwrap()
        .with_early_stop(EarlyStop::Validation {
            patience: 3,
            min_delta: 0.0,
        });
    let report = t.fit(&train, Some(&val), &mut go).unwrap();
    let vals: Vec<f64> = report.curve.iter().filter_map(|e| e.val_loss).collect();
    let min = vals.iter().cloned().fold(f64::INFINITY, f64::min);
    let (best, _) = report.best_val.unwrap();
    assert_eq!(best, min);
    if report.stop_reason == StopReason::ValidationPlateau {
        // The last three validations did not improve on the best.
        assert!(vals[vals.len() - 3..].iter().all(|&v| v >= best));
    }
    // Re-evaluating the returned model (at step 0 of a new run with the same seed, hence
    // the same validation draws) gives the best loss.
    let model = t.into_model();
    c.max_steps = 0;
    let mut again = Trainer::new(be.clone(), model, c).unwrap();
    let r = again.fit(&train, Some(&val), &mut go).unwrap();
    assert_eq!(r.curve[0].val_loss, Some(best));
}

/// The rise stop fires at the first validation above `(1 + rise)` times the best before it
/// and restores the best weights; one that never fires leaves the run's weights alone.
fn check_rise_stop<B: Backend>(be: &B) {
    let (train, val, c) = overfitting_run();
    let rise = 0.01;
    let mut t = Trainer::new(be.clone(), mlp(be), c.clone())
        .unwrap()
        .with_early_stop(EarlyStop::Rise { rise });
    let report = t.fit(&train, Some(&val), &mut go).unwrap();
    assert_eq!(report.stop_reason, StopReason::ValidationRise);
    assert!(report.steps < 400);
    let vals: Vec<f64> = report.curve.iter().filter_map(|e| e.val_loss).collect();
    let (best, _) = report.best_val.unwrap();
    let last = *vals.last().unwrap();
    assert!(last > best * (1.0 + rise), "{last} against best {best}");
    // No earlier validation rose that far above the best before it.
    let mut running = f64::INFINITY;
    for &v in &vals[..vals.len() - 1] {
        assert!(v <= running * (1.0 + rise), "{v} after a best of {running}");
        running = running.min(v);
    }
    assert_eq!(running, best);
    let model = t.into_model();
    let mut c0 = c.clone();
    c0.max_steps = 0;
    let mut again = Trainer::new(be.clone(), model, c0).unwrap();
    let r = again.fit(&train, Some(&val), &mut go).unwrap();
    assert_eq!(
        r.curve[0].val_loss,
        Some(best),
        "the best weights are restored"
    );
    // A rise no run reaches: the same weights as a run without the stop.
    let mut c = config(60);
    c.eval_every = 5;
    let mut never = Trainer::new(be.clone(), mlp(be), c.clone())
        .unwrap()
        .with_early_stop(EarlyStop::Rise { rise: 1e9 });
    let r = never.fit(&train, Some(&val), &mut go).unwrap();
    assert_eq!((r.steps, r.stop_reason), (60, StopReason::MaxSteps));
    let mut plain = Trainer::new(be.clone(), mlp(be), c).unwrap();
    plain.fit(&train, Some(&val), &mut go).unwrap();
    assert_eq!(
        weights(be, &never.into_model()),
        weights(be, &plain.into_model())
    );
    // Without validation data the stop is refused, as the plateau stop is.
    let mut t = Trainer::new(be.clone(), mlp(be), config(10))
        .unwrap()
        .with_early_stop(EarlyStop::Rise { rise });
    assert!(t.fit(&train, None, &mut go).is_err());
}

/// More validation draws per record: the held-out loss of the same weights varies less from
/// one seed's draws to another's.
fn check_val_draws<B: Backend>(be: &B) {
    let (train, val) = (data(40, 3, 6), data(20, 3, 7));
    let spread = |draws: usize| {
        let losses: Vec<f64> = (0..6)
            .map(|seed| {
                let mut c = config(0);
                c.val_draws = draws;
                c.seed = seed;
                // The same network for every seed: only the validation draws change.
                let mut t = Trainer::new(be.clone(), mlp(be), c).unwrap();
                let r = t.fit(&train, Some(&val), &mut go).unwrap();
                r.curve[0].val_loss.unwrap()
            })
            .collect();
        let mean = losses.iter().sum::<f64>() / losses.len() as f64;
        losses.iter().map(|l| (l - mean).abs()).fold(0.0, f64::max)
    };
    let (once, many) = (spread(0), spread(4000));
    assert!(
        many < 0.5 * once,
        "spread {many} with 4,000 draws, {once} with one per row"
    );
}

#[derive(Debug)]
struct StopWhenLossBelow(f64);

impl StoppingRule for StopWhenLossBelow {
    fn should_stop(&mut self, info: &StopInfo) -> bool {
        info.train_loss < self.0
    }
}

fn check_theory_stop<B: Backend>(be: &B) {
    let train = data(50, 3, 8);
    let mut t = Trainer::new(be.clone(), mlp(be), config(100))
        .unwrap()
        .with_early_stop(EarlyStop::Theory { at_step: 23 });
    let r = t.fit(&train, None, &mut go).unwrap();
    assert_eq!((r.steps, r.stop_reason), (23, StopReason::Theory));
    let mut t = Trainer::new(be.clone(), mlp(be), config(100))
        .unwrap()
        .with_early_stop(EarlyStop::Theory { at_step: 0 });
    assert_eq!(t.fit(&train, None, &mut go).unwrap().steps, 0);
    let mut t = Trainer::new(be.clone(), mlp(be), config(100))
        .unwrap()
        .with_stopping_rule(Box::new(StopWhenLossBelow(f64::INFINITY)));
    let r = t.fit(&train, None, &mut go).unwrap();
    assert_eq!((r.steps, r.stop_reason), (1, StopReason::Theory));
}

fn check_log_file<B: Backend>(be: &B) {
    let (train, val) = (data(64, 3, 9), data(16, 3, 10));
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(20);
    c.log_path = Some(dir.path().join("train.jsonl"));
    let mut t = Trainer::new(be.clone(), mlp(be), c).unwrap();
    let mut calls = 0;
    let r = t
        .fit(&train, Some(&val), &mut |p| {
            calls += 1;
            assert!(p.rows_per_sec > 0.0 && p.loss.is_finite());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(calls, 20);
    let text = std::fs::read_to_string(dir.path().join("train.jsonl")).unwrap();
    let lines: Vec<LogEntry> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // serde_json's float parsing is exact to within an ulp.
    let near = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-12 * a.abs().max(1.0),
        (a, b) => a == b,
    };
    assert_eq!(lines.len(), r.curve.len());
    for (l, c) in lines.iter().zip(&r.curve) {
        assert_eq!((l.step, l.epoch), (c.step, c.epoch));
        assert!(near(l.train_loss, c.train_loss) && near(l.val_loss, c.val_loss));
        assert!(near(Some(l.lr), Some(c.lr)));
    }
    // Step 0, every 5 steps, validations at 0, 10, 20.
    let steps: Vec<u64> = lines.iter().map(|e| e.step).collect();
    assert_eq!(steps, vec![0, 5, 10, 15, 20]);
    let validated: Vec<u64> = lines
        .iter()
        .filter(|e| e.val_loss.is_some())
        .map(|e| e.step)
        .collect();
    assert_eq!(validated, vec![0, 10, 20]);
}

fn check_errors<B: Backend>(be: &B) {
    let mut t = Trainer::new(be.clone(), mlp(be), config(5)).unwrap();
    assert!(matches!(
        t.fit(&data(10, 4, 0), None, &mut go),
        Err(TrainError::Data(_))
    ));
    let mut t = Trainer::new(be.clone(), mlp(be), config(5))
        .unwrap()
        .with_early_stop(EarlyStop::Validation {
            patience: 2,
            min_delta: 0.0,
        });
    assert!(matches!(
        t.fit(&data(10, 3, 0), None, &mut go),
        Err(TrainError::InvalidConfig(_))
    ));
    assert!(Dataset::new(vec![1.0, f32::NAN], 1, 2).is_err());
    assert!(Dataset::new(vec![1.0; 5], 2, 2).is_err());
    // A huge step size diverges and is reported.
    let mut c = config(200);
    c.optimizer = OptimizerConfig::Gd { lr: 1e6 };
    c.batch_size = None;
    let net = TwoLayerNet::new(
        be,
        TwoLayerConfig {
            data_dim: 3,
            width: 64,
            seed: 0,
        },
    )
    .unwrap();
    let mut t = Trainer::new(be.clone(), net, c).unwrap();
    assert!(matches!(
        t.fit(&data(20, 3, 0), None, &mut go),
        Err(TrainError::Diverged { .. })
    ));
}

#[test]
fn same_seed_gives_identical_weights() {
    check_determinism(&FaerBackend::default());
}

#[test]
fn resumed_run_matches_uninterrupted_run() {
    check_resume(&FaerBackend::default());
}

#[test]
fn saved_model_holds_ema_weights() {
    check_saved_model(&FaerBackend::default());
}

#[test]
fn validation_early_stop_restores_best_weights() {
    check_validation_stop(&FaerBackend::default());
}

#[test]
fn rise_stop_fires_on_a_rising_loss_and_restores_the_best() {
    check_rise_stop(&FaerBackend::default());
}

#[test]
fn more_validation_draws_steady_the_held_out_loss() {
    check_val_draws(&FaerBackend::default());
}

#[test]
fn theory_stop_hook_stops_training() {
    check_theory_stop(&FaerBackend::default());
}

#[test]
fn training_log_matches_report() {
    check_log_file(&FaerBackend::default());
}

#[test]
fn bad_data_and_settings_are_errors() {
    check_errors(&FaerBackend::default());
}
