//! `cargo xtask reproduce conditional [--model DIR] [--seeds N] [--rows N]
//! [--draws 1,10,30] [--masks N] [--python PATH] [--out DIR]`: conditional generation and
//! imputation on Credit Default (docs/conditional.md), written to
//! `docs/results/conditional/`.
//!
//! - **Conditional generation**: per sampling seed, `--rows` unconditioned rows (the model's
//!   sampler) and as many with `default payment next month=1` (the conditioned default
//!   sampler, `pipeline::conditioned_sampler`), timed (wall and CPU seconds); the Shape and
//!   Trend errors of the unconditioned rows against `train.csv` and of the conditioned rows
//!   against the real defaulters; every condition checked on every row. A second set,
//!   `AGE=40..50` and `EDUCATION=1|2`, shows a range and a set of categories together.
//! - **Imputation**: 20% of the modelled cells of `test.csv` masked at random (mask seeds
//!   `0..--masks`, 5 by default), filled by the model (`impute`, each `--draws` value) and
//!   by the mean/mode and k-NN (k = 5) baselines of `scorediff_eval::imputation`, fitted on
//!   `train.csv`; RMSE on
//!   standardised numerical cells and accuracy on categorical ones. With `--python PATH` (a
//!   Python with scikit-learn and pandas) `xtask/scripts/impute_reference.py` adds
//!   scikit-learn's `IterativeImputer` (MICE-style) and `KNNImputer` (the reference of the
//!   k-NN baseline).
//!
//! The model is fitted with the default recipe (seed 0) unless `--model` names a model
//! directory fitted on `train.csv`.

use scorediff_synth::condition::{ColumnCondition, Resolved, matching_rows, parse_where, resolve};
use scorediff_synth::data::credit_default_dir;
use scorediff_synth::eval::imputation::{
    ImputationScore, impute_knn, impute_mean_mode, mask_cells, score_imputation,
};
use scorediff_synth::eval::shape::shape;
use scorediff_synth::eval::trend::trend;
use scorediff_synth::faer::FaerBackend;
use scorediff_synth::impute::impute;
use scorediff_synth::pipeline::{FitConfig, Model, conditioned_sampler, fit, sample_where};
use scorediff_synth::tabular::{ReadOptions, Schema, Table, load_typed, write::write_csv};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::panel::cpu_seconds;

const USAGE: &str = "usage: reproduce conditional [--model DIR] [--seeds N] [--rows N] \
                     [--draws 1,10,30] [--python PATH] [--masks N] [--impute-sampler KIND:STEPS] [--out DIR]";

/// Settings of `reproduce conditional`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionalArgs {
    /// A model directory fitted on `train.csv` (fitted here when absent).
    pub model: Option<PathBuf>,
    /// Sampling seeds `0..seeds`.
    pub seeds: u64,
    /// Rows per conditioned and unconditioned sample.
    pub rows: usize,
    /// Draws per cell of each imputation run.
    pub draws: Vec<usize>,
    /// A Python with scikit-learn and pandas for the reference imputers.
    pub python: Option<PathBuf>,
    /// Masks of the imputation: seeds `0..masks`.
    pub masks: u64,
    /// The imputation's sampler and steps (default: the conditioned sampler).
    pub impute_sampler: Option<(scorediff_synth::process::SamplerKind, usize)>,
    /// Output directory.
    pub out: PathBuf,
}

