//! Forward noising processes (DESIGN.md §1).
//!
//! Every process here is a linear SDE `dX = f(t) X dt + g(t) dB` started at the data `X_0`,
//! so that `X_t | X_0 ~ N(alpha_t X_0, h_t I)` with
//!
//! - `log alpha_t = int_0^t f(u) du` (mean coefficient),
//! - `h_t` solving `h' = 2 f h + g^2`, `h_0 = 0` (variance).
//!
//! Implementations: [`OrnsteinUhlenbeck`] (the paper's process) and two variance-preserving
//! schedules, [`VpLinear`] (Song et al.'s VP-SDE) and [`VpCosine`] (Nichol & Dhariwal).
//! [`ProcessConfig`] is the serialisable description stored in model files.

mod ou;
mod vp;

pub use ou::OrnsteinUhlenbeck;
pub use vp::{VpCosine, VpLinear};

use std::fmt::Debug;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{ProcessError, Result};

/// Number of Simpson intervals of the default quadrature in
/// [`ForwardProcess::reverse_score_coef`].
const SIMPSON_INTERVALS: usize = 256;

/// A linear forward SDE `dX = f(t) X dt + g(t) dB` with Gaussian transition
/// `X_t | X_0 ~ N(alpha_t X_0, h_t I)` (DESIGN.md §1).
///
/// Times are forward times `t >= 0`. The reverse samplers run from `T` down to `T0`, see
/// [`ForwardProcess::default_time_range`].
pub trait ForwardProcess: Send + Sync + Debug {
    /// `log alpha_t = int_0^t f(u) du`, the log of the mean coefficient.
    fn log_alpha(&self, t: f64) -> f64;

    /// The variance `h_t` of `X_t | X_0`.
    fn h(&self, t: f64) -> f64;

    /// The drift coefficient `f(t)` of the forward SDE.
    fn drift_coef(&self, t: f64) -> f64;

    /// The squared diffusion coefficient `g(t)^2` of the forward SDE.
    fn diffusion_sq(&self, t: f64) -> f64;

    /// The default `(T0, T)`: training times are drawn in `[T0, T]` and samplers run from
    /// `T` down to `T0`.
    fn default_time_range(&self) -> (f64, f64);

    /// The serialisable description of this process (for model files).
    fn config(&self) -> ProcessConfig;

    /// The largest time at which the process is defined (`f64::INFINITY` unless the schedule
    /// lives on a bounded interval).
    fn max_time(&self) -> f64 {
        f64::INFINITY
    }

    /// The mean coefficient `alpha_t = exp(log alpha_t)`.
    fn alpha(&self, t: f64) -> f64 {
        self.log_alpha(t).exp()
    }

    /// Coefficients `(a, b)` of the time-reversal drift `a y + b s(y, t)` at forward time `t`:
    /// in reversed time `tau = T - t` the reverse SDE is
    /// `dY = (-f(t) Y + g(t)^2 s(Y, t)) dtau + g(t) dB`, so `(a, b) = (-f(t), g(t)^2)`.
    /// For the OU process this is `dY = (Y + 2 s) dtau + sqrt(2) dB` (DESIGN.md §1).
    fn reverse_sde_coefs(&self, t: f64) -> (f64, f64) {
        (-self.drift_coef(t), self.diffusion_sq(t))
    }

    /// Coefficients `(a, b)` of the probability-flow ODE drift `a y + b s(y, t)`:
    /// `dY = (-f(t) Y + g(t)^2 / 2 s(Y, t)) dtau`; for OU `dY = (Y + s) dtau`.
    fn probability_flow_coefs(&self, t: f64) -> (f64, f64) {
        (-self.drift_coef(t), 0.5 * self.diffusion_sq(t))
    }

    /// Growth factor of the linear part of the reverse dynamics from forward time `t` down to
    /// `s < t`: `Phi = exp(-int_s^t f(u) du) = alpha_s / alpha_t` (`e^{t - s}` for OU).
    fn reverse_growth(&self, s: f64, t: f64) -> f64 {
        (self.log_alpha(s) - self.log_alpha(t)).exp()
    }

    /// Weight of a score held fixed over a reverse step from `t` down to `s`, integrated
    /// exactly through the linear part:
    /// `c = int_s^t (alpha_s / alpha_u) g(u)^2 du`.
    ///
    /// The default evaluates the integral by composite Simpson quadrature; the
    /// variance-preserving processes override it with the closed form `2 (Phi - 1)`.
    fn reverse_score_coef(&self, s: f64, t: f64) -> f64 {
        let la_s = self.log_alpha(s);
        simpson(s, t, SIMPSON_INTERVALS, |u| {
            self.diffusion_sq(u) * (la_s - self.log_alpha(u)).exp()
        })
    }

    /// Variance of the noise injected by a reverse SDE step from `t` down to `s`, with the
    /// linear part integrated exactly:
    /// `v = int_s^t (alpha_s / alpha_u)^2 g(u)^2 du = Phi^2 h_t - h_s`
    /// (because `(alpha_s / alpha_u)^2 g(u)^2 = alpha_s^2 d/du (h_u / alpha_u^2)`).
    /// Variance-preserving processes override it with `Phi^2 - 1` computed by `expm1`.
    fn reverse_noise_var(&self, s: f64, t: f64) -> f64 {
        let phi = self.reverse_growth(s, t);
        (phi * phi * self.h(t) - self.h(s)).max(0.0)
    }
}

