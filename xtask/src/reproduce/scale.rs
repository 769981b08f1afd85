//! `cargo xtask reproduce scale [--steps N] [--codes-rows N] [--cardinalities 10,100,...]
//! [--rows 10000,100000,...] [--default-fit] [--quality-steps N] [--length-steps N]
//! [--only PARTS] [--out DIR]`: how fit and sampling grow with a table's width in categories and its length, on generated tables of known structure
//! (written to `target/scale/`, never committed), into `docs/results/scale/`.
//!
//! Every point runs in a fresh process (this binary with `--point`), so that its peak memory
//! (`VmHWM`) is its own: it reads the CSV as `scorediff fit` does, fits `--steps` steps of
//! the default recipe (the rise stop and the memorisation guard off: a fixed amount of work),
//! samples as many rows as the table has (capped at 100,000) and reports fit and sampling
//! seconds, CPU seconds, the encoded width, the parameters and the
//! peak memory after reading, after the fit and in all.
//!
//! - **codes**: the table of the issue: 50,000 rows, 19 columns, two code columns of about
//!   4,000 values each (one following the other), an hourly timestamp, amounts, correlated
//!   measurements and small categories.
//! - **cardinality sweep**: 20,000 rows, one code column of `K` values (uniform; a `group`
//!   column is the code modulo 4 in 95% of rows), rare-value pooling off so that every value
//!   is a category; for `K` up to 1,000 also one-hot coded (`max_one_hot` above `K`), and the
//!   share of synthetic rows that keep `group = code mod 4`, against the real 95%.
//! - **quality**: the `K = 300` table fitted `--quality-steps` steps (3,000) with bits and
//!   with one-hot coding.
//! - **length sweep**: 30 columns (20 numerical, 10 categorical) of `--rows` rows, each
//!   fitted `--length-steps` steps (2,000).
//!
//! The growth exponents are least-squares slopes of log seconds (per epoch) and log memory
//! against log cardinality or log rows.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use scorediff_synth::faer::FaerBackend;
use scorediff_synth::pipeline::{FitConfig, TrainingLength, fit, sample};
use scorediff_synth::tabular::{ColumnData, InferOptions, ReadOptions, TargetChoice, load_table};
use scorediff_synth::train::EarlyStop;

use super::common::log_log_slope;
use super::credit::peak_memory_mib;
use super::panel::cpu_seconds;

const USAGE: &str = "usage: reproduce scale [--steps N] [--codes-rows N] [--cardinalities 10,100,1000,10000] \
                     [--rows 10000,100000] [--default-fit] [--quality-steps N] [--length-steps N] \
                     [--only codes,cardinality,quality,rows] [--out DIR]";

/// The parts `--only` picks from.
const PARTS: [&str; 4] = ["codes", "cardinality", "quality", "rows"];

/// Settings of `reproduce scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleArgs {
    /// Training steps of every point.
    pub steps: u64,
    /// Rows of the codes table.
    pub codes_rows: usize,
    /// Cardinalities of the sweep.
    pub cardinalities: Vec<usize>,
    /// Lengths of the sweep.
    pub rows: Vec<usize>,
    /// Also fit the codes table with the default recipe (every step, stops on).
    pub default_fit: bool,
    /// Parts to run (`codes`, `cardinality`, `quality`, `rows`); all when empty.
    pub only: Vec<String>,
    /// Steps of every point of the length sweep (`rows`).
    pub length_steps: u64,
    /// Steps of the quality comparison of bits and one-hot (`quality`).
    pub quality_steps: u64,
    /// Output directory.
    pub out: PathBuf,
}