impl ConditionalArgs {
    /// Parses the arguments after `reproduce conditional`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut out = Self {
            model: None,
            seeds: 3,
            rows: 5000,
            draws: vec![1, 10, 30],
            python: None,
            masks: 5,
            impute_sampler: None,
            out: Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/results/conditional"),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().ok_or(format!("{a} needs a value; {USAGE}"));
            let whole = |v: &str| {
                v.parse::<usize>()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or(format!("{a} {v:?}: expected a whole number >= 1"))
            };
            match a.as_str() {
                "--model" => out.model = Some(PathBuf::from(value()?)),
                "--seeds" => out.seeds = whole(value()?)? as u64,
                "--rows" => out.rows = whole(value()?)?,
                "--draws" => {
                    out.draws = value()?
                        .split(',')
                        .map(|d| whole(d.trim()))
                        .collect::<Result<_, _>>()?
                }
                "--python" => out.python = Some(PathBuf::from(value()?)),
                "--impute-sampler" => {
                    use scorediff_synth::process::SamplerKind as K;
                    let v = value()?;
                    let (kind, steps) = v
                        .split_once(':')
                        .ok_or(format!("--impute-sampler {v:?}: expected KIND:STEPS"))?;
                    let kind = match kind {
                        "heun" => K::Heun,
                        "dpm-solver-2m" => K::DpmSolver2m,
                        "exponential-integrator" => K::ExponentialIntegrator,
                        "euler-maruyama" => K::EulerMaruyama,
                        k => return Err(format!("unknown sampler {k:?}")),
                    };
                    out.impute_sampler = Some((kind, whole(steps)?));
                }
                "--masks" => out.masks = whole(value()?)? as u64,
                "--out" => out.out = PathBuf::from(value()?),
                other => return Err(format!("unknown argument {other:?}; {USAGE}")),
            }
        }
        Ok(out)
    }
}

/// The conditions of the experiment, as a user types them.
const CONDITIONS: [&[&str]; 2] = [
    &["default payment next month=1"],
    &["AGE=40..50", "EDUCATION=1|2"],
];

/// Runs the experiment.
pub fn run_conditional(args: &[String]) -> Result<(), String> {
    let args = ConditionalArgs::parse(args)?;
    let dir = credit_default_dir().ok_or(
        "Credit Default not found: put train.csv and test.csv in ../shared/data/credit-default \
         (beside the workspace) or in $SCOREDIFF_DATA/credit-default",
    )?;
    let be = FaerBackend::default();
    let model = match &args.model {
        Some(m) => Model::load(&be, m).map_err(|e| format!("{}: {e}", m.display()))?,
        None => fit_default(&be, &dir)?,
    };
    let read = |name: &str| {
        load_typed(dir.join(name), &ReadOptions::default(), &model.schema)
            .map_err(|e| format!("{name}: {e}"))
    };
    let (train, test) = (read("train.csv")?, read("test.csv")?);
    let mut md = String::new();
    let mut js = json!({"rows": args.rows, "seeds": args.seeds});
    generation(&be, &model, &train, &args, &mut md, &mut js)?;
    imputation(&be, &model, &train, &test, &args, &mut md, &mut js)?;
    println!("{md}");
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    super::common::write_text(&args.out.join("results.md"), &md)?;
    let text = serde_json::to_string_pretty(&js).map_err(|e| e.to_string())?;
    super::common::write_text(&args.out.join("results.json"), &(text + "\n"))?;
    eprintln!("wrote {}/results.{{md,json}}", args.out.display());
    Ok(())
}

fn fit_default(be: &FaerBackend, dir: &Path) -> Result<Model<FaerBackend>, String> {
    let (train, schema) = scorediff_synth::tabular::load_table(
        dir.join("train.csv"),
        &ReadOptions::default(),
        None,
        &Default::default(),
    )
    .map_err(|e| format!("train.csv: {e}"))?;
    eprintln!("fitting the default recipe (seed 0) ...");
    let cfg = FitConfig::default().with_seed(0);
    fit(
        be,
        &train,
        &schema,
        &cfg,
        &mut |_| ControlFlow::Continue(()),
    )
    .map_err(|e| e.to_string())
}

/// Wall and CPU seconds of `f`.
fn timed<T>(f: impl FnOnce() -> Result<T, String>) -> Result<(T, f64, Option<f64>), String> {
    let (started, cpu0) = (Instant::now(), cpu_seconds());
    let out = f()?;
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    Ok((out, started.elapsed().as_secs_f64(), cpu))
}

/// Shape error, Trend error and Trend error on the real table's bins of `syn` against
/// `real`.
fn fidelity(real: &Table, syn: &Table) -> Result<(f64, f64, f64), String> {
    let s = shape(real, syn).map_err(|e| e.to_string())?;
    let t = trend(real, syn, 10).map_err(|e| e.to_string())?;
    Ok((s.error, t.error, t.error_real_bins))
}

