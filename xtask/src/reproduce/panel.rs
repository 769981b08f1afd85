//! `cargo xtask reproduce panel [--data DIR] [--only a,b] [--steps default,theory,4500,...]
//! [--seed N] [--out DIR]`: the default recipe on the panel of real tables beside Credit
//! Default (docs/panel.md). `reproduce panel --redraw FILE.md...` redraws the sweep figures
//! of committed results from their tables, without fitting ([`super::sweep`]).
//!
//! The tables come from the data packages Debian ships for R, written as CSV by
//! `xtask/scripts/panel_data.sh` (nothing is committed); `manifest.json` in the data
//! directory names each table's target. For each table and each training length asked
//! (`default`: what `FitConfig::default()` decides; `theory`: the theory's length for the
//! table, `--length theory`; a number: that many steps, the sweep of the training-length
//! figures), the command fits on `train.csv`, samples as many rows,
//! evaluates them with every metric of the protocol (DESIGN.md §3; MLE where the target is
//! binary) against `train.csv` and `test.csv`, and reports the fit's wall and CPU seconds
//! and how it stopped. `--peers tabularargn,gaussian_copula,ctgan` (or `all`) adds the
//! synthesizers a user would pick instead, run on the same table and scored by the same code
//! ([`super::peers`]); `--steps none` runs the peers alone. For each table with a length
//! sweep, a figure puts the sweep's quality curve, the default's and the theory's stops and
//! the peers on one plot. It writes `results.md`, `results.json` and the figures to the
//! output directory.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use scorediff_synth::config_file::read_fit_config;
use scorediff_synth::eval::c2st::{Detector, c2st};
use scorediff_synth::eval::{EvalConfig, NoProgress, Report, evaluate};
use scorediff_synth::evaluate::protocol;
use scorediff_synth::faer::FaerBackend;
use scorediff_synth::guard::GuardAction;
use scorediff_synth::length::RECIPE_MAX_STEPS;
use scorediff_synth::pipeline::{FitConfig, LengthPlan, TrainingLength, fit, sample};
use scorediff_synth::tabular::{
    InferOptions, ReadOptions, Schema, Table, TargetChoice, load_table, load_typed,
};
use scorediff_synth::train::EarlyStop;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::credit::{fmt, peak_memory_mib};
use super::peers::{Peer, PeerEnv, PeerFit, run_peer};
use super::plot;
use super::sweep::SweepPoints;

const USAGE: &str = "usage: reproduce panel [--data DIR] [--only a,b] [--steps default,theory,4500,...|none] [--peers all|tabularargn,gaussian_copula,ctgan] [--venv DIR] [--batch ROWS] [--config FIT.json] [--seed N] [--out DIR], or: reproduce panel --redraw RESULTS.md...";

/// A training length of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Length {
    /// The default recipe's length.
    Default,
    /// The theory's length for the table (`--length theory`).
    Theory,
    /// A fixed number of steps.
    Steps(u64),
}

/// Settings of `reproduce panel`, parsed from the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelArgs {
    /// The directory `panel_data.sh` wrote.
    pub data: PathBuf,
    /// Tables to run (all when empty).
    pub only: Vec<String>,
    /// Training lengths, each a run per table (none with `--steps none`).
    pub lengths: Vec<Length>,
    /// Peer synthesizers, each a run per table.
    pub peers: Vec<Peer>,
    /// The peers' virtual environment (`--venv`; made by `peers.sh` when missing) and where
    /// their synthetic rows are written (not in the report's directory, which is committed:
    /// they are rows of real tables).
    pub peer_env: PeerEnv,
    /// Rows per training step of every scorediff fit (the recipe's when `None`).
    pub batch: Option<usize>,
    /// The configuration every scorediff fit starts from: the recipe's, or that of
    /// `config_file`.
    pub base: FitConfig,
    /// The file of `--config` (a fit configuration or a model's `model.json`, as
    /// `scorediff fit --config` reads it), when given.
    pub config_file: Option<PathBuf>,
    /// Seed of every fit, sampler and evaluation.
    pub seed: u64,
    /// Output directory.
    pub out: PathBuf,
}