impl ScaleArgs {
    /// Parses the arguments after `reproduce scale`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut out = Self {
            steps: 300,
            codes_rows: 50_000,
            cardinalities: vec![10, 100, 1000, 10_000],
            rows: vec![10_000, 100_000],
            default_fit: false,
            only: Vec::new(),
            quality_steps: 3000,
            length_steps: 2000,
            out: Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/results/scale"),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().ok_or(format!("{a} needs a value; {USAGE}"));
            let whole = |v: &str| {
                v.trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or(format!("{a} {v:?}: expected whole numbers >= 1"))
            };
            match a.as_str() {
                "--steps" => out.steps = whole(value()?)? as u64,
                "--codes-rows" => out.codes_rows = whole(value()?)?,
                "--cardinalities" => {
                    out.cardinalities = value()?.split(',').map(whole).collect::<Result<_, _>>()?
                }
                "--rows" => out.rows = value()?.split(',').map(whole).collect::<Result<_, _>>()?,
                "--default-fit" => out.default_fit = true,
                "--quality-steps" => out.quality_steps = whole(value()?)? as u64,
                "--length-steps" => out.length_steps = whole(value()?)? as u64,
                "--only" => {
                    out.only = value()?.split(',').map(|p| p.trim().to_string()).collect();
                    if let Some(bad) = out.only.iter().find(|p| !PARTS.contains(&p.as_str())) {
                        return Err(format!(
                            "--only: unknown part {bad:?} ({})",
                            PARTS.join(", ")
                        ));
                    }
                }
                "--out" => out.out = PathBuf::from(value()?),
                other => return Err(format!("unknown argument {other:?}; {USAGE}")),
            }
        }
        Ok(out)
    }
}

/// One point's settings, passed to the child process as JSON.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Point {
    csv: PathBuf,
    /// Training steps; `None`: the default recipe's length and stops.
    steps: Option<u64>,
    max_one_hot: usize,
    /// Rare-value pooling (inference's default) or every value a category.
    pool_rare: bool,
}

/// Runs the experiment, or one point when called with `--point JSON` (the child).
pub fn run_scale(args: &[String]) -> Result<(), String> {
    if args.first().map(String::as_str) == Some("--point") {
        let point: Point = serde_json::from_str(args.get(1).ok_or("--point needs JSON")?)
            .map_err(|e| e.to_string())?;
        let result = run_point(&point)?;
        println!("{result}");
        return Ok(());
    }
    let args = ScaleArgs::parse(args)?;
    let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/scale");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let mut md = String::new();
    let mut js = json!({"steps": args.steps});

    let wants = |part: &str| args.only.is_empty() || args.only.iter().any(|p| p == part);
    if wants("codes") {
        codes_part(&args, &work, &mut md, &mut js)?;
    }
    if wants("cardinality") {
        cardinality_part(&args, &work, &mut md, &mut js)?;
    }
    if wants("quality") {
        quality_part(&args, &work, &mut md, &mut js)?;
    }
    if wants("rows") {
        rows_part(&args, &work, &mut md, &mut js)?;
    }
    let _ = writeln!(
        md,
        "\nEach point is a fresh process: the CSV read and typed as `scorediff fit` does, {} \
         training steps of the default recipe (rise stop and memorisation guard off; {} in the \
         length sweep, {} in the bits-against-one-hot comparison), then as many rows sampled as \
         the table has (at most 100,000). Seconds per epoch: fit \
         seconds times rows / (steps x 1,024). Peak memory: the process's `VmHWM` after \
         reading, after the fit, and at the end (sampling and the Shape and Trend scores \
         included).",
        args.steps, args.length_steps, args.quality_steps
    );
    println!("{md}");
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    super::common::write_text(&args.out.join("results.md"), &md)?;
    let text = serde_json::to_string_pretty(&js).map_err(|e| e.to_string())? + "\n";
    super::common::write_text(&args.out.join("results.json"), &text)?;
    eprintln!("wrote {}/results.{{md,json}}", args.out.display());
    Ok(())
}

