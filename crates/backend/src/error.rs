//! Typed errors of every backend.

use thiserror::Error;

/// An error raised by a backend operation. Bad shapes are reported, never panicked on.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BackendError {
    /// Operand shapes do not fit the operation.
    #[error("{op}: shape mismatch: {detail}")]
    ShapeMismatch {
        /// The operation that was called.
        op: &'static str,
        /// What did not fit, e.g. `lhs 3x4, rhs 5x2`.
        detail: String,
    },
    /// An argument other than a shape is invalid (an index out of range, a bad block).
    #[error("{op}: invalid argument: {detail}")]
    InvalidArgument {
        /// The operation that was called.
        op: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The device could not allocate the requested memory.
    #[error("out of device memory allocating {bytes} bytes")]
    OutOfMemory {
        /// Bytes requested.
        bytes: u64,
    },
    /// The device was lost or a submission failed.
    #[error("device lost: {0}")]
    DeviceLost(String),
    /// No device of this backend could be opened (no adapter, no driver).
    #[error("no device available: {0}")]
    NoDevice(String),
}

/// Result type of backend operations.
pub type Result<T> = std::result::Result<T, BackendError>;

/// Builds a [`BackendError::ShapeMismatch`].
pub fn shape_err(op: &'static str, detail: impl Into<String>) -> BackendError {
    BackendError::ShapeMismatch {
        op,
        detail: detail.into(),
    }
}

/// Builds a [`BackendError::InvalidArgument`].
pub fn arg_err(op: &'static str, detail: impl Into<String>) -> BackendError {
    BackendError::InvalidArgument {
        op,
        detail: detail.into(),
    }
}
