//! A table with a column of hundreds of categories: `fit` codes it in bits and says so,
//! `sample` decodes it to real categories and holds a condition on one of them.

mod common;

use common::{assert_refused, fit_with, run, stderr, write};

/// 4,000 rows: a code of 300 values (about 13 rows each) and a group that follows it.
fn table() -> String {
    let mut s = String::from("code,group,x\n");
    for i in 0..4000u32 {
        let code = (i * 37) % 300;
        s.push_str(&format!("K{code:03},G{},{}.{}\n", code % 4, i % 50, i % 10));
    }
    s
}

#[test]
fn many_categories_are_coded_in_bits_and_decoded_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "wide.csv", table().as_bytes());
    let out = run(&["fit", "x.csv", "--model", "m", "--print-config"]);
    let mut cfg: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    cfg["net"]["width"] = serde_json::json!(16);
    cfg["net"]["depth"] = serde_json::json!(1);
    cfg["train"]["max_steps"] = serde_json::json!(5);
    cfg["sampler"]["steps"] = serde_json::json!(2);
    let cfg = write(dir.path(), "tiny.json", cfg.to_string().as_bytes());
    let model = dir.path().join("model");
    let o = fit_with(
        &data,
        &model,
        &["--config", cfg.to_str().unwrap(), "--json", "--quiet"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        summary["bit_coded"],
        serde_json::json!(["code (300 categories in 9 bits)"])
    );
    // 9 bits, 4 group entries, 1 score for x.
    assert_eq!(summary["encoded_width"], 14);
    let syn = dir.path().join("syn.csv");
    let sample = |extra: &[&str]| {
        let mut args = vec!["sample", model.to_str().unwrap(), "--rows", "200", "--out"];
        args.push(syn.to_str().unwrap());
        args.push("--quiet");
        args.extend_from_slice(extra);
        run(&args)
    };
    let o = sample(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&syn).unwrap();
    let codes: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(codes.len(), 200);
    assert!(
        codes.iter().all(|c| c.len() == 4 && c.starts_with('K')),
        "{codes:?}"
    );
    let o = sample(&["--where", "code=K007"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&syn).unwrap();
    assert!(text.lines().skip(1).all(|l| l.starts_with("K007,")));
    assert_refused(
        &sample(&["--where", "code=K007|K008"]),
        &["`code`", "one category"],
    );
}
