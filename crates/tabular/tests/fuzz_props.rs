//! Property tests over random tables assembled from awkward cells: reading, inference,
//! typing, the encoder round trip, fresh ids and writing never panic, and every error is one
//! line. (`cargo xtask fuzz` runs the same pipeline on mutations of the corpus for as long
//! as asked; this keeps a fixed, deterministic sample of it in the test suite.)

use proptest::prelude::*;
use scorediff_tabular::read::csv::read_csv_bytes;
use scorediff_tabular::*;

const CELLS: &[&str] = &[
    "0",
    "-0",
    "0.0",
    "1",
    "2.5",
    "-3.25",
    "1e300",
    "inf",
    "1e309",
    "NaN",
    "",
    "08585",
    "1152921504606846976",
    "2024-01-31",
    "2024-02-29T10:00:00",
    "10:00",
    "21,5",
    "a",
    "b c",
    "\"q,uoted\"",
    "\"multi\nline\"",
    "C0001",
    "C0002",
    "_RARE_",
    "\u{e9}",
    "?",
    "null",
];

fn pipeline(bytes: &[u8]) -> std::result::Result<(), String> {
    let e = |e: TabularError| e.to_string();
    let raw = read_csv_bytes("p.csv", bytes, &ReadOptions::default()).map_err(e)?;
    let schema = Schema::infer(&raw, &InferOptions::default()).map_err(e)?;
    let table = schema.apply(&raw).map_err(e)?;
    let enc = Encoder::fit(&table, &schema, &EncoderOptions::default()).map_err(e)?;
    let decoded = enc.decode(&enc.encode(&table).map_err(e)?).map_err(e)?;
    let mut out = Vec::new();
    write_csv_to(&mut out, &schema.with_ids(decoded, 0, 0), Some(&schema))
        .map_err(|e| e.to_string())?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn awkward_tables_never_panic_and_errors_are_one_line(
        n_cols in 1usize..5,
        cells in proptest::collection::vec(0usize..CELLS.len(), 1..60),
        delimiter in prop_oneof![Just(','), Just(';'), Just('\t')],
    ) {
        let mut text = (0..n_cols).map(|j| format!("c{j}")).collect::<Vec<_>>().join(&delimiter.to_string());
        text.push('\n');
        for row in cells.chunks(n_cols) {
            let line: Vec<&str> = row.iter().map(|&k| CELLS[k]).collect();
            text.push_str(&line.join(&delimiter.to_string()));
            text.push('\n');
        }
        let outcome = std::panic::catch_unwind(|| pipeline(text.as_bytes()));
        prop_assert!(outcome.is_ok(), "panicked on {text:?}");
        if let Ok(Err(msg)) = outcome {
            prop_assert_eq!(msg.trim_end().lines().count(), 1, "{}", msg);
        }
    }
}
