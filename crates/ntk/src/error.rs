//! Typed errors of the NTK crate.

use scorediff_backend::BackendError;
use thiserror::Error;

/// An error raised by a kernel, Gram-matrix, regression or stopping-rule computation.
#[derive(Debug, Error)]
pub enum NtkError {
    /// A backend operation failed (shape mismatch, device error).
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// Operand shapes do not fit (e.g. labels with a different number of rows than the Gram
    /// matrix).
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// An argument is outside its valid range (a negative step size, an empty layer list).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A host linear-algebra routine failed (the eigendecomposition did not converge).
    #[error("linear algebra: {0}")]
    LinearAlgebra(String),
    /// A layer's kernel map failed (see `scorediff_net::layer::kernel_map`).
    #[error(transparent)]
    Layer(#[from] scorediff_net::NetError),
    /// A user-supplied callback (e.g. a Jacobian source) failed.
    #[error("callback: {0}")]
    Callback(Box<dyn std::error::Error + Send + Sync>),
}

/// Result type of the NTK crate.
pub type Result<T> = std::result::Result<T, NtkError>;

/// Builds an [`NtkError::Shape`].
pub(crate) fn shape(detail: impl Into<String>) -> NtkError {
    NtkError::Shape(detail.into())
}

/// Builds an [`NtkError::InvalidArgument`].
pub(crate) fn invalid(detail: impl Into<String>) -> NtkError {
    NtkError::InvalidArgument(detail.into())
}
