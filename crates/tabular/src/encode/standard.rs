//! Standardization of a numerical column: `z = (x - mean) / sd`.

use serde::{Deserialize, Serialize};

/// A fitted standardization. A column with zero spread uses `sd = 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardMap {
    /// Mean of the training values.
    pub mean: f64,
    /// Population standard deviation of the training values (1 when zero or not finite).
    pub sd: f64,
}

impl StandardMap {
    /// Fits to `values` (non-empty, finite), by Welford's update (no overflow of a sum of
    /// squares for values near `1e300`).
    pub fn fit(values: &[f64]) -> Self {
        let (mut mean, mut m2) = (0.0f64, 0.0f64);
        for (i, &x) in values.iter().enumerate() {
            let d = x - mean;
            mean += d / (i + 1) as f64;
            m2 += d * (x - mean);
        }
        let sd = (m2 / values.len().max(1) as f64).sqrt();
        Self {
            mean,
            sd: if sd.is_finite() && sd > 0.0 { sd } else { 1.0 },
        }
    }

    /// The standardized value.
    pub fn encode(&self, x: f64) -> f64 {
        (x - self.mean) / self.sd
    }

    /// The value of a standardized score.
    pub fn decode(&self, z: f64) -> f64 {
        z * self.sd + self.mean
    }
}
