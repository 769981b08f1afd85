//! Early stopping (DESIGN.md §1: prolonged training fits the label noise).
//!
//! Two mechanisms:
//! - [`EarlyStop::Validation`]: stop when the validation loss (at fixed draws) has not
//!   improved by `min_delta` for `patience` consecutive validations, then restore the best
//!   weights.
//! - [`EarlyStop::Theory`]: a rule computed from the theory, e.g. the first step `k` with
//!   `R(1/sqrt(eta k)) > 1/(2 e sigma eta k)` of the local empirical kernel complexity. The
//!   NTK crate computes such a step from a Gram matrix; [`crate::plan_theory_stop`] does it
//!   for a run (the network's NTK on the run's own noisy triples) and
//!   [`crate::fit_with_theory_stop`] trains with it, passing it as [`TheoryStop::AtStep`].
//!   Implement [`StoppingRule`] for a rule that decides on line.

use std::fmt::Debug;

/// What a [`StoppingRule`] sees after every optimizer step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StopInfo {
    /// Optimizer steps taken so far (1 after the first step).
    pub step: u64,
    /// Current epoch (0-based).
    pub epoch: u64,
    /// Loss of the step's batch.
    pub train_loss: f64,
    /// Validation loss, when this step was validated.
    pub val_loss: Option<f64>,
    /// Learning rate used by the step.
    pub lr: f64,
}

/// A stopping rule decided on line, after every optimizer step.
pub trait StoppingRule: Debug + Send {
    /// Whether to stop now, after step `info.step`.
    fn should_stop(&mut self, info: &StopInfo) -> bool;
}

/// The payload of [`EarlyStop::Theory`].
#[derive(Debug)]
pub enum TheoryStop {
    /// Stop after exactly this many optimizer steps (a precomputed stopping step, e.g.
    /// `scorediff_ntk`'s kernel-complexity rule for full-batch gradient descent).
    AtStep(u64),
    /// A rule consulted after every step.
    Rule(Box<dyn StoppingRule>),
}

impl TheoryStop {
    fn should_stop(&mut self, info: &StopInfo) -> bool {
        match self {
            TheoryStop::AtStep(k) => info.step >= *k,
            TheoryStop::Rule(rule) => rule.should_stop(info),
        }
    }
}

/// How a run may end before `max_steps`.
#[derive(Debug, Default)]
pub enum EarlyStop {
    /// Train for `max_steps`.
    #[default]
    None,
    /// Stop on a validation-loss plateau and restore the best weights (needs validation
    /// data and `eval_every > 0`).
    Validation {
        /// Validations without an improvement of more than `min_delta` before stopping.
        patience: usize,
        /// Smallest decrease of the validation loss that counts as an improvement.
        min_delta: f64,
    },
    /// A rule from the theory.
    Theory(TheoryStop),
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// `max_steps` reached.
    MaxSteps,
    /// The validation loss stopped improving; the best weights were restored.
    ValidationPlateau,
    /// The theory rule fired.
    Theory,
    /// The progress callback asked to stop.
    Callback,
}

/// Tracks the best validation loss for [`EarlyStop::Validation`].
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Plateau {
    /// Best validation loss so far and the step it was measured at.
    pub best: Option<(f64, u64)>,
    /// Validations since the best one.
    pub since_best: usize,
}

impl Plateau {
    /// Records a validation loss; returns whether it is a new best.
    pub fn observe(&mut self, loss: f64, step: u64, min_delta: f64) -> bool {
        let improved = match self.best {
            None => true,
            Some((best, _)) => loss < best - min_delta,
        };
        if improved {
            self.best = Some((loss, step));
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
        improved
    }
}

impl EarlyStop {
    /// Whether the theory rule fires after this step.
    pub(crate) fn theory_fires(&mut self, info: &StopInfo) -> bool {
        match self {
            EarlyStop::Theory(rule) => rule.should_stop(info),
            _ => false,
        }
    }

    /// A one-line description for checkpoints and logs.
    pub fn describe(&self) -> String {
        match self {
            EarlyStop::None => "none".into(),
            EarlyStop::Validation {
                patience,
                min_delta,
            } => format!("validation(patience={patience}, min_delta={min_delta})"),
            EarlyStop::Theory(TheoryStop::AtStep(k)) => format!("theory(at_step={k})"),
            EarlyStop::Theory(TheoryStop::Rule(r)) => format!("theory(rule={r:?})"),
        }
    }
}
