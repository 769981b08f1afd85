//! The `scorediff` binary on bad and awkward input: each bad file gives one line on stderr
//! naming the file (and the row and column where there is one), exit code 2, no panic, and
//! no output left behind; awkward but valid files work.

mod common;

use common::{fit_with, run, write};
use std::path::Path;

/// Fits on `file` and asserts the failure contract; returns stderr's one line.
fn fit_fails(dir: &Path, file: &Path) -> String {
    let model = dir.join("model");
    let out = run(&[
        "fit",
        file.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--quiet",
        "--max-steps",
        "3",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "exit code; stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
    assert!(!model.exists(), "no model directory after a failure");
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "no partial output: {leftovers:?}");
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    assert!(stderr.contains(&name), "names the file `{name}`: {stderr}");
    stderr
}

/// A small valid table with a numerical, an integer and a categorical column and a target.
fn rows(n: usize) -> String {
    let mut s = String::from("income,age,city,label\n");
    for i in 0..n {
        let city = ["north", "south", "east"][i % 3];
        s.push_str(&format!(
            "{}.{},{},{city},{}\n",
            1000 + 37 * i,
            i % 10,
            20 + i % 40,
            i % 2
        ));
    }
    s
}

#[test]
fn empty_and_header_only_files_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let e = fit_fails(dir.path(), &write(dir.path(), "empty.csv", b""));
    assert!(e.contains("empty"), "{e}");
    let e = fit_fails(dir.path(), &write(dir.path(), "header.csv", b"a,b,c\n"));
    assert!(e.contains("no data rows"), "{e}");
}

#[test]
fn ragged_rows_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = rows(10);
    text.push_str("1.5,30\n");
    let e = fit_fails(
        dir.path(),
        &write(dir.path(), "ragged.csv", text.as_bytes()),
    );
    assert!(e.contains("row 12"), "the 12th line of the file: {e}");
}

#[test]
fn non_numeric_value_in_a_numeric_column_names_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let schema_src = write(dir.path(), "good.csv", rows(30).as_bytes());
    let schema = dir.path().join("schema.json");
    let out = run(&[
        "schema",
        schema_src.to_str().unwrap(),
        "--out",
        schema.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut text = rows(30);
    text = text.replacen("\n1000.0,", "\nabc,", 1);
    let bad = write(dir.path(), "bad_number.csv", text.as_bytes());
    let model = dir.path().join("model");
    let out = run(&[
        "fit",
        bad.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--schema",
        schema.to_str().unwrap(),
        "--quiet",
        "--max-steps",
        "3",
    ]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(
        e.contains("bad_number.csv") && e.contains("row 2") && e.contains("income"),
        "{e}"
    );
    assert!(!model.exists());
}

#[test]
fn non_utf8_bytes_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = rows(5).into_bytes();
    bytes.extend_from_slice(b"12.5,40,\xff\xfe,1\n");
    let e = fit_fails(dir.path(), &write(dir.path(), "latin1.csv", &bytes));
    assert!(e.contains("UTF-8") && e.contains("row 7"), "{e}");
}

#[test]
fn a_schema_naming_a_missing_column_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "data.csv", rows(20).as_bytes());
    let schema = dir.path().join("schema.json");
    assert!(
        run(&[
            "schema",
            data.to_str().unwrap(),
            "--out",
            schema.to_str().unwrap(),
            "--quiet"
        ])
        .status
        .success()
    );
    let text = std::fs::read_to_string(&schema)
        .unwrap()
        .replace("\"city\"", "\"town\"");
    std::fs::write(&schema, text).unwrap();
    let out = run(&[
        "schema",
        data.to_str().unwrap(),
        "--schema",
        schema.to_str().unwrap(),
    ]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("town"), "names the column: {e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
}

#[test]
fn a_missing_model_directory_tells_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out_csv = dir.path().join("syn.csv");
    let out = run(&[
        "sample",
        dir.path().join("nope").to_str().unwrap(),
        "--out",
        out_csv.to_str().unwrap(),
    ]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("scorediff fit"), "{e}");
    assert!(!out_csv.exists());
}

