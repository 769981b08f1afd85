//! How long a fit trains: a length the table decides, by the theory's stopping rule
//! (DESIGN.md §1; docs/theory.md §4).
//!
//! [`TrainingLength::Theory`] plans, before training, the stopping time of the paper's rule
//! for this table, and converts it to the recipe's optimizer steps with one constant:
//!
//! 1. the theory's network and training: the two-layer ReLU network's analytic NTK (the
//!    `m -> infinity` limit that gradient descent on the wide network tracks) on the fit's
//!    own noisy triples `z = (x_t, t, 1)` of the training rows (times uniform on the recipe's
//!    `[T0, T]`, one fixed draw per record: the regression the theory studies), at most
//!    [`TheoryLength::records`] of them, strided;
//! 2. the rule in its balanced form (`c = sqrt(2e)`, the target norm `B` estimated by a
//!    hold-out-tuned ridge fit, `sigma` by the hold-out ridge estimator; docs/ntk.md §6) gives
//!    the gradient-descent time `tau* = eta k*` at which the kernel regression stops
//!    improving and starts to fit label noise; `tau*` does not depend on the step `eta`;
//! 3. the recipe trains `S = reference_steps * (tau* / reference_time)^exponent` Adam steps,
//!    clamped to `[min_steps, train.max_steps]`.
//!
//! The reference is Credit Default's training split (docs/theory.md §4 gives the figures):
//! the recipe's 18,000 steps there, its best length within the 2-core time budget, at the
//! rule's `tau*` on that table, 1,614.3. The exponent 1/2 was chosen from the length sweeps
//! of two other tables (docs/panel.md): with exponent 1 (steps proportional to GD time) the
//! rule's lengths were 2.7 and more than 4 times shorter than the best ones. A square root
//! is what a diagonal preconditioner of Adam's kind does to gradient descent's time on a
//! quadratic (`1 / sqrt(lambda)` instead of `1 / lambda` per eigen-direction), which is a
//! reason to expect it, not a derivation. Every other table gets its length from its own
//! `tau*`: what changes from table to table is what the rule reads, the number of rows (the
//! padding of the spectrum to `N` records), the kernel's spectrum on the table's rows and
//! the label noise `sigma`.
//!
//! What is, and is not, claimed: the rule is derived for gradient descent on fixed triples
//! of the two-layer network; the recipe trains a deeper network with Adam on fresh noise.
//! The conversion assumes that the useful training length of the recipe follows the rule's
//! time by one power law across tables; the panel (docs/panel.md) is the evidence for or
//! against it.

use scorediff_backend::{Backend, Layout};
use scorediff_net::{AnyNet, NetSpec};
use scorediff_ntk::StoppingRuleConfig;
use scorediff_process::TimeSampler;
use scorediff_train::{
    Dataset, LossWeighting, LrSchedule, NoiseMode, NormBound, OptimizerConfig, TheoryStopConfig,
    TrainConfig, plan_theory_stop,
};
use serde::{Deserialize, Serialize};
use std::time::Instant;

use crate::Result;

/// How the number of training steps is decided (`FitConfig::length`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrainingLength {
    /// Exactly `train.max_steps` (configurations written before the rule existed).
    Fixed,
    /// The theory's stopping time for the table, in the recipe's steps (see the module
    /// documentation); `train.max_steps` caps it.
    Theory(TheoryLength),
}

impl TrainingLength {
    /// The theory's length with the recipe's reference, exponent and settings.
    pub fn theory() -> Self {
        TrainingLength::Theory(TheoryLength::default())
    }
}

impl Default for TrainingLength {
    /// [`TrainingLength::Fixed`]: what a configuration without the field meant.
    fn default() -> Self {
        TrainingLength::Fixed
    }
}

/// Settings of [`TrainingLength::Theory`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TheoryLength {
    /// Steps at the reference table's `tau*` (Credit Default: 18,000).
    pub reference_steps: f64,
    /// The rule's `tau*` on the reference table (Credit Default: 1,614.3).
    pub reference_time: f64,
    /// The power of `tau* / reference_time` (1/2).
    pub exponent: f64,
    /// Fewest steps a fit takes, whatever the rule says.
    pub min_steps: u64,
    /// Records in the kernel (its eigendecomposition is `O(n^3)`).
    pub records: usize,
    /// Independent noise draws of the triples; the plan takes the median of their `tau*`
    /// (one draw's `tau*` varies by about 30% from draw to draw on Credit Default).
    pub draws: usize,
}