impl PanelArgs {
    /// Parses the arguments after `reproduce panel`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut out = Self {
            data: root.join("target/panel"),
            only: Vec::new(),
            lengths: vec![Length::Default],
            peers: Vec::new(),
            peer_env: PeerEnv {
                venv: root.join("target/peers-venv"),
                work: root.join("target/panel-peers"),
            },
            batch: None,
            base: FitConfig::default(),
            config_file: None,
            seed: 0,
            out: root.join("docs/results/panel"),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().ok_or(format!("{a} needs a value; {USAGE}"));
            match a.as_str() {
                "--data" => out.data = PathBuf::from(value()?),
                "--out" => out.out = PathBuf::from(value()?),
                "--venv" => out.peer_env.venv = PathBuf::from(value()?),
                "--peers" => out.peers = Peer::parse_list(value()?)?,
                "--only" => out.only = value()?.split(',').map(|s| s.trim().to_string()).collect(),
                "--config" => {
                    let path = PathBuf::from(value()?);
                    out.base = read_fit_config(&path).map_err(|e| e.to_string())?;
                    out.config_file = Some(path);
                }
                "--seed" => {
                    let v = value()?;
                    out.seed = v
                        .parse()
                        .map_err(|_| format!("--seed {v:?}: expected a whole number"))?;
                }
                "--batch" => {
                    let v = value()?;
                    out.batch = Some(v.parse().ok().filter(|&b| b >= 1).ok_or(format!(
                        "--batch {v:?}: expected a whole number of rows >= 1"
                    ))?);
                }
                "--steps" => {
                    let v = value()?;
                    out.lengths = if v == "none" {
                        Vec::new()
                    } else {
                        v.split(',')
                        .map(|s| match s.trim() {
                            "default" => Ok(Length::Default),
                            "theory" => Ok(Length::Theory),
                            n => n
                                .parse::<u64>()
                                .ok()
                                .filter(|&n| n >= 1)
                                .map(Length::Steps)
                                .ok_or(format!(
                                    "--steps: {n:?} is neither `default`, `theory`, `none` nor a whole number >= 1"
                                )),
                        })
                        .collect::<Result<_, _>>()?
                    };
                }
                other => return Err(format!("unknown argument {other:?}; {USAGE}")),
            }
        }
        if out.lengths.is_empty() && out.peers.is_empty() {
            return Err(format!(
                "--steps none without --peers: nothing to run; {USAGE}"
            ));
        }
        Ok(out)
    }
}

/// One entry of `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelTable {
    /// Short name (the directory).
    pub name: String,
    /// Source package and its version.
    pub package: String,
    pub version: String,
    /// The package's name of the data set.
    pub data_set: String,
    /// Rows of the whole table and of its training split.
    pub rows: usize,
    pub train_rows: usize,
    /// Columns, of which categorical.
    pub columns: usize,
    pub categorical_columns: usize,
    /// Missing cells.
    pub missing_cells: usize,
    /// The target column (the MLE test's, when binary).
    pub target: String,
    /// What the table exercises.
    pub about: String,
}

/// One fit + sample + evaluation of a panel table, by scorediff or by a peer.
#[derive(Debug, Clone, Serialize)]
pub struct PanelRun {
    pub table: String,
    /// scorediff's training length; `None` for a peer.
    pub length: Option<Length>,
    /// The peer's fit; `None` for scorediff.
    pub peer: Option<PeerFit>,
    /// scorediff's steps (0 for a peer).
    pub steps: u64,
    /// The length rule's decision (the default length only).
    pub plan: Option<LengthPlan>,
    pub stop_reason: String,
    /// The memorisation guard's share on the final weights, percent.
    pub guard_share: Option<f64>,
    /// The boosted-tree C2ST of the synthetic rows against the held-out test rows (as many
    /// synthetic rows as test rows): the quality figure of the length sweep, which a model
    /// that copies its training rows does not improve.
    pub c2st_trees_test: Option<f64>,
    pub fit_s: f64,
    /// User + system CPU seconds of the fit (this process; a peer's own process).
    pub fit_cpu_s: Option<f64>,
    pub sample_s: f64,
    pub peak_mib: Option<f64>,
    pub report: Report,
}

/// Reads `manifest.json` of `dir`, with a message that says how to make it.
pub fn read_manifest(dir: &Path) -> Result<Vec<PanelTable>, String> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: {e}; write the panel with `bash xtask/scripts/panel_data.sh {}`",
            path.display(),
            dir.display()
        )
    })?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Entry point of `cargo xtask reproduce panel`.
