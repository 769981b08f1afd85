//! Typed errors of the score networks.

use scorediff_backend::BackendError;
use thiserror::Error;

/// An error raised while building or running a score network.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum NetError {
    /// A backend operation failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A network configuration is invalid (zero width, odd embedding size, bad blocks).
    #[error("invalid network configuration: {0}")]
    InvalidConfig(String),
    /// Inputs or gradients do not have the shapes the network expects.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A forward cache does not come from this network.
    #[error("forward cache does not match this network: {0}")]
    Cache(String),
}
