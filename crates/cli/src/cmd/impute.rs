//! `scorediff impute`: a table's missing cells filled from a model directory.

use super::{check_not_input, dispatch, read_options, report_written};
use crate::args::ImputeArgs;
use crate::progress::Bar;
use scorediff_synth::backend::Backend;
use scorediff_synth::device::OnBackend;
use scorediff_synth::impute::{DEFAULT_DRAWS, ImputeSummary, impute};
use scorediff_synth::pipeline::{Model, SamplerChoice};
use scorediff_synth::tabular::write::{CsvWriter, number_text};
use scorediff_synth::tabular::{Column, ColumnData, RawTable, ReadOptions, Table, read_path};
use scorediff_synth::{Error, Result};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

pub fn run(a: ImputeArgs) -> Result<()> {
    let to_stdout = a.out.as_os_str() == "-"
        || std::fs::metadata(&a.out).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if to_stdout && a.common.json {
        return Err(Error::Usage(format!(
            "--json prints its summary on stdout, and --out {} is a stream: give --out a file",
            a.out.display()
        )));
    }
    check_not_input(&a.out, &[&a.table], "--out")?;
    let job = ImputeJob {
        model: a.model,
        table: a.table,
        read: read_options(&a.file)?,
        out: a.out,
        draws: a.draws.map_or(DEFAULT_DRAWS, |d| d as usize),
        steps: a.steps.map(|s| s as usize),
        sampler: a.sampler.map(Into::into),
        seed: a.common.seed,
        bars: !a.common.quiet,
    };
    let summary = dispatch(a.common.backend, job)?;
    let line = format!(
        "filled {} cells in {} of {} rows ({} draw{} per cell) to {} in {:.1} s on {}",
        summary.imputed.cells_filled,
        summary.imputed.rows_imputed,
        summary.imputed.rows,
        summary.imputed.draws,
        if summary.imputed.draws == 1 { "" } else { "s" },
        if to_stdout {
            "stdout".into()
        } else {
            summary.out.display().to_string()
        },
        summary.seconds,
        summary.backend
    );
    report_written(&a.common, to_stdout, &summary, &line)
}

/// What `impute --json` prints.
#[derive(Debug, Serialize)]
pub struct ImputeOutput {
    pub out: PathBuf,
    #[serde(flatten)]
    pub imputed: ImputeSummary,
    pub backend: String,
    pub seconds: f64,
}

/// Loads a model and a table, imputes, writes the CSV.
pub struct ImputeJob {
    pub model: PathBuf,
    pub table: PathBuf,
    pub read: ReadOptions,
    pub out: PathBuf,
    pub draws: usize,
    pub steps: Option<usize>,
    pub sampler: Option<scorediff_synth::process::SamplerKind>,
    pub seed: Option<u64>,
    pub bars: bool,
}

impl OnBackend for ImputeJob {
    type Output = ImputeOutput;

    fn run<B: Backend>(self, be: B) -> Result<ImputeOutput> {
        let model = Model::load(&be, &self.model)?;
        let raw = read_path(&self.table, &self.read)?;
        let typed = model.schema.apply(&raw)?;
        let choice = SamplerChoice {
            kind: self.sampler,
            steps: self.steps,
            grid: None,
            seed: self.seed,
        };
        let sampler = choice.apply(&model.config.sampler, true);
        let started = Instant::now();
        let bar = Bar::new(self.bars, "imputing", 0);
        let mut progress =
            |done: usize, total: usize| bar.update(done as u64, total as u64, "row draws");
        let (filled, imputed) = impute(&be, &model, &typed, &sampler, self.draws, &mut progress)
            .map_err(|e| in_file(e, &raw))?;
        bar.finish();
        let table = with_raw_cells(&raw, &filled, &model.schema);
        let mut out = CsvWriter::create(&self.out, Some(&model.schema))?;
        out.write(&table)?;
        out.finish()?;
        Ok(ImputeOutput {
            out: self.out,
            imputed,
            backend: be.name(),
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// The file's name on an error about one of its rows (the library numbers data rows from 1;
/// the file's own row numbers are in the raw table).
fn in_file(e: Error, raw: &RawTable) -> Error {
    match e {
        Error::Tabular(scorediff_synth::tabular::TabularError::UnknownCategory {
            row,
            column,
            value,
        }) => Error::Usage(format!(
            "{}: row {}, column `{column}`: category `{value}` was not seen when the model was fitted; the model can only hold categories of its training table",
            raw.source,
            raw.rows.get(row - 1).copied().unwrap_or(row as u64)
        )),
        other => other,
    }
}

/// The table to write: every column of the file in its order, each cell as read, except the
/// missing cells of the model's columns, which take their value from `filled` written in
/// the column's format.
fn with_raw_cells(
    raw: &RawTable,
    filled: &Table,
    schema: &scorediff_synth::tabular::Schema,
) -> Table {
    let columns = raw
        .header
        .iter()
        .zip(&raw.columns)
        .map(|(name, cells)| {
            let typed = filled.column(name);
            let texts = cells
                .iter()
                .enumerate()
                .map(|(i, cell)| match (cell, typed.map(|c| &c.data)) {
                    (Some(text), _) => Some(text.to_string()),
                    (None, Some(ColumnData::Numerical(v))) => {
                        v[i].map(|x| number_text(x, schema.column(name)))
                    }
                    (None, Some(ColumnData::Categorical(v))) => v.get(i).map(str::to_string),
                    (None, None) => None,
                })
                .collect();
            Column::categorical_cells(name.clone(), texts)
        })
        .collect();
    Table { columns }
}
