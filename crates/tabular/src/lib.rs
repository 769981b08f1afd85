//! Tables in and out: reading, schema, encoding and decoding.
//!
//! The [`Table`] type is the exchange format of the table side of scorediff: the reader
//! produces it, the encoder turns it into the model's matrix, the decoder turns samples back
//! into it, and `scorediff-eval` compares two of them.

pub mod table;

pub use table::{Column, ColumnData, Table};