fn codes_part(
    args: &ScaleArgs,
    work: &Path,
    md: &mut String,
    js: &mut Value,
) -> Result<(), String> {
    // The codes table.
    let codes = work.join(format!("codes-{}.csv", args.codes_rows));
    write_csv(&codes, &codes_table(args.codes_rows, 1))?;
    let mut runs = vec![(
        "codes, default coding",
        child(&Point {
            csv: codes.clone(),
            steps: Some(args.steps),
            max_one_hot: scorediff_synth::tabular::DEFAULT_MAX_ONE_HOT,
            pool_rare: true,
        })?,
    )];
    if args.default_fit {
        runs.push((
            "codes, default coding, the default fit",
            child(&Point {
                csv: codes.clone(),
                steps: None,
                max_one_hot: scorediff_synth::tabular::DEFAULT_MAX_ONE_HOT,
                pool_rare: true,
            })?,
        ));
    }
    let _ = writeln!(
        md,
        "## The codes table ({} rows, 19 columns; two code columns of about 4,000 values)\n",
        args.codes_rows
    );
    point_table(
        md,
        &runs
            .iter()
            .map(|(l, r)| (l.to_string(), r))
            .collect::<Vec<_>>(),
    );
    js["codes"] = json!(
        runs.iter()
            .map(|(l, r)| json!({"run": l, "result": r}))
            .collect::<Vec<_>>()
    );
    Ok(())
}

fn cardinality_part(
    args: &ScaleArgs,
    work: &Path,
    md: &mut String,
    js: &mut Value,
) -> Result<(), String> {
    let mut sweep = Vec::new();
    for &k in &args.cardinalities {
        let csv = work.join(format!("cardinality-{k}.csv"));
        write_csv(&csv, &cardinality_table(20_000, k, 2))?;
        let default = scorediff_synth::tabular::DEFAULT_MAX_ONE_HOT;
        let mut codings = vec![("default", default)];
        if k > default && k <= 1000 {
            codings.push(("one-hot", usize::MAX));
        }
        for (coding, max_one_hot) in codings {
            let r = child(&Point {
                csv: csv.clone(),
                steps: Some(args.steps),
                max_one_hot,
                pool_rare: false,
            })?;
            sweep.push((format!("K = {k}, {coding}"), k, r));
        }
    }
    let _ = writeln!(
        md,
        "\n## Cardinality sweep (20,000 rows, one code column of K values; `group` = code mod 4 in 95% of the real rows)\n"
    );
    point_table(
        md,
        &sweep
            .iter()
            .map(|(l, _, r)| (l.clone(), r))
            .collect::<Vec<_>>(),
    );
    let defaults: Vec<(usize, &Value)> = sweep
        .iter()
        .filter(|(l, _, _)| l.ends_with("default"))
        .map(|(_, k, r)| (*k, r))
        .collect();
    growth(md, "K", &defaults);
    js["cardinality"] = json!(
        sweep
            .iter()
            .map(|(l, k, r)| json!({"run": l, "k": k, "result": r}))
            .collect::<Vec<_>>()
    );
    Ok(())
}

/// Bits against one-hot where both fit: 300 categories, `quality_steps` steps each.
fn quality_part(
    args: &ScaleArgs,
    work: &Path,
    md: &mut String,
    js: &mut Value,
) -> Result<(), String> {
    let k = 300;
    let csv = work.join(format!("cardinality-{k}.csv"));
    write_csv(&csv, &cardinality_table(20_000, k, 2))?;
    let mut runs = Vec::new();
    for (coding, max_one_hot) in [
        ("bits", scorediff_synth::tabular::DEFAULT_MAX_ONE_HOT),
        ("one-hot", usize::MAX),
    ] {
        let r = child(&Point {
            csv: csv.clone(),
            steps: Some(args.quality_steps),
            max_one_hot,
            pool_rare: false,
        })?;
        runs.push((format!("K = {k}, {coding}"), r));
    }
    let _ = writeln!(
        md,
        "\n## Bits against one-hot where both fit (the K = {k} table, {} steps)\n",
        args.quality_steps
    );
    point_table(
        md,
        &runs.iter().map(|(l, r)| (l.clone(), r)).collect::<Vec<_>>(),
    );
    js["quality"] = json!(
        runs.iter()
            .map(|(l, r)| json!({"run": l, "result": r}))
            .collect::<Vec<_>>()
    );
    Ok(())
}

