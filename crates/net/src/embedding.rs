//! Time embeddings of the MLP denoiser.
//!
//! Both kinds map a time `t` to `[sin(t f_1), .., sin(t f_k), cos(t f_1), .., cos(t f_k)]`
//! for a frequency row `f` of length `k = dim / 2`; they differ in how `f` is chosen. The
//! frequencies are stored as a frozen parameter (`"time.freqs"`, `1 x k`) so a saved model
//! carries them.

use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, DeviceMatrix, Transpose, Unary};
use serde::{Deserialize, Serialize};

use crate::init::normal_vec;
use crate::layer::{InputGrad, Layer, Pass, Tape, check_params, deliver};
use crate::{NetError, Param};

/// How the MLP embeds the time `t`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimeEmbedding {
    /// Transformer-style sinusoids: `f_k = time_scale * max_period^{-k / (dim/2)}`,
    /// `k = 0..dim/2`. Diffusion times live in `[T0, T]` (about `[1e-3, 10]`); `time_scale`
    /// (e.g. 1000) stretches them so the fastest sinusoid resolves small times.
    Sinusoidal {
        /// Embedding size (even, >= 2).
        dim: usize,
        /// Longest period, e.g. 10000.
        max_period: f64,
        /// Multiplier applied to `t` before the sinusoids.
        time_scale: f64,
    },
    /// Random Fourier features (Tancik et al. 2020): `f_k = 2 pi scale g_k`, `g_k ~ N(0, 1)`,
    /// drawn from the network's seeded RNG.
    RandomFourier {
        /// Embedding size (even, >= 2).
        dim: usize,
        /// Standard deviation of the frequencies, in cycles per unit time.
        scale: f64,
    },
}

impl Default for TimeEmbedding {
    /// Sinusoidal, 32 dimensions, max period 10000, time scale 1000.
    fn default() -> Self {
        TimeEmbedding::Sinusoidal {
            dim: 32,
            max_period: 10_000.0,
            time_scale: 1_000.0,
        }
    }
}

impl TimeEmbedding {
    /// Embedding size.
    pub fn dim(&self) -> usize {
        match self {
            TimeEmbedding::Sinusoidal { dim, .. } | TimeEmbedding::RandomFourier { dim, .. } => {
                *dim
            }
        }
    }

    /// Checks the size and the constants.
    pub(crate) fn validate(&self) -> Result<(), NetError> {
        let dim = self.dim();
        if dim < 2 || !dim.is_multiple_of(2) {
            return Err(NetError::InvalidConfig(format!(
                "time embedding size must be even and >= 2, got {dim}"
            )));
        }
        let ok = match self {
            TimeEmbedding::Sinusoidal {
                max_period,
                time_scale,
                ..
            } => *max_period > 1.0 && time_scale.is_finite() && *time_scale > 0.0,
            TimeEmbedding::RandomFourier { scale, .. } => scale.is_finite() && *scale > 0.0,
        };
        if !ok {
            return Err(NetError::InvalidConfig(format!(
                "time embedding constants out of range: {self:?}"
            )));
        }
        Ok(())
    }

    /// The frequency row `f` (length `dim / 2`).
    pub(crate) fn frequencies(&self, rng: &mut ChaCha8Rng) -> Vec<f32> {
        let half = self.dim() / 2;
        match self {
            TimeEmbedding::Sinusoidal {
                max_period,
                time_scale,
                ..
            } => (0..half)
                .map(|k| (time_scale * max_period.powf(-(k as f64) / half as f64)) as f32)
                .collect(),
            TimeEmbedding::RandomFourier { scale, .. } => {
                normal_vec(rng, half, 2.0 * std::f64::consts::PI * scale)
            }
        }
    }
}

/// The time embedding as a layer: `t` (`rows x 1`) to `[sin(t f), cos(t f)]` (`rows x 2k`),
/// with the frequency row `f` a frozen parameter `"time.freqs"` (`1 x k`).
///
/// Backward, with `dL/dphase = dL/ds * cos(t f) - dL/dc * sin(t f)` for the sine and cosine
/// halves `s`, `c` of the output: `dL/dt = (dL/dphase) f^T`, `dL/df = t^T (dL/dphase)`. The
/// networks ask for neither (their times are data and the frequencies frozen), so their
/// backward passes skip it.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeFeatures {
    embedding: TimeEmbedding,
}

impl TimeFeatures {
    /// The layer of `embedding` (checked).
    pub fn new(embedding: TimeEmbedding) -> Result<Self, NetError> {
        embedding.validate()?;
        Ok(Self { embedding })
    }
}

impl<B: Backend> Layer<B> for TimeFeatures {
    fn n_params(&self) -> usize {
        1
    }

    fn init(&self, be: &B, rng: &mut ChaCha8Rng, out: &mut Vec<Param<B>>) -> Result<(), NetError> {
        let freqs = self.embedding.frequencies(rng);
        let value = be.from_host(1, freqs.len(), &freqs)?;
        out.push(Param::new("time.freqs", value, false));
        Ok(())
    }

    fn forward(
        &self,
        be: &B,
        params: &[Param<B>],
        t: &B::Matrix,
    ) -> Result<(B::Matrix, Tape<B>), NetError> {
        check_params("time features", params, None, 1)?;
        Ok((embed(be, t, &params[0].value)?, Tape::empty()))
    }

    fn backward(
        &self,
        be: &B,
        params: &[Param<B>],
        pass: Pass<'_, B>,
        dy: &B::Matrix,
        grads: &mut [Option<B::Matrix>],
        input: InputGrad<B::Matrix>,
    ) -> Result<Option<B::Matrix>, NetError> {
        check_params("time features", params, Some(grads), 1)?;
        let freqs = &params[0].value;
        let wants_dx = !matches!(input, InputGrad::Skip);
        if !(params[0].trainable || wants_dx) {
            return Ok(None);
        }
        // dL/dphase = dL/ds * cos(t f) - dL/dc * sin(t f), phase = t f.
        let k = freqs.cols();
        let phase = be.matmul(pass.input, Transpose::No, freqs, Transpose::No)?;
        let d_sin = be.mul(&be.slice_cols(dy, 0, k)?, &be.unary(Unary::Cos, &phase)?)?;
        let d_cos = be.mul(
            &be.slice_cols(dy, k, 2 * k)?,
            &be.unary(Unary::Sin, &phase)?,
        )?;
        let d_phase = be.sub(&d_sin, &d_cos)?;
        if params[0].trainable {
            grads[0] = Some(be.matmul(pass.input, Transpose::Yes, &d_phase, Transpose::No)?);
        }
        deliver(
            be,
            || Ok(be.matmul(&d_phase, Transpose::No, freqs, Transpose::Yes)?),
            input,
        )
    }
}

/// `[sin(t f), cos(t f)]` for a time column `t` (`rows x 1`) and frequencies `freqs`
/// (`1 x k`): a `rows x 2k` matrix.
pub(crate) fn embed<B: Backend>(
    be: &B,
    t: &B::Matrix,
    freqs: &B::Matrix,
) -> Result<B::Matrix, NetError> {
    let phase = be.matmul(t, Transpose::No, freqs, Transpose::No)?;
    let s = be.unary(Unary::Sin, &phase)?;
    let c = be.unary(Unary::Cos, &phase)?;
    Ok(be.concat_cols(&[&s, &c])?)
}
