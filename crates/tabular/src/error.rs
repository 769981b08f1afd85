//! Typed errors of the table side. Every message is one line that names the file, the row
//! (1-based, as a user sees it in the file: a CSV line number or a spreadsheet row number)
//! and the column where they apply.

use thiserror::Error;

/// A name or cell as shown in a message: line breaks and other control characters escaped,
/// so that every message stays one line (a quoted CSV header may hold a newline).
pub fn one_line(text: &str) -> String {
    if text.chars().any(char::is_control) {
        text.chars()
            .flat_map(|c| {
                if c.is_control() {
                    c.escape_default().collect::<Vec<_>>()
                } else {
                    vec![c]
                }
            })
            .collect()
    } else {
        text.to_string()
    }
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, TabularError>;

/// What can go wrong while reading, typing, encoding, decoding or writing a table.
#[derive(Debug, Error)]
pub enum TabularError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file could not be written (or renamed into place).
    #[error("{file}: cannot write: {source}")]
    Write {
        /// The file.
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file has no rows at all.
    #[error("{file}: empty file (no header row)")]
    EmptyFile {
        /// The file.
        file: String,
    },
    /// The file has a header but no data rows.
    #[error("{file}: header only, no data rows")]
    NoDataRows {
        /// The file.
        file: String,
    },
    /// A row has a different number of fields than the header.
    #[error("{file}: row {row}: {found} fields, but the header has {expected}")]
    RaggedRow {
        /// The file.
        file: String,
        /// 1-based row (line) in the file.
        row: u64,
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A field is not valid UTF-8.
    #[error("{file}: row {row}, column `{column_}`: not valid UTF-8{hint}", column_ = one_line(.column))]
    NonUtf8 {
        /// The file.
        file: String,
        /// 1-based row (line) in the file.
        row: u64,
        /// The column's header name (or its 1-based position when the header itself is bad).
        column: String,
        /// What the file looks like instead, and what to do (empty when unknown).
        hint: String,
    },
    /// The file's text encoding is not one that can be read (or not valid in the one given).
    #[error("{file}: {message}")]
    Encoding {
        /// The file.
        file: String,
        /// What it looks like and what to do.
        message: String,
    },
    /// A numeric column holds a value that is not finite (`inf`, `1e309`).
    #[error(
        "{file}: row {row}, column `{column_}`: `{value_}` is not a finite number; fix the cell, or read it as missing with --missing {value_}", column_ = one_line(.column), value_ = one_line(.value))]
    NonFinite {
        /// The file.
        file: String,
        /// 1-based row in the file.
        row: u64,
        /// The column.
        column: String,
        /// The offending text.
        value: String,
    },
    /// An encoder file is not valid JSON for an encoder, or does not fit its own layout.
    #[error("{file}: not a valid encoder: {message}")]
    EncoderFile {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The CSV parser failed (for instance an unterminated quote).
    #[error("{file}: row {row}: malformed CSV: {message}")]
    Csv {
        /// The file.
        file: String,
        /// 1-based row (line) in the file.
        row: u64,
        /// What the parser said.
        message: String,
    },
    /// The spreadsheet could not be opened or its sheet read.
    #[error("{file}: cannot read spreadsheet: {message}")]
    Excel {
        /// The file.
        file: String,
        /// What the spreadsheet reader said.
        message: String,
    },
    /// The requested sheet does not exist.
    #[error("{file}: no sheet `{sheet}` (sheets: {available_})", available_ = one_line(.available))]
    SheetNotFound {
        /// The file.
        file: String,
        /// The requested sheet (name or 0-based index).
        sheet: String,
        /// The sheets the workbook has, comma separated.
        available: String,
    },
    /// The requested header row is past the end of the data.
    #[error("{file}: header row {row} is past the last row")]
    HeaderRowOutOfRange {
        /// The file.
        file: String,
        /// 1-based row asked for.
        row: u64,
    },
    /// Two columns share a name.
    #[error("{file}: column `{column_}` appears twice in the header", column_ = one_line(.column))]
    DuplicateColumn {
        /// The file.
        file: String,
        /// The repeated name.
        column: String,
    },
    /// A value in a column the schema says is numerical does not parse as a finite number.
    #[error(
        "{file}: row {row}, column `{column_}`: `{value_}` is not a number, but the schema says the column is numerical", column_ = one_line(.column), value_ = one_line(.value))]
    NotNumeric {
        /// The file.
        file: String,
        /// 1-based row in the file.
        row: u64,
        /// The column.
        column: String,
        /// The offending text.
        value: String,
    },
    /// A value in a datetime column does not read in the column's format.
    #[error(
        "{file}: row {row}, column `{column_}`: `{value_}` is not a date/time in the column's format `{pattern}`", column_ = one_line(.column), value_ = one_line(.value))]
    NotDatetime {
        /// The file.
        file: String,
        /// 1-based row in the file.
        row: u64,
        /// The column.
        column: String,
        /// The offending text.
        value: String,
        /// The chrono pattern of the column.
        pattern: String,
    },
    /// The target named (by `--target` or a schema) is not a column of the table.
    #[error("{file}: no column `{column_}` to use as the target (columns: {available_})", column_ = one_line(.column), available_ = one_line(.available))]
    UnknownTarget {
        /// The file.
        file: String,
        /// The name asked for.
        column: String,
        /// The table's columns, comma separated.
        available: String,
    },
    /// A schema names a column the table does not have.
    #[error("{file}: the schema names column `{column_}`, which the table does not have", column_ = one_line(.column))]
    MissingColumn {
        /// The file (or `table` for an in-memory table).
        file: String,
        /// The column.
        column: String,
    },
    /// The schema itself is invalid (bad version, duplicate column, unknown target, ...).
    #[error("schema: {message}")]
    InvalidSchema {
        /// What is wrong.
        message: String,
    },
    /// A schema file is not valid JSON for a [`crate::Schema`].
    #[error("{file}: not a valid schema: {source}")]
    SchemaJson {
        /// The file (or `string`).
        file: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A numerical column has no value at all, so nothing can be fitted to it.
    #[error("column `{column_}`: all values are missing, cannot fit a numerical transform", column_ = one_line(.column))]
    AllMissing {
        /// The column.
        column: String,
    },
    /// A column's data type does not match what the schema or encoder expects.
    #[error("column `{column_}`: expected {expected} values, found {found}", column_ = one_line(.column))]
    KindMismatch {
        /// The column.
        column: String,
        /// What was expected (`numerical` or `categorical`).
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// A category that the encoder did not see when it was fitted.
    #[error(
        "row {row}, column `{column_}`: category `{value_}` was not seen when the encoder was fitted", column_ = one_line(.column), value_ = one_line(.value))]
    UnknownCategory {
        /// 1-based data row of the table.
        row: usize,
        /// The column.
        column: String,
        /// The category.
        value: String,
    },
    /// A matrix handed to the decoder does not have the encoder's width, or its length is wrong.
    #[error("matrix shape: {message}")]
    MatrixShape {
        /// What is wrong.
        message: String,
    },
    /// A matrix entry is NaN where a number is needed.
    #[error("row {row}, column `{column_}`: the matrix holds NaN", column_ = one_line(.column))]
    NanInMatrix {
        /// 1-based matrix row.
        row: usize,
        /// The table column the entry belongs to.
        column: String,
    },
    /// A condition on a column that the encoder cannot hold (conditional sampling,
    /// imputation).
    #[error("condition on column `{column_}`: {message}", column_ = one_line(.column))]
    Condition {
        /// The column.
        column: String,
        /// What is wrong, and what would do.
        message: String,
    },
    /// A bad argument (for instance a split fraction outside [0, 1)).
    #[error("invalid argument: {message}")]
    InvalidArgument {
        /// What is wrong.
        message: String,
    },
}
