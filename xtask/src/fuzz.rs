//! `cargo xtask fuzz --seconds N`: mutation fuzzing of everything that reads a user's bytes.
//!
//! Two targets, alternated, each fed mutations of a seed corpus by a seeded RNG:
//! - **tables**: the files of `crates/tabular/tests/corpus/` mutated (bytes flipped, cut,
//!   duplicated; cells replaced by awkward tokens: `inf`, `1e309`, `-0`, `08585`, dates,
//!   quotes, delimiters, BOMs, invalid UTF-8) and run through the CSV reader, schema
//!   inference, typing, the encoder's fit / encode / decode, fresh ids and the CSV writer;
//!   then the schema's JSON read back;
//! - **model directories**: a small fitted model whose `model.json`, `schema.json`,
//!   `encoder.json` or `weights.safetensors` is mutated (bytes, or JSON values replaced by
//!   other numbers, strings and types), loaded, and sampled from when it loads.
//!
//! A finding is a panic, or an error message of more than one line. Each finding's input is
//! written under `--out` (default `target/fuzz`) and the command exits non-zero. This is a
//! dependency-free stand-in for cargo-fuzz (which needs a nightly toolchain); it needs no
//! corpus in git beyond the seed tables.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scorediff_synth::faer::FaerBackend;
use scorediff_synth::pipeline::{FitConfig, Model, NetSpec, fit, sample};
use scorediff_synth::tabular::read::csv::read_csv_bytes;
use scorediff_synth::tabular::{
    Encoder, EncoderOptions, InferOptions, ReadOptions, Schema, load_table, write_csv_to,
};

/// Options of `cargo xtask fuzz`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How long to fuzz.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Seed of the mutations.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print each input's name before running it (to find a hang).
    #[arg(long)]
    verbose: bool,
    /// Where findings are written.
    #[arg(long, default_value = "target/fuzz")]
    out: PathBuf,
}

/// Awkward cell texts that real tables hold.
const TOKENS: &[&str] = &[
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "-1e400",
    "NaN",
    "nan",
    "-0",
    "0.0",
    "-0.0",
    "08585",
    "00000",
    "1152921504606846976",
    "99999999999999999999999",
    "2024-01-31",
    "2024-02-30",
    "2024-01-31T10:00:00",
    "2024-01-31T10:00:00+01:00",
    "2024-01-31T10:00:00Z",
    "10:00",
    "25:61",
    "31.12.1999",
    "12/31/1999",
    "1,5",
    "21,642",
    "1.234,5",
    "",
    " ",
    "\"",
    "\"\"",
    ",",
    ";",
    "\t",
    "|",
    "\n",
    "\r\n",
    "\r",
    "\u{feff}",
    "_RARE_",
    "C0001",
    "e",
    "E5",
    "+",
    "-",
    ".",
    "..",
    "1e",
    "0x10",
    "\u{e9}",
    "\u{1F600}",
    "NA",
    "null",
    "?",
    "id",
    "ID",
];

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let corpus_dir = root.join("crates/tabular/tests/corpus");
    let mut corpus: Vec<(String, Vec<u8>)> = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&corpus_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for p in names {
        corpus.push((
            p.file_name().unwrap_or_default().to_string_lossy().into(),
            std::fs::read(&p)?,
        ));
    }
    anyhow::ensure!(
        !corpus.is_empty(),
        "no seed tables in {}",
        corpus_dir.display()
    );
    std::fs::create_dir_all(&args.out)?;
    let work = args.out.join("work");
    let model_seed = seed_model(&corpus_dir.join("string_ids.csv"), &work.join("seed-model"))?;

    // Panics are findings, reported by the loop: no default report on stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let deadline = Instant::now() + Duration::from_secs_f64(args.seconds.max(0.0));
    let (mut tables, mut models, mut findings) = (0u64, 0u64, Vec::new());
    while Instant::now() < deadline {
        let (name, finding) = if tables <= models * 4 {
            tables += 1;
            let (seed_name, seed) = &corpus[rng.random_range(0..corpus.len())];
            let input = mutate_bytes(seed, &mut rng);
            if args.verbose {
                eprintln!("table {tables}: {seed_name}");
            }
            (
                format!("table-{tables}-{seed_name}"),
                fuzz_table(&input).err().map(|e| (e, input)),
            )
        } else {
            models += 1;
            let dir = work.join("model");
            let _ = std::fs::remove_dir_all(&dir);
            copy_dir(&model_seed, &dir)?;
            let file = [
                "model.json",
                "schema.json",
                "encoder.json",
                "weights.safetensors",
            ][rng.random_range(0..4)];
            let bytes = std::fs::read(dir.join(file))?;
            let mutated = if file.ends_with(".json") && rng.random_bool(0.7) {
                mutate_json(&bytes, &mut rng)
            } else {
                mutate_bytes(&bytes, &mut rng)
            };
            std::fs::write(dir.join(file), &mutated)?;
            if args.verbose {
                eprintln!("model {models}: {file}");
            }
            (
                format!("model-{models}-{file}"),
                fuzz_model(&dir).err().map(|e| (e, mutated)),
            )
        };
        if let Some((what, input)) = finding {
            let path = args.out.join(&name);
            std::fs::write(&path, &input)?;
            eprintln!("FINDING {name}: {what} (input in {})", path.display());
            findings.push(name);
        }
    }
    let _ = std::panic::take_hook();
    println!(
        "fuzz: {:.0} s, seed {}: {tables} tables, {models} model directories, {} findings",
        args.seconds,
        args.seed,
        findings.len()
    );
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs `f`, turning a panic or a multi-line error message into a finding.
fn guarded(f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Err(p) => Err(format!(
            "panic: {}",
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default()
        )),
        Ok(Err(msg)) if msg.trim_end().lines().count() > 1 => {
            Err(format!("error of several lines: {msg:?}"))
        }
        Ok(_) => Ok(()),
    }
}

