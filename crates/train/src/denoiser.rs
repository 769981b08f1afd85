//! A trained network as the process crate's [`Denoiser`], for the samplers.

use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_net::ScoreNet;
use scorediff_process::{Denoiser, ForwardProcess, ParametricScore, ProcessError};

/// Adapts a [`ScoreNet`] `f` (an estimate of `E[X_0 | X_t = x]`) into a [`Denoiser`]; wrap
/// it in [`ParametricScore`] (or call [`NetDenoiser::score_model`]) to get the score model
/// `s = (alpha_t f - x) / h_t` of DESIGN.md §1 that the samplers take.
///
/// It borrows the network: sampling reads the weights, and the owner (a trainer's model, a
/// loaded model directory) keeps them.
#[derive(Debug, Clone, Copy)]
pub struct NetDenoiser<'a, N> {
    /// The trained network.
    pub net: &'a N,
}

impl<'a, N> NetDenoiser<'a, N> {
    /// Wraps a borrowed network.
    pub fn new(net: &'a N) -> Self {
        Self { net }
    }

    /// The parametric score model of this denoiser under `process`.
    pub fn score_model<P: ForwardProcess>(self, process: P) -> ParametricScore<P, Self> {
        ParametricScore::new(process, self)
    }
}

impl<B: Backend, N: ScoreNet<B>> Denoiser<B> for NetDenoiser<'_, N> {
    fn denoise(
        &self,
        backend: &B,
        x: &B::Matrix,
        t: &B::Matrix,
    ) -> Result<B::Matrix, ProcessError> {
        self.net
            .predict(backend, x, t)
            .map_err(|e| ProcessError::Model(Box::new(e)))
    }

    /// A sampler step: the constant time column and its host copy, so the network's
    /// per-row coefficients need no download.
    fn denoise_at(&self, backend: &B, x: &B::Matrix, t: f64) -> Result<B::Matrix, ProcessError> {
        let t = t as f32;
        let t_col = backend.full(x.rows(), 1, t)?;
        let t_host = vec![t; x.rows()];
        self.net
            .predict_at(backend, x, &t_col, &t_host)
            .map_err(|e| ProcessError::Model(Box::new(e)))
    }
}