/// Composite Simpson rule of `f` on `[a, b]` with `n` (even) intervals.
fn simpson(a: f64, b: f64, n: usize, f: impl Fn(f64) -> f64) -> f64 {
    let n = n + n % 2;
    let step = (b - a) / n as f64;
    let inner: f64 = (1..n)
        .map(|i| {
            let w = if i % 2 == 1 { 4.0 } else { 2.0 };
            w * f(a + i as f64 * step)
        })
        .sum();
    (f(a) + inner + f(b)) * step / 3.0
}

/// `(alpha_t, h_t)` at a time where the score form `(alpha_t f - x) / h_t` and Tweedie's
/// formula `(x + h_t s) / alpha_t` are defined: `t` finite, in `[0, max_time]`, with
/// `alpha_t > 0` and `h_t > 0`.
pub fn score_coefficients<P: ForwardProcess + ?Sized>(process: &P, t: f64) -> Result<(f64, f64)> {
    check_time(process, t)?;
    let (alpha_t, h_t) = (process.alpha(t), process.h(t));
    if !(alpha_t > 0.0 && alpha_t.is_finite()) {
        return Err(invalid_time(
            t,
            format!("alpha_t = {alpha_t} is not positive"),
        ));
    }
    if !(h_t > 0.0 && h_t.is_finite()) {
        return Err(invalid_time(t, format!("h_t = {h_t} is not positive")));
    }
    Ok((alpha_t, h_t))
}

/// Checks that `t` is finite and lies in `[0, process.max_time()]`.
pub fn check_time<P: ForwardProcess + ?Sized>(process: &P, t: f64) -> Result<()> {
    if !t.is_finite() || t < 0.0 || t > process.max_time() {
        return Err(invalid_time(
            t,
            format!(
                "outside [0, {}] of {:?}",
                process.max_time(),
                process.config()
            ),
        ));
    }
    Ok(())
}

fn invalid_time(t: f64, reason: String) -> ProcessError {
    ProcessError::InvalidTime { t, reason }
}

/// Shared closed forms of variance-preserving processes (`h_t = 1 - alpha_t^2`,
/// `g^2 = -2 f`), written with `expm1` to keep precision at small times and small steps.
pub(crate) mod vp_forms {
    /// `h_t = 1 - alpha_t^2 = -expm1(2 log alpha_t)`.
    pub fn h(log_alpha_t: f64) -> f64 {
        -(2.0 * log_alpha_t).exp_m1()
    }
    /// `c = 2 (Phi - 1)` with `Phi = alpha_s / alpha_t`.
    pub fn score_coef(log_alpha_s: f64, log_alpha_t: f64) -> f64 {
        2.0 * (log_alpha_s - log_alpha_t).exp_m1()
    }
    /// `v = Phi^2 - 1`.
    pub fn noise_var(log_alpha_s: f64, log_alpha_t: f64) -> f64 {
        (2.0 * (log_alpha_s - log_alpha_t)).exp_m1()
    }
}

/// The serialisable description of a forward process, stored in model files.
///
/// It implements [`ForwardProcess`] itself by delegating to the process it describes.
/// Deserialisation validates the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProcessConfig {
    /// [`OrnsteinUhlenbeck`]: `dX = -X dt + sqrt(2) dB` (the paper's process).
    #[default]
    OrnsteinUhlenbeck,
    /// [`VpLinear`]: VP-SDE with a linear `beta(t)`.
    VpLinear(VpLinear),
    /// [`VpCosine`]: VP process with the cosine schedule.
    VpCosine(VpCosine),
}

impl ProcessConfig {
    fn inner(&self) -> &dyn ForwardProcess {
        match self {
            ProcessConfig::OrnsteinUhlenbeck => &OrnsteinUhlenbeck,
            ProcessConfig::VpLinear(p) => p,
            ProcessConfig::VpCosine(p) => p,
        }
    }
}

macro_rules! delegate_process {
    ($self:ident => $target:expr) => {
        fn log_alpha(&$self, t: f64) -> f64 { $target.log_alpha(t) }
        fn h(&$self, t: f64) -> f64 { $target.h(t) }
        fn drift_coef(&$self, t: f64) -> f64 { $target.drift_coef(t) }
        fn diffusion_sq(&$self, t: f64) -> f64 { $target.diffusion_sq(t) }
        fn default_time_range(&$self) -> (f64, f64) { $target.default_time_range() }
        fn config(&$self) -> ProcessConfig { $target.config() }
        fn max_time(&$self) -> f64 { $target.max_time() }
        fn alpha(&$self, t: f64) -> f64 { $target.alpha(t) }
        fn reverse_sde_coefs(&$self, t: f64) -> (f64, f64) { $target.reverse_sde_coefs(t) }
        fn probability_flow_coefs(&$self, t: f64) -> (f64, f64) {
            $target.probability_flow_coefs(t)
        }
        fn reverse_growth(&$self, s: f64, t: f64) -> f64 { $target.reverse_growth(s, t) }
        fn reverse_score_coef(&$self, s: f64, t: f64) -> f64 {
            $target.reverse_score_coef(s, t)
        }
        fn reverse_noise_var(&$self, s: f64, t: f64) -> f64 { $target.reverse_noise_var(s, t) }
    };
}

impl ForwardProcess for ProcessConfig {
    delegate_process!(self => self.inner());
}

impl<P: ForwardProcess + ?Sized> ForwardProcess for &P {
    delegate_process!(self => (**self));
}

impl<P: ForwardProcess + ?Sized> ForwardProcess for Box<P> {
    delegate_process!(self => (**self));
}

impl<P: ForwardProcess + ?Sized> ForwardProcess for Arc<P> {
    delegate_process!(self => (**self));
}
