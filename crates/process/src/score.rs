//! Score models, denoisers and the parametric score form (DESIGN.md §1).
//!
//! The true score and the denoiser `E[X_0 | X_t = x]` determine each other:
//! `grad log p_t(x) = (alpha_t E[X_0 | X_t = x] - x) / h_t` (Tweedie's formula), so a network
//! trained to regress `X_0` on `(X_t, t)` gives the score model
//! `s(x, t) = (alpha_t f(x, t) - x) / h_t` ([`ParametricScore`]), and a score model gives the
//! denoiser `f = (x + h_t s) / alpha_t` ([`DenoiserFromScore`]).

use std::sync::Arc;

use scorediff_backend::{Backend, Binary, DeviceMatrix};

use crate::error::{Result, shape_err};
use crate::noise::coefficient_columns;
use crate::process::{ForwardProcess, score_coefficients};

/// An estimate of the denoiser `E[X_0 | X_t = x]`.
pub trait Denoiser<B: Backend> {
    /// The denoised records for data `x` (`rows x d`) at times `t` (`rows x 1`).
    fn denoise(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix>;

    /// The denoised records when every row has the same time `t` (sampler steps). The
    /// default builds the constant time column and calls [`Denoiser::denoise`].
    fn denoise_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix> {
        let t_col = backend.full(x.rows(), 1, t as f32)?;
        self.denoise(backend, x, &t_col)
    }
}

/// An estimate of the score `grad_x log p_t(x)`.
pub trait ScoreModel<B: Backend> {
    /// The score at data `x` (`rows x d`) and times `t` (`rows x 1`).
    fn score(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix>;

    /// The score when every row has the same time `t` (sampler steps). The default builds the
    /// constant time column and calls [`ScoreModel::score`]; implementations override it to
    /// avoid per-row coefficients.
    fn score_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix> {
        let t_col = backend.full(x.rows(), 1, t as f32)?;
        self.score(backend, x, &t_col)
    }
}

macro_rules! forward_model_impls {
    ($($ptr:ident),*) => {$(
        impl<B: Backend, M: Denoiser<B> + ?Sized> Denoiser<B> for $ptr<M> {
            fn denoise(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
                (**self).denoise(backend, x, t)
            }
            fn denoise_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix> {
                (**self).denoise_at(backend, x, t)
            }
        }
        impl<B: Backend, M: ScoreModel<B> + ?Sized> ScoreModel<B> for $ptr<M> {
            fn score(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
                (**self).score(backend, x, t)
            }
            fn score_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix> {
                (**self).score_at(backend, x, t)
            }
        }
    )*};
}

forward_model_impls!(Box, Arc);

impl<B: Backend, M: Denoiser<B> + ?Sized> Denoiser<B> for &M {
    fn denoise(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
        (**self).denoise(backend, x, t)
    }
    fn denoise_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix> {
        (**self).denoise_at(backend, x, t)
    }
}

impl<B: Backend, M: ScoreModel<B> + ?Sized> ScoreModel<B> for &M {
    fn score(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
        (**self).score(backend, x, t)
    }
    fn score_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix> {
        (**self).score_at(backend, x, t)
    }
}

/// Checks that `x` is `rows x d` with `d >= 1` and `t` is `rows x 1`.
pub fn check_inputs<M: DeviceMatrix>(x: &M, t: &M) -> Result<()> {
    if t.cols() != 1 || t.rows() != x.rows() {
        return Err(shape_err(format!(
            "times must be a {}x1 column for {}x{} data, got {}x{}",
            x.rows(),
            x.rows(),
            x.cols(),
            t.rows(),
            t.cols()
        )));
    }
    Ok(())
}

/// Checks that a model's output has the shape of its input `x`.
pub fn check_output<M: DeviceMatrix>(what: &str, out: &M, x: &M) -> Result<()> {
    if out.shape() != x.shape() {
        return Err(shape_err(format!(
            "{what} returned {}x{} for {}x{} input",
            out.rows(),
            out.cols(),
            x.rows(),
            x.cols()
        )));
    }
    Ok(())
}

/// The parametric score form of DESIGN.md §1: `s(x, t) = (alpha_t f(x, t) - x) / h_t`, with
/// `f` an estimate of the denoiser `E[X_0 | X_t = x]`.
#[derive(Debug, Clone)]
pub struct ParametricScore<P, D> {
    /// The forward process giving `alpha_t` and `h_t`.
    pub process: P,
    /// The denoiser `f`.
    pub denoiser: D,
}

impl<P, D> ParametricScore<P, D> {
    /// Wraps a denoiser.
    pub fn new(process: P, denoiser: D) -> Self {
        Self { process, denoiser }
    }
}

impl<B: Backend, P: ForwardProcess, D: Denoiser<B>> ScoreModel<B> for ParametricScore<P, D> {
    fn score(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
        check_inputs(x, t)?;
        let t_host = backend.to_host(t)?;
        let (alpha, inv_h) = coefficient_columns(&self.process, &t_host, |a, h| (a, 1.0 / h))?;
        let fx = self.denoiser.denoise(backend, x, t)?;
        check_output("denoiser", &fx, x)?;
        let alpha = backend.from_host(x.rows(), 1, &alpha)?;
        let inv_h = backend.from_host(x.rows(), 1, &inv_h)?;
        let signal = backend.broadcast_col(Binary::Mul, &fx, &alpha)?;
        let residual = backend.sub(&signal, x)?;
        Ok(backend.broadcast_col(Binary::Mul, &residual, &inv_h)?)
    }

