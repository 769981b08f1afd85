//! The Credit Default training split: typing as the benchmarks type it, and an exact round
//! trip through the encoder and the CSV writer. Skipped when the data is absent.

use std::path::PathBuf;

use scorediff_tabular::*;

fn data(name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/credit-default")
        .join(name);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIP: {} not found (the Credit Default data is not part of the repository)",
            p.display()
        );
        None
    }
}

const TARGET: &str = "default payment next month";

#[test]
fn inference_types_credit_default_as_the_benchmarks() {
    let Some(path) = data("train.csv") else {
        return;
    };
    let raw = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(raw.n_rows(), 27_000);
    let schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
    let names = |pred: &dyn Fn(ColumnKind) -> bool| -> Vec<String> {
        schema
            .columns
            .iter()
            .filter(|c| pred(c.kind) && c.name != TARGET)
            .map(|c| c.name.clone())
            .collect()
    };
    let mut numerical = vec!["LIMIT_BAL".to_string(), "AGE".to_string()];
    numerical.extend((1..=6).map(|i| format!("BILL_AMT{i}")));
    numerical.extend((1..=6).map(|i| format!("PAY_AMT{i}")));
    let mut found = names(&|k| k.is_numerical());
    found.sort();
    numerical.sort();
    assert_eq!(found, numerical);
    let mut categorical: Vec<String> = [
        "SEX",
        "EDUCATION",
        "MARRIAGE",
        "PAY_0",
        "PAY_2",
        "PAY_3",
        "PAY_4",
        "PAY_5",
        "PAY_6",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut found = names(&|k| k == ColumnKind::Categorical);
    found.sort();
    categorical.sort();
    assert_eq!(found, categorical);
    assert_eq!(names(&|k| k == ColumnKind::Id), vec!["ID".to_string()]);
    assert_eq!(schema.target.as_deref(), Some(TARGET));
    let target = schema.column(TARGET).unwrap();
    assert_eq!(target.kind, ColumnKind::Categorical);
    assert_eq!(target.categories, vec!["0", "1"]);
    // The README's ranges: PAY_* codes -2..8 sorted by value, SEX 1 and 2.
    assert_eq!(schema.column("SEX").unwrap().categories, vec!["1", "2"]);
    assert_eq!(
        schema
            .column("PAY_0")
            .unwrap()
            .categories
            .first()
            .map(String::as_str),
        Some("-2")
    );
    assert!(schema.column("BILL_AMT1").unwrap().min.unwrap() < 0.0);
}

#[test]
fn credit_default_round_trips_exactly() {
    let Some(path) = data("train.csv") else {
        return;
    };
    let raw = read_path(&path, &ReadOptions::default()).unwrap();
    let schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
    let table = schema.apply(&raw).unwrap();
    assert_eq!(table.n_cols(), 24);
    let encoder = Encoder::fit(&table, &schema, &EncoderOptions::default()).unwrap();
    let x = encoder.encode(&table).unwrap();
    assert_eq!((x.rows, x.cols), (27_000, encoder.width()));
    // 14 scores + one one-hot entry per category (no missing values in this file).
    let n_categories: usize = schema.columns.iter().map(|c| c.categories.len()).sum();
    assert_eq!(encoder.width(), 14 + n_categories);
    assert_eq!(encoder.categorical_blocks().len(), 10);
    let back = encoder.decode(&x).unwrap();
    assert_eq!(back, table);

    // Through a stored encoder too.
    let stored = Encoder::from_json_str("encoder", &encoder.to_json()).unwrap();
    assert_eq!(stored.decode(&x).unwrap(), table);

    // Writing the decoded table reproduces every text of the file (ID aside).
    let dir = std::env::temp_dir().join(format!("scorediff-tabular-cd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("decoded.csv");
    write_csv(&out, &back, Some(&schema)).unwrap();
    let again = read_path(&out, &ReadOptions::default()).unwrap();
    for (j, name) in again.header.iter().enumerate() {
        let original = raw.position(name).unwrap();
        assert_eq!(again.columns[j], raw.columns[original], "column {name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The table with its identifier written as text under another name (`client` = `C13126`):
/// inferred an id from its values alone, so it is neither modelled (5,000 one-hot columns
/// and an abort for memory before) nor copied.
#[test]
fn a_text_identifier_under_any_name_is_an_id() {
    let Some(path) = data("train.csv") else {
        return;
    };
    let mut raw = read_path(&path, &ReadOptions::default()).unwrap();
    let j = raw.position("ID").unwrap();
    raw.header[j] = "client".into();
    for cell in raw.columns[j].iter_mut().flatten() {
        *cell = format!("C{cell}");
    }
    let schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
    let c = schema.column("client").unwrap();
    assert_eq!(c.kind, ColumnKind::Id);
    let table = schema.apply(&raw).unwrap();
    let enc = Encoder::fit(&table, &schema, &EncoderOptions::default()).unwrap();
    assert!(
        enc.width() < 200,
        "no one-hot block for the id: {}",
        enc.width()
    );
    assert!(table.column("client").is_none());
}
