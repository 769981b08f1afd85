//! Euler-Maruyama for the reverse SDE.
//!
//! One step from forward time `t` down to `s = t - dt`, with `(a, b) = (-f(t), g(t)^2)`
//! ([`ForwardProcess::reverse_sde_coefs`]):
//! `y' = y + dt (a y + b s(y, t)) + sqrt(g(t)^2 dt) xi`, `xi ~ N(0, I)`.
//! For OU: `y' = y + dt (y + 2 s(y, t)) + sqrt(2 dt) xi` (DESIGN.md §1).

use rand::Rng;
use scorediff_backend::{Backend, DeviceMatrix};

use crate::error::Result;
use crate::noise::standard_normal;
use crate::process::ForwardProcess;
use crate::score::{ScoreModel, check_output};

/// One Euler-Maruyama step of the reverse SDE from `t` down to `s`.
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
    let dt = t - s;
    let (a, b) = process.reverse_sde_coefs(t);
    let sc = score.score_at(backend, y, t)?;
    check_output("score model", &sc, y)?;
    let mut out = backend.scale(y, (1.0 + dt * a) as f32)?;
    backend.axpby((dt * b) as f32, &sc, 1.0, &mut out)?;
    let xi = standard_normal(rng, y.len());
    let xi = backend.from_host(y.rows(), y.cols(), &xi)?;
    backend.axpby(
        (process.diffusion_sq(t) * dt).sqrt() as f32,
        &xi,
        1.0,
        &mut out,
    )?;
    Ok(out)
}