fn conditions(texts: &[&str], schema: &Schema) -> Result<Vec<ColumnCondition>, String> {
    texts
        .iter()
        .map(|t| parse_where(t, schema).map_err(|e| e.to_string()))
        .collect()
}

fn generation(
    be: &FaerBackend,
    model: &Model<FaerBackend>,
    train: &Table,
    args: &ConditionalArgs,
    md: &mut String,
    js: &mut Value,
) -> Result<(), String> {
    let _ = writeln!(
        md,
        "## Conditional generation ({} rows, sampling seeds 0 to {})\n\n\
         | rows | condition | seed | wall s | CPU s | Shape err | Trend err | Trend err, real bins | real rows meeting it | rows meeting it |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        args.rows,
        args.seeds - 1
    );
    let mut runs = Vec::new();
    let none: Vec<Resolved> = Vec::new();
    let sets: Vec<(String, Vec<ColumnCondition>)> =
        std::iter::once(Ok((String::new(), Vec::new())))
            .chain(
                CONDITIONS
                    .iter()
                    .map(|c| Ok((c.join(", "), conditions(c, &model.schema)?))),
            )
            .collect::<Result<_, String>>()?;
    for (label, conds) in &sets {
        let resolved = resolve(conds, &model.schema, &model.encoder).map_err(|e| e.to_string())?;
        let real = if conds.is_empty() {
            train.clone()
        } else {
            train.select_rows(
                &matching_rows(conds, &model.schema, train).map_err(|e| e.to_string())?,
            )
        };
        let (sampler_base, which) = if conds.is_empty() {
            (model.config.sampler, "unconditioned")
        } else {
            (conditioned_sampler(&model.config.sampler), "conditioned")
        };
        for seed in 0..args.seeds {
            let sampler = scorediff_synth::process::SamplerConfig {
                seed,
                ..sampler_base
            };
            let cond = if conds.is_empty() { &none } else { &resolved };
            let (syn, wall, cpu) = timed(|| {
                sample_where(be, model, args.rows, cond, &sampler, &mut |_, _| {})
                    .map_err(|e| e.to_string())
            })?;
            let meeting = matching_rows(conds, &model.schema, &syn)
                .map_err(|e| e.to_string())?
                .len();
            let (s, t, trb) = fidelity(&real, &syn)?;
            let _ = writeln!(
                md,
                "| {which} | {} | {seed} | {wall:.2} | {} | {s:.3} | {t:.3} | {trb:.3} | {} | {meeting} of {} |",
                if label.is_empty() {
                    "-".to_string()
                } else {
                    label.replace('|', "\\|")
                },
                cpu.map_or("-".into(), |c| format!("{c:.2}")),
                real.n_rows(),
                syn.n_rows()
            );
            eprintln!("{which} {label} seed {seed}: {wall:.2} s, Shape {s:.3}");
            runs.push(json!({
                "condition": label, "sampler": format!("{:?} {}", sampler.kind, sampler.steps),
                "seed": seed, "wall_s": wall, "cpu_s": cpu, "shape_error": s,
                "trend_error": t, "trend_error_real_bins": trb, "real_rows": real.n_rows(),
                "rows_meeting": meeting, "rows": syn.n_rows(),
            }));
        }
    }
    generation_summary(md, &runs);
    js["generation"] = Value::Array(runs);
    Ok(())
}

