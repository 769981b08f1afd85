//! Early stopping (DESIGN.md §1: prolonged training fits the label noise).
//!
//! Two mechanisms:
//! - [`EarlyStop::Validation`]: stop when the validation loss (at fixed draws) has not
//!   improved by `min_delta` for `patience` consecutive validations, then restore the best
//!   weights.
//! - [`EarlyStop::Rise`]: stop once the validation loss has risen a set share above its
//!   best, then restore the best weights: a flat or noisy loss never stops the run, a loss
//!   that turns up (the records' noise being fitted) does.
//! - [`EarlyStop::Theory`]: a step computed from the theory, e.g. the first step `k` with
//!   `R(1/sqrt(eta k)) > 1/(2 e sigma eta k)` of the local empirical kernel complexity. The
//!   NTK crate computes such a step from a Gram matrix; [`crate::plan_theory_stop`] does it
//!   for a run (the network's NTK on the run's own noisy triples) and
//!   [`crate::fit_with_theory_stop`] trains with it.
//!
//! A rule that decides on line implements [`StoppingRule`] and is given to
//! `Trainer::with_stopping_rule`; it ends the run with [`StopReason::Theory`].

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

/// How a run may end before `max_steps`: plain data, so that a fit configuration stores it
/// (`{"kind": "none"}`, `{"kind": "validation", "patience": 6, "min_delta": 0.0}`,
/// `{"kind": "rise", "rise": 0.02}`,
/// `{"kind": "theory", "at_step": 142}`). A rule decided on line is a [`StoppingRule`]
/// given to `Trainer::with_stopping_rule`.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
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
    /// Stop once the validation loss (at fixed draws) exceeds `(1 + rise)` times its best,
    /// and restore the best weights (needs validation data and `eval_every > 0`). A run it
    /// does not stop keeps its last weights.
    Rise {
        /// Share above the best validation loss that stops the run (0.02: 2%).
        rise: f64,
    },
    /// Stop after exactly `at_step` optimizer steps: a step computed before training by the
    /// theory's rule (`scorediff_ntk`'s kernel-complexity rule for full-batch gradient
    /// descent, [`crate::plan_theory_stop`]).
    Theory {
        /// The stopping step.
        at_step: u64,
    },
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// `max_steps` reached.
    MaxSteps,
    /// The validation loss stopped improving; the best weights were restored.
    ValidationPlateau,
    /// The validation loss rose above its best by the set share; the best weights were
    /// restored.
    ValidationRise,
    /// The theory's stopping step was reached, or a [`StoppingRule`] fired.
    Theory,
    /// The progress callback asked to stop.
    Callback,
    /// A privacy check during training found the samples too close to the training rows;
    /// the weights of the last check that passed were kept (`scorediff_synth`'s memorisation
    /// guard).
    MemorisationGuard,
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
    /// A one-line description for checkpoints and logs.
    pub fn describe(&self) -> String {
        match self {
            EarlyStop::None => "none".into(),
            EarlyStop::Validation {
                patience,
                min_delta,
            } => format!("validation(patience={patience}, min_delta={min_delta})"),
            EarlyStop::Rise { rise } => format!("rise(rise={rise})"),
            EarlyStop::Theory { at_step } => format!("theory(at_step={at_step})"),
        }
    }
}