/// The table pipeline on `bytes`: errors are fine (when one line), panics are findings.
fn fuzz_table(bytes: &[u8]) -> Result<(), String> {
    guarded(|| {
        let e = |e: scorediff_synth::tabular::TabularError| e.to_string();
        let raw = read_csv_bytes("fuzz.csv", bytes, &ReadOptions::default()).map_err(e)?;
        let schema = Schema::infer(&raw, &InferOptions::default()).map_err(e)?;
        let back = Schema::from_json_str("schema.json", &schema.to_json_pretty()).map_err(e)?;
        let table = back.apply(&raw).map_err(e)?;
        let enc = Encoder::fit(&table, &back, &EncoderOptions::default()).map_err(e)?;
        let m = enc.encode(&table).map_err(e)?;
        let enc = Encoder::from_json_str("encoder.json", &enc.to_json()).map_err(e)?;
        let decoded = enc.decode(&m).map_err(e)?;
        let full = back.with_ids(decoded, 0, 1);
        let mut out = Vec::new();
        write_csv_to(&mut out, &full, Some(&back)).map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// Loading (and, when it loads, sampling from) a model directory.
fn fuzz_model(dir: &Path) -> Result<(), String> {
    guarded(|| {
        let be = FaerBackend::default();
        let model = Model::load(&be, dir).map_err(|e| e.to_string())?;
        let mut sampler = model.config.sampler;
        sampler.steps = sampler.steps.clamp(1, 3);
        sample(&be, &model, 3, &sampler, &mut |_, _| {}).map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// A small fitted model to mutate.
fn seed_model(table: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let _ = std::fs::remove_dir_all(dir);
    let (t, schema) = load_table(
        table,
        &ReadOptions::default(),
        None,
        &InferOptions::default(),
    )?;
    let mut cfg = FitConfig {
        net: NetSpec::Mlp {
            width: 8,
            depth: 1,
            residual: true,
        },
        ..FitConfig::default()
    };
    cfg.train.max_steps = 2;
    cfg.sampler.steps = 2;
    let be = FaerBackend::default();
    let model = fit(&be, &t, &schema, &cfg, &mut |_| {
        std::ops::ControlFlow::Continue(())
    })?;
    model.save(&be, dir)?;
    Ok(dir.to_path_buf())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        std::fs::copy(e.path(), to.join(e.file_name()))?;
    }
    Ok(())
}

/// One to four byte-level mutations of `seed`.
fn mutate_bytes(seed: &[u8], rng: &mut impl Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let at = if v.is_empty() {
            0
        } else {
            rng.random_range(0..v.len())
        };
        match rng.random_range(0..7) {
            0 if !v.is_empty() => v[at] = rng.random(),
            1 => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())].as_bytes();
                v.splice(at..at, t.iter().copied());
            }
            2 if !v.is_empty() => {
                let end = (at + rng.random_range(1..16)).min(v.len());
                v.drain(at..end);
            }
            3 => v.truncate(at),
            4 => {
                // Replace the cell around `at` by a token.
                let start = v[..at]
                    .iter()
                    .rposition(|&b| b == b',' || b == b'\n')
                    .map_or(0, |i| i + 1);
                let end = v[at..]
                    .iter()
                    .position(|&b| b == b',' || b == b'\n')
                    .map_or(v.len(), |i| at + i);
                let t = TOKENS[rng.random_range(0..TOKENS.len())].as_bytes();
                v.splice(start..end, t.iter().copied());
            }
            5 if !v.is_empty() => {
                // Duplicate a line.
                let start = v[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let end = v[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(v.len(), |i| at + i + 1);
                let line = v[start..end].to_vec();
                v.splice(start..start, line);
            }
            _ => v.extend_from_slice(&[0xFF, 0xFE]),
        }
    }
    v
}

/// A JSON document with one value replaced by another of a random kind.
fn mutate_json(bytes: &[u8], rng: &mut impl Rng) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return mutate_bytes(bytes, rng);
    };
    let mut slots = Vec::new();
    collect_paths(&value, &mut Vec::new(), &mut slots);
    if slots.is_empty() {
        return mutate_bytes(bytes, rng);
    }
    let path = &slots[rng.random_range(0..slots.len())];
    let replacement = match rng.random_range(0..8) {
        0 => serde_json::json!(-1),
        1 => serde_json::json!(0),
        2 => serde_json::json!(1e300),
        3 => serde_json::json!(u64::MAX),
        4 => serde_json::json!("x"),
        5 => serde_json::Value::Null,
        6 => serde_json::json!([]),
        _ => serde_json::json!(rng.random_range(0..100_000)),
    };
    if let Some(slot) = pointer_mut(&mut value, path) {
        *slot = replacement;
    }
    serde_json::to_vec(&value).unwrap_or_default()
}

fn collect_paths(v: &serde_json::Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                at.push(k.clone());
                out.push(at.clone());
                collect_paths(x, at, out);
                at.pop();
            }
        }
        serde_json::Value::Array(a) => {
            // A few elements are enough: long knot arrays would dominate the draw.
            for (i, x) in a.iter().enumerate().take(4) {
                at.push(i.to_string());
                out.push(at.clone());
                collect_paths(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn pointer_mut<'a>(
    v: &'a mut serde_json::Value,
    path: &[String],
) -> Option<&'a mut serde_json::Value> {
    let mut cur = v;
    for p in path {
        cur = match cur {
            serde_json::Value::Object(m) => m.get_mut(p)?,
            serde_json::Value::Array(a) => a.get_mut(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}
