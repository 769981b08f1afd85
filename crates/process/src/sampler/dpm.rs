//! DPM-Solver++(2M) (Lu et al., 2022): a multistep exponential integrator of the
//! probability-flow ODE written for the denoiser `D(y, t) = E[X_0 | X_t = y]`, second order
//! with one network pass per step.
//!
//! With `alpha_t`, `sigma_t = sqrt(h_t)` and the half log-SNR `lambda_t = ln(alpha_t /
//! sigma_t)`, the ODE's linear part is integrated exactly; over a step from `t` down to `s`
//! (`k = lambda_s - lambda_t > 0`) with the denoiser held at `D`:
//!
//! ```text
//! y_s = (sigma_s / sigma_t) y_t - alpha_s (e^{-k} - 1) D            (first order, DDIM)
//! D   = (1 + 1/(2r)) D(y_t, t) - 1/(2r) D(y_u, u),  r = k_prev / k   (second order)
//! ```
//!
//! where `u` is the previous grid time and `k_prev` the previous step's `lambda`
//! increment: the denoiser is extrapolated linearly in `lambda` from the last two
//! evaluations, which are reused, so each step costs one pass. The first step has no
//! previous evaluation and is first order; with fewer than [`LOWER_ORDER_FINAL_BELOW`]
//! steps the last one is too (the extrapolation over a long last step to `T0` is the least
//! stable, the usual choice of the authors' implementation).

use scorediff_backend::Backend;

use crate::error::Result;
use crate::process::{ForwardProcess, score_coefficients};
use crate::score::{Denoiser, DenoiserFromScore, ScoreModel};

/// With fewer steps than this the final step is first order.
pub const LOWER_ORDER_FINAL_BELOW: usize = 15;

/// `(alpha_t, sigma_t, lambda_t)`.
fn coefficients<P: ForwardProcess + ?Sized>(process: &P, t: f64) -> Result<(f64, f64, f64)> {
    let (alpha, h) = score_coefficients(process, t)?;
    let sigma = h.sqrt();
    Ok((alpha, sigma, (alpha / sigma).ln()))
}

/// Integrates `y` from `times[0]` down to the last time; `on_step` is called after each
/// step. Returns the state at the last time (the caller's final denoising applies).
pub(crate) fn integrate<B, P, S>(
    backend: &B,
    process: &P,
    score: &S,
    mut y: B::Matrix,
    times: &[f64],
    on_step: &mut dyn FnMut(usize),
) -> Result<B::Matrix>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
    S: ScoreModel<B> + ?Sized,
{
    let denoiser = DenoiserFromScore::new(process, score);
    let steps = times.len().saturating_sub(1);
    // Each grid time ends one step and starts the next: its coefficients once.
    let coefs = times
        .iter()
        .map(|&t| coefficients(process, t))
        .collect::<Result<Vec<_>>>()?;
    // The previous step's denoiser value and lambda increment.
    let mut previous: Option<(B::Matrix, f64)> = None;
    for (i, pair) in times.windows(2).enumerate() {
        let t = pair[0];
        let ((_, sigma_t, lambda_t), (alpha_s, sigma_s, lambda_s)) = (coefs[i], coefs[i + 1]);
        let k = lambda_s - lambda_t;
        let d = denoiser.denoise_at(backend, &y, t)?;
        let last = i + 1 == steps;
        let first_order = last && steps < LOWER_ORDER_FINAL_BELOW;
        // -alpha_s (e^{-k} - 1) = alpha_s (1 - e^{-k}), computed without cancellation.
        let c_d = alpha_s * -(-k).exp_m1();
        let mut next = backend.scale(&y, (sigma_s / sigma_t) as f32)?;
        match previous.as_ref() {
            Some((d_prev, k_prev)) if !first_order => {
                let r = k_prev / k;
                backend.axpby((c_d * (1.0 + 0.5 / r)) as f32, &d, 1.0, &mut next)?;
                backend.axpby((-c_d * 0.5 / r) as f32, d_prev, 1.0, &mut next)?;
            }
            _ => backend.axpby(c_d as f32, &d, 1.0, &mut next)?,
        }
        y = next;
        previous = Some((d, k));
        on_step(1);
    }
    Ok(y)
}
