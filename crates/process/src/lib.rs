//! Forward diffusion processes, the parametric score form and reverse samplers
//! (DESIGN.md §1).
//!
//! - [`ForwardProcess`]: linear SDEs `dX = f(t) X dt + g(t) dB` with
//!   `X_t | X_0 ~ N(alpha_t X_0, h_t I)`: [`OrnsteinUhlenbeck`] (the paper's), [`VpLinear`],
//!   [`VpCosine`]; [`ProcessConfig`] describes one in a model file.
//! - [`TimeSampler`] and [`noise_batch`]: training triples `(t_j, x_0j, x_tj)`.
//! - [`Denoiser`], [`ScoreModel`], [`ParametricScore`] (`s = (alpha_t f - x) / h_t`) and its
//!   inverse [`DenoiserFromScore`].
//! - [`sample`]: reverse samplers (Euler-Maruyama, exponential integrator, Heun on the
//!   probability-flow ODE) from `T` down to `T0`, batched over rows.
//! - [`GaussianMixture`] and [`ExactScore`]: closed-form scores and denoisers of Gaussian
//!   mixtures under any process, for tests and experiments.
//!
//! Everything on data is generic over `B: Backend` (`f32` on the device); time coefficients
//! are computed in `f64` on the host. See `docs/process.md` for the formulas.
//!
//! ```
//! use nalgebra::{DMatrix, DVector};
//! use rand::SeedableRng;
//! use scorediff_faer::FaerBackend;
//! use scorediff_process::{ExactScore, GaussianMixture, OrnsteinUhlenbeck, SamplerConfig, sample};
//!
//! let backend = FaerBackend::default();
//! let data_law = GaussianMixture::gaussian(DVector::from_vec(vec![2.0]), DMatrix::identity(1, 1))?;
//! let score = ExactScore::new(OrnsteinUhlenbeck, data_law);
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
//! let cfg = SamplerConfig { steps: 50, ..SamplerConfig::default() };
//! let x = sample(&backend, &OrnsteinUhlenbeck, &score, 100, 1, &cfg, &mut rng)?;
//! # use scorediff_backend::DeviceMatrix;
//! assert_eq!(x.shape(), (100, 1));
//! # Ok::<(), scorediff_process::ProcessError>(())
//! ```

pub mod condition;
mod error;
mod gaussian;
mod noise;
pub mod process;
mod sampler;
mod score;
mod time;

pub use condition::{
    Choice, Condition, ConditionMethod, ConditionedDenoiser, Interval, RowCondition,
};
pub use error::{ProcessError, Result};
pub use gaussian::{ExactScore, GaussianMixture, MixtureSample};
pub use noise::{
    NoiseDraw, NoisedBatch, NoisedRecords, apply_noise, noise_batch, noise_in_blocks, noise_matrix,
    standard_normal,
};
pub use process::{
    ForwardProcess, OrnsteinUhlenbeck, ProcessConfig, VpCosine, VpLinear, score_coefficients,
};
pub use sampler::{
    SampleProgress, SamplerConfig, SamplerKind, TimeGrid, sample, sample_conditioned,
    sample_seeded, sample_with_progress,
};
pub use score::{
    Denoiser, DenoiserFromScore, FnDenoiser, FnScore, ParametricScore, ScoreModel, check_inputs,
    check_output,
};
pub use time::TimeSampler;