pub fn run_panel(args: &[String]) -> Result<(), String> {
    if let [flag, rest @ ..] = args
        && flag == "--redraw"
    {
        if rest.is_empty() {
            return Err(format!(
                "--redraw needs the results*.md files to redraw; {USAGE}"
            ));
        }
        for file in rest {
            for name in super::sweep::redraw(Path::new(file))? {
                eprintln!("redrew {name} from {file}");
            }
        }
        return Ok(());
    }
    let args = PanelArgs::parse(args)?;
    let tables = read_manifest(&args.data)?;
    for name in &args.only {
        if !tables.iter().any(|t| &t.name == name) {
            let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
            return Err(format!(
                "--only: no table {name:?} in the panel ({})",
                names.join(", ")
            ));
        }
    }
    let chosen: Vec<&PanelTable> = tables
        .iter()
        .filter(|t| args.only.is_empty() || args.only.contains(&t.name))
        .collect();
    let mut runs = Vec::new();
    let mut failures = Vec::new();
    for t in &chosen {
        let dir = args.data.join(&t.name);
        let (train, schema) = load_with_target(&dir.join("train.csv"), &t.target)?;
        let test = load_typed(dir.join("test.csv"), &ReadOptions::default(), &schema)
            .map_err(|e| format!("{}/test.csv: {e}", dir.display()))?;
        for &length in &args.lengths {
            eprintln!(
                "panel: {} ({} rows), length {length:?} ...",
                t.name,
                train.n_rows()
            );
            match one_run(t, &train, &test, &schema, length, &args) {
                Ok(run) => {
                    eprintln!("{}", run_line(&run));
                    runs.push(run);
                }
                Err(e) => {
                    eprintln!("panel: {} {length:?} failed: {e}", t.name);
                    failures.push(format!("{} {length:?}: {e}", t.name));
                }
            }
        }
        for &peer in &args.peers {
            eprintln!(
                "panel: {} ({} rows), peer {} ...",
                t.name,
                train.n_rows(),
                peer.key()
            );
            let csv = dir.join("train.csv");
            match peer_run(
                t,
                &csv,
                &train,
                &test,
                &schema,
                peer,
                &args.peer_env,
                args.seed,
            ) {
                Ok(run) => {
                    eprintln!("{}", run_line(&run));
                    runs.push(run);
                }
                Err(e) => {
                    eprintln!("panel: {} {} failed: {e}", t.name, peer.key());
                    failures.push(format!("{} {}: {e}", t.name, peer.key()));
                }
            }
        }
    }
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let suffix = if args.only.is_empty() {
        String::new()
    } else {
        format!("-{}", args.only.join("-"))
    };
    let mut figures = Vec::new();
    for t in &chosen {
        let name = format!("sweep-{}.svg", t.name);
        match sweep_figure(&args.out.join(&name), &runs, &t.name) {
            Ok(true) => figures.push((t.name.clone(), name)),
            Ok(false) => {}
            Err(e) => failures.push(format!("{} figure: {e}", t.name)),
        }
    }
    let mut md = markdown(&chosen, &runs, &figures, &args);
    for f in &failures {
        let _ = writeln!(md, "\nFailed run: {f}");
    }
    println!("{md}");
    super::common::write_text(&args.out.join(format!("results{suffix}.md")), &md)?;
    let js = serde_json::to_string_pretty(&serde_json::json!({
        "seed": args.seed,
        "batch": args.batch,
        "config": args.config_file.as_ref().map(|p| p.display().to_string()),
        "tables": chosen,
        "runs": runs,
    }))
    .map_err(|e| e.to_string())?;
    super::common::write_text(&args.out.join(format!("results{suffix}.json")), &js)?;
    eprintln!("wrote {}/results{suffix}.{{md,json}}", args.out.display());
    if runs.is_empty() {
        return Err("every run failed".into());
    }
    Ok(())
}

