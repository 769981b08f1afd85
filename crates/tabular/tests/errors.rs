//! Each error names the file, the 1-based row as seen in the file, and the column; edge cases
//! that must work (constant and one-category columns, 1e300, -0.0, all-missing columns).

use scorediff_tabular::read::csv::read_csv_bytes;
use scorediff_tabular::*;

fn raw(text: &[u8]) -> Result<RawTable> {
    read_csv_bytes("t.csv", text, &ReadOptions::default())
}

fn round_trip(text: &str) -> (Table, Schema, String) {
    let r = raw(text.as_bytes()).unwrap();
    let schema = Schema::infer(
        &r,
        &InferOptions {
            target: TargetChoice::None,
            ..Default::default()
        },
    )
    .unwrap();
    let table = schema.apply(&r).unwrap();
    let enc = Encoder::fit(&table, &schema, &EncoderOptions::default()).unwrap();
    let back = enc.decode(&enc.encode(&table).unwrap()).unwrap();
    assert_eq!(back, table);
    let mut out = Vec::new();
    write_csv_to(&mut out, &back, Some(&schema)).unwrap();
    (back, schema, String::from_utf8(out).unwrap())
}

#[test]
fn empty_file() {
    let e = raw(b"").unwrap_err();
    assert!(matches!(e, TabularError::EmptyFile { .. }));
    assert_eq!(e.to_string(), "t.csv: empty file (no header row)");
    assert!(matches!(raw(b"\n\n"), Err(TabularError::EmptyFile { .. })));
}

#[test]
fn missing_file_names_it() {
    let e = read_path("/nonexistent/dir/x.csv", &ReadOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/dir/x.csv: cannot read"),
        "{e}"
    );
}

#[test]
fn header_only() {
    let e = raw(b"a,b,c\n").unwrap_err();
    assert!(matches!(e, TabularError::NoDataRows { .. }), "{e}");
}

#[test]
fn ragged_row_names_its_line() {
    let e = raw(b"a,b\n1,2\n\n3\n").unwrap_err();
    match &e {
        TabularError::RaggedRow {
            row,
            expected,
            found,
            ..
        } => assert_eq!((*row, *expected, *found), (4, 2, 1)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "t.csv: row 4: 1 fields, but the header has 2"
    );
}

/// Rows past the header scan go straight into the columns: a ragged row and a non-UTF-8 cell
/// far down a file are reported with their line and column as near the top.
#[test]
fn problems_below_the_header_scan_name_their_line() {
    let mut text = String::from("a,b\n");
    for i in 0..40 {
        text.push_str(&format!("{i},x{i}\n"));
    }
    let good = raw(text.as_bytes()).unwrap();
    assert_eq!(good.n_rows(), 40);
    assert_eq!(good.columns[1].get(39), Some("x39"));
    assert_eq!(good.rows[39], 41);
    let ragged = format!("{text}7\n");
    let e = raw(ragged.as_bytes()).unwrap_err();
    assert!(matches!(e, TabularError::RaggedRow { row: 42, .. }), "{e}");
    let mut bad = text.into_bytes();
    bad.extend_from_slice(b"8,\xff\xfe\n");
    let e = raw(&bad).unwrap_err().to_string();
    assert!(
        e.starts_with("t.csv: row 42, column `b`: not valid UTF-8"),
        "{e}"
    );
    let e = read_csv_bytes(
        "t.csv",
        b"a,b\n1,2\n",
        &ReadOptions {
            header_row: Some(5),
            ..ReadOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, TabularError::HeaderRowOutOfRange { row: 6, .. }),
        "{e}"
    );
}

#[test]
fn non_utf8_names_row_and_column() {
    let e = raw(b"a,b\n1,x\n2,\xff\xfe\n").unwrap_err();
    let e = e.to_string();
    assert!(
        e.starts_with("t.csv: row 3, column `b`: not valid UTF-8"),
        "{e}"
    );
}

#[test]
fn non_numeric_value_in_a_numerical_column() {
    let good = raw(b"x,y\n1,a\n2,b\n3.5,c\n").unwrap();
    let schema = Schema::infer(&good, &InferOptions::default()).unwrap();
    assert_eq!(schema.column("x").unwrap().kind, ColumnKind::Continuous);
    let bad = raw(b"x,y\n1,a\nabc,b\n").unwrap();
    let e = schema.apply(&bad).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv: row 3, column `x`: `abc` is not a number, but the schema says the column is numerical"
    );
    // The same through a user schema that declares a text column numerical.
    let user = Schema::from_json_str(
        "user.json",
        r#"{"format_version":1,"columns":[{"name":"y","kind":"continuous"}]}"#,
    )
    .unwrap();
    let e = Schema::infer_with(&good, &InferOptions::default(), Some(&user)).unwrap_err();
    assert!(
        matches!(e, TabularError::NotNumeric { row: 2, ref column, .. } if column == "y"),
        "{e}"
    );
}

