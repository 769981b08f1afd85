//! Training settings (serialisable; stored in checkpoints).

use std::path::PathBuf;

use scorediff_process::{ForwardProcess, ProcessConfig, TimeSampler};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::precondition::marginal_variance;

/// The optimizer. Both minimise the objective of DESIGN.md §1,
/// `L = 1/(2B) sum_j ||f(x_tj, t_j) - x_0j||^2` over a batch of `B` records.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerConfig {
    /// Plain gradient descent `theta <- theta - eta grad L` (the theory's setting with full
    /// batches: `batch_size = None`).
    Gd {
        /// Step size `eta` (before the schedule's factor).
        lr: f64,
    },
    /// Adam (Kingma and Ba 2015) with bias correction and optional decoupled weight decay
    /// (AdamW, Loshchilov and Hutter 2019): `theta <- theta - lr (m_hat / (sqrt(v_hat) + eps)
    /// + weight_decay theta)`.
    Adam {
        /// Peak learning rate (before the schedule's factor).
        lr: f64,
        /// First-moment decay.
        beta1: f64,
        /// Second-moment decay.
        beta2: f64,
        /// Denominator offset.
        eps: f64,
        /// Decoupled weight decay per unit learning rate (0 disables it); applies to every
        /// trainable parameter, biases included.
        weight_decay: f64,
    },
}

impl OptimizerConfig {
    /// Adam with `lr`, betas `(0.9, 0.999)`, `eps = 1e-8` and no weight decay.
    pub fn adam(lr: f64) -> Self {
        OptimizerConfig::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }

    /// The base learning rate.
    pub fn lr(&self) -> f64 {
        match *self {
            OptimizerConfig::Gd { lr } | OptimizerConfig::Adam { lr, .. } => lr,
        }
    }

    fn validate(&self) -> Result<()> {
        let lr = self.lr();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(bad(format!("learning rate must be positive, got {lr}")));
        }
        if let OptimizerConfig::Adam {
            beta1,
            beta2,
            eps,
            weight_decay,
            ..
        } = *self
        {
            let unit = |b: f64| (0.0..1.0).contains(&b);
            let eps_ok = eps.is_finite() && eps > 0.0;
            let wd_ok = weight_decay.is_finite() && weight_decay >= 0.0;
            if !unit(beta1) || !unit(beta2) || !eps_ok || !wd_ok {
                return Err(bad(format!(
                    "Adam needs betas in [0, 1), eps > 0, weight decay >= 0: {self:?}"
                )));
            }
        }
        Ok(())
    }
}

/// How the learning rate decays after the warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decay {
    /// Constant.
    #[default]
    None,
    /// Cosine from 1 down to `min_factor` at `max_steps`.
    Cosine,
    /// Linear from 1 down to `min_factor` at `max_steps`.
    Linear,
}

/// Learning-rate schedule: a factor in `[0, 1]` multiplying the optimizer's rate at each
/// step `k = 0, 1, ..`: linear warm-up `(k + 1) / warmup_steps` over the first
/// `warmup_steps`, then the decay from 1 to `min_factor` over the remaining steps up to
/// `max_steps`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    /// Warm-up length in steps (0 for none).
    pub warmup_steps: u64,
    /// Decay after the warm-up.
    pub decay: Decay,
    /// Final factor of the decay.
    pub min_factor: f64,
}

impl Default for LrSchedule {
    /// Constant rate.
    fn default() -> Self {
        Self {
            warmup_steps: 0,
            decay: Decay::None,
            min_factor: 0.0,
        }
    }
}

impl LrSchedule {
    /// The factor at step `k` (0-based) of a run of `max_steps` steps.
    pub fn factor(&self, k: u64, max_steps: u64) -> f64 {
        if k < self.warmup_steps {
            return (k + 1) as f64 / self.warmup_steps as f64;
        }
        let span = max_steps.saturating_sub(self.warmup_steps).max(1) as f64;
        let progress = ((k - self.warmup_steps) as f64 / span).min(1.0);
        let shape = match self.decay {
            Decay::None => return 1.0,
            Decay::Cosine => 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
            Decay::Linear => 1.0 - progress,
        };
        self.min_factor + (1.0 - self.min_factor) * shape
    }
}

