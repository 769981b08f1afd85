//! Neural tangent kernels for scorediff (DESIGN.md §1).
//!
//! - Analytic kernels: the paper's two-layer ReLU NTK ([`TwoLayerReluNtk`]) and the
//!   NNGP/NTK recursion of deep ReLU networks in neural-tangents' conventions
//!   ([`DeepReluKernel`]); inputs `z = (x, t, 1)` by [`ntk_inputs`].
//! - Empirical kernels: the two-layer network's in closed form ([`EmpiricalTwoLayerNtk`]);
//!   any network's from parameter-gradient rows ([`jacobian_gram`],
//!   [`projected_jacobian_gram`]).
//! - Gram matrices on any backend, in row blocks, into host `f64` ([`gram`], [`cross_gram`]).
//! - Kernel regression at gradient-descent step `k`, gradient-flow time, ridge penalty
//!   and interpolation from one eigendecomposition ([`KernelRegression`]).
//! - The early-stopping rule ([`theory_stopping_step`], [`StoppingRuleConfig`]) with noise
//!   estimators ([`noise`]) and input truncation ([`truncation_radius`]).
//!
//! See docs/ntk.md for the formulas, conventions, constants and experiments.

mod deep;
mod empirical;
mod error;
mod gram;
mod inputs;
mod kernel;
pub mod noise;
mod regression;
mod stopping;

pub use deep::{DeepReluKernel, KernelKind, Parameterization};
pub use empirical::{
    EmpiricalTwoLayerNtk, JACOBIAN_CACHE_BYTES, callback_error, jacobian_gram,
    projected_jacobian_gram,
};
pub use error::{NtkError, Result};
pub use gram::{DEFAULT_BLOCK_ELEMENTS, bench_gram, cross_gram, default_block_rows, gram};
pub use inputs::{
    clip_to_ball, gaussian_truncation_radius, ntk_inputs, rows_in_ball, truncation_radius,
};
pub use kernel::{Kernel, ScalarKernel, TwoLayerReluNtk, host_cross_gram, host_gram};
pub use regression::{
    CurvePoint, KernelRegression, Prediction, SpectralFilter, default_rcond, gd_filter, mse,
    nystrom_eigenvalues_over_n, ridge_cg,
};
pub use stopping::{
    BALANCED_THRESHOLD_CONSTANT, PAPER_THRESHOLD_CONSTANT, SigmaEstimator, StoppingCurvePoint,
    StoppingDecision, StoppingRuleConfig, eigenvalues_over_n, local_complexity, log_steps,
    stopping_step_from_gram, theory_stopping_step,
};