fn rows_part(args: &ScaleArgs, work: &Path, md: &mut String, js: &mut Value) -> Result<(), String> {
    let mut lengths = Vec::new();
    for &n in &args.rows {
        let csv = work.join(format!("rows-{n}.csv"));
        write_csv(&csv, &wide_table(n, 3))?;
        let r = child(&Point {
            csv,
            steps: Some(args.length_steps),
            max_one_hot: scorediff_synth::tabular::DEFAULT_MAX_ONE_HOT,
            pool_rare: true,
        })?;
        lengths.push((n, r));
    }
    let _ = writeln!(
        md,
        "\n## Length sweep (30 columns: 20 numerical, 10 categorical)\n"
    );
    point_table(
        md,
        &lengths
            .iter()
            .map(|(n, r)| (format!("{n} rows"), r))
            .collect::<Vec<_>>(),
    );
    growth(
        md,
        "rows",
        &lengths.iter().map(|(n, r)| (*n, r)).collect::<Vec<_>>(),
    );
    js["rows"] = json!(
        lengths
            .iter()
            .map(|(n, r)| json!({"rows": n, "result": r}))
            .collect::<Vec<_>>()
    );
    Ok(())
}

/// Runs `point` in a child process and returns its result.
fn child(point: &Point) -> Result<Value, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let arg = serde_json::to_string(point).map_err(|e| e.to_string())?;
    eprintln!("point: {arg}");
    let out = std::process::Command::new(exe)
        .args(["reproduce", "scale", "--point", &arg])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "point {arg} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().ok_or("the point printed nothing")?;
    let v: Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
    eprintln!("  {v}");
    Ok(v)
}

