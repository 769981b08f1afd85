//! The main job (`scorediff quickstart`): fit a recipe on a table, then write the model
//! directory, a synthetic copy and its evaluation report.
//!
//! In memory from the first read to the report: the training table is read and typed once,
//! the fitted model samples directly (the directory is written for the user, not read back),
//! and the synthetic rows are evaluated as they were written to the CSV (decoding rounds
//! every value to its column's text resolution, so the table in memory is the one the file
//! holds).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use scorediff_backend::Backend;
use scorediff_eval::{NoProgress, Progress as EvalProgress, Report};
use scorediff_net::ScoreNet;
use scorediff_tabular::{
    InferOptions, ReadOptions, Schema, Table, load_table, load_typed, split_table, write_csv,
};
use scorediff_train::{Progress, StopReason};

use crate::data::{credit_default_dir, wine_quality};
use crate::evaluate::{evaluate_synthetic, write_evaluation};
use crate::guard::GuardReport;
use crate::model::check_destination;
use crate::pipeline::{FitConfig, Model, concat_tables, fit, sample_to_csv};
use crate::{Error, Result};

/// Which table the main job uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MainData {
    /// Credit Default when its benchmark split can be found ([`credit_default_dir`]), else
    /// the wine quality table.
    #[default]
    Auto,
    /// The Credit Default benchmark split; an error when it cannot be found.
    CreditDefault,
    /// The red wine quality table of `linfa-datasets`, split 90/10 (seeded).
    WineQuality,
}

/// The training and test CSVs of the main job, and a note when `Auto` fell back to the
/// wine table. The wine split is written to `out/data/`.
pub fn main_job_tables(
    which: MainData,
    out: &Path,
    seed: u64,
) -> Result<(PathBuf, PathBuf, Option<String>)> {
    let mut note = None;
    match (which, credit_default_dir()) {
        (MainData::Auto | MainData::CreditDefault, Some(dir)) => {
            return Ok((dir.join("train.csv"), dir.join("test.csv"), None));
        }
        (MainData::CreditDefault, None) => {
            return Err(Error::Usage(
                "Credit Default not found: put train.csv and test.csv in ../shared/data/credit-default or $SCOREDIFF_DATA/credit-default".into(),
            ));
        }
        (MainData::Auto, None) => {
            note = Some(
                "../shared/data/credit-default not found: using the red wine quality table of linfa-datasets"
                    .to_string(),
            );
        }
        (MainData::WineQuality, _) => {}
    }
    let data = out.join("data");
    std::fs::create_dir_all(&data).map_err(|e| Error::io(&data, e))?;
    let (train, test) = split_table(&wine_quality()?, 0.1, seed)?;
    let (train_path, test_path) = (data.join("train.csv"), data.join("test.csv"));
    write_csv(&train_path, &train, None)?;
    write_csv(&test_path, &test, None)?;
    Ok((train_path, test_path, note))
}

/// What the main job does.
#[derive(Debug, Clone)]
pub struct MainJob {
    /// The real training table (CSV or spreadsheet).
    pub train: PathBuf,
    /// The real test table, typed by the training table's schema.
    pub test: PathBuf,
    /// The output directory: `model/`, `synthetic.csv`, `report/`.
    pub out: PathBuf,
    /// The fit configuration (its sampler and seed sample too).
    pub config: FitConfig,
    /// Draw the report's figures.
    pub plots: bool,
}

/// What the main job reports as it goes; every method has a silent default.
pub trait MainJobProgress {
    /// The training table was read and typed.
    fn loaded(&mut self, _table: &Table, _schema: &Schema) {}
    /// After every training step; `Break` stops the training early.
    fn step(&mut self, _p: &Progress) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
    /// The model was fitted and saved.
    fn fitted(&mut self, _fit: &FitOutcome) {}
    /// `done` of `total` synthetic rows were generated.
    fn sampled(&mut self, _done: usize, _total: usize) {}
    /// The hook for the evaluation's slow steps.
    fn evaluation(&self) -> &dyn EvalProgress {
        &NoProgress
    }
}

/// A fit's outcome, for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOutcome {
    /// The network's kind (`mlp`, `two-layer`).
    pub net: String,
    /// Trainable parameters.
    pub parameters: usize,
    /// Steps trained.
    pub steps: u64,
    /// Seconds of training.
    pub seconds: f64,
    /// Why training ended.
    pub stop_reason: StopReason,
    /// What the memorisation guard measured (`None`: off).
    pub guard: Option<GuardReport>,
    /// What the length rule decided (`None`: a fixed length).
    pub length: Option<crate::length::LengthPlan>,
}

/// What the main job wrote.
#[derive(Debug)]
pub struct MainJobOutput {
    /// The model directory.
    pub model: PathBuf,
    /// The synthetic CSV.
    pub synthetic: PathBuf,
    /// The report directory (`report.json`, `report.html`).
    pub report_dir: PathBuf,
    /// The fit.
    pub fit: FitOutcome,
    /// Synthetic rows (as many as the training table has).
    pub rows: usize,
    /// Seconds of sampling (CSV writing included).
    pub sample_seconds: f64,
    /// The evaluation.
    pub report: Report,
}

/// Runs the main job on `be` (see the module documentation).
pub fn run_main_job<B: Backend>(
    be: &B,
    job: &MainJob,
    progress: &mut dyn MainJobProgress,
) -> Result<MainJobOutput> {
    let model_dir = job.out.join("model");
    // Refuse a destination that is not ours before any work.
    check_destination(&model_dir)?;
    let read = ReadOptions::default();
    let (table, schema) = load_table(&job.train, &read, None, &InferOptions::default())?;
    progress.loaded(&table, &schema);
    let test = load_typed(&job.test, &read, &schema)?;
    let model: Model<B> = fit(be, &table, &schema, &job.config, &mut |p| progress.step(p))?;
    model.save(be, &model_dir)?;
    let outcome = FitOutcome {
        net: job.config.net.kind().name().to_string(),
        parameters: model.net.n_trainable(),
        steps: model.report.steps,
        seconds: model.report.elapsed_s,
        stop_reason: model.report.stop_reason,
        guard: model.guard.clone(),
        length: model.length.clone(),
    };
    progress.fitted(&outcome);
    let started = Instant::now();
    let synthetic_path = job.out.join("synthetic.csv");
    let synthetic = sample_to_file(be, &model, &synthetic_path, progress)?;
    let sample_seconds = started.elapsed().as_secs_f64();
    let report = evaluate_synthetic(
        &schema,
        &table,
        Some(&test),
        &synthetic,
        None,
        job.config.train.seed,
        progress.evaluation(),
    )?;
    let report_dir = job.out.join("report");
    write_evaluation(&report_dir, &table, &synthetic, &report, job.plots)?;
    Ok(MainJobOutput {
        model: model_dir,
        synthetic: synthetic_path,
        report_dir,
        fit: outcome,
        rows: synthetic.n_rows(),
        sample_seconds,
        report,
    })
}

/// As many rows as the training table had, with fresh ids, written to `path` and returned.
fn sample_to_file<B: Backend>(
    be: &B,
    model: &Model<B>,
    path: &Path,
    progress: &mut dyn MainJobProgress,
) -> Result<Table> {
    let mut parts = Vec::new();
    sample_to_csv(
        be,
        model,
        model.n_train_rows,
        &[],
        &model.config.sampler,
        path,
        &mut |d, t| progress.sampled(d, t),
        &mut |chunk| parts.push(chunk),
    )?;
    Ok(concat_tables(parts))
}
