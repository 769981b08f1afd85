//! `scorediff sample`: synthetic rows from a model directory.

use super::backend::{OnBackend, dispatch};
use super::print_json;
use crate::args::SampleArgs;
use crate::progress::Bar;
use scorediff::backend::Backend;
use scorediff::pipeline::{Model, sample};
use scorediff::tabular::write_csv;
use scorediff::{Error, Result};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

pub fn run(a: SampleArgs) -> Result<()> {
    let job = SampleJob {
        model: a.model,
        rows: a.rows,
        out: a.out,
        steps: a.steps,
        seed: a.common.seed,
        bars: !(a.common.quiet || a.common.json),
    };
    let summary = dispatch(a.common.backend, job)?;
    if a.common.json {
        print_json(&summary)
    } else {
        println!(
            "wrote {} rows to {} in {:.1} s on {}",
            summary.rows,
            summary.out.display(),
            summary.seconds,
            summary.backend
        );
        Ok(())
    }
}

/// What `sample --json` prints.
#[derive(Debug, Serialize)]
pub struct SampleSummary {
    pub out: PathBuf,
    pub rows: usize,
    pub backend: String,
    pub seconds: f64,
}

/// Loads a model, samples and writes the CSV.
pub struct SampleJob {
    pub model: PathBuf,
    pub rows: Option<usize>,
    pub out: PathBuf,
    pub steps: Option<usize>,
    pub seed: u64,
    pub bars: bool,
}

impl OnBackend for SampleJob {
    type Output = SampleSummary;

    fn run<B: Backend>(self, be: B) -> Result<SampleSummary> {
        let model = Model::load(&be, &self.model)?;
        let rows = self.rows.unwrap_or(model.n_train_rows);
        if rows == 0 {
            return Err(Error::Usage("--rows must be at least 1".into()));
        }
        let mut sampler = model.config.sampler;
        if let Some(steps) = self.steps {
            sampler.steps = steps;
        }
        let started = Instant::now();
        let bar = Bar::new(self.bars, "sampling", 1);
        let mut progress = |done: usize, total: usize| bar.update(done as u64, total as u64, "");
        let table = sample(&be, &model, rows, &sampler, self.seed, &mut progress)?;
        bar.finish();
        write_csv(&self.out, &table, Some(&model.schema))?;
        Ok(SampleSummary {
            out: self.out,
            rows,
            backend: be.name(),
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}