/// Awkward but valid input: a constant column, a one-category column, an all-missing column,
/// 1e300 and -0.0. Fit and sample must work and keep the columns, categories and ranges.
#[test]
fn awkward_but_valid_tables_fit_and_sample() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("x,constant,one_cat,empty,huge,signed,label\n");
    for i in 0..60 {
        let huge = if i % 7 == 0 {
            "1e300".to_string()
        } else {
            format!("{}e299", 1 + i % 5)
        };
        let signed = if i % 5 == 0 {
            "-0.0".to_string()
        } else {
            format!("{}.5", i % 9)
        };
        s.push_str(&format!("{}.25,42,only,,{huge},{signed},{}\n", i, i % 2));
    }
    let data = write(dir.path(), "awkward.csv", s.as_bytes());
    let model = dir.path().join("model");
    let out = run(&[
        "fit",
        data.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--quiet",
        "--max-steps",
        "5",
    ]);
    assert!(
        out.status.success(),
        "fit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let syn = dir.path().join("syn.csv");
    let out = run(&[
        "sample",
        model.to_str().unwrap(),
        "--out",
        syn.to_str().unwrap(),
        "--rows",
        "25",
        "--steps",
        "5",
        "--quiet",
    ]);
    assert!(
        out.status.success(),
        "sample: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&syn).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("x,constant,one_cat,empty,huge,signed,label")
    );
    let body: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(body.len(), 25);
    for r in &body {
        assert_eq!(r.len(), 7, "{r:?}");
        assert_eq!(r[1], "42", "constant column stays constant");
        assert_eq!(r[2], "only", "one-category column keeps its category");
        assert_eq!(r[3], "", "all-missing column stays missing");
        let huge: f64 = r[4].parse().unwrap();
        assert!(
            huge.is_finite() && (1e299..=1e300).contains(&huge),
            "within the seen range: {huge}"
        );
        assert!(r[6] == "0" || r[6] == "1");
    }
}

/// Writing into a directory that does not exist fails cleanly and leaves nothing behind.
#[test]
fn an_unwritable_output_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "ok.csv", rows(40).as_bytes());
    let model = dir.path().join("model");
    assert!(
        run(&[
            "fit",
            data.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--quiet",
            "--max-steps",
            "3"
        ])
        .status
        .success()
    );
    let syn = dir.path().join("missing_dir").join("syn.csv");
    let out = run(&[
        "sample",
        model.to_str().unwrap(),
        "--out",
        syn.to_str().unwrap(),
        "--rows",
        "5",
        "--steps",
        "3",
        "--quiet",
    ]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(!dir.path().join("missing_dir").exists());
}

/// `fit --print-config` writes the recipe as JSON; `fit --config` reads it back (edited) and
/// the model records the edit; a broken configuration file is one line naming the file, its
/// line and column.
#[test]
fn fit_configuration_round_trips_and_bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "ok.csv", rows(40).as_bytes());
    let model = dir.path().join("model");
    let args = |extra: &[&str]| {
        let mut a = vec!["--quiet"];
        a.extend_from_slice(extra);
        fit_with(&data, &model, &a)
    };
    let printed = args(&["--print-config"]);
    assert!(printed.status.success());
    assert!(!model.exists(), "--print-config fits nothing");
    let mut cfg: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(
        cfg["train"]["batch_size"], 1024,
        "the recipe's rows per step"
    );
    let batched = args(&["--print-config", "--batch", "256"]);
    let batched: serde_json::Value = serde_json::from_slice(&batched.stdout).unwrap();
    assert_eq!(batched["train"]["batch_size"], 256);
    assert_eq!(
        args(&["--print-config", "--batch", "0"]).status.code(),
        Some(2)
    );
    cfg["net"]["width"] = serde_json::json!(24);
    cfg["train"]["max_steps"] = serde_json::json!(4);
    let file = write(dir.path(), "fit.json", cfg.to_string().as_bytes());
    let fitted = args(&["--config", file.to_str().unwrap()]);
    assert!(
        fitted.status.success(),
        "{}",
        String::from_utf8_lossy(&fitted.stderr)
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("model.json")).unwrap()).unwrap();
    assert_eq!(meta["config"]["net"]["width"], 24);
    assert_eq!(meta["config"]["train"]["max_steps"], 4);
    std::fs::remove_dir_all(&model).unwrap();

    let bad = write(
        dir.path(),
        "bad.json",
        b"{\n  \"validation_fraction\": 0.05,\n  \"max_seconds\": \"long\"\n}\n",
    );
    let out = args(&["--config", bad.to_str().unwrap()]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(e.contains("bad.json") && e.contains("line 3"), "{e}");
    assert!(!model.exists());
}