/// The child: fit, sample, measure.
fn run_point(p: &Point) -> Result<Value, String> {
    let infer = InferOptions {
        target: TargetChoice::None,
        rare_protect_above: if p.pool_rare { 100 } else { usize::MAX },
        ..InferOptions::default()
    };
    let (started, cpu0) = (Instant::now(), cpu_seconds());
    let (table, schema) = load_table(&p.csv, &ReadOptions::default(), None, &infer)
        .map_err(|e| format!("{}: {e}", p.csv.display()))?;
    let read_s = started.elapsed().as_secs_f64();
    let read_peak_mib = peak_memory_mib();
    let mut cfg = FitConfig::default().with_seed(0);
    cfg.encoder.max_one_hot = p.max_one_hot;
    cfg.length = TrainingLength::Fixed;
    if let Some(steps) = p.steps {
        cfg.train.max_steps = steps;
        cfg.stop = EarlyStop::None;
        cfg.guard = scorediff_synth::guard::GuardConfig::off();
    }
    let be = FaerBackend::default();
    let fit_started = Instant::now();
    let model = fit(&be, &table, &schema, &cfg, &mut |_| {
        std::ops::ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string())?;
    let fit_s = fit_started.elapsed().as_secs_f64();
    let fit_cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let fit_peak_mib = peak_memory_mib();
    let rows = table.n_rows().min(100_000);
    let sample_started = Instant::now();
    let syn = sample(&be, &model, rows, &model.config.sampler, &mut |_, _| {})
        .map_err(|e| e.to_string())?;
    let sample_s = sample_started.elapsed().as_secs_f64();
    let train = table.select_rows(&(0..rows).collect::<Vec<_>>());
    let shape = scorediff_synth::eval::shape::shape(&train, &syn).map_err(|e| e.to_string())?;
    let trend = scorediff_synth::eval::trend::trend(&train, &syn, 10).map_err(|e| e.to_string())?;
    let categories = model
        .encoder
        .columns
        .iter()
        .filter_map(|c| match &c.codec {
            scorediff_synth::tabular::ColumnCodec::Categorical(e) => Some(e.n_values()),
            _ => None,
        })
        .max();
    let batch = cfg.train.batch_size.unwrap_or(table.n_rows()) as f64;
    let epochs = model.report.steps as f64 * batch / table.n_rows() as f64;
    Ok(json!({
        "rows": table.n_rows(),
        "columns": table.n_cols(),
        "width": model.encoder.width(),
        "parameters": scorediff_synth::net::ScoreNet::n_trainable(&model.net),
        "steps": model.report.steps,
        "stop": format!("{:?}", model.report.stop_reason),
        "read_s": read_s,
        "fit_s": fit_s,
        "fit_cpu_s": fit_cpu,
        "s_per_epoch": fit_s / epochs,
        "sample_rows": rows,
        "sample_s": sample_s,
        "sample_rows_per_s": rows as f64 / sample_s,
        "read_peak_mib": read_peak_mib,
        "fit_peak_mib": fit_peak_mib,
        "peak_mib": peak_memory_mib(),
        "group_rule_share": group_rule_share(&syn),
        "group_rule_share_real": group_rule_share(&train),
        "codes_rule_share": codes_rule_share(&syn),
        "codes_rule_share_real": codes_rule_share(&train),
        "largest_categorical": categories,
        "shape_error": shape.error,
        "trend_error": trend.error,
        "trend_error_real_bins": trend.error_real_bins,
    }))
}

/// The share of rows with `group = code mod 4` (the sweep tables' rule), when both exist.
fn group_rule_share(t: &scorediff_synth::tabular::Table) -> Option<f64> {
    let (ColumnData::Categorical(code), ColumnData::Categorical(group)) =
        (&t.column("code")?.data, &t.column("group")?.data)
    else {
        return None;
    };
    let held = code
        .iter()
        .zip(group.iter())
        .filter(|(c, g)| {
            let k: Option<usize> = c.and_then(|c| c[1..].parse().ok());
            k.zip(*g).is_some_and(|(k, g)| g == format!("G{}", k % 4))
        })
        .count();
    Some(held as f64 / t.n_rows().max(1) as f64)
}

/// The share of rows of the codes table whose product follows its merchant
/// (`product = 7 merchant + j mod 4000`, `j < 3`; 80% of the generated rows, and a few more by
/// chance), when both exist.
fn codes_rule_share(t: &scorediff_synth::tabular::Table) -> Option<f64> {
    let (ColumnData::Categorical(m), ColumnData::Categorical(p)) =
        (&t.column("merchant")?.data, &t.column("product")?.data)
    else {
        return None;
    };
    let held = m
        .iter()
        .zip(p.iter())
        .filter(|(m, p)| {
            let m: Option<usize> = m.and_then(|m| m[1..].parse().ok());
            let p: Option<usize> = p.and_then(|p| p[1..].parse().ok());
            m.zip(p)
                .is_some_and(|(m, p)| (0..3).any(|j| (m * 7 + j) % 4000 == p))
        })
        .count();
    Some(held as f64 / t.n_rows().max(1) as f64)
}

fn point_table(md: &mut String, runs: &[(String, &Value)]) {
    let _ = writeln!(
        md,
        "| run | rows | largest categorical | encoded width | parameters | steps | fit s | fit CPU s | s / epoch | sampling rows/s | peak MiB: read / fit / all | Shape err | Trend err (real bins) | rule kept (real) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (label, r) in runs {
        let f = |k: &str, d: usize| r[k].as_f64().map_or("-".into(), |v| format!("{v:.d$}"));
        let _ = writeln!(
            md,
            "| {label} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} / {} | {} | {} ({}) | {} |",
            r["rows"],
            r["largest_categorical"],
            r["width"],
            r["parameters"],
            r["steps"],
            f("fit_s", 1),
            f("fit_cpu_s", 1),
            f("s_per_epoch", 3),
            f("sample_rows_per_s", 0),
            f("read_peak_mib", 0),
            f("fit_peak_mib", 0),
            f("peak_mib", 0),
            f("shape_error", 2),
            f("trend_error", 2),
            f("trend_error_real_bins", 2),
            rule(r),
        );
    }
}

/// The share of synthetic rows keeping the table's rule, and the real rows' share.
fn rule(r: &Value) -> String {
    let pct = |v: &Value| v.as_f64().map(|v| format!("{:.1}%", 100.0 * v));
    let (synthetic, real) = if r["group_rule_share"].is_null() {
        ("codes_rule_share", "codes_rule_share_real")
    } else {
        ("group_rule_share", "group_rule_share_real")
    };
    match (pct(&r[synthetic]), pct(&r[real])) {
        (Some(s), Some(r)) => format!("{s} ({r})"),
        _ => "-".into(),
    }
}

/// The log-log slopes of seconds per epoch and peak memory against `what`.
fn growth(md: &mut String, what: &str, points: &[(usize, &Value)]) {
    if points.len() < 2 {
        return;
    }
    let slope = |key: &str| {
        let pts: Vec<(f64, f64)> = points
            .iter()
            .filter_map(|(x, r)| Some((*x as f64, r[key].as_f64()?)))
            .collect();
        log_log_slope(&pts).0
    };
    let _ = writeln!(
        md,
        "\nGrowth exponents against {what} (log-log least squares): seconds per epoch {:.2}, \
         sampling seconds per row {:.2}, peak memory {:.2}.",
        slope("s_per_epoch"),
        -slope("sample_rows_per_s"),
        slope("peak_mib")
    );
}

fn write_csv(path: &Path, text: &str) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    super::common::write_text(path, text)
}

