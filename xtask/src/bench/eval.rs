//! Time of the whole evaluation (`scorediff eval`) on Credit Default: the 27,000-row
//! training table against a column-shuffled copy of itself, with `test.csv` as the MLE test
//! table and the DCR holdout, plots and HTML report included.

use anyhow::{Context, Result};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use scorediff_synth::data::credit_default_dir;
use scorediff_synth::eval::html::render_html;
use scorediff_synth::eval::{EvalConfig, NoProgress, evaluate, make_plots};
use scorediff_synth::tabular::{
    ColumnData, InferOptions, ReadOptions, Table, load_table, load_typed,
};
use std::time::Instant;

/// Prints seconds per metric and in total; skips (with a message) without the data.
pub fn section() -> Result<()> {
    let Some(dir) = credit_default_dir() else {
        println!("eval: skipped (../shared/data/credit-default not found)");
        return Ok(());
    };
    let (train, schema) = load_table(
        dir.join("train.csv"),
        &ReadOptions::default(),
        None,
        &InferOptions::default(),
    )?;
    let test = load_typed(dir.join("test.csv"), &ReadOptions::default(), &schema)?;
    let syn = shuffle_columns(&train, 42);
    let cfg = EvalConfig::new(
        schema
            .target
            .clone()
            .context("Credit Default has a target")?,
    );
    let start = Instant::now();
    let report = evaluate(&train, Some(&test), &syn, Some(&test), &cfg, &NoProgress)?;
    let plots = make_plots(&train, &syn, &report)?;
    std::hint::black_box(render_html(&report, Some(&plots)));
    let total = start.elapsed().as_secs_f64();
    println!("evaluation of 27,000 synthetic rows (Credit Default, column-shuffled train.csv)");
    for t in &report.timings {
        println!("{:<14} {:>8.2} s", t.metric, t.seconds);
    }
    println!(
        "{:<14} {:>8.2} s (target: under 60 s on 2 cores)\n",
        "total", total
    );
    Ok(())
}

/// Every column permuted independently: marginals kept, dependence destroyed.
fn shuffle_columns(table: &Table, seed: u64) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = table.clone();
    for col in &mut out.columns {
        match &mut col.data {
            ColumnData::Numerical(v) => v.shuffle(&mut rng),
            ColumnData::Categorical(v) => {
                let mut order: Vec<usize> = (0..v.len()).collect();
                order.shuffle(&mut rng);
                *v = v.select(&order);
            }
        }
    }
    out
}
