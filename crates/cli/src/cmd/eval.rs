//! `scorediff eval`: fidelity, utility and privacy metrics of a synthetic table.

use super::{infer_options, print_json, read_options, user_schema};
use crate::args::EvalArgs;
use crate::progress::EvalBars;
use scorediff_synth::condition::{matching_rows, parse_where};
use scorediff_synth::evaluate::{evaluate_synthetic, write_evaluation};
use scorediff_synth::tabular::{Schema, Table, read_path};
use scorediff_synth::{Error, Result};
use std::path::Path;

pub fn run(a: EvalArgs) -> Result<()> {
    let read = read_options(&a.read.file)?;
    let raw = read_path(&a.real, &read)?;
    let schema = Schema::infer_with(
        &raw,
        &infer_options(&a.read),
        user_schema(&a.read)?.as_ref(),
    )?;
    let conditions = a
        .conditions
        .iter()
        .map(|c| parse_where(c, &schema))
        .collect::<Result<Vec<_>>>()?;
    // Only the rows meeting the conditions, in every table (a conditioned sample against
    // the real rows of its condition).
    let subset = |t: Table| -> Result<Table> {
        if conditions.is_empty() {
            return Ok(t);
        }
        Ok(t.select_rows(&matching_rows(&conditions, &schema, &t)?))
    };
    let real = subset(schema.apply(&raw)?)?;
    if real.n_rows() == 0 {
        return Err(Error::Usage(format!(
            "no row of {} meets the --where conditions",
            a.real.display()
        )));
    }
    // Every other table is typed by the real table's schema, so categories line up.
    let load = |p: &Path| -> Result<Table> { subset(schema.apply(&read_path(p, &read)?)?) };
    let syn = load(&a.syn)?;
    let test = a.test.as_deref().map(load).transpose()?;
    let holdout = a.holdout.as_deref().map(load).transpose()?;
    let bars = EvalBars::new(!a.common.quiet);
    let report = evaluate_synthetic(
        &schema,
        &real,
        test.as_ref(),
        &syn,
        holdout.as_ref(),
        a.common.seed(),
        &bars,
    )?;
    bars.finish();
    if let Some(dir) = &a.out {
        write_evaluation(dir, &real, &syn, &report, !a.no_plots)?;
        if !a.common.json && !a.common.quiet {
            eprintln!("wrote {}/report.json and report.html", dir.display());
        }
    }
    if a.common.json {
        print_json(&report)
    } else {
        println!("{}", report.summary());
        Ok(())
    }
}