/// A draw from `0..n` with probability proportional to `(k + 1)^-s`.
fn zipf(rng: &mut ChaCha8Rng, cdf: &[f64]) -> usize {
    let u: f64 = rng.random::<f64>() * cdf[cdf.len() - 1];
    cdf.partition_point(|&c| c < u).min(cdf.len() - 1)
}

fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let mut acc = 0.0;
    (0..n)
        .map(|k| {
            acc += ((k + 1) as f64).powf(-s);
            acc
        })
        .collect()
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The codes table (module documentation).
fn codes_table(n: usize, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let cdf = zipf_cdf(4000, 0.3);
    let mut s = String::from("merchant,product,hour,amount");
    for j in 0..8 {
        let _ = write!(s, ",x{j}");
    }
    for j in 0..6 {
        let _ = write!(s, ",c{j}");
    }
    s.push_str(",label\n");
    let start = chrono_hours();
    for _ in 0..n {
        let m = zipf(&mut rng, &cdf);
        let p = if rng.random::<f64>() < 0.8 {
            (m * 7 + rng.random_range(0..3usize)) % 4000
        } else {
            zipf(&mut rng, &cdf)
        };
        let hour = rng.random_range(0..8760u32);
        let amount = (2.0 + 0.2 * (m % 10) as f64 + 0.8 * normal(&mut rng)).exp();
        let _ = write!(s, "M{m:04},P{p:04},{},{amount:.2}", start(hour));
        let mut x = normal(&mut rng);
        for _ in 0..8 {
            let _ = write!(s, ",{x:.3}");
            x = 0.6 * x + 0.8 * normal(&mut rng);
        }
        for (j, k) in [2usize, 3, 4, 5, 8, 12].into_iter().enumerate() {
            let c = if j == 0 {
                usize::from(x > 0.0)
            } else {
                rng.random_range(0..k)
            };
            let _ = write!(s, ",k{c}");
        }
        let label = u8::from(amount > 20.0 || rng.random::<f64>() < 0.1);
        let _ = writeln!(s, ",{label}");
    }
    s
}