/// Whether each record gets new noise every epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseMode {
    /// A fresh time and noise for every record every epoch (DESIGN.md §1, the practical
    /// objective: an unbiased estimate of the population loss).
    #[default]
    FreshEachEpoch,
    /// One draw per record for the whole run: the `N` fixed triples `(t_j, x_0j, x_tj)` of
    /// the empirical loss the theory studies (gradient descent then overfits the label noise).
    Fixed,
}

/// The weight `w(t)` of a record's squared error in the regression
/// `L = 1/(2B) sum_j w(t_j) ||f(x_tj, t_j) - x_0j||^2`.
///
/// Every weighting has the same minimiser, `f = E[X_0 | X_t]` at every `t` (the weight only
/// trades accuracy between times for a network of finite size trained for finite time).
/// The parametric score `s = (alpha_t f - x) / h_t` turns a denoiser error `e` into a score
/// error `alpha_t e / h_t`, so errors at small `t` matter most to the sampler, while the plain
/// regression gives them the least weight (their squared error is `O(h_t)`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LossWeighting {
    /// `w(t) = 1`: the plain regression of DESIGN.md §1, the objective the theory studies.
    #[default]
    Plain,
    /// `w(t) = (alpha_t^2 sigma_d^2 + h_t) / (h_t sigma_d^2)`, the inverse square of the
    /// preconditioner's output scale `c_out(t)` ([`crate::Preconditioned`]; Karras et al.
    /// 2022, `lambda(sigma)` of their Table 1): the network's own regression target then has
    /// unit variance at every time. In score terms (`s - s* = alpha_t e / h_t`) it is the
    /// score-matching loss weighted by `lambda(t) = w(t) h_t^2 / alpha_t^2`; for the
    /// Ornstein-Uhlenbeck process with `sigma_d = 1`, `w(t) = 1 / h_t` and
    /// `lambda(t) = h_t / alpha_t^2`, the usual `lambda(t) = h_t` of denoising score
    /// matching (Song et al. 2021) divided by `alpha_t^2`.
    UnitTarget {
        /// The data's per-coordinate standard deviation `sigma_d`.
        sigma_data: f64,
    },
}

impl LossWeighting {
    /// `w(t)` for `process`.
    pub fn weight(&self, process: &ProcessConfig, t: f64) -> f64 {
        match *self {
            Self::Plain => 1.0,
            Self::UnitTarget { sigma_data } => {
                let (alpha, h) = (process.alpha(t), process.h(t));
                marginal_variance(alpha, h, sigma_data) / (h * (sigma_data * sigma_data))
            }
        }
    }

