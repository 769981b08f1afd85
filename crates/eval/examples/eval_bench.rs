//! Times the full evaluation on the Credit Default training table (27,000 rows) against a
//! column-shuffled copy of itself, with `test.csv` as the MLE test table and as the DCR
//! holdout, and prints the report and the seconds per metric.
//!
//! `cargo run -p scorediff-eval --example eval_bench --release [-- <out dir>]`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use scorediff_eval::{EvalConfig, evaluate, make_plots, write_report};

fn main() {
    let (Some(train), Some(test)) = (
        common::read_credit("train.csv"),
        common::read_credit("test.csv"),
    ) else {
        return;
    };
    let syn = common::shuffle_columns(&train, 42);
    let cfg = EvalConfig::new(common::TARGET);
    let t0 = Instant::now();
    let progress = |_stage: &str, _done: usize, _total: usize| {};
    let report = match evaluate(&train, Some(&test), &syn, Some(&test), &cfg, &progress) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("evaluation failed: {e}");
            return;
        }
    };
    let total = t0.elapsed().as_secs_f64();
    println!("{}", report.summary());
    if let Some(m) = &report.mle {
        println!("MLE params (syn): {:?}", m.synthetic.params);
        if let Some(r) = &m.real {
            println!("MLE params (real): {:?}", r.params);
        }
    }
    for t in &report.timings {
        println!("{:12} {:8.2} s", t.metric, t.seconds);
    }
    println!("{:12} {:8.2} s", "total", total);
    if let Some(dir) = std::env::args().nth(1) {
        let t1 = Instant::now();
        let plots = make_plots(&train, &syn, &report);
        match plots.and_then(|p| write_report(std::path::Path::new(&dir), &report, Some(&p))) {
            Ok(()) => println!(
                "report written to {dir} in {:.2} s",
                t1.elapsed().as_secs_f64()
            ),
            Err(e) => eprintln!("report failed: {e}"),
        }
    }
}