    fn score_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix> {
        // Round like the time column the denoiser sees, so this equals `score` exactly.
        let t = f64::from(t as f32);
        let (alpha_t, h_t) = score_coefficients(&self.process, t)?;
        let fx = self.denoiser.denoise_at(backend, x, t)?;
        check_output("denoiser", &fx, x)?;
        let mut s = backend.scale(&fx, (alpha_t / h_t) as f32)?;
        backend.axpby(-(1.0 / h_t) as f32, x, 1.0, &mut s)?;
        Ok(s)
    }
}

/// The denoiser implied by a score model through Tweedie's formula:
/// `E[X_0 | X_t = x] = (x + h_t s(x, t)) / alpha_t`; the inverse of [`ParametricScore`].
#[derive(Debug, Clone)]
pub struct DenoiserFromScore<P, S> {
    /// The forward process giving `alpha_t` and `h_t`.
    pub process: P,
    /// The score model `s`.
    pub score: S,
}

impl<P, S> DenoiserFromScore<P, S> {
    /// Wraps a score model.
    pub fn new(process: P, score: S) -> Self {
        Self { process, score }
    }
}

impl<B: Backend, P: ForwardProcess, S: ScoreModel<B>> Denoiser<B> for DenoiserFromScore<P, S> {
    fn denoise(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
        check_inputs(x, t)?;
        let t_host = backend.to_host(t)?;
        let (h, inv_alpha) = coefficient_columns(&self.process, &t_host, |a, h| (h, 1.0 / a))?;
        let s = self.score.score(backend, x, t)?;
        check_output("score model", &s, x)?;
        let h = backend.from_host(x.rows(), 1, &h)?;
        let inv_alpha = backend.from_host(x.rows(), 1, &inv_alpha)?;
        let hs = backend.broadcast_col(Binary::Mul, &s, &h)?;
        let sum = backend.add(x, &hs)?;
        Ok(backend.broadcast_col(Binary::Mul, &sum, &inv_alpha)?)
    }

    fn denoise_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix> {
        let t = f64::from(t as f32);
        let (alpha_t, h_t) = score_coefficients(&self.process, t)?;
        let s = self.score.score_at(backend, x, t)?;
        check_output("score model", &s, x)?;
        let mut out = backend.scale(&s, (h_t / alpha_t) as f32)?;
        backend.axpby((1.0 / alpha_t) as f32, x, 1.0, &mut out)?;
        Ok(out)
    }
}

/// Adapts a closure `|backend, x, t| -> Result<score>` into a [`ScoreModel`] (tests, quick
/// experiments).
#[derive(Debug, Clone, Copy)]
pub struct FnScore<F>(pub F);

impl<B: Backend, F> ScoreModel<B> for FnScore<F>
where
    F: Fn(&B, &B::Matrix, &B::Matrix) -> Result<B::Matrix>,
{
    fn score(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
        check_inputs(x, t)?;
        (self.0)(backend, x, t)
    }
}

/// Adapts a closure `|backend, x, t| -> Result<denoised>` into a [`Denoiser`].
#[derive(Debug, Clone, Copy)]
pub struct FnDenoiser<F>(pub F);

impl<B: Backend, F> Denoiser<B> for FnDenoiser<F>
where
    F: Fn(&B, &B::Matrix, &B::Matrix) -> Result<B::Matrix>,
{
    fn denoise(&self, backend: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix> {
        check_inputs(x, t)?;
        (self.0)(backend, x, t)
    }
}
