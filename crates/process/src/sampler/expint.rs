//! Exponential integrator for the reverse SDE: the linear part is integrated exactly and the
//! score is held at its value at the start of the step.
//!
//! In reversed time the reverse SDE is `dY = (-f(u) Y + g(u)^2 s(Y, u)) dtau + g(u) dB` with
//! forward time `u = T - tau`. Over a step from forward time `t` down to `s` with
//! `s(Y, u) ~= s(y, t)` fixed, variation of constants gives the exact update
//!
//! `y' = Phi y + c s(y, t) + sqrt(v) xi`, `xi ~ N(0, I)`, where
//! - `Phi = exp(-int_s^t f) = alpha_s / alpha_t`,
//! - `c = int_s^t (alpha_s / alpha_u) g(u)^2 du`,
//! - `v = int_s^t (alpha_s / alpha_u)^2 g(u)^2 du = Phi^2 h_t - h_s`.
//!
//! For a variance-preserving process (`g^2 = -2 f`) `c = 2 (Phi - 1)` and `v = Phi^2 - 1`;
//! for OU with `dt = t - s`:
//! `y' = e^{dt} y + 2 (e^{dt} - 1) s(y, t) + sqrt(e^{2 dt} - 1) xi`.
//! The only error is from holding the score fixed over the step: the linear drift, which
//! dominates at large `t`, brings no step-size restriction.

use rand::Rng;
use scorediff_backend::{Backend, DeviceMatrix};

use crate::error::Result;
use crate::noise::standard_normal;
use crate::process::ForwardProcess;
use crate::score::{ScoreModel, check_output};

/// One exponential-integrator step of the reverse SDE from `t` down to `s`.
pub(crate) fn step<B, P, S, R>(
    backend: &B,
    process: &P,
    score: &S,
    y: &B::Matrix,
    (t, s): (f64, f64),
    rng: &mut R,
) -> Result<B::Matrix>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
    S: ScoreModel<B> + ?Sized,
    R: Rng + ?Sized,
{
    let phi = process.reverse_growth(s, t);
    let c = process.reverse_score_coef(s, t);
    let v = process.reverse_noise_var(s, t);
    let sc = score.score_at(backend, y, t)?;
    check_output("score model", &sc, y)?;
    let mut out = backend.scale(y, phi as f32)?;
    backend.axpby(c as f32, &sc, 1.0, &mut out)?;
    let xi = standard_normal(rng, y.len());
    let xi = backend.from_host(y.rows(), y.cols(), &xi)?;
    backend.axpby(v.max(0.0).sqrt() as f32, &xi, 1.0, &mut out)?;
    Ok(out)
}
