//! `scorediff quickstart`: the README's main job. Fits the default table, writes a synthetic
//! copy and evaluates it.

use super::dispatch;
use super::fit::FitJob;
use super::sample::SampleJob;
use crate::args::{BackendChoice, Common, Dataset, EvalArgs, QuickstartArgs, ReadArgs};
use scorediff_synth::data::{credit_default_dir, wine_quality};
use scorediff_synth::pipeline::FitConfig;
use scorediff_synth::tabular::{InferOptions, ReadOptions, load_table, split_table, write_csv};
use scorediff_synth::{Error, Result};
use std::path::{Path, PathBuf};

pub fn run(a: QuickstartArgs) -> Result<()> {
    std::fs::create_dir_all(&a.out).map_err(|e| Error::io(&a.out, e))?;
    let (train, test) = default_data(a.dataset, &a.out, a.common.seed())?;
    let say = |msg: String| {
        if !a.common.quiet {
            eprintln!("{msg}");
        }
    };
    say(format!("training table: {}", train.display()));
    let (table, schema) = load_table(
        &train,
        &ReadOptions::default(),
        None,
        &InferOptions::default(),
    )?;
    for line in schema.describe() {
        say(format!("  {line}"));
    }
    let mut cfg = FitConfig::for_net(a.net).with_seed(a.common.seed());
    cfg.max_seconds = a.max_seconds;
    let model_dir = a.out.join("model");
    scorediff_synth::model::check_destination(&model_dir)?;
    let bars = !a.common.quiet;
    let fit = FitJob {
        table,
        schema,
        cfg,
        dir: model_dir.clone(),
        bars,
    };
    let fitted = dispatch(a.common.backend, fit)?;
    say(format!(
        "fitted {} ({} parameters) in {:.1} s, {} steps, stopped by {}",
        fitted.net, fitted.parameters, fitted.seconds, fitted.steps, fitted.stop_reason
    ));
    let syn = a.out.join("synthetic.csv");
    let sample = SampleJob {
        model: model_dir,
        rows: None,
        out: syn.clone(),
        steps: None,
        seed: Some(a.common.seed()),
        bars,
    };
    let sampled = dispatch(a.common.backend, sample)?;
    say(format!(
        "sampled {} rows in {:.1} s: {}",
        sampled.rows,
        sampled.seconds,
        syn.display()
    ));
    let eval = EvalArgs {
        real: train,
        test: Some(test),
        syn,
        holdout: None,
        out: Some(a.out.join("report")),
        no_plots: false,
        read: ReadArgs {
            delimiter: None,
            sheet: None,
            header_row: None,
            schema: None,
            target: None,
            missing: Vec::new(),
            encoding: None,
        },
        common: Common {
            backend: BackendChoice::Cpu,
            ..a.common
        },
    };
    super::eval::run(eval)
}

/// The training and test CSVs of the main job: the Credit Default benchmark split when
/// present, else the red wine quality table split 90/10 (seeded) into `out/data/`.
fn default_data(which: Dataset, out: &Path, seed: u64) -> Result<(PathBuf, PathBuf)> {
    match (which, credit_default_dir()) {
        (Dataset::Auto | Dataset::CreditDefault, Some(dir)) => {
            return Ok((dir.join("train.csv"), dir.join("test.csv")));
        }
        (Dataset::CreditDefault, None) => {
            return Err(Error::Usage(
                "Credit Default not found: put train.csv and test.csv in ../shared/data/credit-default or $SCOREDIFF_DATA/credit-default".into(),
            ));
        }
        (Dataset::Auto, None) => eprintln!(
            "../shared/data/credit-default not found: using the red wine quality table of linfa-datasets"
        ),
        (Dataset::WineQuality, _) => {}
    }
    let data = out.join("data");
    std::fs::create_dir_all(&data).map_err(|e| Error::io(&data, e))?;
    let (train, test) = split_table(&wine_quality()?, 0.1, seed)?;
    let (train_path, test_path) = (data.join("train.csv"), data.join("test.csv"));
    write_csv(&train_path, &train, None)?;
    write_csv(&test_path, &test, None)?;
    Ok((train_path, test_path))
}
