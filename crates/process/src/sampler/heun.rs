//! Heun's method (explicit trapezoidal rule, second order) for the probability-flow ODE.
//!
//! The ODE in reversed time is `dY = v(Y, u) dtau` with
//! `v(y, u) = -f(u) y + g(u)^2 / 2 s(y, u)` (for OU: `y + s(y, u)`). One step from forward
//! time `t` down to `s = t - dt`:
//! `y_e = y + dt v(y, t)` (Euler predictor), `y' = y + dt / 2 (v(y, t) + v(y_e, s))`.
//! Two score evaluations per step; deterministic given the start.

use scorediff_backend::Backend;

use crate::error::Result;
use crate::process::ForwardProcess;
use crate::score::{ScoreModel, check_output};

/// The probability-flow velocity `v(y, u) = a y + b s(y, u)`.
fn velocity<B, P, S>(
    backend: &B,
    process: &P,
    score: &S,
    y: &B::Matrix,
    u: f64,
) -> Result<B::Matrix>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
    S: ScoreModel<B> + ?Sized,
{
    let (a, b) = process.probability_flow_coefs(u);
    let sc = score.score_at(backend, y, u)?;
    check_output("score model", &sc, y)?;
    let mut v = backend.scale(&sc, b as f32)?;
    backend.axpby(a as f32, y, 1.0, &mut v)?;
    Ok(v)
}

/// One Heun step of the probability-flow ODE from `t` down to `s`.
pub(crate) fn step<B, P, S>(
    backend: &B,
    process: &P,
    score: &S,
    y: &B::Matrix,
    (t, s): (f64, f64),
) -> Result<B::Matrix>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
    S: ScoreModel<B> + ?Sized,
{
    let dt = t - s;
    let v1 = velocity(backend, process, score, y, t)?;
    let mut y_e = backend.copy(y)?;
    backend.axpby(dt as f32, &v1, 1.0, &mut y_e)?;
    let v2 = velocity(backend, process, score, &y_e, s)?;
    let mut out = backend.copy(y)?;
    backend.axpby((0.5 * dt) as f32, &v1, 1.0, &mut out)?;
    backend.axpby((0.5 * dt) as f32, &v2, 1.0, &mut out)?;
    Ok(out)
}
