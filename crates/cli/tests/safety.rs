//! The CLI never destroys or exposes a user's data, and says clearly what it will not do:
//! one test per case of docs/reliability.md that needs the binary (the table-side cases are
//! in scorediff-tabular's tests/awkward.rs).

mod common;

use common::{assert_refused, bin, fit_with, run, run_in, stderr, write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `sample MODEL --out OUT --rows ROWS --quiet`.
fn sample_to(model: &str, out: &str, rows: &str) -> Output {
    run(&["sample", model, "--out", out, "--rows", rows, "--quiet"])
}

/// A table with a string id, a continuous column of 3 decimals, an integer and a category.
fn table(n: usize) -> String {
    let mut s = String::from("customer,income,age,city,label\n");
    for i in 0..n {
        let city = ["north", "south", "east"][i % 3];
        s.push_str(&format!(
            "C{:05},{}.{:03},{},{city},{}\n",
            13_000 + 7 * i,
            1000 + 37 * i,
            (i * 659) % 1000,
            20 + i % 40,
            i % 2
        ));
    }
    s
}

/// A fit configuration small enough for tests: a narrow MLP, few steps, a 2-step sampler.
fn tiny_config(dir: &Path) -> PathBuf {
    let out = run(&["fit", "x.csv", "--model", "m", "--print-config"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut cfg: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    cfg["net"]["width"] = serde_json::json!(16);
    cfg["net"]["depth"] = serde_json::json!(1);
    cfg["train"]["max_steps"] = serde_json::json!(5);
    cfg["sampler"]["steps"] = serde_json::json!(2);
    write(dir, "tiny.json", cfg.to_string().as_bytes())
}

fn fit(dir: &Path, data: &Path, model: &Path, extra: &[&str]) -> Output {
    let cfg = tiny_config(dir);
    let mut args = vec!["--config", cfg.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    fit_with(data, model, &args)
}

fn fitted_model(dir: &Path) -> PathBuf {
    let data = write(dir, "train.csv", table(80).as_bytes());
    let model = dir.join("model");
    let out = fit(dir, &data, &model, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    model
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn fit_refuses_to_replace_what_is_not_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(data_dir.join("sub")).unwrap();
    let data = write(&data_dir, "train.csv", table(40).as_bytes());
    write(&data_dir, "notes.txt", b"my notes");
    let before = listing(&data_dir);
    // `--model data`: the directory that holds the training table.
    let out = fit(dir.path(), &data, &data_dir, &[]);
    assert_refused(&out, &["data", "not a scorediff model directory"]);
    assert_eq!(listing(&data_dir), before);
    assert_eq!(std::fs::read(&data).unwrap(), table(40).as_bytes());
    // `--model ../here` from inside `here`.
    let cfg = tiny_config(dir.path());
    let out = run_in(
        Some(&data_dir),
        &[
            "fit",
            "train.csv",
            "--model",
            "../data",
            "--config",
            cfg.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert_refused(&out, &["not a scorediff model directory"]);
    assert_eq!(listing(&data_dir), before);
    // `--model some.csv`: an existing file.
    let out = fit(dir.path(), &data, &data, &[]);
    assert_refused(&out, &["train.csv", "not a directory"]);
    assert!(data.is_file());
    assert_eq!(std::fs::read(&data).unwrap(), table(40).as_bytes());
}

#[test]
fn fit_replaces_its_own_model_and_keeps_it_when_a_fit_fails() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    let first = std::fs::read(model.join("weights.safetensors")).unwrap();
    // A refit with another seed replaces it.
    let data = dir.path().join("train.csv");
    let out = fit(dir.path(), &data, &model, &["--seed", "9"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let second = std::fs::read(model.join("weights.safetensors")).unwrap();
    assert_ne!(first, second);
    assert_eq!(
        listing(&model),
        [
            "encoder.json",
            "model.json",
            "schema.json",
            "weights.safetensors"
        ]
    );
    // A failing fit leaves it as it was, and no temporary beside it.
    let bad = write(dir.path(), "bad.csv", b"a,b\n1,2\n3\n");
    let out = fit(dir.path(), &bad, &model, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read(model.join("weights.safetensors")).unwrap(),
        second
    );
    assert!(!listing(dir.path()).iter().any(|n| n.contains(".partial")));
    // An empty directory is fine; a model directory with a foreign file is not.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(fit(dir.path(), &data, &empty, &[]).status.success());
    write(&model, "mine.txt", b"keep me");
    let out = fit(dir.path(), &data, &model, &[]);
    assert_refused(&out, &["mine.txt", "not part of a model"]);
    assert_eq!(std::fs::read(model.join("mine.txt")).unwrap(), b"keep me");
}

#[test]
fn a_partial_schema_keeps_every_column_and_its_format_and_target_applies() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "train.csv", table(80).as_bytes());
    let partial = write(
        dir.path(),
        "partial.json",
        br#"{"format_version": 1, "columns": [{"name": "age", "kind": "categorical"}]}"#,
    );
    let model = dir.path().join("model");
    let out = fit(
        dir.path(),
        &data,
        &model,
        &["--schema", partial.to_str().unwrap(), "--target", "city"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("schema.json")).unwrap()).unwrap();
    assert_eq!(schema["target"], "city");
    let cols = schema["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 5, "no column dropped: {schema}");
    assert_eq!(cols[2]["kind"], "categorical");
    assert_eq!(
        cols[1]["format"]["decimals"], 3,
        "continuous keeps 3 decimals"
    );
    let syn = dir.path().join("syn.csv");
    let out = run(&[
        "sample",
        model.to_str().unwrap(),
        "--out",
        syn.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&syn).unwrap();
    assert!(
        text.starts_with("customer,income,age,city,label\n"),
        "{text}"
    );
    let income = text.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    assert_eq!(income.split('.').nth(1).map(str::len), Some(3), "{income}");
}

#[test]
fn sample_writes_fresh_ids_never_real_ones() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    let real: std::collections::HashSet<String> = table(80)
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    let syn = dir.path().join("syn.csv");
    let out = sample_to(model.to_str().unwrap(), syn.to_str().unwrap(), "200");
    assert!(out.status.success(), "{}", stderr(&out));
    let ids: Vec<String> = std::fs::read_to_string(&syn)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 200);
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), 200);
    for id in &ids {
        assert!(!real.contains(id), "real id {id} copied");
        assert!(id.len() == 6 && id.starts_with('C'), "{id}");
    }
    let stored = std::fs::read_to_string(model.join("schema.json")).unwrap()
        + &std::fs::read_to_string(model.join("encoder.json")).unwrap();
    assert!(
        !stored.contains("C13000"),
        "no real id in the model directory"
    );
}

#[test]
fn outputs_to_stdout_symlinks_and_pipes_are_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    let m = model.to_str().unwrap();
    // `-` is standard output.
    let out = run_in(
        Some(dir.path()),
        &["sample", m, "--out", "-", "--rows", "7", "--quiet"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 8, "{text}");
    assert!(!dir.path().join("-").exists(), "no file named `-`");
    // `/dev/stdout` (a link to the pipe the test reads) is written into, never replaced.
    let out = sample_to(m, "/dev/stdout", "6");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 7);
    assert!(
        std::fs::symlink_metadata("/dev/stdout")
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // A symbolic link stays a link; the file it points to gets the table.
    let target = write(dir.path(), "real.csv", b"old");
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = sample_to(m, link.to_str().unwrap(), "5");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap().lines().count(), 6);
    // A named pipe is written into, not renamed over.
    let fifo = dir.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = sample_to(m, fifo.to_str().unwrap(), "4");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(reader.join().unwrap().lines().count(), 5);
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    // And `schema --out` refuses to overwrite its input table.
    let data = dir.path().join("train.csv");
    let d = data.to_str().unwrap();
    assert_refused(&run(&["schema", d, "--out", d]), &["--out", "input"]);
    assert_eq!(std::fs::read(&data).unwrap(), table(80).as_bytes());
}

#[test]
fn sampling_more_than_one_chunk_streams_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    let syn = dir.path().join("syn.csv");
    let out = run(&[
        "sample",
        model.to_str().unwrap(),
        "--out",
        syn.to_str().unwrap(),
        "--rows",
        "70000",
        "--steps",
        "1",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&syn).unwrap();
    let ids: std::collections::HashSet<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(text.lines().count(), 70_001);
    assert_eq!(ids.len(), 70_000, "ids unique across chunks");
}

#[test]
fn an_interrupted_sample_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    for signal in ["-INT", "-TERM"] {
        let syn = dir.path().join("w.csv");
        let child = bin()
            .args([
                "sample",
                model.to_str().unwrap(),
                "--out",
                syn.to_str().unwrap(),
                "--rows",
                "50000000",
                "--steps",
                "1",
                "--quiet",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let temp_exists = || {
            listing(dir.path())
                .iter()
                .any(|n| n.starts_with(".w.csv.tmp-"))
        };
        while !temp_exists() && started.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(temp_exists(), "the temporary file appears while writing");
        std::thread::sleep(std::time::Duration::from_millis(300));
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(130), "{signal}: {}", stderr(&out));
        let left: Vec<String> = listing(dir.path())
            .into_iter()
            .filter(|n| n.contains("w.csv"))
            .collect();
        assert!(left.is_empty(), "{signal}: left behind: {left:?}");
    }
}

#[test]
fn progress_is_printed_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "train.csv", table(80).as_bytes());
    let cfg = tiny_config(dir.path());
    let model = dir.path().join("model");
    let args = [
        "fit",
        data.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--max-steps",
        "20",
    ];
    let out = bin()
        .args(args)
        .env("SCOREDIFF_PROGRESS_SECONDS", "0")
        .output()
        .unwrap();
    let e = stderr(&out);
    assert!(out.status.success(), "{e}");
    assert!(
        e.lines()
            .any(|l| l.starts_with("training: ") && l.contains("elapsed")),
        "{e}"
    );
    assert!(
        e.contains("customer: id"),
        "the inferred kinds are printed: {e}"
    );
    let mut quiet = args.to_vec();
    quiet.push("--quiet");
    let out = bin()
        .args(quiet)
        .env("SCOREDIFF_PROGRESS_SECONDS", "0")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(stderr(&out), "", "--quiet silences progress");
}

#[test]
fn loose_options_and_configs_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "train.csv", table(60).as_bytes());
    let model = dir.path().join("model");
    let (d, m) = (data.to_str().unwrap(), model.to_str().unwrap());
    for (flag, value) in [
        ("--max-steps", "0"),
        ("--max-seconds", "-1"),
        ("--max-seconds", "nan"),
    ] {
        let out = run(&["fit", d, "--model", m, flag, value]);
        assert_refused(&out, &[flag, value]);
        assert!(!model.exists());
    }
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tiny_config(dir.path())).unwrap()).unwrap();
    let mut steps0 = cfg.clone();
    steps0["sampler"]["steps"] = serde_json::json!(0);
    let mut unknown = cfg.clone();
    unknown["train"]["learning_rate"] = serde_json::json!(0.1);
    for (name, c, needle) in [
        ("steps0.json", steps0, "sampler steps"),
        ("unknown.json", unknown, "train.learning_rate"),
    ] {
        let f = write(dir.path(), name, c.to_string().as_bytes());
        let out = run(&["fit", d, "--model", m, "--config", f.to_str().unwrap()]);
        assert_refused(&out, &[needle]);
        assert!(!model.exists());
    }
    let out = run(&["fit", d, "--model", m, "--target", "nope"]);
    assert_refused(&out, &["no column `nope`", "train.csv"]);
    assert!(!stderr(&out).contains("schema"), "{}", stderr(&out));
}

