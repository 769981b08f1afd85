//! The library's error: every crate's error, typed, each printed as one line.

use thiserror::Error;

/// Result alias of the library.
pub type Result<T> = std::result::Result<T, Error>;

/// What can go wrong in the pipeline or the command-line tool.
#[derive(Debug, Error)]
pub enum Error {
    /// Reading, typing, encoding or writing a table.
    #[error(transparent)]
    Tabular(#[from] scorediff_tabular::TabularError),
    /// Computing the metrics.
    #[error(transparent)]
    Eval(#[from] scorediff_eval::EvalError),
    /// A backend operation.
    #[error("backend: {0}")]
    Backend(#[from] scorediff_backend::BackendError),
    /// Training (an invalid training setting, or a failure during the run).
    #[error(transparent)]
    Train(#[from] scorediff_train::TrainError),
    /// Building or running a score network.
    #[error(transparent)]
    Net(#[from] scorediff_net::NetError),
    /// The forward process or the sampler.
    #[error(transparent)]
    Process(#[from] scorediff_process::ProcessError),
    /// A file operation outside the table readers and writers.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A model directory that cannot be used.
    #[error("{path}: {detail}")]
    Model {
        /// The model directory or file.
        path: String,
        /// What is wrong, and what to do about it.
        detail: String,
    },
    /// An invalid combination of options or inputs.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}