    fn validate(&self) -> Result<()> {
        match *self {
            Self::UnitTarget { sigma_data } if !(sigma_data.is_finite() && sigma_data > 0.0) => {
                Err(bad(format!(
                    "loss weighting sigma_data must be positive, got {sigma_data}"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Periodic checkpoints during [`crate::Trainer::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointPolicy {
    /// Directory of the checkpoint (`model.safetensors` and `checkpoint.json`).
    pub dir: PathBuf,
    /// Write every this many steps (and at the end of `fit`).
    pub every_steps: u64,
}

/// Everything that defines a training run, except the network and the early-stopping
/// rule (see [`crate::EarlyStop`], which may hold code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The forward process giving `alpha_t` and `h_t` for the noising.
    pub process: ProcessConfig,
    /// The law of each record's time `t_j`.
    pub time_sampler: TimeSampler,
    /// The optimizer.
    pub optimizer: OptimizerConfig,
    /// The learning-rate schedule.
    pub schedule: LrSchedule,
    /// Records per step; `None` means full batch (one step per epoch).
    pub batch_size: Option<usize>,
    /// Number of optimizer steps of the run.
    pub max_steps: u64,
    /// Fresh or fixed noise.
    pub noise: NoiseMode,
    /// The weight of each record's squared error by its time (plain regression by default).
    #[serde(default)]
    pub loss_weighting: LossWeighting,
    /// Decay of the exponential moving average of the weights (e.g. 0.999); `None` disables
    /// it. The EMA weights are the ones validated and saved.
    pub ema_decay: Option<f64>,
    /// Seed of every random draw of the run (shuffles, times, noise, validation draws).
    pub seed: u64,
    /// Validation every this many steps (and at steps 0 and the last); 0 disables it.
    pub eval_every: u64,
    /// At least this many noisy draws in the validation set: each validation record is
    /// drawn `ceil(val_draws / records)` times (0 or fewer than the records: once each). The
    /// draws are fixed for the run, so the validation loss changes only with the weights;
    /// more draws make it a steadier estimate of the held-out risk on few records.
    #[serde(default)]
    pub val_draws: usize,
    /// A training-log line every this many steps (and at every validation).
    pub log_every: u64,
    /// At most this many rows go through the network at once; larger batches are split
    /// and their gradients summed (bounds memory at `O(max_rows_per_pass x width)`).
    pub max_rows_per_pass: usize,
    /// JSON-lines training log (appended to).
    pub log_path: Option<PathBuf>,
    /// Periodic checkpoints.
    pub checkpoint: Option<CheckpointPolicy>,
}

impl Default for TrainConfig {
    /// OU process, uniform times on its default range, Adam 1e-3 with a cosine decay,
    /// batch 1024, 10,000 steps, EMA 0.999, validation every 500 steps.
    fn default() -> Self {
        let process = ProcessConfig::OrnsteinUhlenbeck;
        Self {
            time_sampler: TimeSampler::uniform_for(&process),
            process,
            optimizer: OptimizerConfig::adam(1e-3),
            schedule: LrSchedule {
                warmup_steps: 200,
                decay: Decay::Cosine,
                min_factor: 0.05,
            },
            batch_size: Some(1024),
            max_steps: 10_000,
            noise: NoiseMode::FreshEachEpoch,
            loss_weighting: LossWeighting::Plain,
            ema_decay: Some(0.999),
            seed: 0,
            eval_every: 500,
            val_draws: 0,
            log_every: 100,
            max_rows_per_pass: 8192,
            log_path: None,
            checkpoint: None,
        }
    }
}

impl TrainConfig {
    /// Checks every setting.
    pub fn validate(&self) -> Result<()> {
        self.optimizer.validate()?;
        self.time_sampler.validate()?;
        self.loss_weighting.validate()?;
        if self.batch_size == Some(0) || self.max_rows_per_pass == 0 {
            return Err(bad("batch size and rows per pass must be at least 1"));
        }
        if let Some(decay) = self.ema_decay
            && !(0.0..1.0).contains(&decay)
        {
            return Err(bad(format!("EMA decay must lie in [0, 1), got {decay}")));
        }
        let s = &self.schedule;
        if !(0.0..=1.0).contains(&s.min_factor) {
            return Err(bad(format!(
                "schedule min_factor must lie in [0, 1], got {}",
                s.min_factor
            )));
        }
        if let Some(c) = &self.checkpoint
            && c.every_steps == 0
        {
            return Err(bad("checkpoint interval must be at least 1 step"));
        }
        Ok(())
    }
}

fn bad(msg: impl Into<String>) -> TrainError {
    TrainError::InvalidConfig(msg.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_matches_closed_forms() {
        let s = LrSchedule {
            warmup_steps: 10,
            decay: Decay::Cosine,
            min_factor: 0.1,
        };
        assert!((s.factor(0, 110) - 0.1).abs() < 1e-12);
        assert!((s.factor(9, 110) - 1.0).abs() < 1e-12);
        assert!((s.factor(10, 110) - 1.0).abs() < 1e-12);
        // Half-way through the decay the cosine is at its mean.
        assert!((s.factor(60, 110) - (0.1 + 0.9 * 0.5)).abs() < 1e-12);
        assert!((s.factor(110, 110) - 0.1).abs() < 1e-12);
        let lin = LrSchedule {
            decay: Decay::Linear,
            ..s
        };
        assert!((lin.factor(35, 110) - (0.1 + 0.9 * 0.75)).abs() < 1e-12);
        assert_eq!(LrSchedule::default().factor(1234, 10), 1.0);
    }

    #[test]
    fn bad_settings_are_rejected() {
        let ok = TrainConfig::default();
        assert!(ok.validate().is_ok());
        let mut c = ok.clone();
        c.optimizer = OptimizerConfig::Gd { lr: -1.0 };
        assert!(c.validate().is_err());
        let mut c = ok.clone();
        c.ema_decay = Some(1.0);
        assert!(c.validate().is_err());
        let mut c = ok.clone();
        c.batch_size = Some(0);
        assert!(c.validate().is_err());
        let mut c = ok;
        c.optimizer = OptimizerConfig::Adam {
            lr: 1e-3,
            beta1: 1.0,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        };
        assert!(c.validate().is_err());
    }
}
