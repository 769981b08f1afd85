//! Tables across the boundary as Arrow data (the C data interface, through `arrow-pyarrow`).
//!
//! In: a `pyarrow.Table` (pandas and polars frames are converted by the Python side) becomes
//! the reader's [`RawTable`] of text cells, so that a frame is typed by the same inference and
//! the same schema as the CSV file the command line reads: integers and booleans as their
//! text, floats in their shortest text (`NaN` as missing), strings and dictionary-encoded
//! categories as they are, dates as `YYYY-MM-DD`, timestamps as `YYYY-MM-DD HH:MM:SS[.f]` in
//! UTC. Rows are numbered from 0 as the frame's positions, so an error's "row 5" is `iloc[5]`.
//!
//! Out: a typed table becomes one record batch: numerical columns as `float64`, datetime
//! columns as `timestamp[us]`, categorical and id columns as strings; the Python side casts
//! each column back to the input's type.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema as ArrowSchema, TimeUnit};
use scorediff_synth::tabular::number::float_text;
use scorediff_synth::tabular::{ColumnData, ColumnKind, RawTable, Schema, Table, TextColumn};

/// A column the reader cannot take, with what to do.
pub fn unsupported(name: &str, t: &DataType) -> String {
    format!(
        "column `{name}` has the Arrow type {t}, which scorediff does not read: convert it to numbers, text, categories or datetimes"
    )
}

/// The text cells of `batches` (one schema) as the reader's raw table.
pub fn raw_table(source: &str, batches: &[RecordBatch]) -> Result<RawTable, String> {
    let schema = match batches.first() {
        Some(b) => b.schema(),
        None => return Err(format!("{source}: the table has no columns")),
    };
    let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if n == 0 {
        return Err(format!("{source}: the table has no rows"));
    }
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (j, field) in schema.fields().iter().enumerate() {
        let mut cells = TextColumn::with_capacity(n);
        for b in batches {
            for cell in texts(field.name(), b.column(j).as_ref())? {
                cells.push(cell.as_deref());
            }
        }
        columns.push(cells);
    }
    Ok(RawTable {
        source: source.to_string(),
        header: schema.fields().iter().map(|f| f.name().clone()).collect(),
        columns,
        rows: (0..n as u64).collect(),
        decimal_comma: false,
        encoding: "UTF-8".to_string(),
    })
}