/// The table with its schema inferred and `target` as the target column.
fn load_with_target(path: &Path, target: &str) -> Result<(Table, Schema), String> {
    let infer = InferOptions {
        target: TargetChoice::Named(target.to_string()),
        ..InferOptions::default()
    };
    load_table(path, &ReadOptions::default(), None, &infer)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// User + system CPU seconds of this process (`/proc/self/stat`, in the kernel's fixed
/// `USER_HZ` = 100 ticks); `None` off Linux.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces; the fields after its closing parenthesis are fixed.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn one_run(
    t: &PanelTable,
    train: &Table,
    test: &Table,
    schema: &Schema,
    length: Length,
    args: &PanelArgs,
) -> Result<PanelRun, String> {
    let be = FaerBackend::default();
    let seed = args.seed;
    let cfg = run_config(&args.base, length, args.batch, seed);
    let (started, cpu0) = (Instant::now(), cpu_seconds());
    let model = fit(&be, train, schema, &cfg, &mut |_| ControlFlow::Continue(()))
        .map_err(|e| e.to_string())?;
    let fit_s = started.elapsed().as_secs_f64();
    let fit_cpu_s = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let started = Instant::now();
    let syn = sample(&be, &model, train.n_rows(), &cfg.sampler, &mut |_, _| {})
        .map_err(|e| e.to_string())?;
    let sample_s = started.elapsed().as_secs_f64();
    let peak_mib = peak_memory_mib();
    let (report, c2st_trees_test) = score(train, test, &syn, schema, seed)?;
    Ok(PanelRun {
        table: t.name.clone(),
        length: Some(length),
        peer: None,
        steps: model.report.steps,
        plan: model.length.clone(),
        stop_reason: format!("{:?}", model.report.stop_reason),
        guard_share: model
            .guard
            .as_ref()
            .and_then(|g| g.model_check())
            .map(|c| c.share_pct),
        c2st_trees_test,
        fit_s,
        fit_cpu_s,
        sample_s,
        peak_mib,
        report,
    })
}

/// The fit configuration of a scorediff run of the panel: `base` (the recipe unless
/// `--config`) with the run's length, rows per step and seed.
fn run_config(base: &FitConfig, length: Length, batch: Option<usize>, seed: u64) -> FitConfig {
    let mut cfg = base.clone().with_seed(seed);
    if batch.is_some() {
        cfg.train.batch_size = batch;
    }
    if length == Length::Theory {
        cfg.length = TrainingLength::theory();
        cfg.train.max_steps = RECIPE_MAX_STEPS;
    }
    if let Length::Steps(n) = length {
        // A point of the sweep trains its full length: neither the rise stop nor the guard
        // ends it (the guard still measures).
        cfg.train.max_steps = n;
        cfg.length = TrainingLength::Fixed;
        cfg.stop = EarlyStop::None;
        cfg.guard.action = GuardAction::Warn;
    }
    cfg
}

/// A peer's fit on `train_csv`, sampled and scored as scorediff's runs are.
#[allow(clippy::too_many_arguments)]
fn peer_run(
    t: &PanelTable,
    train_csv: &Path,
    train: &Table,
    test: &Table,
    schema: &Schema,
    peer: Peer,
    env: &PeerEnv,
    seed: u64,
) -> Result<PanelRun, String> {
    let (fit, syn) = run_peer(env, peer, &t.name, train_csv, schema, train.n_rows(), seed)?;
    let (report, c2st_trees_test) = score(train, test, &syn, schema, seed)?;
    Ok(PanelRun {
        table: t.name.clone(),
        length: None,
        steps: 0,
        plan: None,
        stop_reason: peer.stop().into(),
        guard_share: None,
        c2st_trees_test,
        fit_s: fit.fit_s,
        fit_cpu_s: Some(fit.fit_cpu_s),
        sample_s: fit.sample_s,
        peak_mib: None,
        peer: Some(fit),
        report,
    })
}

/// Every metric of the protocol for `syn` against the training and test rows, and the
/// held-out boosted-tree C2ST.
fn score(
    train: &Table,
    test: &Table,
    syn: &Table,
    schema: &Schema,
    seed: u64,
) -> Result<(Report, Option<f64>), String> {
    let ec = protocol(schema, seed).map_err(|e| e.to_string())?;
    let report = evaluate(train, Some(test), syn, Some(test), &ec, &NoProgress)
        .map_err(|e| e.to_string())?;
    Ok((report, held_out_c2st(test, syn, &ec, seed)?))
}

