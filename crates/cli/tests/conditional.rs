//! `sample --where`, `eval --where` and `impute` from the command line: conditions hold on
//! every written row, bad conditions stop with one line and exit 2, and `impute` writes the
//! table back with only its missing cells filled, every other cell as it was read.

mod common;

use common::{assert_refused, fit_with, run, stderr, write};
use std::path::{Path, PathBuf};

/// An id, a fixed-format amount (`12.50`), an integer, a city and a label.
fn table(n: usize) -> String {
    let mut s = String::from("customer,amount,age,city,label\n");
    for i in 0..n {
        let city = ["north", "south", "east"][i % 3];
        s.push_str(&format!(
            "C{:05},{}.{:02},{},{city},{}\n",
            10_000 + i,
            100 + (i * 37) % 900,
            (i * 7) % 100,
            20 + i % 45,
            i % 2
        ));
    }
    s
}

/// A small model (a narrow network, few steps) fitted on `table(120)`.
fn fitted_model(dir: &Path) -> PathBuf {
    let data = write(dir, "train.csv", table(120).as_bytes());
    let out = run(&["fit", "x.csv", "--model", "m", "--print-config"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut cfg: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    cfg["net"]["width"] = serde_json::json!(16);
    cfg["net"]["depth"] = serde_json::json!(1);
    cfg["train"]["max_steps"] = serde_json::json!(5);
    cfg["sampler"]["steps"] = serde_json::json!(2);
    let cfg = write(dir, "tiny.json", cfg.to_string().as_bytes());
    let model = dir.join("model");
    let out = fit_with(
        &data,
        &model,
        &["--config", cfg.to_str().unwrap(), "--quiet"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    model
}

/// The rows of a CSV file, split on commas (the tests' tables have no quoted field).
fn rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn sampled_rows_meet_every_condition() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    let out = dir.path().join("syn.csv");
    let o = run(&[
        "sample",
        model.to_str().unwrap(),
        "--rows",
        "300",
        "--out",
        out.to_str().unwrap(),
        "--where",
        "city=north|east",
        "--where",
        "age=30..40",
        "--where",
        "label=1",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = rows(&out);
    assert_eq!(rows[0], ["customer", "amount", "age", "city", "label"]);
    assert_eq!(rows.len(), 301);
    for r in &rows[1..] {
        let age: f64 = r[2].parse().unwrap();
        assert!((30.0..=40.0).contains(&age), "{r:?}");
        assert!(r[3] == "north" || r[3] == "east", "{r:?}");
        assert_eq!(r[4], "1", "{r:?}");
    }
}

#[test]
fn conditions_a_model_cannot_hold_stop_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    let out = dir.path().join("syn.csv");
    let sample = |condition: &str| {
        run(&[
            "sample",
            model.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--where",
            condition,
            "--quiet",
        ])
    };
    assert_refused(&sample("town=north"), &["no column `town`", "`city`"]);
    assert_refused(
        &sample("city=paris"),
        &["`paris` is not a category", "`north`"],
    );
    assert_refused(&sample("age=90..99"), &["`age`", "lie in 20..64"]);
    assert_refused(&sample("age=70"), &["lie in"]);
    assert_refused(&sample("customer=C10000"), &["id column"]);
    assert_refused(&sample("age"), &["NAME=VALUE"]);
    assert!(!out.exists(), "nothing written on a refused condition");
}

#[test]
fn a_rare_condition_is_warned_about_with_its_share() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    let out = dir.path().join("syn.csv");
    // age 20 is 3 of 120 training rows (2.5%), age 20..20 with amount 100..101 rarer still:
    // the quantile map estimates a share below 1%.
    let o = run(&[
        "sample",
        model.to_str().unwrap(),
        "--rows",
        "10",
        "--out",
        out.to_str().unwrap(),
        "--where",
        "amount=100..101",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("warning: condition `amount=100..101` holds in"),
        "{e}"
    );
    assert!(e.contains("% of the training rows"), "{e}");
}

#[test]
fn eval_compares_the_rows_of_a_condition() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    let syn = dir.path().join("syn.csv");
    let o = run(&[
        "sample",
        model.to_str().unwrap(),
        "--rows",
        "60",
        "--out",
        syn.to_str().unwrap(),
        "--where",
        "label=1",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let real = dir.path().join("train.csv");
    let o = run(&[
        "eval",
        "--real",
        real.to_str().unwrap(),
        "--syn",
        syn.to_str().unwrap(),
        "--where",
        "label=1",
        "--json",
        "--quiet",
        "--no-plots",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        report["n_real"], 60,
        "half the 120 training rows have label 1"
    );
    assert_eq!(report["n_synthetic"], 60);
    assert!(report["mle"].is_null(), "no utility test on one class");
}

#[test]
fn impute_fills_only_the_missing_cells_and_keeps_every_other_byte() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    // Gaps as empty cells and NA; a known amount written `07.50` and a city with spaces
    // around it keep their text; an extra column the model does not know is kept.
    let gaps = "customer,amount,age,city,label,note\n\
                C00001,,33,north,1,first\n\
                C00002,07.50,NA,east,,second\n\
                C00003,250.25,41, south ,0,\n\
                C00004,,,,,fourth\n";
    let input = write(dir.path(), "gaps.csv", gaps.as_bytes());
    let out = dir.path().join("filled.csv");
    let o = run(&[
        "impute",
        model.to_str().unwrap(),
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--draws",
        "3",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("filled 7 cells in 3 of 4 rows"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let (before, after) = (rows(&input), rows(&out));
    assert_eq!(after[0], before[0]);
    assert_eq!(after.len(), before.len());
    for (b, a) in before.iter().zip(&after).skip(1) {
        for (j, (x, y)) in b.iter().zip(a).enumerate() {
            let missing = x.is_empty() || x == "NA";
            if !missing {
                assert_eq!(x.trim(), y, "a known cell changed");
            } else if j == 5 {
                assert!(
                    y.is_empty(),
                    "a column the model does not know is not filled"
                );
            } else {
                assert!(!y.is_empty(), "column {j} left missing: {a:?}");
            }
        }
    }
    assert_eq!(after[2][1], "07.50");
    // Filled values are of the model's kinds: an amount in its format, a known city, 0/1.
    assert!(after[4][1].contains('.') && after[4][1].split('.').nth(1).unwrap().len() == 2);
    assert!(["north", "south", "east"].contains(&after[4][3].as_str()));
    assert!(["0", "1"].contains(&after[4][4].as_str()));
}

#[test]
fn impute_refuses_its_input_as_output_and_unknown_categories() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    let input = write(
        dir.path(),
        "gaps.csv",
        b"customer,amount,age,city,label\nC1,,33,north,1\nC2,10.00,40,mars,0\n",
    );
    let before = std::fs::read(&input).unwrap();
    let same = run(&[
        "impute",
        model.to_str().unwrap(),
        input.to_str().unwrap(),
        "--out",
        input.to_str().unwrap(),
    ]);
    assert_refused(&same, &["is an input", "refusing to overwrite"]);
    let out = dir.path().join("filled.csv");
    let unknown = run(&[
        "impute",
        model.to_str().unwrap(),
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_refused(
        &unknown,
        &["gaps.csv", "row 3", "column `city`", "`mars`", "not seen"],
    );
    assert_eq!(std::fs::read(&input).unwrap(), before);
    assert!(!out.exists());
    let missing = write(dir.path(), "short.csv", b"customer,amount,age\nC1,,33\n");
    let o = run(&[
        "impute",
        model.to_str().unwrap(),
        missing.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_refused(&o, &["short.csv", "`city`"]);
}
