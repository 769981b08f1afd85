//! `cargo xtask bench`: throughput tables per backend.
//!
//! Sections (each its own module, run in order): [`matmul`] (GFLOP/s of square products,
//! and scorediff-faer against a bare `faer::linalg::matmul::matmul` call on the same
//! 2048 x 2048 matrices) and [`elementwise`] (GB/s and Gelem/s of the elementwise ops,
//! reductions and transpose). Timings are best and median of several repetitions after a
//! warm-up, with the device synchronised around each repetition.

mod elementwise;
mod matmul;
mod timing;

use crate::backends::{self, Kind};
use anyhow::Result;
use std::process::ExitCode;

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Backends to measure, comma-separated.
    #[arg(long, default_value = "faer,wgpu")]
    backends: String,
    /// Repetitions per measurement (after one warm-up run).
    #[arg(long, default_value_t = 5)]
    reps: usize,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let kinds = backends::parse_list(&args.backends)?;
    let faer = backends::faer();
    let gpu = if kinds.contains(&Kind::Wgpu) {
        Some(backends::wgpu()?)
    } else {
        None
    };
    let reps = args.reps.max(1);
    let mut ok = true;
    if kinds.contains(&Kind::Faer) {
        ok &= matmul::faer_section(&faer, reps)?;
    }
    if let Some(gpu) = &gpu {
        matmul::wgpu_section(gpu, reps)?;
    }
    println!();
    if kinds.contains(&Kind::Faer) {
        elementwise::section(&faer, 2048, reps)?;
    }
    if let Some(gpu) = &gpu {
        // A software adapter (lavapipe) manages about 1 GFLOP/s: smaller operands.
        let n = if backends::is_software(gpu) {
            512
        } else {
            2048
        };
        elementwise::section(gpu, n, reps)?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
