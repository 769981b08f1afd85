//! The training length the table decides: the theory's stopping time, planned before the
//! fit, trained, recorded, and clamped to the cap and the floor.

mod common;

use common::circle;
use scorediff_synth::faer::FaerBackend;
use scorediff_synth::guard::GuardConfig;
use scorediff_synth::net::NetSpec;
use scorediff_synth::pipeline::{FitConfig, LengthPlan, TheoryLength, TrainingLength, fit};
use std::ops::ControlFlow;

fn config(cap: u64, rule: TheoryLength) -> FitConfig {
    let mut cfg = FitConfig {
        net: NetSpec::Mlp {
            width: 16,
            depth: 1,
            residual: true,
        },
        guard: GuardConfig::off(),
        length: TrainingLength::Theory(rule),
        ..FitConfig::default()
    }
    .with_seed(2);
    cfg.train.max_steps = cap;
    cfg.sampler.steps = 2;
    cfg
}

/// A small kernel, so that the plan is quick; the calibration constant of the recipe.
fn rule() -> TheoryLength {
    TheoryLength {
        records: 200,
        draws: 3,
        min_steps: 1,
        ..TheoryLength::default()
    }
}

/// The plan of a fit of `rows` circle rows under `cfg` (the fit trains its planned steps).
fn planned(rows: usize, cfg: &FitConfig) -> LengthPlan {
    let (t, s) = circle(rows, 1);
    let be = FaerBackend::default();
    let model = fit(&be, &t, &s, cfg, &mut |_| ControlFlow::Continue(())).unwrap();
    let plan = model.length.expect("the rule ran");
    assert_eq!(
        model.report.steps, plan.steps,
        "the fit trains the planned steps"
    );
    assert_eq!(
        model.config.train.max_steps, cfg.train.max_steps,
        "the cap is kept"
    );
    plan
}

#[test]
fn more_rows_of_the_same_law_train_longer_and_the_plan_is_seeded() {
    // A cap far above the plan: the rule alone decides.
    let cfg = config(1_000_000, rule());
    let small = planned(150, &cfg);
    let large = planned(1200, &cfg);
    let (tau_s, tau_l) = (small.gd_time.unwrap(), large.gd_time.unwrap());
    assert!(
        tau_l > tau_s,
        "tau* {tau_s} for 150 rows, {tau_l} for 1,200"
    );
    assert!(large.steps > small.steps);
    assert_eq!(small.gd_times.len(), 3);
    assert_eq!(small.why, "the rule's stopping time");
    let expected = rule().steps_for(tau_s).round() as u64;
    assert_eq!(small.steps, expected);
    // The same seed plans the same length.
    assert_eq!(planned(150, &cfg).gd_times, small.gd_times);
}

#[test]
fn the_cap_and_the_floor_clamp_the_plan() {
    let capped = planned(300, &config(3, rule()));
    assert_eq!(capped.steps, 3);
    assert!(
        capped.why.contains("capped at train.max_steps = 3"),
        "{}",
        capped.why
    );
    // A floor above the rule's steps raises them (few steps per unit of GD time keep the
    // run short).
    let slow = TheoryLength {
        reference_steps: 10.0,
        ..rule()
    };
    let free = planned(300, &config(1_000_000, slow));
    let floor = free.unclamped_steps.expect("the rule fired").ceil() as u64 + 50;
    let raised = planned(
        300,
        &config(
            1_000_000,
            TheoryLength {
                min_steps: floor,
                ..slow
            },
        ),
    );
    assert_eq!(raised.steps, floor);
    assert!(
        raised
            .why
            .contains(&format!("raised to the minimum of {floor}")),
        "{}",
        raised.why
    );
}
