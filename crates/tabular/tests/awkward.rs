//! The awkward tables of `tests/corpus/`: each one is a way real tables break naive readers,
//! with the outcome the table pipeline promises (docs/reliability.md lists them all).

use std::path::PathBuf;

use scorediff_tabular::*;

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name)
}

fn infer(name: &str) -> (RawTable, Schema) {
    let raw = read_path(corpus(name), &ReadOptions::default()).unwrap();
    let schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
    (raw, schema)
}

fn kind(schema: &Schema, column: &str) -> ColumnKind {
    schema.column(column).unwrap().kind
}

/// Encodes and decodes the table, adds ids, and writes the CSV text.
fn round_trip_text(raw: &RawTable, schema: &Schema) -> String {
    let table = schema.apply(raw).unwrap();
    let enc = Encoder::fit(&table, schema, &EncoderOptions::default()).unwrap();
    let back = enc.decode(&enc.encode(&table).unwrap()).unwrap();
    let full = schema.with_ids(back, 0, 0);
    let mut out = Vec::new();
    write_csv_to(&mut out, &full, Some(schema)).unwrap();
    String::from_utf8(out).unwrap()
}

fn column_texts(csv_text: &str, column: usize, delimiter: char) -> Vec<String> {
    csv_text
        .lines()
        .skip(1)
        .map(|l| l.split(delimiter).nth(column).unwrap().to_string())
        .collect()
}

#[test]
fn string_ids_are_ids_and_never_copied() {
    let (raw, schema) = infer("string_ids.csv");
    assert_eq!(kind(&schema, "customer"), ColumnKind::Id);
    let real: std::collections::HashSet<&str> = raw.columns[0].texts().collect();
    let text = round_trip_text(&raw, &schema);
    let fresh = column_texts(&text, 0, ',');
    assert_eq!(fresh.len(), 60);
    let unique: std::collections::HashSet<&String> = fresh.iter().collect();
    assert_eq!(unique.len(), 60, "fresh ids are unique");
    for id in &fresh {
        assert!(!real.contains(id.as_str()), "{id} is a real id");
        assert!(id.starts_with('C') && id.len() == 6, "same shape: {id}");
    }
    // The schema (stored in a model directory) holds the shape, not the values.
    let json = schema.to_json_pretty();
    assert!(
        !json.contains("C13000") && json.contains("numbered"),
        "{json}"
    );
}

#[test]
fn non_finite_numbers_are_an_error_naming_row_and_column() {
    for (file, value) in [("inf.csv", "inf"), ("overflow.csv", "1e309")] {
        let raw = read_path(corpus(file), &ReadOptions::default()).unwrap();
        let e = Schema::infer(&raw, &InferOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(file) && e.contains("row 9") && e.contains("`x`") && e.contains(value),
            "{e}"
        );
        // The documented way out: read the token as missing.
        let opts = ReadOptions {
            missing: vec![value.to_string()],
            ..ReadOptions::default()
        };
        let raw = read_path(corpus(file), &opts).unwrap();
        let s = Schema::infer(&raw, &InferOptions::default()).unwrap();
        assert_eq!(kind(&s, "x"), ColumnKind::Continuous);
        assert!(s.column("x").unwrap().has_missing);
    }
}

#[test]
fn decimal_commas_are_numbers_in_semicolon_files_and_written_back() {
    let (raw, schema) = infer("decimal_comma.csv");
    assert_eq!(kind(&schema, "amount"), ColumnKind::Continuous);
    let c = schema.column("amount").unwrap();
    assert_eq!((c.min, c.max), (Some(21.0), Some(60.443)));
    let text = round_trip_text(&raw, &schema);
    let original = std::fs::read_to_string(corpus("decimal_comma.csv")).unwrap();
    assert_eq!(
        text, original,
        "the same text, `;`-separated with decimal commas"
    );
}

#[test]
fn dates_datetimes_and_times_are_datetime_columns_written_in_their_format() {
    let (raw, schema) = infer("dates.csv");
    for c in ["day", "when", "t"] {
        assert_eq!(kind(&schema, c), ColumnKind::Datetime, "{c}");
    }
    let text = round_trip_text(&raw, &schema);
    let original = std::fs::read_to_string(corpus("dates.csv")).unwrap();
    for j in 0..3 {
        assert_eq!(
            column_texts(&text, j, ','),
            column_texts(&original, j, ','),
            "column {j}"
        );
    }
    // Modelled as numbers: a day is 86,400 seconds.
    let table = schema.apply(&raw).unwrap();
    let ColumnData::Numerical(days) = &table.column("day").unwrap().data else {
        panic!("numerical")
    };
    assert_eq!(days[1].unwrap() - days[0].unwrap(), 86_400.0);
}

#[test]
fn signed_zeros_and_writings_of_one_code_are_one_category() {
    let (_, schema) = infer("signed_zero.csv");
    let c = schema.column("code").unwrap();
    assert_eq!(c.kind, ColumnKind::Categorical);
    assert_eq!(c.categories, ["0", "1", "2"]);
}