#[test]
fn schema_naming_a_missing_column() {
    let r = raw(b"x,y\n1,a\n2,b\n").unwrap();
    let user = Schema::from_json_str(
        "user.json",
        r#"{"format_version":1,"columns":[{"name":"z","kind":"categorical"}]}"#,
    )
    .unwrap();
    let e = Schema::infer_with(&r, &InferOptions::default(), Some(&user)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv: the schema names column `z`, which the table does not have"
    );
    let mut schema = Schema::infer(
        &r,
        &InferOptions {
            target: TargetChoice::None,
            ..Default::default()
        },
    )
    .unwrap();
    schema.columns[1].name = "w".into();
    assert!(
        matches!(schema.apply(&r), Err(TabularError::MissingColumn { ref column, .. }) if column == "w")
    );
}

#[test]
fn bad_schema_json_and_versions() {
    assert!(matches!(
        Schema::from_json_str("s.json", "{"),
        Err(TabularError::SchemaJson { .. })
    ));
    let r = raw(b"x,y\n1,a\n2,b\n").unwrap();
    let mut s = Schema::infer(&r, &InferOptions::default()).unwrap();
    s.format_version = 99;
    assert!(matches!(
        s.apply(&r),
        Err(TabularError::InvalidSchema { .. })
    ));
}

#[test]
fn duplicate_header() {
    let e = raw(b"a,a\n1,2\n").unwrap_err();
    assert!(matches!(e, TabularError::DuplicateColumn { ref column, .. } if column == "a"));
}

#[test]
fn all_missing_column_is_categorical_and_round_trips() {
    let (back, schema, text) = round_trip("a,b\n1.5,NA\n2.5,\n3.5,?\n");
    let b = schema.column("b").unwrap();
    assert_eq!(b.kind, ColumnKind::Categorical);
    assert!(b.categories.is_empty() && b.has_missing);
    assert_eq!(
        back.column("b").unwrap().data,
        ColumnData::Categorical(vec![None::<String>; 3].into_iter().collect())
    );
    assert_eq!(text, "a,b\n1.5,\n2.5,\n3.5,\n");
    // Declared numerical, it cannot be fitted.
    let r = raw(b"a,b\n1.5,NA\n2.5,\n").unwrap();
    let user = Schema::from_json_str(
        "u",
        r#"{"format_version":1,"columns":[{"name":"b","kind":"continuous"}]}"#,
    )
    .unwrap();
    let s = Schema::infer_with(&r, &InferOptions::default(), Some(&user)).unwrap();
    let t = s.apply(&r).unwrap();
    let e = Encoder::fit(&t, &s, &EncoderOptions::default()).unwrap_err();
    assert!(matches!(e, TabularError::AllMissing { ref column } if column == "b"));
}

#[test]
fn constant_and_one_category_columns_work() {
    let (_, schema, text) = round_trip("c,k,n\n2.5,a,7\n2.5,a,7\n2.5,a,7\n");
    assert_eq!(schema.column("c").unwrap().kind, ColumnKind::Continuous);
    assert_eq!(schema.column("k").unwrap().categories, vec!["a"]);
    assert_eq!(text, "c,k,n\n2.5,a,7\n2.5,a,7\n2.5,a,7\n");
}

#[test]
fn huge_values_and_negative_zero_round_trip() {
    let (back, _, text) = round_trip("v,w\n1e300,-0.0\n-1e300,1.5\n2.5e-7,0.0\n0,-2.5\n");
    let v = back.column("v").unwrap();
    assert_eq!(
        v.data,
        ColumnData::Numerical(vec![Some(1e300), Some(-1e300), Some(2.5e-7), Some(0.0)])
    );
    // The original texts, except that -0.0 reads as 0 (documented).
    assert_eq!(text, "v,w\n1e300,0.0\n-1e300,1.5\n2.5e-7,0.0\n0,-2.5\n");
}

#[test]
fn missing_tokens_are_recognised() {
    let r = raw(b"a,b\n1,x\nNA,nan\nN/a,NULL\n?,\n5,y\n").unwrap();
    assert_eq!(
        r.columns[0],
        vec![Some("1".into()), None, None, None, Some("5".into())]
    );
    assert_eq!(
        r.columns[1],
        vec![Some("x".into()), None, None, None, Some("y".into())]
    );
    let (back, schema, _) = round_trip("a,b\n1.5,x\nNA,nan\n2.5,y\n");
    assert!(schema.column("a").unwrap().has_missing);
    assert_eq!(
        back.column("a").unwrap().data,
        ColumnData::Numerical(vec![Some(1.5), None, Some(2.5)])
    );
}

#[test]
fn unknown_category_and_bad_matrices() {
    let r = raw(b"k,v\na,1.5\nb,2.5\n").unwrap();
    let schema = Schema::infer(&r, &InferOptions::default()).unwrap();
    let table = schema.apply(&r).unwrap();
    let enc = Encoder::fit(&table, &schema, &EncoderOptions::default()).unwrap();
    let other = schema.apply(&raw(b"k,v\na,1.5\nc,2.5\n").unwrap()).unwrap();
    let e = enc.encode(&other).unwrap_err();
    assert_eq!(
        e.to_string(),
        "row 2, column `k`: category `c` was not seen when the encoder was fitted"
    );
    assert!(matches!(
        enc.decode(&Matrix::zeros(2, enc.width() + 1)),
        Err(TabularError::MatrixShape { .. })
    ));
    let mut m = enc.encode(&table).unwrap();
    m.data[m.cols] = f32::NAN;
    assert!(matches!(
        enc.decode(&m),
        Err(TabularError::NanInMatrix { row: 2, .. })
    ));
}
