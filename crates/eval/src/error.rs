//! Errors of the evaluation crate.

/// Everything that can go wrong while evaluating a synthetic table.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A column of the real table is absent from another table.
    #[error("column `{column}` is missing from the {table} table")]
    MissingColumn {
        /// The column name.
        column: String,
        /// Which table lacks it (`synthetic`, `test`, ...).
        table: &'static str,
    },
    /// A column is numerical in one table and categorical in another.
    #[error("column `{column}` is numerical in one table and categorical in another")]
    TypeMismatch {
        /// The column name.
        column: String,
    },
    /// A table has no rows (or too few for the metric).
    #[error("the {table} table has too few rows ({rows}) for {metric}")]
    TooFewRows {
        /// Which table.
        table: &'static str,
        /// Its number of rows.
        rows: usize,
        /// The metric that needs more.
        metric: &'static str,
    },
    /// The target column is unusable for a binary classification metric.
    #[error("target column `{column}`: {reason}")]
    BadTarget {
        /// The target column name.
        column: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A configuration value is out of its range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Writing the report failed.
    #[error("cannot write report to {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Serialising the report to JSON failed.
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
    /// Drawing or encoding a plot failed.
    #[error("cannot draw plot `{plot}`: {reason}")]
    Plot {
        /// The plot's name.
        plot: String,
        /// What failed.
        reason: String,
    },
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, EvalError>;