/// The reference of the recipe (docs/theory.md §4): Credit Default's 18,000 steps at the
/// rule's `tau*` on its training rows, 1,614.3 (the mean over seeds 0, 1, 2 of the median of
/// five draws: 1,616.5, 1,621.5, 1,604.9).
pub const RECIPE_REFERENCE: (f64, f64) = (18_000.0, 1_614.3);

/// The recipe's exponent: steps grow as the square root of the rule's time.
pub const RECIPE_EXPONENT: f64 = 0.5;

/// The cap on training steps that `--length theory` sets: three times Credit Default's
/// length, about 25 minutes of the width-384 MLP on 2 cores. Tables for which the rule asks
/// more train this long.
pub const RECIPE_MAX_STEPS: u64 = 54_000;

impl Default for TheoryLength {
    fn default() -> Self {
        Self {
            reference_steps: RECIPE_REFERENCE.0,
            reference_time: RECIPE_REFERENCE.1,
            exponent: RECIPE_EXPONENT,
            min_steps: 500,
            records: 1024,
            draws: 5,
        }
    }
}

impl TheoryLength {
    /// `reference_steps (tau / reference_time)^exponent`, before clamping.
    pub fn steps_for(&self, tau: f64) -> f64 {
        self.reference_steps * (tau / self.reference_time).powf(self.exponent)
    }

    /// Checks the settings.
    pub fn validate(&self) -> std::result::Result<(), String> {
        for (name, v) in [
            ("reference_steps", self.reference_steps),
            ("reference_time", self.reference_time),
            ("exponent", self.exponent),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("length.{name} must be a positive number, got {v}"));
            }
        }
        if self.draws == 0 {
            return Err("length.draws must be at least 1".into());
        }
        if self.records < 16 {
            return Err(format!(
                "length.records must be at least 16, got {}",
                self.records
            ));
        }
        Ok(())
    }
}

/// What the length rule decided for a fit; stored in `model.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LengthPlan {
    /// The steps the fit was set to train.
    pub steps: u64,
    /// The rule's gradient-descent time `tau* = eta k*`, the median over the draws (`None`:
    /// the rule did not fire within its horizon for most draws, and the cap was used).
    pub gd_time: Option<f64>,
    /// Each draw's `tau*` (`None` where the rule did not fire).
    pub gd_times: Vec<Option<f64>>,
    /// `reference_steps (tau* / reference_time)^exponent` before clamping.
    pub unclamped_steps: Option<f64>,
    /// The label-noise estimate `sigma` the rule used.
    pub sigma: f64,
    /// The estimated target norm `B`.
    pub rkhs_norm: Option<f64>,
    /// The critical radius of the kernel's local complexity.
    pub critical_radius: Option<f64>,
    /// Records in the kernel and records of the run.
    pub records: usize,
    pub total_records: usize,
    /// Why the steps are what they are, in words.
    pub why: String,
    /// Seconds the plan took.
    pub seconds: f64,
}

impl LengthPlan {
    /// One line for `fit`'s output.
    pub fn describe(&self) -> String {
        let tau = self
            .gd_time
            .map_or("none within its horizon".to_string(), |t| format!("{t:.3}"));
        format!(
            "training length: {} steps, {} (the theory's stopping time tau* = {tau} on {} of {} rows, sigma {:.3}; {:.1} s)",
            self.steps, self.why, self.records, self.total_records, self.sigma, self.seconds
        )
    }
}

/// The GD step the rule is evaluated with: `tau* = eta k*` does not depend on it, and a
/// small step resolves `tau*` finely within the rule's horizon of `10^7` steps.
const PLAN_ETA: f64 = 0.01;

