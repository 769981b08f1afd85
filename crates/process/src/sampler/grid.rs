//! Time grids of the reverse samplers: `T = t_0 > t_1 > ... > t_N = T0`.

use serde::{Deserialize, Serialize};

use crate::error::{Result, config_err};

/// How the `N + 1` grid times between `T` and `T0` are spaced (`u = i / N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeGrid {
    /// Equal steps: `t_i = T - u (T - T0)`.
    Uniform,
    /// Geometric steps, fine near `T0`: `t_i = T (T0 / T)^u` (equal steps in `log t`).
    /// The default: the score changes on the scale of `t` itself as `t -> 0`.
    #[default]
    LogSpaced,
    /// Quadratic in `u`, fine near `T0` but less extreme than log spacing:
    /// `t_i = T0 + (T - T0) (1 - u)^2`.
    Quadratic,
}

impl TimeGrid {
    /// The grid `t_0 = T > ... > t_N = T0` with `steps = N >= 1`; requires `0 < T0 < T`.
    /// The end points are exact.
    pub fn times(self, t0: f64, t_end: f64, steps: usize) -> Result<Vec<f64>> {
        if steps == 0 {
            return Err(config_err("a sampler needs at least one step"));
        }
        if !(t0.is_finite() && t_end.is_finite() && t0 > 0.0 && t0 < t_end) {
            return Err(config_err(format!(
                "sampler time range needs 0 < T0 < T, got [{t0}, {t_end}]"
            )));
        }
        let n = steps as f64;
        let mut grid: Vec<f64> = (0..=steps)
            .map(|i| {
                let u = i as f64 / n;
                match self {
                    TimeGrid::Uniform => t_end - u * (t_end - t0),
                    TimeGrid::LogSpaced => t_end * (t0 / t_end).powf(u),
                    TimeGrid::Quadratic => t0 + (t_end - t0) * (1.0 - u) * (1.0 - u),
                }
            })
            .collect();
        grid[0] = t_end;
        grid[steps] = t0;
        Ok(grid)
    }
}
