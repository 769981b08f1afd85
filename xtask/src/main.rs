//! `cargo xtask`: project tasks that are programs rather than tests.
//!
//! - `cargo xtask conformance [--backends faer,wgpu] [--cases N] [--seed S]`: the
//!   cross-backend op suite (`scorediff_conformance`) of every backend against
//!   a naive host reference; exits non-zero on any failure.
//! - `cargo xtask bench [--backends faer,wgpu] [--reps N]`: throughput of matmul and of
//!   the elementwise ops per backend, and scorediff-faer against a bare faer call.
//! - `cargo xtask adapter`: the wgpu adapter the environment selects (CI prints it).
//! - `cargo xtask fuzz [--seconds N] [--seed S]`: mutation fuzzing of the table reader,
//!   inference, the encoder and the model-directory loader (docs/reliability.md).
//! - `cargo xtask reproduce theory [--full] [--out DIR] [--only a,b,c,d]`: the paper's
//!   claims as figures and tables in `docs/results/theory/`.
//! - `cargo xtask reproduce credit [--seeds N] [--net mlp|two-layer|both]`: the Credit
//!   Default benchmark, written to `docs/results/credit/`.
//! - `cargo xtask reproduce conditional [--model DIR] [--python PATH]`: conditional
//!   generation and imputation on Credit Default, written to `docs/results/conditional/`.
//! - `cargo xtask reproduce scale`: fit and sampling against categories and rows on
//!   generated tables, written to `docs/results/scale/`.
//!
//! Each subcommand lives in its own module; add one by adding a variant to [`Command`]
//! and an arm to the `match` in [`main`].

mod backends;
mod bench;
mod conformance;
mod fuzz;
mod naive;
mod reproduce;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Project tasks of scorediff.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Runs every backend operation on random inputs and compares each backend with a
    /// naive host reference; prints op x backend -> max error and PASS/FAIL.
    Conformance(conformance::Args),
    /// Measures matmul GFLOP/s and elementwise throughput per backend.
    Bench(bench::Args),
    /// Prints the wgpu adapter the environment selects; fails when there is none.
    Adapter,
    /// Mutation-fuzzes the table reader, schema inference, the encoder round trip and the
    /// model-directory loader for `--seconds`; exits non-zero on any panic.
    Fuzz(fuzz::Args),
    /// Runs one of the experiments: `theory` (figures of the theory's claims), `credit`
    /// (the Credit Default benchmark), `panel` (the panel of real tables), `conditional`
    /// (conditional generation and imputation on Credit Default) or `scale` (categories and
    /// rows).
    Reproduce {
        /// `theory`, `credit`, `panel`, `conditional` or `scale`.
        experiment: String,
        /// Options of the experiment.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    scorediff_faer::retain_freed_memory();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Conformance(args) => conformance::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Adapter => backends::wgpu().map(|_| ExitCode::SUCCESS),
        Command::Fuzz(args) => fuzz::run(&args),
        Command::Reproduce { experiment, args } => reproduce::run(&experiment, &args)
            .map(|()| ExitCode::SUCCESS)
            .map_err(anyhow::Error::msg),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
