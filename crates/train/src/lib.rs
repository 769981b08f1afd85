//! Training of score networks (DESIGN.md §1): the noisy-label regression
//! `min_theta 1/(2N) sum_j ||f_theta(x_tj, t_j) - x_0j||^2`, where each record `x_0j` gets a
//! time `t_j` and a noisy version `x_tj = alpha_tj x_0j + sqrt(h_tj) eps_j`.
//!
//! - [`Trainer`]: the loop, with full-batch gradient descent (the theory's setting) or
//!   minibatch Adam with warm-up and cosine/linear decay ([`OptimizerConfig`],
//!   [`LrSchedule`]), an exponential moving average of the weights, validation at fixed
//!   draws, early stopping ([`EarlyStop`]: validation plateau or a rule from the theory),
//!   a JSON-lines training log and a progress callback.
//! - Checkpoints ([`Trainer::save_checkpoint`], [`Trainer::resume`], [`load_model`]):
//!   safetensors weights plus a JSON description, written atomically; resuming reproduces
//!   the uninterrupted run bit for bit.
//! - [`NetDenoiser`]: a trained network as `scorediff_process::Denoiser`, so that
//!   `ParametricScore` and the samplers can sample from it.
//! - [`plan_theory_stop`], [`fit_with_theory_stop`]: the theory's early-stopping rule
//!   (local empirical kernel complexity of the network's NTK on the run's own triples)
//!   computed before training and applied as `EarlyStop::Theory { at_step: k }`.
//! - [`mod@bench`]: throughput entry points.
//!
//! Determinism: every draw comes from ChaCha8 streams keyed by the run seed; the same seed
//! on the same backend gives the same weights bit for bit. See `docs/training.md`.

pub mod bench;
mod checkpoint;
mod config;
mod data;
mod denoiser;
mod error;
mod loss;
mod optim;
mod precondition;
mod rng;
mod stop;
pub mod tensors;
mod theory;
mod trainer;

pub use checkpoint::{
    CheckpointMeta, FORMAT_VERSION, META_FILE, RngState, TensorGroups, WEIGHTS_FILE, load_model,
    read_meta,
};
pub use config::{
    CheckpointPolicy, Decay, LossWeighting, LrSchedule, NoiseMode, OptimizerConfig, TrainConfig,
};
pub use data::Dataset;
pub use denoiser::NetDenoiser;
pub use error::{Result, TrainError};
pub use precondition::{PreconditionConfig, Preconditioned, marginal_variance};
pub use stop::{EarlyStop, StopInfo, StopReason, StoppingRule};
pub use theory::{
    KernelSource, NormBound, TheoryError, TheoryPlan, TheoryResult, TheoryRun, TheoryStopConfig,
    fit_with_theory_stop, fixed_training_inputs, plan_theory_stop,
};
pub use trainer::{LogEntry, Progress, TrainReport, Trainer};
