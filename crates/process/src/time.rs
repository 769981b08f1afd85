//! Training-time distributions: how the time `t_j` of each noisy record is drawn.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::error::{Result, config_err};
use crate::process::ForwardProcess;

/// The law of the training time `t` of each record (DESIGN.md §1: `t ~ Uniform[T0, T]`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimeSampler {
    /// `t ~ Uniform[t0, t_end]`, density `1 / (t_end - t0)`: the paper's choice, which makes
    /// the weighted denoising score-matching loss the plain regression of DESIGN.md §1.
    Uniform {
        /// Lower end `T0 > 0`.
        t0: f64,
        /// Upper end `T > T0`.
        t_end: f64,
    },
    /// `log t ~ Uniform[log t0, log t_end]`, density `1 / (t ln(t_end / t0))`: puts as many
    /// records in `[1e-3, 1e-2]` as in `[0.1, 1]`, i.e. more weight on small times where the
    /// denoiser is closest to the identity and the score is largest and hardest to fit.
    LogUniform {
        /// Lower end `T0 > 0`.
        t0: f64,
        /// Upper end `T > T0`.
        t_end: f64,
    },
    /// `Uniform[t0, t_end]` estimated by importance sampling: times are drawn as in
    /// `LogUniform`, and each record's loss is multiplied by
    /// [`TimeSampler::importance_weight`] `= p_U(t) / p_log(t) = t ln(t_end / t0) / (t_end - t0)`,
    /// so the expected loss, its minimiser and its gradient are those of `Uniform` (the
    /// paper's objective). What changes is the Monte Carlo estimate: small times, where the
    /// denoiser's errors are amplified most in the score (`alpha_t / h_t`), get many records
    /// with small weights instead of few records with large ones.
    ImportanceLogUniform {
        /// Lower end `T0 > 0`.
        t0: f64,
        /// Upper end `T > T0`.
        t_end: f64,
    },
}

impl TimeSampler {
    /// `Uniform[t0, t_end]`, validated.
    pub fn uniform(t0: f64, t_end: f64) -> Result<Self> {
        let s = TimeSampler::Uniform { t0, t_end };
        s.validate()?;
        Ok(s)
    }

    /// `LogUniform[t0, t_end]`, validated.
    pub fn log_uniform(t0: f64, t_end: f64) -> Result<Self> {
        let s = TimeSampler::LogUniform { t0, t_end };
        s.validate()?;
        Ok(s)
    }

    /// `ImportanceLogUniform[t0, t_end]`, validated.
    pub fn importance_log_uniform(t0: f64, t_end: f64) -> Result<Self> {
        let s = TimeSampler::ImportanceLogUniform { t0, t_end };
        s.validate()?;
        Ok(s)
    }

    /// `Uniform` over the process's default range `[T0, T]` (the paper's choice).
    pub fn uniform_for<P: ForwardProcess + ?Sized>(process: &P) -> Self {
        let (t0, t_end) = process.default_time_range();
        TimeSampler::Uniform { t0, t_end }
    }

    /// `(t0, t_end)`.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            TimeSampler::Uniform { t0, t_end }
            | TimeSampler::LogUniform { t0, t_end }
            | TimeSampler::ImportanceLogUniform { t0, t_end } => (t0, t_end),
        }
    }

    /// Checks `0 < t0 < t_end < inf`.
    pub fn validate(&self) -> Result<()> {
        let (t0, t_end) = self.range();
        if !(t0.is_finite() && t_end.is_finite() && t0 > 0.0 && t0 < t_end) {
            return Err(config_err(format!(
                "time range needs 0 < t0 < t_end, got [{t0}, {t_end}]"
            )));
        }
        Ok(())
    }

    /// Draws one time (one uniform draw from `rng`).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let u: f64 = rng.random();
        self.quantile(u)
    }

    /// The quantile function (inverse CDF) at `u in [0, 1]`.
    pub fn quantile(&self, u: f64) -> f64 {
        match *self {
            TimeSampler::Uniform { t0, t_end } => t0 + u * (t_end - t0),
            TimeSampler::LogUniform { t0, t_end }
            | TimeSampler::ImportanceLogUniform { t0, t_end } => t0 * (t_end / t0).powf(u),
        }
    }

    /// The cumulative distribution function at `t`.
    pub fn cdf(&self, t: f64) -> f64 {
        let (t0, t_end) = self.range();
        let t = t.clamp(t0, t_end);
        match self {
            TimeSampler::Uniform { .. } => (t - t0) / (t_end - t0),
            TimeSampler::LogUniform { .. } | TimeSampler::ImportanceLogUniform { .. } => {
                (t / t0).ln() / (t_end / t0).ln()
            }
        }
    }

    /// The density at `t` (0 outside the range).
    pub fn density(&self, t: f64) -> f64 {
        let (t0, t_end) = self.range();
        if !(t0..=t_end).contains(&t) {
            return 0.0;
        }
        match self {
            TimeSampler::Uniform { .. } => 1.0 / (t_end - t0),
            TimeSampler::LogUniform { .. } | TimeSampler::ImportanceLogUniform { .. } => {
                1.0 / (t * (t_end / t0).ln())
            }
        }
    }

    /// Whether [`TimeSampler::importance_weight`] differs from 1, i.e. records carry a weight.
    pub fn is_importance_weighted(&self) -> bool {
        matches!(self, TimeSampler::ImportanceLogUniform { .. })
    }

    /// The factor on a record's loss that makes the estimate target the sampler's objective:
    /// `t ln(t_end / t0) / (t_end - t0)` for `ImportanceLogUniform` (the ratio of the
    /// `Uniform` density to the drawing density), `1` otherwise.
    pub fn importance_weight(&self, t: f64) -> f64 {
        match *self {
            TimeSampler::ImportanceLogUniform { t0, t_end } => t * (t_end / t0).ln() / (t_end - t0),
            _ => 1.0,
        }
    }
}