#[test]
fn a_damaged_model_directory_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let model = fitted_model(dir.path());
    let syn = dir.path().join("syn.csv");
    let sample = || {
        run(&[
            "sample",
            model.to_str().unwrap(),
            "--out",
            syn.to_str().unwrap(),
            "--rows",
            "3",
        ])
    };
    let encoder = std::fs::read_to_string(model.join("encoder.json")).unwrap();
    std::fs::write(model.join("encoder.json"), "{ corrupt").unwrap();
    assert_refused(&sample(), &["encoder.json", "not a valid encoder"]);
    let mut e: serde_json::Value = serde_json::from_str(&encoder).unwrap();
    e["columns"][1]["start"] = serde_json::json!(40);
    std::fs::write(model.join("encoder.json"), e.to_string()).unwrap();
    assert_refused(&sample(), &["encoder.json", "starts at matrix column"]);
    assert!(!syn.exists());
}

#[test]
fn utf16_and_latin1_tables_fit() {
    let dir = tempfile::tempdir().unwrap();
    let text = table(60).replace("north", "Z\u{fc}rich");
    let mut utf16 = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    for (name, bytes) in [("utf16.csv", utf16), ("latin1.csv", latin1)] {
        let data = write(dir.path(), name, &bytes);
        let model = dir.path().join(format!("model-{name}"));
        let out = fit(dir.path(), &data, &model, &[]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let schema = std::fs::read_to_string(model.join("schema.json")).unwrap();
        assert!(schema.contains("Z\u{fc}rich"), "{name}: {schema}");
    }
}

#[test]
fn an_infinite_value_is_an_error_and_missing_reads_it_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let text = table(60);
    let line = text.lines().nth(2).unwrap().to_string();
    let fixed = line.replacen(&line.split(',').nth(1).unwrap().to_string(), "inf", 1);
    let text = text.replacen(&line, &fixed, 1);
    let data = write(dir.path(), "inf.csv", text.as_bytes());
    let model = dir.path().join("model");
    let out = fit(dir.path(), &data, &model, &[]);
    assert_refused(&out, &["inf.csv", "row 3", "`income`", "--missing inf"]);
    let out = fit(dir.path(), &data, &model, &["--missing", "inf"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let m = model.to_str().unwrap();
    for flag in ["--rows", "--steps"] {
        let out = run(&["sample", m, "--out", "x.csv", flag, "0"]);
        assert_refused(&out, &[flag]);
    }
}

/// One seed story: a model samples with the seed it was fitted with unless `--seed` says
/// otherwise, and the same seed gives the same bytes.
#[test]
fn sample_defaults_to_the_fit_seed_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "train.csv", table(80).as_bytes());
    let model = dir.path().join("model");
    assert!(
        fit(dir.path(), &data, &model, &["--seed", "5"])
            .status
            .success()
    );
    let m = model.to_str().unwrap();
    let draw = |name: &str, extra: &[&str]| -> Vec<u8> {
        let out = dir.path().join(name);
        let mut args = vec![
            "sample",
            m,
            "--out",
            out.to_str().unwrap(),
            "--rows",
            "50",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(out).unwrap()
    };
    let default = draw("a.csv", &[]);
    assert_eq!(default, draw("b.csv", &[]), "deterministic");
    assert_eq!(default, draw("c.csv", &["--seed", "5"]), "the fit's seed");
    assert_ne!(
        default,
        draw("d.csv", &["--seed", "6"]),
        "another seed, other rows"
    );
    // Another sampler or grid: other rows, as deterministic; an unknown one is refused.
    let dpm = draw("e.csv", &["--sampler", "dpm-solver-2m", "--steps", "3"]);
    assert_ne!(default, dpm, "another sampler, other rows");
    assert_eq!(
        dpm,
        draw("f.csv", &["--sampler", "dpm-solver-2m", "--steps", "3"])
    );
    assert_ne!(
        dpm,
        draw(
            "g.csv",
            &[
                "--sampler",
                "dpm-solver-2m",
                "--steps",
                "3",
                "--grid",
                "log-spaced"
            ]
        )
    );
    let o = run(&["sample", m, "--out", "h.csv", "--sampler", "rk4"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("rk4"), "{}", stderr(&o));
}

#[test]
fn fit_reports_the_memorisation_guard_and_can_turn_it_off() {
    let dir = tempfile::tempdir().unwrap();
    // 1,200 rows: 60 held out, enough for the guard.
    let data = write(dir.path(), "train.csv", table(1200).as_bytes());
    let model = dir.path().join("model");
    let out = fit(dir.path(), &data, &model, &["--json", "--guard", "warn"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = summary["guard"]["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), 1, "the final check only: {checks:?}");
    assert_eq!(checks[0]["step"], 5);
    assert_eq!(summary["guard"]["config"]["action"], "warn");
    assert_eq!(summary["guard"]["n_reference"], 60);
    let share = checks[0]["share_pct"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&share), "{share}");
    // The model directory keeps it.
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("model.json")).unwrap()).unwrap();
    assert_eq!(meta["guard"]["checks"][0]["step"], 5);
    // Without --json, one line says what it measured.
    let out = fit(dir.path(), &data, &model, &[]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("memorisation guard: ") && text.contains("at step 5"),
        "{text}"
    );
    let out = fit(dir.path(), &data, &model, &["--json", "--guard", "off"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(summary["guard"].is_null(), "{}", summary["guard"]);
}

#[test]
fn the_theory_length_is_planned_printed_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "train.csv", table(300).as_bytes());
    let model = dir.path().join("model");
    let out = fit(
        dir.path(),
        &data,
        &model,
        &["--json", "--length", "theory", "--max-steps", "5"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let plan = &summary["length"];
    assert_eq!(plan["steps"], 5, "{plan}");
    assert_eq!(summary["steps"], 5);
    assert!(plan["gd_time"].as_f64().unwrap() > 0.0, "{plan}");
    assert_eq!(plan["gd_times"].as_array().unwrap().len(), 5);
    assert!(
        plan["why"]
            .as_str()
            .unwrap()
            .contains("capped at train.max_steps = 5"),
        "{plan}"
    );
    let out = fit(
        dir.path(),
        &data,
        &model,
        &["--length", "theory", "--max-steps", "5"],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("training length: 5 steps"), "{text}");
    // --steps and --length together are refused.
    let out = fit(
        dir.path(),
        &data,
        &model,
        &["--steps", "5", "--length", "theory"],
    );
    assert!(!out.status.success());
}