/// The boosted-tree C2ST (the protocol's detector and folds) of `syn` against the test rows,
/// with a seeded subsample of as many synthetic rows as test rows.
fn held_out_c2st(
    test: &Table,
    syn: &Table,
    ec: &EvalConfig,
    seed: u64,
) -> Result<Option<f64>, String> {
    let n = test.n_rows().min(syn.n_rows());
    if n < 2 * ec.c2st_folds {
        return Ok(None);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7465_7374);
    let mut rows: Vec<usize> = (0..syn.n_rows()).collect();
    rows.shuffle(&mut rng);
    rows.truncate(n);
    let syn = syn.select_rows(&rows);
    // The synthetic table has the modelled columns only: compare those.
    let names: Vec<&str> = syn.columns.iter().map(|c| c.name.as_str()).collect();
    let test = Table {
        columns: test
            .columns
            .iter()
            .filter(|c| names.contains(&c.name.as_str()))
            .cloned()
            .collect(),
    };
    let detector = Detector::BoostedTrees {
        params: ec.c2st_trees_params.clone(),
    };
    let r = c2st(&test, &syn, ec.c2st_folds, &detector, seed, &NoProgress)
        .map_err(|e| e.to_string())?;
    Ok(Some(r.score))
}

const HEADERS: [&str; 16] = [
    "run",
    "steps",
    "stopped by",
    "Shape err",
    "Trend err",
    "Trend, real bins",
    "alpha",
    "beta",
    "C2ST (logistic)",
    "C2ST (trees)",
    "C2ST (trees) vs test",
    "MLE AUC",
    "DCR %",
    "guard %",
    "fit s (CPU s)",
    "sample s",
];

fn cells(run: &PanelRun) -> Vec<String> {
    let r = &run.report;
    let length = match (&run.peer, run.length) {
        (Some(p), _) => p.describe(),
        (None, Some(Length::Default)) => "default".to_string(),
        (None, Some(Length::Theory)) => "theory".to_string(),
        (None, Some(Length::Steps(n))) => n.to_string(),
        (None, None) => "-".to_string(),
    };
    let steps = if run.peer.is_some() {
        "-".to_string()
    } else {
        run.steps.to_string()
    };
    let cpu = run
        .fit_cpu_s
        .map_or(String::new(), |c| format!(" ({c:.0})"));
    vec![
        length,
        steps,
        run.stop_reason.clone(),
        fmt(r.shape.as_ref().map(|x| x.error)),
        fmt(r.trend.as_ref().map(|x| x.error)),
        fmt(r.trend.as_ref().map(|x| x.error_real_bins)),
        fmt(r.alpha_beta.as_ref().map(|x| x.alpha_precision)),
        fmt(r.alpha_beta.as_ref().map(|x| x.beta_recall)),
        fmt(r.c2st.as_ref().map(|x| x.score)),
        fmt(r.c2st_trees.as_ref().map(|x| x.score)),
        fmt(run.c2st_trees_test),
        fmt(r.mle.as_ref().map(|x| x.synthetic.test_auc)),
        fmt(r.dcr.as_ref().map(|x| x.share_closer_to_train)),
        fmt(run.guard_share),
        format!("{:.0}{cpu}", run.fit_s),
        format!("{:.0}", run.sample_s),
    ]
}

fn run_line(run: &PanelRun) -> String {
    let c = cells(run);
    let pairs: Vec<String> = HEADERS
        .iter()
        .zip(&c)
        .map(|(h, v)| format!("{h} {v}"))
        .collect();
    format!("{}: {}", run.table, pairs.join(", "))
}

