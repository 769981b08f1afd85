//! Seeded parameter initialisation.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Variance rule for the weights of a dense layer with `fan_in` inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// He (Kaiming) normal: `N(0, 2 / fan_in)`, for ReLU-like activations.
    #[default]
    He,
    /// LeCun normal: `N(0, 1 / fan_in)`.
    LeCun,
}

impl Init {
    /// Standard deviation of the weights for a layer with `fan_in` inputs.
    pub fn std(self, fan_in: usize) -> f64 {
        let fan_in = fan_in.max(1) as f64;
        match self {
            Init::He => (2.0 / fan_in).sqrt(),
            Init::LeCun => (1.0 / fan_in).sqrt(),
        }
    }
}

/// `n` draws of `N(0, std^2)`, rounded to `f32`.
pub(crate) fn normal_vec(rng: &mut ChaCha8Rng, n: usize, std: f64) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let z: f64 = rng.sample(StandardNormal);
            (z * std) as f32
        })
        .collect()
}

/// `n` independent uniform signs in `{+1, -1}`.
pub(crate) fn sign_vec(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
        .collect()
}