/// Means over seeds per condition, and each against the unconditioned rows': Shape error
/// (against the real rows of its condition) and seconds.
fn generation_summary(md: &mut String, runs: &[Value]) {
    let mean = |label: &str, key: &str| {
        let v: Vec<f64> = runs
            .iter()
            .filter(|r| r["condition"] == label)
            .filter_map(|r| r[key].as_f64())
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let _ = writeln!(
        md,
        "\nMeans over the seeds, and their ratio to the unconditioned rows' (Shape error against \
         the real rows meeting the condition, against all of `train.csv` for the unconditioned \
         rows):\n\n\
         | condition | wall s | CPU s | Shape err | time / unconditioned | Shape err / unconditioned |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |"
    );
    let mut labels: Vec<&str> = Vec::new();
    for r in runs {
        let l = r["condition"].as_str().unwrap_or_default();
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    let (wall0, shape0) = (mean("", "wall_s"), mean("", "shape_error"));
    for l in labels {
        let (wall, cpu, shape) = (mean(l, "wall_s"), mean(l, "cpu_s"), mean(l, "shape_error"));
        let _ = writeln!(
            md,
            "| {} | {wall:.2} | {cpu:.2} | {shape:.3} | {:.2} | {:.2} |",
            if l.is_empty() {
                "none".to_string()
            } else {
                l.replace('|', "\\|")
            },
            wall / wall0,
            shape / shape0
        );
    }
}

/// One imputer's figures on one mask.
struct Scored {
    imputer: String,
    mask: u64,
    wall_s: f64,
    cpu_s: Option<f64>,
    score: ImputationScore,
}

#[allow(clippy::too_many_arguments)]
fn imputation(
    be: &FaerBackend,
    model: &Model<FaerBackend>,
    train: &Table,
    test: &Table,
    args: &ConditionalArgs,
    md: &mut String,
    js: &mut Value,
) -> Result<(), String> {
    let columns: Vec<&str> = model
        .encoder
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let mut sampler = conditioned_sampler(&model.config.sampler);
    if let Some((kind, steps)) = args.impute_sampler {
        sampler.kind = kind;
        sampler.steps = steps;
    }
    let mut scored: Vec<Scored> = Vec::new();
    let mut masked_cells = Vec::new();
    for mask in 0..args.masks {
        let (masked, cells) = mask_cells(test, &columns, 0.2, mask).map_err(|e| e.to_string())?;
        masked_cells.push(cells.len());
        let mut score = |imputer: String, filled: &Table, wall_s: f64, cpu_s: Option<f64>| {
            let score = score_imputation(test, filled, &cells, train).map_err(|e| e.to_string())?;
            eprintln!(
                "mask {mask}, {imputer}: RMSE {:?}, accuracy {:?}",
                score.rmse, score.accuracy
            );
            scored.push(Scored {
                imputer,
                mask,
                wall_s,
                cpu_s,
                score,
            });
            Ok::<(), String>(())
        };
        for &draws in &args.draws {
            let (filled, wall, cpu) = timed(|| {
                impute(be, model, &masked, &sampler, draws, &mut |_, _| {})
                    .map(|(t, _)| t)
                    .map_err(|e| e.to_string())
            })?;
            let what = if draws == 1 {
                "scorediff, one draw".to_string()
            } else {
                format!("scorediff, mean of {draws} draws")
            };
            score(what, &filled, wall, cpu)?;
        }
        let (filled, wall, cpu) =
            timed(|| impute_mean_mode(&masked, train).map_err(|e| e.to_string()))?;
        score("mean / mode".into(), &filled, wall, cpu)?;
        let (filled, wall, cpu) =
            timed(|| impute_knn(&masked, train, 5).map_err(|e| e.to_string()))?;
        score("k-NN, k = 5".into(), &filled, wall, cpu)?;
        if let Some(python) = &args.python {
            for (name, filled, wall) in python_reference(python, model, train, &masked)? {
                score(name, &filled, wall, None)?;
            }
        }
    }
    imputation_markdown(md, &scored, &masked_cells, test.n_rows() * columns.len());
    js["imputation"] = json!({
        "masked_cells": masked_cells,
        "runs": scored.iter().map(|s| json!({
            "imputer": s.imputer, "mask": s.mask, "wall_s": s.wall_s, "cpu_s": s.cpu_s,
            "score": s.score,
        })).collect::<Vec<_>>(),
    });
    Ok(())
}

/// The imputation tables: per imputer, RMSE and accuracy on each mask and their means, and
/// the mean seconds.
fn imputation_markdown(md: &mut String, scored: &[Scored], masked: &[usize], cells: usize) {
    let masks = masked.len();
    let _ = writeln!(
        md,
        "\n## Imputation (`test.csv`, 20% of its {cells} modelled cells masked at random: {} cells \
         for mask seeds 0 to {})\n",
        masked
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        masks - 1
    );
    let seeds: String = (0..masks).map(|m| format!(" mask {m} |")).collect();
    let rule: String = (0..masks).map(|_| " ---: |").collect();
    let _ = writeln!(
        md,
        "| imputer | figure |{seeds} mean | wall s (mean) | CPU s (mean) |\n| --- | --- |{rule} ---: | ---: | ---: |"
    );
    let mut names: Vec<&str> = Vec::new();
    for s in scored {
        if !names.contains(&s.imputer.as_str()) {
            names.push(&s.imputer);
        }
    }
    for name in names {
        let runs: Vec<&Scored> = scored.iter().filter(|s| s.imputer == name).collect();
        let wall = runs.iter().map(|s| s.wall_s).sum::<f64>() / runs.len() as f64;
        let cpu: Option<f64> = runs
            .iter()
            .map(|s| s.cpu_s)
            .sum::<Option<f64>>()
            .map(|c| c / runs.len() as f64);
        for (figure, get) in [
            (
                "RMSE",
                (|s: &Scored| s.score.rmse) as fn(&Scored) -> Option<f64>,
            ),
            ("accuracy", |s: &Scored| s.score.accuracy),
        ] {
            let values: Vec<f64> = runs.iter().filter_map(|s| get(s)).collect();
            let cols: String = values.iter().map(|v| format!(" {v:.4} |")).collect();
            let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
            let _ = writeln!(
                md,
                "| {name} | {figure} |{cols} **{mean:.4}** | {wall:.2} | {} |",
                cpu.map_or("-".into(), |c| format!("{c:.2}"))
            );
        }
    }
    let _ = writeln!(
        md,
        "\nRMSE: numerical cells, each standardised by its `train.csv` column's standard \
         deviation, pooled over columns; accuracy: categorical cells given their value. The \
         baselines and the model all learn from `train.csv` only. The scikit-learn rows' seconds \
         are the script's, both imputers together."
    );
}

/// Runs `xtask/scripts/impute_reference.py` on the masked table and reads its tables back.
fn python_reference(
    python: &Path,
    model: &Model<FaerBackend>,
    train: &Table,
    masked: &Table,
) -> Result<Vec<(String, Table, f64)>, String> {
    let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/conditional");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let (train_csv, masked_csv) = (work.join("train.csv"), work.join("masked.csv"));
    write_csv(&train_csv, train, Some(&model.schema)).map_err(|e| e.to_string())?;
    write_csv(&masked_csv, masked, Some(&model.schema)).map_err(|e| e.to_string())?;
    let categorical: Vec<&str> = model
        .schema
        .modelled()
        .filter(|c| !c.kind.is_numerical())
        .map(|c| c.name.as_str())
        .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/impute_reference.py");
    let started = Instant::now();
    let status = std::process::Command::new(python)
        .arg(&script)
        .arg(&train_csv)
        .arg(&masked_csv)
        .arg("--categorical")
        .arg(serde_json::to_string(&categorical).map_err(|e| e.to_string())?)
        .arg("--out")
        .arg(&work)
        .status()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !status.success() {
        return Err(format!("{} failed: {status}", script.display()));
    }
    let wall = started.elapsed().as_secs_f64();
    [
        ("scikit-learn IterativeImputer", "iterative.csv"),
        ("scikit-learn KNNImputer, k = 5", "knn.csv"),
    ]
    .iter()
    .map(|(name, file)| {
        let t = load_typed(work.join(file), &ReadOptions::default(), &model.schema)
            .map_err(|e| format!("{file}: {e}"))?;
        Ok((name.to_string(), t, wall))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments_parse_and_bad_ones_are_refused() {
        let a =
            ConditionalArgs::parse(&args(&["--seeds", "2", "--draws", "1, 5", "--rows", "100"]))
                .unwrap();
        assert_eq!((a.seeds, a.rows, a.draws.clone()), (2, 100, vec![1, 5]));
        assert!(a.model.is_none() && a.python.is_none());
        for bad in [
            &["--draws", "0"][..],
            &["--seeds", "x"],
            &["--rows"],
            &["--what"],
        ] {
            assert!(ConditionalArgs::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
