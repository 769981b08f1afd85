//! Tables in and out: reading, schema, encoding and decoding, writing, splits.
//!
//! The [`Table`] type is the exchange format of the table side of scorediff: the reader
//! produces it, the encoder turns it into the model's matrix, the decoder turns samples back
//! into it, and `scorediff-eval` compares two of them.
//!
//! The pipeline (DESIGN.md §2, "table -> encoder -> matrix"):
//! ```no_run
//! use scorediff_tabular::*;
//! # fn main() -> Result<()> {
//! let raw = read_path("train.csv", &ReadOptions::default())?;       // text cells
//! let schema = Schema::infer(&raw, &InferOptions::default())?;         // kinds and stats
//! let table = schema.apply(&raw)?;                                      // typed, ids dropped
//! let encoder = Encoder::fit(&table, &schema, &EncoderOptions::default())?;
//! let x = encoder.encode(&table)?;                                      // rows x d, f32
//! let back = encoder.decode(&x)?;                                       // == table
//! write_csv("copy.csv", &back, Some(&schema))?;                         // same texts
//! # Ok(()) }
//! ```

pub mod datetime;
pub mod encode;
pub mod error;
pub mod id;
mod infer;
pub mod number;
pub mod read;
pub mod schema;
pub mod split;
pub mod table;
pub mod write;

pub use datetime::{DatetimeFormat, DatetimeKind};
pub use encode::{
    Block, CellRequirement, ColumnCodec, DEFAULT_MAX_ONE_HOT, Encoder, EncoderOptions, Matrix,
    NumericalTransform,
};
pub use error::{Result, TabularError};
pub use id::IdShape;
pub use number::NumberFormat;
pub use read::{RawTable, ReadOptions, TextColumn, read_path};
pub use schema::{ColumnKind, ColumnSchema, InferOptions, RARE_TOKEN, Schema, TargetChoice};
pub use split::{RowSplit, split_rows, split_table};
pub use table::{CategoricalCells, Column, ColumnData, Table};
pub use write::{write_csv, write_csv_to};

/// Reads a file and types it by a schema inferred from it, merged with `schema` when given
/// (a user's schema may list only some columns, see [`Schema::infer_with`]). Returns the
/// typed table (ids dropped) and the schema used.
pub fn load_table(
    path: impl AsRef<std::path::Path>,
    read: &ReadOptions,
    schema: Option<&Schema>,
    infer: &InferOptions,
) -> Result<(Table, Schema)> {
    let raw = read_path(path, read)?;
    let schema = Schema::infer_with(&raw, infer, schema)?;
    let table = schema.apply(&raw)?;
    Ok((table, schema))
}

/// Reads a file and types it by a complete `schema` (another table's, as a test table is
/// typed by its training table's schema): see [`Schema::apply`].
pub fn load_typed(
    path: impl AsRef<std::path::Path>,
    read: &ReadOptions,
    schema: &Schema,
) -> Result<Table> {
    schema.apply(&read_path(path, read)?)
}
