//! scorediff: synthetic copies of tables from diffusion models whose score is learned by
//! gradient descent.
//!
//! This crate is the `scorediff` binary and a facade: it re-exports the workspace's crates
//! under short names and adds the end-to-end pipeline (table -> encoder -> model -> sampler
//! -> table) that the binary and `cargo xtask reproduce` share.

pub use scorediff_backend as backend;
pub use scorediff_eval as eval;
#[cfg(feature = "cpu")]
pub use scorediff_faer as faer;
pub use scorediff_net as net;
pub use scorediff_ntk as ntk;
pub use scorediff_process as process;
pub use scorediff_tabular as tabular;
pub use scorediff_train as train;
#[cfg(feature = "wgpu")]
pub use scorediff_wgpu as wgpu;

pub mod data;
mod error;
pub mod model;
pub mod pipeline;

pub use error::{Error, Result};
