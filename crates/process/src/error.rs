//! Typed errors of the process crate.

use scorediff_backend::BackendError;
use thiserror::Error;

/// An error raised by a forward process, a score model, the noising helpers or a sampler.
#[derive(Debug, Error)]
pub enum ProcessError {
    /// A backend operation failed (shapes, device memory, lost device).
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A model from another crate (a trained network wrapped as a [`crate::Denoiser`])
    /// failed; it wraps its own error type here.
    #[error("model error: {0}")]
    Model(Box<dyn std::error::Error + Send + Sync>),
    /// A configuration value is out of range (a schedule parameter, a time range, a step
    /// count, a batch size).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// Operand shapes do not fit (data and time rows differ, a model returned the wrong shape).
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A time at which the requested quantity is undefined (e.g. `h_t = 0` at `t = 0`, where
    /// the score form divides by `h_t`, or a non-finite time).
    #[error("invalid time {t}: {reason}")]
    InvalidTime {
        /// The offending time.
        t: f64,
        /// Why it is invalid.
        reason: String,
    },
    /// A numerical failure, e.g. a covariance that is not positive definite.
    #[error("numerical failure: {0}")]
    Numerical(String),
}

/// Result type of the process crate.
pub type Result<T> = std::result::Result<T, ProcessError>;

/// Builds a [`ProcessError::InvalidConfig`].
pub(crate) fn config_err(detail: impl Into<String>) -> ProcessError {
    ProcessError::InvalidConfig(detail.into())
}

/// Builds a [`ProcessError::Shape`].
pub(crate) fn shape_err(detail: impl Into<String>) -> ProcessError {
    ProcessError::Shape(detail.into())
}
