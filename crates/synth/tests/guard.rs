//! The memorisation guard in a fit: its checks leave the training alone, and a model that
//! starts to copy its training rows is stopped on the weights of an earlier check.

mod common;

use common::{circle as table, independent_letters};
use scorediff_synth::backend::Backend;
use scorediff_synth::faer::FaerBackend;
use scorediff_synth::guard::{GuardAction, GuardConfig};
use scorediff_synth::net::{NetSpec, ScoreNet};
use scorediff_synth::pipeline::{FitConfig, Model, TrainingLength, fit};
use scorediff_synth::train::{EarlyStop, StopReason};
use std::ops::ControlFlow;

fn small_config(steps: u64, guard: GuardConfig) -> FitConfig {
    let mut cfg = FitConfig {
        net: NetSpec::Mlp {
            width: 32,
            depth: 1,
            residual: true,
        },
        guard,
        ..FitConfig::default()
    }
    .with_seed(5);
    // Exactly `steps`, not the length rule's choice below them.
    cfg.length = TrainingLength::Fixed;
    cfg.train.max_steps = steps;
    cfg.train.batch_size = Some(64);
    // The guard alone decides: no held-out loss stop.
    cfg.stop = EarlyStop::None;
    cfg.sampler.steps = 4;
    cfg.validation_fraction = 0.25;
    cfg
}

fn weights<B: Backend>(be: &B, model: &Model<B>) -> Vec<Vec<f32>> {
    model
        .net
        .params()
        .iter()
        .map(|p| be.to_host(&p.value).expect("host copy"))
        .collect()
}

fn go(_: &scorediff_synth::train::Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

#[test]
fn the_checks_leave_the_training_alone() {
    let be = FaerBackend::default();
    let (t, s) = table(240, 1);
    // Limit 100%: the guard measures and never acts.
    let watching = GuardConfig {
        every: 7,
        rows: 200,
        limit_pct: 100.0,
        action: GuardAction::Stop,
    };
    let guarded = fit(&be, &t, &s, &small_config(30, watching), &mut go).unwrap();
    let plain = fit(&be, &t, &s, &small_config(30, GuardConfig::off()), &mut go).unwrap();
    assert_eq!(weights(&be, &guarded), weights(&be, &plain));
    assert_eq!(guarded.report.steps, 30);
    assert_eq!(guarded.report.stop_reason, StopReason::MaxSteps);
    assert!(plain.guard.is_none());
    let report = guarded.guard.expect("the guard ran");
    let steps: Vec<u64> = report.checks.iter().map(|c| c.step).collect();
    assert_eq!(steps, [7, 14, 21, 28, 30], "every 7 steps and at the end");
    assert_eq!(report.n_reference, 60);
    for c in &report.checks {
        assert!((0.0..=100.0).contains(&c.share_pct), "{c:?}");
        assert!(c.lower_pct < c.share_pct && !c.exceeded, "{c:?}");
    }
    // The same seed measures the same figures.
    let again = fit(&be, &t, &s, &small_config(30, watching), &mut go).unwrap();
    assert_eq!(again.guard.expect("ran").checks.len(), 5);
}

#[test]
fn too_few_held_out_rows_skip_the_guard_and_say_why() {
    let be = FaerBackend::default();
    let (t, s) = table(120, 2);
    let mut cfg = small_config(3, GuardConfig::default());
    cfg.validation_fraction = 0.1;
    let model = fit(&be, &t, &s, &cfg, &mut go).unwrap();
    let report = model.guard.expect("a report");
    assert!(report.checks.is_empty());
    let why = report.skipped.expect("a reason");
    assert!(why.contains("12 held-out rows"), "{why}");
}

#[test]
fn a_model_that_copies_its_rows_is_stopped_on_earlier_weights() {
    let be = FaerBackend::default();
    // Few rows of independent columns and a long run: the denoiser learns the training
    // rows' combinations, which the held-out rows do not share.
    let (t, s) = independent_letters(160, 6, 3);
    let guard = GuardConfig {
        every: 40,
        rows: 400,
        limit_pct: 53.0,
        action: GuardAction::Warn,
    };
    let mut cfg = small_config(1000, guard);
    cfg.net = NetSpec::Mlp {
        width: 128,
        depth: 2,
        residual: true,
    };
    cfg.validation_fraction = 0.5;
    cfg.sampler = FitConfig::default().with_seed(5).sampler;
    let warned = fit(&be, &t, &s, &cfg, &mut go).unwrap();
    let report = warned.guard.expect("ran");
    let shares: Vec<(u64, f64)> = report
        .checks
        .iter()
        .map(|c| (c.step, c.share_pct))
        .collect();
    eprintln!("shares by step: {shares:?}");
    let first = report
        .first_exceeded()
        .expect("the rows are copied")
        .clone();
    assert!(
        report.checks[0].share_pct < first.share_pct,
        "{:?}",
        report.checks
    );
    assert_eq!(warned.report.steps, 1000, "warn trains on");
    cfg.guard.action = GuardAction::Stop;
    let stopped = fit(&be, &t, &s, &cfg, &mut go).unwrap();
    assert_eq!(stopped.report.stop_reason, StopReason::MemorisationGuard);
    assert_eq!(
        stopped.report.steps, first.step,
        "stopped at the first excess"
    );
    let report = stopped.guard.expect("ran");
    let kept = report.kept_step.expect("an earlier check passed");
    assert_eq!(kept, first.step - 40);
    assert!(!report.model_check().expect("kept check").exceeded);
    assert!(
        report
            .describe()
            .contains(&format!("kept the weights of step {kept}"))
    );
}
