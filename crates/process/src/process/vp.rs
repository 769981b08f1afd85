//! Variance-preserving processes: the linear-beta VP-SDE and the cosine schedule.
//!
//! A VP process is `dX = -beta(t)/2 X dt + sqrt(beta(t)) dB`, i.e. `f = -beta/2`,
//! `g^2 = beta = -2 f`, so `h_t = 1 - alpha_t^2` and the stationary law is `N(0, I)`.

use std::f64::consts::FRAC_PI_2;

use serde::{Deserialize, Serialize};

use super::{ForwardProcess, ProcessConfig, vp_forms};
use crate::error::{Result, config_err};

/// Song et al.'s VP-SDE with the linear schedule `beta(t) = beta_min + t (beta_max - beta_min)`
/// on `t in [0, 1]`:
/// `log alpha_t = -(beta_min t + (beta_max - beta_min) t^2 / 2) / 2`, `h_t = 1 - alpha_t^2`.
///
/// Defaults `beta_min = 0.1`, `beta_max = 20`, time range `[1e-3, 1]`
/// (`alpha_1 = e^{-5.025} = 0.0066`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "VpLinearParams")]
pub struct VpLinear {
    beta_min: f64,
    beta_max: f64,
}

/// Unvalidated field mirror of [`VpLinear`] for deserialisation.
#[derive(Deserialize)]
struct VpLinearParams {
    beta_min: f64,
    beta_max: f64,
}

impl TryFrom<VpLinearParams> for VpLinear {
    type Error = crate::ProcessError;
    fn try_from(p: VpLinearParams) -> Result<Self> {
        VpLinear::new(p.beta_min, p.beta_max)
    }
}

impl Default for VpLinear {
    fn default() -> Self {
        Self {
            beta_min: 0.1,
            beta_max: 20.0,
        }
    }
}

impl VpLinear {
    /// A linear schedule; requires `0 <= beta_min <= beta_max`, `beta_max > 0`, finite.
    pub fn new(beta_min: f64, beta_max: f64) -> Result<Self> {
        let ok = beta_min.is_finite()
            && beta_max.is_finite()
            && beta_min >= 0.0
            && beta_max > 0.0
            && beta_min <= beta_max;
        if !ok {
            return Err(config_err(format!(
                "VP linear schedule needs 0 <= beta_min <= beta_max, beta_max > 0; \
                 got beta_min = {beta_min}, beta_max = {beta_max}"
            )));
        }
        Ok(Self { beta_min, beta_max })
    }

    /// `beta_min`.
    pub fn beta_min(&self) -> f64 {
        self.beta_min
    }

    /// `beta_max`.
    pub fn beta_max(&self) -> f64 {
        self.beta_max
    }

    /// `beta(t) = beta_min + t (beta_max - beta_min)`.
    pub fn beta(&self, t: f64) -> f64 {
        self.beta_min + t * (self.beta_max - self.beta_min)
    }
}

impl ForwardProcess for VpLinear {
    fn log_alpha(&self, t: f64) -> f64 {
        -0.5 * (self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t * t)
    }
    fn h(&self, t: f64) -> f64 {
        vp_forms::h(self.log_alpha(t))
    }
    fn drift_coef(&self, t: f64) -> f64 {
        -0.5 * self.beta(t)
    }
    fn diffusion_sq(&self, t: f64) -> f64 {
        self.beta(t)
    }
    fn default_time_range(&self) -> (f64, f64) {
        (1e-3, 1.0)
    }
    fn config(&self) -> ProcessConfig {
        ProcessConfig::VpLinear(*self)
    }
    fn max_time(&self) -> f64 {
        1.0
    }
    fn reverse_score_coef(&self, s: f64, t: f64) -> f64 {
        vp_forms::score_coef(self.log_alpha(s), self.log_alpha(t))
    }
    fn reverse_noise_var(&self, s: f64, t: f64) -> f64 {
        vp_forms::noise_var(self.log_alpha(s), self.log_alpha(t))
    }
}

/// The cosine schedule of Nichol & Dhariwal (2021) in continuous time, `t in [0, 1]`:
/// `alpha_t = cos(phi_t) / cos(phi_0)` with `phi_t = (t + s) / (1 + s) * pi / 2`
/// (their `alpha-bar_t` is `alpha_t^2`), `h_t = 1 - alpha_t^2`,
/// `f(t) = -tan(phi_t) pi / (2 (1 + s))`, `g^2 = -2 f`.
///
/// `alpha_1 = 0` and `f` diverges at `t = 1`, so the default range stops short of it:
/// `[1e-3, 0.99]` (`alpha_0.99 = 0.0156`). Default offset `s = 0.008`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "VpCosineParams")]
pub struct VpCosine {
    s: f64,
}

/// Unvalidated field mirror of [`VpCosine`] for deserialisation.
#[derive(Deserialize)]
struct VpCosineParams {
    s: f64,
}

impl TryFrom<VpCosineParams> for VpCosine {
    type Error = crate::ProcessError;
    fn try_from(p: VpCosineParams) -> Result<Self> {
        VpCosine::new(p.s)
    }
}

impl Default for VpCosine {
    fn default() -> Self {
        Self { s: 0.008 }
    }
}

impl VpCosine {
    /// A cosine schedule with offset `s`; requires `0 <= s` finite.
    pub fn new(s: f64) -> Result<Self> {
        if !(s.is_finite() && s >= 0.0) {
            return Err(config_err(format!(
                "cosine schedule offset must be finite and >= 0, got {s}"
            )));
        }
        Ok(Self { s })
    }

    /// The offset `s`.
    pub fn offset(&self) -> f64 {
        self.s
    }

    /// `pi / 2 - phi_t = (1 - t) / (1 + s) pi / 2`: written this way `cos(phi_t)` is
    /// computed as `sin` of it, exact (0) at `t = 1` and accurate just below.
    fn phi_complement(&self, t: f64) -> f64 {
        (1.0 - t) / (1.0 + self.s) * FRAC_PI_2
    }
}

impl ForwardProcess for VpCosine {
    fn log_alpha(&self, t: f64) -> f64 {
        // cos(phi_t) = sin(pi/2 - phi_t); at and past t = 1 alpha is 0 (log alpha = -inf).
        let c = self.phi_complement(t).sin().max(0.0);
        c.ln() - self.phi_complement(0.0).sin().ln()
    }
    fn h(&self, t: f64) -> f64 {
        vp_forms::h(self.log_alpha(t))
    }
    fn drift_coef(&self, t: f64) -> f64 {
        // tan(phi_t) = 1 / tan(pi/2 - phi_t), infinite at t = 1.
        -FRAC_PI_2 / ((1.0 + self.s) * self.phi_complement(t).tan())
    }
    fn diffusion_sq(&self, t: f64) -> f64 {
        -2.0 * self.drift_coef(t)
    }
    fn default_time_range(&self) -> (f64, f64) {
        (1e-3, 0.99)
    }
    fn config(&self) -> ProcessConfig {
        ProcessConfig::VpCosine(*self)
    }
    fn max_time(&self) -> f64 {
        1.0
    }
    fn reverse_score_coef(&self, s: f64, t: f64) -> f64 {
        vp_forms::score_coef(self.log_alpha(s), self.log_alpha(t))
    }
    fn reverse_noise_var(&self, s: f64, t: f64) -> f64 {
        vp_forms::noise_var(self.log_alpha(s), self.log_alpha(t))
    }
}
