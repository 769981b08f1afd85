//! `scorediff fit`: train a model on a table and write its directory.

use super::dispatch;
use super::{infer_options, print_json, read_options, user_schema};
use crate::args::{FitArgs, GuardChoice, LengthChoice};
use crate::progress::Bar;
use scorediff_synth::backend::Backend;
use scorediff_synth::config_file::read_fit_config;
use scorediff_synth::device::OnBackend;
use scorediff_synth::guard::{GuardAction, GuardConfig, GuardReport};
use scorediff_synth::length::RECIPE_MAX_STEPS;
use scorediff_synth::model::check_destination;
use scorediff_synth::pipeline::{FitConfig, LengthPlan, Model, TrainingLength, fit};
use scorediff_synth::tabular::{Schema, Table, load_table};
use scorediff_synth::{Result, net::ScoreNet};
use serde::Serialize;
use std::ops::ControlFlow;
use std::path::PathBuf;

pub fn run(a: FitArgs) -> Result<()> {
    let base = match &a.config {
        Some(path) => read_fit_config(path)?,
        None => FitConfig::for_net(a.net),
    };
    let mut cfg = base.with_seed(a.common.seed());
    match a.length {
        Some(LengthChoice::Theory) => {
            if !matches!(cfg.length, TrainingLength::Theory(_)) {
                cfg.length = TrainingLength::theory();
            }
            cfg.train.max_steps = RECIPE_MAX_STEPS;
        }
        Some(LengthChoice::Fixed) => cfg.length = TrainingLength::Fixed,
        None => {}
    }
    if let Some(steps) = a.max_steps {
        cfg.train.max_steps = steps;
    }
    if let Some(steps) = a.steps {
        cfg.train.max_steps = steps;
        cfg.length = TrainingLength::Fixed;
    }
    if a.max_seconds.is_some() {
        cfg.max_seconds = a.max_seconds;
    }
    if let Some(rows) = a.batch {
        cfg.train.batch_size = Some(rows as usize);
    }
    match a.guard {
        Some(choice @ (GuardChoice::Stop | GuardChoice::Warn)) => {
            if !cfg.guard.is_on() {
                cfg.guard.every = GuardConfig::default().every;
            }
            cfg.guard.action = match choice {
                GuardChoice::Warn => GuardAction::Warn,
                _ => GuardAction::Stop,
            };
        }
        Some(GuardChoice::Off) => cfg.guard = GuardConfig::off(),
        None => {}
    }
    cfg.validate()?;
    if a.print_config {
        return print_json(&cfg);
    }
    // Refuse a destination that is not ours before any work, not after the training.
    check_destination(&a.model)?;
    let read = read_options(&a.read.file)?;
    let user = user_schema(&a.read)?;
    let (table, schema) = load_table(&a.table, &read, user.as_ref(), &infer_options(&a.read))?;
    let talk = !(a.common.quiet || a.common.json);
    if talk {
        eprintln!("columns of {}:", a.table.display());
        for line in schema.describe() {
            eprintln!("  {line}");
        }
    }
    if !a.common.json {
        for w in schema.warnings() {
            eprintln!("scorediff: warning: {w}");
        }
    }
    let job = FitJob {
        table,
        schema,
        cfg,
        dir: a.model,
        bars: !a.common.quiet,
    };
    let summary = dispatch(a.common.backend, job)?;
    if a.common.json {
        print_json(&summary)
    } else {
        if !summary.relations.is_empty() {
            println!("exact relations carried: {}", summary.relations.join(", "));
        }
        if !summary.bit_coded.is_empty() {
            println!(
                "categorical columns coded in bits (more than {} categories): {}",
                summary.max_one_hot,
                summary.bit_coded.join(", ")
            );
        }
        if !summary.discrete.is_empty() {
            println!(
                "discrete columns (decoded to their values held by 10 rows or more): {}",
                summary.discrete.join(", ")
            );
        }
        if let Some(plan) = &summary.length {
            println!("{}", plan.describe());
        }
        if let Some(guard) = &summary.guard {
            println!("{}", guard.describe());
        }
        println!(
            "fitted {} rows x {} columns ({} encoded) with {} ({} parameters) on {}: {} steps in {:.1} s, stopped by {}; model in {}",
            summary.rows,
            summary.columns,
            summary.encoded_width,
            summary.net,
            summary.parameters,
            summary.backend,
            summary.steps,
            summary.seconds,
            summary.stop_reason,
            summary.model.display()
        );
        Ok(())
    }
}

