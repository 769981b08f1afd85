//! `scorediff sample`: synthetic rows from a model directory.

use super::{dispatch, report_written};
use crate::args::SampleArgs;
use crate::progress::Bar;
use scorediff_synth::backend::Backend;
use scorediff_synth::condition::{parse_where, resolve, warnings};
use scorediff_synth::device::OnBackend;
use scorediff_synth::pipeline::{Model, SamplerChoice, sample_to_csv};
use scorediff_synth::{Error, Result};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

pub fn run(a: SampleArgs) -> Result<()> {
    // `-`, or a pipe, terminal or device such as /dev/stdout: the summary must not go
    // into the table's stream.
    let to_stdout = a.out.as_os_str() == "-"
        || std::fs::metadata(&a.out).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if to_stdout && a.common.json {
        return Err(Error::Usage(format!(
            "--json prints its summary on stdout, and --out {} is a stream: give --out a file",
            a.out.display()
        )));
    }
    let job = SampleJob {
        model: a.model,
        rows: a.rows.map(|r| r as usize),
        out: a.out,
        steps: a.steps.map(|s| s as usize),
        sampler: a.sampler.map(Into::into),
        grid: a.grid.map(Into::into),
        seed: a.common.seed,
        conditions: a.conditions,
        bars: !a.common.quiet,
    };
    let summary = dispatch(a.common.backend, job)?;
    let line = format!(
        "wrote {} rows to {} in {:.1} s on {}",
        summary.rows,
        if summary.out.as_os_str() == "-" {
            "stdout".into()
        } else {
            summary.out.display().to_string()
        },
        summary.seconds,
        summary.backend
    );
    report_written(&a.common, to_stdout, &summary, &line)
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
    /// The sampler asked for; `None`: the model's.
    pub sampler: Option<scorediff_synth::process::SamplerKind>,
    /// The time grid asked for; `None`: the model's.
    pub grid: Option<scorediff_synth::process::TimeGrid>,
    /// The seed asked for; `None`: the model's sampler seed (the fit's seed).
    pub seed: Option<u64>,
    /// `--where` conditions, as typed.
    pub conditions: Vec<String>,
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
        let conditions = self
            .conditions
            .iter()
            .map(|c| parse_where(c, &model.schema))
            .collect::<Result<Vec<_>>>()?;
        let conditions = resolve(&conditions, &model.schema, &model.encoder)?;
        for w in warnings(&conditions, model.n_train_rows) {
            eprintln!("scorediff: warning: {w}");
        }
        // Conditioned draws cost two passes per step: their own default sampler, unless the
        // user names one.
        let choice = SamplerChoice {
            kind: self.sampler,
            steps: self.steps,
            grid: self.grid,
            seed: self.seed,
        };
        let sampler = choice.apply(&model.config.sampler, !conditions.is_empty());
        let started = Instant::now();
        let bar = Bar::new(self.bars, "sampling", rows as u64);
        let mut progress =
            |done: usize, total: usize| bar.update(done as u64, total as u64, "rows");
        sample_to_csv(
            &be,
            &model,
            rows,
            &conditions,
            &sampler,
            &self.out,
            &mut progress,
            &mut |_| {},
        )?;
        bar.finish();
        Ok(SampleSummary {
            out: self.out,
            rows,
            backend: be.name(),
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}
