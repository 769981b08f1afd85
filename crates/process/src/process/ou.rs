//! The Ornstein-Uhlenbeck process of the paper (DESIGN.md §1).

use serde::{Deserialize, Serialize};

use super::{ForwardProcess, ProcessConfig, vp_forms};

/// The Ornstein-Uhlenbeck process `dX = -X dt + sqrt(2) dB` (DESIGN.md §1):
/// `f = -1`, `g^2 = 2`, `alpha_t = e^{-t}`, `h_t = 1 - e^{-2t}`; stationary law `N(0, I)`.
///
/// It is the variance-preserving process with constant `beta = 2`. Default time range
/// `[T0, T] = [1e-3, 5]` (`alpha_5 = 0.0067`, so `N(0, I)` is a close start at `T`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrnsteinUhlenbeck;

impl OrnsteinUhlenbeck {
    /// Default `T0`.
    pub const T0: f64 = 1e-3;
    /// Default `T`.
    pub const T: f64 = 5.0;
}

impl ForwardProcess for OrnsteinUhlenbeck {
    fn log_alpha(&self, t: f64) -> f64 {
        -t
    }
    fn alpha(&self, t: f64) -> f64 {
        (-t).exp()
    }
    fn h(&self, t: f64) -> f64 {
        vp_forms::h(-t)
    }
    fn drift_coef(&self, _t: f64) -> f64 {
        -1.0
    }
    fn diffusion_sq(&self, _t: f64) -> f64 {
        2.0
    }
    fn default_time_range(&self) -> (f64, f64) {
        (Self::T0, Self::T)
    }
    fn config(&self) -> ProcessConfig {
        ProcessConfig::OrnsteinUhlenbeck
    }
    fn reverse_score_coef(&self, s: f64, t: f64) -> f64 {
        // 2 (e^{t - s} - 1)
        vp_forms::score_coef(-s, -t)
    }
    fn reverse_noise_var(&self, s: f64, t: f64) -> f64 {
        // e^{2 (t - s)} - 1
        vp_forms::noise_var(-s, -t)
    }
}