/// `hour -> "2024-MM-DD HH:00:00"` for hours since 2024-01-01 (a year of 8,784 hours).
fn chrono_hours() -> impl Fn(u32) -> String {
    const DAYS: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    |hour: u32| {
        let (mut day, h) = (hour / 24, hour % 24);
        let mut month = 0;
        while day >= DAYS[month] {
            day -= DAYS[month];
            month += 1;
        }
        format!("2024-{:02}-{:02} {h:02}:00:00", month + 1, day + 1)
    }
}

/// The cardinality sweep's table (module documentation).
fn cardinality_table(n: usize, k: usize, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ k as u64);
    let mut s = String::from("code,group,x,y\n");
    for _ in 0..n {
        let c = rng.random_range(0..k);
        let g = if rng.random::<f64>() < 0.95 {
            c % 4
        } else {
            rng.random_range(0..4)
        };
        let x = (c % 7) as f64 + normal(&mut rng);
        let y = 0.5 * x + normal(&mut rng);
        let _ = writeln!(s, "C{c},G{g},{x:.3},{y:.3}");
    }
    s
}

/// The length sweep's table: 20 correlated numerical and 10 categorical columns.
fn wide_table(n: usize, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = (0..20)
        .map(|j| format!("x{j}"))
        .collect::<Vec<_>>()
        .join(",");
    for j in 0..10 {
        let _ = write!(s, ",c{j}");
    }
    s.push('\n');
    for _ in 0..n {
        let mut x = normal(&mut rng);
        for j in 0..20 {
            if j > 0 {
                s.push(',');
            }
            let _ = write!(s, "{x:.3}");
            x = 0.7 * x + 0.7 * normal(&mut rng);
        }
        for j in 0..10 {
            let c = if j % 2 == 0 {
                usize::from(x > 0.0) + rng.random_range(0..2usize) * 2
            } else {
                rng.random_range(0..(3 + j))
            };
            let _ = write!(s, ",k{c}");
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_parse_and_bad_ones_are_refused() {
        let a = ScaleArgs::parse(&["--cardinalities", "10,100", "--steps", "50"].map(String::from))
            .unwrap();
        assert_eq!((a.cardinalities, a.steps), (vec![10, 100], 50));
        assert!(ScaleArgs::parse(&["--rows".into(), "0".into()]).is_err());
        assert!(ScaleArgs::parse(&["--what".into()]).is_err());
        let only =
            ScaleArgs::parse(&["--only", "quality,rows", "--length-steps", "7"].map(String::from))
                .unwrap();
        assert_eq!(
            (only.only, only.length_steps),
            (vec!["quality".to_string(), "rows".into()], 7)
        );
        let bad = ScaleArgs::parse(&["--only".into(), "width".into()]).unwrap_err();
        assert!(bad.contains("quality"), "{bad}");
    }

    #[test]
    fn generated_tables_have_their_shapes() {
        let codes = codes_table(200, 1);
        let header: Vec<&str> = codes.lines().next().unwrap().split(',').collect();
        assert_eq!(header.len(), 19);
        assert!(
            codes.lines().nth(1).unwrap().contains(" "),
            "an hourly timestamp"
        );
        assert_eq!(codes.lines().count(), 201);
        let wide = wide_table(10, 3);
        assert_eq!(wide.lines().next().unwrap().split(',').count(), 30);
        let card = cardinality_table(1000, 50, 2);
        let distinct: std::collections::HashSet<&str> = card
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert!(distinct.len() > 45);
        assert_eq!(chrono_hours()(8783), "2024-12-31 23:00:00");
        assert_eq!(chrono_hours()(25), "2024-01-02 01:00:00");
    }
}