/// The cells of one array as text, missing as `None`.
fn texts(name: &str, a: &dyn Array) -> Result<Vec<Option<String>>, String> {
    macro_rules! prim {
        ($t:ty, $f:expr) => {{
            let v = a.as_primitive::<$t>();
            (0..v.len())
                .map(|i| v.is_valid(i).then(|| $f(v.value(i))).flatten())
                .collect()
        }};
    }
    let int = |x: i128| Some(x.to_string());
    Ok(match a.data_type() {
        DataType::Null => vec![None; a.len()],
        DataType::Boolean => {
            let v = a.as_boolean();
            (0..v.len())
                .map(|i| {
                    v.is_valid(i)
                        .then(|| (if v.value(i) { "True" } else { "False" }).to_string())
                })
                .collect()
        }
        DataType::Int8 => prim!(Int8Type, |x: i8| int(x.into())),
        DataType::Int16 => prim!(Int16Type, |x: i16| int(x.into())),
        DataType::Int32 => prim!(Int32Type, |x: i32| int(x.into())),
        DataType::Int64 => prim!(Int64Type, |x: i64| int(x.into())),
        DataType::UInt8 => prim!(UInt8Type, |x: u8| int(x.into())),
        DataType::UInt16 => prim!(UInt16Type, |x: u16| int(x.into())),
        DataType::UInt32 => prim!(UInt32Type, |x: u32| int(x.into())),
        DataType::UInt64 => prim!(UInt64Type, |x: u64| int(x.into())),
        DataType::Float32 => prim!(Float32Type, |x: f32| finite(f64::from(x), || x.to_string())),
        DataType::Float64 => prim!(Float64Type, |x: f64| finite(x, || float_text(x))),
        DataType::Utf8 => strings(a.as_string::<i32>().iter()),
        DataType::LargeUtf8 => strings(a.as_string::<i64>().iter()),
        DataType::Utf8View => strings(a.as_string_view().iter()),
        DataType::Date32 => prim!(Date32Type, |d: i32| date_text(d)),
        DataType::Timestamp(unit, _) => {
            let (v, per_second): (Vec<Option<i64>>, i64) = match unit {
                TimeUnit::Second => (a.as_primitive::<TimestampSecondType>().iter().collect(), 1),
                TimeUnit::Millisecond => (
                    a.as_primitive::<TimestampMillisecondType>()
                        .iter()
                        .collect(),
                    1_000,
                ),
                TimeUnit::Microsecond => (
                    a.as_primitive::<TimestampMicrosecondType>()
                        .iter()
                        .collect(),
                    1_000_000,
                ),
                TimeUnit::Nanosecond => (
                    a.as_primitive::<TimestampNanosecondType>().iter().collect(),
                    1_000_000_000,
                ),
            };
            v.into_iter()
                .map(|x| x.and_then(|x| timestamp_text(x, per_second)))
                .collect()
        }
        DataType::Dictionary(_, _) => {
            let d = a.as_any_dictionary();
            let values = texts(name, d.values().as_ref())?;
            d.normalized_keys()
                .iter()
                .enumerate()
                .map(|(i, &k)| {
                    a.is_valid(i)
                        .then(|| values.get(k).cloned().flatten())
                        .flatten()
                })
                .collect()
        }
        other => return Err(unsupported(name, other)),
    })
}

fn finite(x: f64, text: impl FnOnce() -> String) -> Option<String> {
    x.is_finite().then(text)
}

fn strings<'a>(it: impl Iterator<Item = Option<&'a str>>) -> Vec<Option<String>> {
    it.map(|s| s.map(str::to_string)).collect()
}

fn date_text(days: i32) -> Option<String> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let d = epoch.checked_add_signed(chrono::TimeDelta::days(i64::from(days)))?;
    Some(d.format("%Y-%m-%d").to_string())
}

fn timestamp_text(value: i64, per_second: i64) -> Option<String> {
    let secs = value.div_euclid(per_second);
    let frac = value.rem_euclid(per_second);
    let nanos = (frac as i128 * 1_000_000_000 / per_second as i128) as u32;
    let t = chrono::DateTime::from_timestamp(secs, nanos)?.naive_utc();
    Some(if nanos == 0 {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S%.f").to_string()
    })
}

/// `table` (typed by `schema`, ids included as text) as one record batch (module
/// documentation).
pub fn record_batch(table: &Table, schema: &Schema) -> Result<RecordBatch, String> {
    let mut fields = Vec::with_capacity(table.n_cols());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(table.n_cols());
    for c in &table.columns {
        let kind = schema.column(&c.name).map(|s| s.kind);
        let (field, array): (Field, ArrayRef) = match (&c.data, kind) {
            (ColumnData::Numerical(v), Some(ColumnKind::Datetime)) => (
                Field::new(
                    &c.name,
                    DataType::Timestamp(TimeUnit::Microsecond, None),
                    true,
                ),
                Arc::new(TimestampMicrosecondArray::from(
                    v.iter()
                        .map(|x| x.map(|s| (s * 1e6).round() as i64))
                        .collect::<Vec<_>>(),
                )),
            ),
            (ColumnData::Numerical(v), _) => (
                Field::new(&c.name, DataType::Float64, true),
                Arc::new(Float64Array::from(v.clone())),
            ),
            (ColumnData::Categorical(v), _) => (
                Field::new(&c.name, DataType::Utf8, true),
                Arc::new(StringArray::from(v.iter().collect::<Vec<_>>())),
            ),
        };
        fields.push(field);
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), arrays).map_err(|e| e.to_string())
}
