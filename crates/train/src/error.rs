//! Typed errors of the training loop.

use std::path::PathBuf;

use scorediff_backend::BackendError;
use scorediff_net::NetError;
use scorediff_process::ProcessError;
use thiserror::Error;

/// An error raised while training, checkpointing or benchmarking a score network.
#[derive(Debug, Error)]
pub enum TrainError {
    /// A backend operation failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The network failed (shapes, cache).
    #[error(transparent)]
    Net(#[from] NetError),
    /// Noising or the forward process failed.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// A training setting is out of range.
    #[error("invalid training configuration: {0}")]
    InvalidConfig(String),
    /// The data do not fit the network (wrong width, empty, non-finite values).
    #[error("invalid training data: {0}")]
    Data(String),
    /// The loss became NaN or infinite (a too large learning rate, usually).
    #[error("training diverged at step {step}: loss {loss}")]
    Diverged {
        /// The step at which the loss stopped being finite.
        step: u64,
        /// The offending loss value.
        loss: f64,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A checkpoint is malformed or does not match the network.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
}

impl TrainError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrainError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result type of the training crate.
pub type Result<T> = std::result::Result<T, TrainError>;