fn markdown(
    tables: &[&PanelTable],
    runs: &[PanelRun],
    figures: &[(String, String)],
    args: &PanelArgs,
) -> String {
    let seed = args.seed;
    // What the runs change from the recipe, said after the protocol.
    let mut departures = args.batch.map_or(String::new(), |b| {
        format!(" Every scorediff fit here trains on {b} rows per step (`--batch {b}`), not the recipe's.")
    });
    if let Some(path) = &args.config_file {
        let _ = write!(
            departures,
            " Every scorediff fit here starts from the configuration of `{}` (`--config`), not the recipe's.",
            path.display()
        );
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# The panel: the default recipe on real tables beside Credit Default\n\n\
         `cargo xtask reproduce panel` (seed {seed}; tables written by \
         `xtask/scripts/panel_data.sh` from Debian's R data packages; 90/10 split, seed 1234). \
         Metrics of DESIGN.md §3 against each table's `train.csv` and `test.csv`, as many \
         synthetic rows as training rows; MLE only for a binary target. Fit seconds are wall \
         time, CPU seconds user + system of the fit.{departures}\n"
    );
    for t in tables {
        let _ = writeln!(
            s,
            "## {} ({}::{} {}): {} training rows, {} columns ({} categorical), {} missing cells, target `{}`\n\n{}.\n",
            t.name,
            t.package,
            t.data_set,
            t.version,
            t.train_rows,
            t.columns,
            t.categorical_columns,
            t.missing_cells,
            t.target,
            t.about
        );
        let mine: Vec<&PanelRun> = runs.iter().filter(|r| r.table == t.name).collect();
        if let Some(plan) = mine.iter().find_map(|r| r.plan.as_ref()) {
            let tau = plan.gd_time.map_or("none".into(), |x| format!("{x:.1}"));
            let _ = writeln!(
                s,
                "The length rule: tau* = {tau} (median of {} draws on {} of {} rows, sigma {:.3}): {} steps, {}.\n",
                plan.gd_times.len(),
                plan.records,
                plan.total_records,
                plan.sigma,
                plan.steps,
                plan.why
            );
        }
        if let Some(real) = mine
            .iter()
            .find_map(|r| r.report.mle.as_ref().and_then(|m| m.real.as_ref()))
        {
            let _ = writeln!(
                s,
                "MLE AUC of the real training rows: {:.3}.\n",
                real.test_auc
            );
        }
        let _ = writeln!(s, "| {} |", HEADERS.join(" | "));
        let _ = writeln!(s, "|{}", " --- |".repeat(HEADERS.len()));
        for r in mine {
            let _ = writeln!(s, "| {} |", cells(r).join(" | "));
        }
        let _ = writeln!(s);
        if let Some((_, file)) = figures.iter().find(|(n, _)| n == &t.name) {
            let _ = writeln!(
                s,
                "![{}: held-out C2ST against training steps]({file})\n",
                t.name
            );
        }
    }
    s
}

/// The sweep figure of `table`: written when the runs hold at least two sweep lengths with a
/// held-out C2ST; `Ok(false)` otherwise.
fn sweep_figure(path: &Path, runs: &[PanelRun], table: &str) -> Result<bool, String> {
    let mine: Vec<&PanelRun> = runs.iter().filter(|r| r.table == table).collect();
    let mut points = SweepPoints::default();
    for r in &mine {
        let steps = r.steps as f64;
        match (r.length, &r.peer) {
            (Some(Length::Steps(_)), _) => {
                if let Some(q) = r.c2st_trees_test {
                    points.sweep.push((steps, q));
                }
            }
            (Some(Length::Default), _) => points.default.push((steps, r.c2st_trees_test)),
            (Some(Length::Theory), _) => points.theory.push((steps, r.c2st_trees_test)),
            (None, Some(p)) => {
                if let Some(q) = r.c2st_trees_test {
                    points.peers.push((p.key, p.peer.clone(), q));
                }
            }
            (None, None) => {}
        }
    }
    let Some(figure) = points.figure(table) else {
        return Ok(false);
    };
    plot::write_svg(path, figure.to_svg())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_lengths_tables_and_refuses_nonsense() {
        let a = PanelArgs::parse(&s(&[
            "--steps",
            "default,theory,2000",
            "--only",
            "penguins,cells",
            "--seed",
            "3",
            "--batch",
            "256",
        ]))
        .unwrap();
        assert_eq!(a.batch, Some(256));
        assert_eq!(
            a.lengths,
            vec![Length::Default, Length::Theory, Length::Steps(2000)]
        );
        assert_eq!(a.only, s(&["penguins", "cells"]));
        assert_eq!(a.seed, 3);
        assert_eq!(
            PanelArgs::parse(&[]).unwrap().lengths,
            vec![Length::Default]
        );
        let peers = PanelArgs::parse(&s(&["--steps", "none", "--peers", "ctgan"])).unwrap();
        assert!(peers.lengths.is_empty());
        assert_eq!(peers.peers, vec![Peer::Ctgan]);
        assert!(PanelArgs::parse(&s(&["--steps", "none"])).is_err());
        for bad in [
            &["--steps", "0"][..],
            &["--steps", "ten"],
            &["--seed"],
            &["--fast"],
            &["--peers", "tvae"],
            &["--batch", "0"],
        ] {
            assert!(PanelArgs::parse(&s(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cpu_seconds_grow_with_work() {
        let Some(a) = cpu_seconds() else { return };
        // Busy work until the counter moves (ticks are 10 ms) or 20 s of wall time pass.
        let mut x = 0u64;
        let started = Instant::now();
        let mut b = a;
        while b - a < 0.05 && started.elapsed().as_secs_f64() < 20.0 {
            for _ in 0..1_000_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            b = cpu_seconds().expect("still Linux");
        }
        std::hint::black_box(x);
        assert!(b - a >= 0.05, "{a} -> {b}");
    }

    fn run_of(length: Option<Length>, steps: u64, held_out: Option<f64>) -> PanelRun {
        PanelRun {
            table: "t".into(),
            length,
            peer: None,
            steps,
            plan: None,
            stop_reason: "MaxSteps".into(),
            guard_share: None,
            c2st_trees_test: held_out,
            fit_s: 1.0,
            fit_cpu_s: None,
            sample_s: 0.0,
            peak_mib: None,
            report: Report {
                config: EvalConfig::new("target"),
                n_real: 10,
                n_synthetic: 10,
                n_test: None,
                n_holdout: None,
                capped_rows: None,
                shape: None,
                trend: None,
                alpha_beta: None,
                c2st: None,
                c2st_trees: None,
                diagnostics: None,
                mle: None,
                dcr: None,
                reference: None,
                timings: Vec::new(),
            },
        }
    }

    #[test]
    fn a_config_file_is_the_base_of_every_fit_and_a_bad_one_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("scorediff-panel-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut wanted = FitConfig::default();
        wanted.encoder.whiten = true;
        let good = dir.join("whiten.json");
        std::fs::write(&good, serde_json::to_string(&wanted).unwrap()).unwrap();
        let args = PanelArgs::parse(&s(&["--config", good.to_str().unwrap()])).unwrap();
        assert_eq!(
            (args.config_file, &args.base),
            (Some(good.clone()), &wanted)
        );
        let run = run_config(&args.base, Length::Steps(500), None, 4);
        assert!(run.encoder.whiten);
        assert_eq!((run.train.max_steps, run.train.seed), (500, 4));
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "{\"encoder\": 3}").unwrap();
        let err = PanelArgs::parse(&s(&["--config", bad.to_str().unwrap()])).unwrap_err();
        assert!(err.contains("bad.json"), "{err}");
        let missing = PanelArgs::parse(&s(&["--config", "/no/such/fit.json"])).unwrap_err();
        assert!(missing.contains("/no/such/fit.json"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_sweep_point_trains_its_full_length_and_the_default_keeps_the_recipe() {
        let recipe = FitConfig::default();
        let point = run_config(&recipe, Length::Steps(9000), None, 0);
        assert_eq!(point.train.max_steps, 9000);
        assert_eq!(point.stop, EarlyStop::None);
        assert_eq!(point.guard.action, GuardAction::Warn);
        let default = run_config(&recipe, Length::Default, Some(256), 3);
        let recipe = FitConfig::default().with_seed(3);
        assert_eq!(default.stop, recipe.stop);
        assert_eq!(default.guard.action, recipe.guard.action);
        assert_eq!(default.train.batch_size, Some(256));
    }

    #[test]
    fn a_sweep_figure_needs_two_sweep_points() {
        let dir = std::env::temp_dir().join(format!("scorediff-sweep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sweep-t.svg");
        let one = vec![
            run_of(Some(Length::Steps(500)), 500, Some(0.4)),
            run_of(Some(Length::Default), 18_000, Some(0.9)),
            run_of(Some(Length::Steps(1000)), 1000, None),
        ];
        assert!(!sweep_figure(&path, &one, "t").unwrap());
        assert!(!path.exists());
        let mut two = one;
        two.push(run_of(Some(Length::Steps(2000)), 2000, Some(0.7)));
        assert!(sweep_figure(&path, &two, "t").unwrap());
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("fixed-length sweep"));
        assert!(!sweep_figure(&path, &two, "other table").unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_manifest_says_how_to_make_it() {
        let dir = std::env::temp_dir().join("scorediff-no-panel-here");
        let e = read_manifest(&dir).unwrap_err();
        assert!(e.contains("panel_data.sh"), "{e}");
    }
}