/// Plans the training length of a fit on `train` (encoded rows of `layout`) with the fit's
/// training settings `train_cfg`; `cap` is the most steps allowed.
pub fn plan_length<B: Backend>(
    be: &B,
    train: &Dataset,
    layout: &Layout,
    train_cfg: &TrainConfig,
    rule: &TheoryLength,
    cap: u64,
) -> Result<LengthPlan> {
    let started = Instant::now();
    let net = NetSpec::TwoLayer { width: 1024 }
        .config(layout, train_cfg.seed)
        .build(be)?;
    let (t0, t_end) = train_cfg.time_sampler.range();
    let gd = TrainConfig {
        time_sampler: TimeSampler::Uniform { t0, t_end },
        optimizer: OptimizerConfig::Gd { lr: PLAN_ETA },
        schedule: LrSchedule::default(),
        batch_size: None,
        noise: NoiseMode::Fixed,
        loss_weighting: LossWeighting::Plain,
        ema_decay: None,
        checkpoint: None,
        log_path: None,
        ..train_cfg.clone()
    };
    let mut draws = Vec::with_capacity(rule.draws);
    for draw in 0..rule.draws {
        // Draw 0 is the fit's own first epoch of triples; the others are fresh draws.
        let gd = TrainConfig {
            seed: train_cfg.seed ^ ((draw as u64) << 40),
            ..gd.clone()
        };
        draws.push(plan_once(be, &net, &gd, train, rule)?);
    }
    let gd_times: Vec<Option<f64>> = draws.iter().map(|p| p.gd_time).collect();
    let gd_time = median_of_present(&gd_times, rule.draws);
    let first = &draws[0];
    let unclamped = gd_time.map(|tau| rule.steps_for(tau));
    let floor = rule.min_steps.min(cap);
    let (steps, why) = match unclamped {
        None => (
            cap,
            format!("the rule did not stop within its horizon: the cap of {cap} steps"),
        ),
        Some(s) if s > cap as f64 => (
            cap,
            format!("the rule's {s:.0} steps, capped at train.max_steps = {cap}"),
        ),
        Some(s) if s < floor as f64 => (
            floor,
            format!("the rule's {s:.0} steps, raised to the minimum of {floor}"),
        ),
        Some(s) => (s.round() as u64, "the rule's stopping time".to_string()),
    };
    Ok(LengthPlan {
        steps,
        gd_time,
        gd_times,
        unclamped_steps: unclamped,
        sigma: first.sigma,
        rkhs_norm: first.rkhs_norm,
        critical_radius: first.critical_radius,
        records: first.records,
        total_records: first.total_records,
        why,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One draw's outcome of the rule.
struct Draw {
    gd_time: Option<f64>,
    sigma: f64,
    rkhs_norm: Option<f64>,
    critical_radius: Option<f64>,
    records: usize,
    total_records: usize,
}

/// The rule on one draw of the triples (`gd` carries the draw's seed).
fn plan_once<B: Backend>(
    be: &B,
    net: &AnyNet<B>,
    gd: &TrainConfig,
    train: &Dataset,
    rule: &TheoryLength,
) -> Result<Draw> {
    let theory = TheoryStopConfig {
        rule: StoppingRuleConfig::balanced(1.0),
        norm: NormBound::Estimated,
        max_records: rule.records,
        probes: 1,
        assume_gd_step: None,
    };
    let plan = plan_theory_stop(be, net, gd, train, &theory)
        .map_err(|e| crate::Error::Usage(format!("training length: {e}")))?;
    Ok(Draw {
        gd_time: plan.decision.step.map(|k| PLAN_ETA * k as f64),
        sigma: plan.sigma.sigma,
        rkhs_norm: plan.rkhs_norm,
        critical_radius: plan.decision.critical_radius,
        records: plan.records,
        total_records: plan.total_records,
    })
}

/// The median of `values` counting a missing one as larger than any (the rule did not
/// stop within its horizon); `None` when the median itself is missing. `n` = `values.len()`.
fn median_of_present(values: &[Option<f64>], n: usize) -> Option<f64> {
    let mut present: Vec<f64> = values.iter().flatten().copied().collect();
    present.sort_by(f64::total_cmp);
    // Missing values sort last, so the median is present when more than half are.
    let mid = (n - 1) / 2;
    if n % 2 == 1 {
        present.get(mid).copied()
    } else {
        Some(0.5 * (*present.get(mid)? + *present.get(mid + 1)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_counts_a_missing_time_as_the_largest() {
        assert_eq!(
            median_of_present(&[Some(3.0), Some(1.0), Some(2.0)], 3),
            Some(2.0)
        );
        assert_eq!(
            median_of_present(&[Some(3.0), None, Some(1.0)], 3),
            Some(3.0)
        );
        assert_eq!(median_of_present(&[None, None, Some(1.0)], 3), None);
        assert_eq!(median_of_present(&[Some(4.0), Some(2.0)], 2), Some(3.0));
        assert_eq!(median_of_present(&[Some(4.0), None], 2), None);
    }

    #[test]
    fn the_reference_table_gets_the_reference_steps_and_a_quarter_of_the_time_half() {
        let r = TheoryLength::default();
        assert!((r.steps_for(RECIPE_REFERENCE.1) - 18_000.0).abs() < 1e-9);
        assert!((r.steps_for(RECIPE_REFERENCE.1 / 4.0) - 9_000.0).abs() < 1e-9);
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(TheoryLength::default().validate().is_ok());
        for bad in [
            TheoryLength {
                reference_time: 0.0,
                ..TheoryLength::default()
            },
            TheoryLength {
                exponent: f64::NAN,
                ..TheoryLength::default()
            },
            TheoryLength {
                draws: 0,
                ..TheoryLength::default()
            },
            TheoryLength {
                records: 4,
                ..TheoryLength::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