#[test]
fn codes_that_look_numeric_stay_text_byte_for_byte() {
    for (file, column) in [("zip_codes.csv", "zip"), ("big_integers.csv", "account")] {
        let (raw, schema) = infer(file);
        let k = kind(&schema, column);
        assert!(
            k == ColumnKind::Categorical || k == ColumnKind::Id,
            "{file}: {k:?}"
        );
        if k == ColumnKind::Categorical {
            let text = round_trip_text(&raw, &schema);
            let original = std::fs::read_to_string(corpus(file)).unwrap();
            assert_eq!(column_texts(&text, 0, ','), column_texts(&original, 0, ','));
        }
    }
    // 2^60 + 3i are distinct integers f64 cannot hold: an id, fresh values unique.
    let (raw, schema) = infer("big_integers.csv");
    assert_eq!(kind(&schema, "account"), ColumnKind::Id);
    let fresh = column_texts(&round_trip_text(&raw, &schema), 0, ',');
    let unique: std::collections::HashSet<&String> = fresh.iter().collect();
    assert_eq!(unique.len(), fresh.len());
}

#[test]
fn utf16_latin1_and_bom_files_are_read() {
    let (raw, _) = infer("utf16.csv");
    assert_eq!(raw.encoding, "UTF-16LE");
    assert_eq!(raw.columns[0].get(0), Some("Z\u{fc}rich0"));
    let (raw, _) = infer("latin1.csv");
    assert_eq!(raw.encoding, "windows-1252");
    assert_eq!(raw.columns[0].get(1), Some("Z\u{fc}rich"));
    let (raw, _) = infer("utf8_bom.csv");
    assert_eq!(raw.header, ["a", "b"]);
}

#[test]
fn free_text_pools_rare_values_and_warns() {
    let (raw, schema) = infer("free_text.csv");
    let c = schema.column("comment").unwrap();
    assert_eq!(c.kind, ColumnKind::Categorical);
    assert_eq!(c.rare_min_count, Some(10));
    assert_eq!(c.categories, ["common note", RARE_TOKEN]);
    assert_eq!(c.pooled_values, 300);
    let w = schema.warnings();
    assert_eq!(w.len(), 1);
    assert!(
        w[0].contains("comment") && w[0].contains(RARE_TOKEN),
        "{}",
        w[0]
    );
    // No rare real value reaches the typed table (and so the model and its samples).
    let table = schema.apply(&raw).unwrap();
    let ColumnData::Categorical(v) = &table.column("comment").unwrap().data else {
        panic!("categorical")
    };
    assert!(
        v.iter()
            .flatten()
            .all(|t| t == "common note" || t == RARE_TOKEN)
    );
    // Switched off per column in a user schema.
    let mut user = schema.clone();
    user.columns.retain(|c| c.name == "comment");
    user.columns[0].rare_min_count = Some(0);
    let s = Schema::infer_with(&raw, &InferOptions::default(), Some(&user)).unwrap();
    assert_eq!(s.column("comment").unwrap().categories.len(), 301);
}

#[test]
fn a_partial_user_schema_merges_with_inference_and_the_target_applies_on_top() {
    let raw = read_path(corpus("string_ids.csv"), &ReadOptions::default()).unwrap();
    let user = Schema::from_json_str(
        "partial.json",
        r#"{"format_version": 1, "columns": [{"name": "segment", "kind": "categorical"}]}"#,
    )
    .unwrap();
    let options = InferOptions {
        target: TargetChoice::Named("segment".into()),
        ..InferOptions::default()
    };
    let s = Schema::infer_with(&raw, &options, Some(&user)).unwrap();
    assert_eq!(s.columns.len(), 4, "no column dropped");
    assert_eq!(s.target.as_deref(), Some("segment"));
    let balance = s.column("balance").unwrap();
    assert_eq!(balance.kind, ColumnKind::Continuous);
    assert_eq!(balance.format.decimals, 1, "formats learnt, not zeroed");
    // load_table merges the same way.
    let (_, loaded) = load_table(
        corpus("string_ids.csv"),
        &ReadOptions::default(),
        Some(&user),
        &options,
    )
    .unwrap();
    assert_eq!(loaded, s);
    let e = Schema::infer_with(
        &raw,
        &InferOptions {
            target: TargetChoice::Named("nope".into()),
            ..InferOptions::default()
        },
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("no column `nope`") && !e.contains("schema"),
        "{e}"
    );
}

#[test]
fn a_corrupt_or_inconsistent_encoder_file_is_rejected() {
    let (raw, schema) = infer("string_ids.csv");
    let table = schema.apply(&raw).unwrap();
    let enc = Encoder::fit(&table, &schema, &EncoderOptions::default()).unwrap();
    let e = Encoder::from_json_str("encoder.json", "{not json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a valid encoder"), "{e}");
    let mut bad = enc.clone();
    bad.columns[1].start += 5;
    let e = Encoder::from_json_str("encoder.json", &bad.to_json())
        .unwrap_err()
        .to_string();
    assert!(e.contains("starts at matrix column"), "{e}");
    assert!(Encoder::from_json_str("encoder.json", &enc.to_json()).is_ok());
}
