//! `scorediff quickstart`: the README's main job ([`scorediff_synth::main_job`]): fits the
//! default table, writes a synthetic copy and evaluates it. This file only reports progress
//! and prints.

use super::dispatch;
use crate::args::{Dataset, QuickstartArgs};
use crate::progress::{Bar, EvalBars};
use scorediff_synth::Result;
use scorediff_synth::backend::Backend;
use scorediff_synth::device::OnBackend;
use scorediff_synth::eval::Progress as EvalProgress;
use scorediff_synth::main_job::{
    FitOutcome, MainData, MainJob, MainJobOutput, MainJobProgress, main_job_tables, run_main_job,
};
use scorediff_synth::pipeline::FitConfig;
use scorediff_synth::tabular::{Schema, Table};
use scorediff_synth::train::Progress;
use std::ops::ControlFlow;

pub fn run(a: QuickstartArgs) -> Result<()> {
    std::fs::create_dir_all(&a.out).map_err(|e| scorediff_synth::Error::io(&a.out, e))?;
    let which = match a.dataset {
        Dataset::Auto => MainData::Auto,
        Dataset::CreditDefault => MainData::CreditDefault,
        Dataset::WineQuality => MainData::WineQuality,
    };
    let (train, test, note) = main_job_tables(which, &a.out, a.common.seed())?;
    if let Some(note) = note {
        eprintln!("{note}");
    }
    let mut config = FitConfig::for_net(a.net).with_seed(a.common.seed());
    config.max_seconds = a.max_seconds;
    let quiet = a.common.quiet;
    if !quiet {
        eprintln!("training table: {}", train.display());
    }
    let job = QuickstartJob {
        job: MainJob {
            train,
            test,
            out: a.out,
            config,
            plots: true,
        },
        quiet,
    };
    let output = dispatch(a.common.backend, job)?;
    if a.common.json {
        super::print_json(&output.report)
    } else {
        if !quiet {
            eprintln!(
                "wrote {}/report.json and report.html",
                output.report_dir.display()
            );
        }
        println!("{}", output.report.summary());
        Ok(())
    }
}

struct QuickstartJob {
    job: MainJob,
    quiet: bool,
}

impl OnBackend for QuickstartJob {
    type Output = MainJobOutput;

    fn run<B: Backend>(self, be: B) -> Result<MainJobOutput> {
        let mut bars = Bars::new(!self.quiet, self.job.config.train.max_steps);
        let out = run_main_job(&be, &self.job, &mut bars)?;
        bars.eval.finish();
        if !self.quiet {
            eprintln!(
                "sampled {} rows in {:.1} s: {}",
                out.rows,
                out.sample_seconds,
                out.synthetic.display()
            );
        }
        Ok(out)
    }
}

/// The progress bars and lines of the main job.
struct Bars {
    talk: bool,
    training: Bar,
    sampling: Option<Bar>,
    eval: EvalBars,
}

impl Bars {
    fn new(talk: bool, max_steps: u64) -> Self {
        Self {
            talk,
            training: Bar::new(talk, "training", max_steps),
            sampling: None,
            eval: EvalBars::new(talk),
        }
    }
}

impl MainJobProgress for Bars {
    fn loaded(&mut self, _table: &Table, schema: &Schema) {
        if self.talk {
            for line in schema.describe() {
                eprintln!("  {line}");
            }
        }
        for w in schema.warnings() {
            eprintln!("scorediff: warning: {w}");
        }
    }

    fn step(&mut self, p: &Progress) -> ControlFlow<()> {
        let msg = format!("loss {:.4} {:.0} rows/s", p.loss, p.rows_per_sec);
        self.training.update(p.step, p.max_steps, msg);
        ControlFlow::Continue(())
    }

    fn fitted(&mut self, fit: &FitOutcome) {
        self.training.finish();
        if self.talk {
            eprintln!(
                "fitted {} ({} parameters) in {:.1} s, {} steps, stopped by {}",
                fit.net,
                fit.parameters,
                fit.seconds,
                fit.steps,
                super::fit::stop_reason(fit.stop_reason)
            );
            if let Some(plan) = &fit.length {
                eprintln!("{}", plan.describe());
            }
            if let Some(guard) = &fit.guard {
                eprintln!("{}", guard.describe());
            }
        }
    }

    fn sampled(&mut self, done: usize, total: usize) {
        let bar = self
            .sampling
            .get_or_insert_with(|| Bar::new(self.talk, "sampling", total as u64));
        bar.update(done as u64, total as u64, "rows");
        if done == total {
            bar.finish();
        }
    }

    fn evaluation(&self) -> &dyn EvalProgress {
        &self.eval
    }
}
