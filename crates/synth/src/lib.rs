//! scorediff as a library: synthetic copies of tables from a diffusion model whose score is
//! learned by gradient descent.
//!
//! This crate owns the recipe and everything a program needs to use it without the
//! command line (the `scorediff` binary, `cargo xtask`, and the bindings to come build on
//! it, in the `fit` / `sample` vocabulary of SDV and scikit-learn):
//! - [`pipeline`]: [`FitConfig`] (the default recipe, docs/recipe.md), [`pipeline::fit`],
//!   [`pipeline::sample`], [`pipeline::sample_where`] (rows meeting conditions) and the
//!   chunked [`pipeline::sample_chunks`], in memory;
//! - [`condition`]: conditions on columns as users write them (`AGE=60..70`), checked
//!   against a model;
//! - [`impute`]: a table's missing cells filled from the model given each row's known cells;
//! - [`model`]: the model directory (save, load and its checks);
//! - [`config_file`]: fit configurations as JSON files (`--config`, `--print-config`);
//! - [`evaluate`]: the benchmark protocol (DESIGN.md §3) for a table's schema;
//! - [`guard`]: the memorisation guard, DCR checks of samples while the network trains;
//! - [`length`]: the training length the table decides, by the theory's stopping rule;
//! - [`device`]: opening a backend by kind and running backend-generic work on it;
//! - [`data`]: the default tables of the main job;
//! - [`main_job`]: the main job (`scorediff quickstart`), fit, sample and evaluate in memory;
//! - [`Error`]: one typed error, every message one line.
//!
//! The workspace's crates are re-exported under short names, so one dependency reaches
//! them all: `scorediff_synth::tabular`, `::eval`, `::train`, ...
//!
//! ```no_run
//! use scorediff_synth::{FitConfig, faer::FaerBackend, pipeline, tabular};
//! # fn main() -> scorediff_synth::Result<()> {
//! let (table, schema) = tabular::load_table(
//!     "train.csv",
//!     &tabular::ReadOptions::default(),
//!     None,
//!     &tabular::InferOptions::default(),
//! )?;
//! let be = FaerBackend::default();
//! let model = pipeline::fit(&be, &table, &schema, &FitConfig::default(), &mut |_| {
//!     std::ops::ControlFlow::Continue(())
//! })?;
//! let synthetic = pipeline::sample(&be, &model, 1000, &model.config.sampler, &mut |_, _| {})?;
//! # Ok(()) }
//! ```

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

pub mod condition;
pub mod config_file;
pub mod data;
pub mod device;
mod error;
pub mod evaluate;
pub mod guard;
pub mod impute;
pub mod length;
pub mod main_job;
pub mod model;
pub mod pipeline;

pub use error::{Error, Result};
pub use pipeline::{FitConfig, Model, NetKind, NetSpec};