/// What `fit --json` prints.
#[derive(Debug, Serialize)]
pub struct FitSummary {
    pub model: PathBuf,
    pub backend: String,
    pub rows: usize,
    pub columns: usize,
    pub encoded_width: usize,
    pub net: String,
    pub parameters: usize,
    pub steps: u64,
    pub stop_reason: String,
    pub best_validation_loss: Option<f64>,
    pub seconds: f64,
    /// One line per column: name, inferred kind and details.
    pub column_kinds: Vec<String>,
    /// What inference warns about (rare-value protection).
    pub warnings: Vec<String>,
    /// The exact relations the encoder carries, with the share of training rows that hold
    /// each (empty unless the configuration's `encoder.relations` is on).
    pub relations: Vec<String>,
    /// The discrete numerical columns, with the size of their support (empty unless the
    /// configuration's `encoder.snap_discrete` is on).
    pub discrete: Vec<String>,
    /// The categorical columns coded in bits, with their categories and bits.
    pub bit_coded: Vec<String>,
    /// The most categories a column is one-hot coded with (`encoder.max_one_hot`).
    pub max_one_hot: usize,
    /// The memorisation guard's checks (`null` when it was off).
    pub guard: Option<GuardReport>,
    /// What the length rule decided (`null` for a fixed length).
    pub length: Option<LengthPlan>,
}

/// Fits on a backend and saves the model.
pub struct FitJob {
    pub table: Table,
    pub schema: Schema,
    pub cfg: FitConfig,
    pub dir: PathBuf,
    pub bars: bool,
}

impl OnBackend for FitJob {
    type Output = FitSummary;

    fn run<B: Backend>(self, be: B) -> Result<FitSummary> {
        let bar = Bar::new(self.bars, "training", self.cfg.train.max_steps);
        let columns = self.schema.describe();
        let warnings = self.schema.warnings();
        let mut progress = |p: &scorediff_synth::train::Progress| {
            let msg = format!("loss {:.4} {:.0} rows/s", p.loss, p.rows_per_sec);
            bar.update(p.step, p.max_steps, msg);
            ControlFlow::Continue(())
        };
        let model: Model<B> = fit(&be, &self.table, &self.schema, &self.cfg, &mut progress)?;
        bar.finish();
        model.save(&be, &self.dir)?;
        Ok(FitSummary {
            model: self.dir,
            backend: be.name(),
            rows: self.table.n_rows(),
            columns: self.table.n_cols(),
            encoded_width: model.encoder.width(),
            net: self.cfg.net.kind().name().to_string(),
            parameters: model.net.n_trainable(),
            steps: model.report.steps,
            stop_reason: stop_reason(model.report.stop_reason).to_string(),
            best_validation_loss: model.report.best_val.map(|(v, _)| v),
            seconds: model.report.elapsed_s,
            column_kinds: columns,
            warnings,
            relations: model
                .encoder
                .relations
                .iter()
                .map(|r| format!("{} ({:.1}% of rows)", r.describe(), 100.0 * r.real_rate))
                .collect(),
            discrete: discrete_columns(&model.encoder),
            bit_coded: bit_coded_columns(&model.encoder),
            max_one_hot: model.encoder.options.max_one_hot,
            guard: model.guard.clone(),
            length: model.length.clone(),
        })
    }
}

/// `name (k categories in b bits)` for each categorical column of `encoder` coded in bits.
fn bit_coded_columns(encoder: &scorediff_synth::tabular::Encoder) -> Vec<String> {
    use scorediff_synth::tabular::ColumnCodec;
    encoder
        .columns
        .iter()
        .filter_map(|c| match &c.codec {
            ColumnCodec::Categorical(e) if !e.is_one_hot() => Some(format!(
                "{} ({} categories in {} bits)",
                c.name,
                e.n_values(),
                e.width()
            )),
            _ => None,
        })
        .collect()
}

/// `name (k values)` for each discrete numerical column of `encoder`.
fn discrete_columns(encoder: &scorediff_synth::tabular::Encoder) -> Vec<String> {
    use scorediff_synth::tabular::ColumnCodec;
    encoder
        .columns
        .iter()
        .filter_map(|c| match &c.codec {
            ColumnCodec::Numerical(e) if !e.support.is_empty() => {
                Some(format!("{} ({} values)", c.name, e.support.len()))
            }
            _ => None,
        })
        .collect()
}

pub(super) fn stop_reason(r: scorediff_synth::train::StopReason) -> &'static str {
    use scorediff_synth::train::StopReason;
    match r {
        StopReason::MaxSteps => "the step limit",
        StopReason::ValidationPlateau => "the validation loss (best weights kept)",
        StopReason::ValidationRise => "the held-out loss rising above its best (best weights kept)",
        StopReason::Theory => "the theory's stopping rule",
        StopReason::Callback => "the time budget",
        StopReason::MemorisationGuard => "the memorisation guard",
    }
}
