//! `cargo xtask bench`: throughput tables per backend.
//!
//! Sections (each its own module, run in order): [`matmul`] (GFLOP/s of square products,
//! and scorediff-faer against a bare `faer::linalg::matmul::matmul` call on the same
//! 2048 x 2048 matrices) and [`elementwise`] (GB/s and Gelem/s of the elementwise ops,
//! reductions and transpose), [`training`] (rows/s of the reference networks), [`gram`]
//! (NTK Gram entries/s, N = 10,000 on a hardware backend) and [`eval`] (seconds of the whole
//! evaluation on Credit Default, when the data is present). Timings are best and median of several repetitions after a
//! warm-up, with the device synchronised around each repetition.

mod elementwise;
mod eval;
mod gram;
mod matmul;
mod timing;
mod training;

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
    /// Sections to run, comma-separated, from matmul, elementwise, training, gram, eval.
    #[arg(long, default_value = "matmul,elementwise,training,gram,eval")]
    only: String,
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
    let on = |section: &str| args.only.split(',').any(|s| s.trim() == section);
    let cpu = kinds.contains(&Kind::Faer);
    // A software adapter (lavapipe) manages about 1 GFLOP/s: smaller problems there.
    let software = gpu.as_ref().is_some_and(backends::is_software);
    let mut ok = true;
    if on("matmul") {
        if cpu {
            ok &= matmul::faer_section(&faer, reps)?;
        }
        if let Some(gpu) = &gpu {
            matmul::wgpu_section(gpu, reps)?;
        }
        println!();
    }
    if on("elementwise") {
        if cpu {
            elementwise::section(&faer, 2048, reps)?;
        }
        if let Some(gpu) = &gpu {
            elementwise::section(gpu, if software { 512 } else { 2048 }, reps)?;
        }
    }
    if on("training") {
        if cpu {
            let threads = faer.par().degree();
            training::section(&faer, 10, Some(threads))?;
        }
        if let Some(gpu) = &gpu {
            training::section(gpu, if software { 1 } else { 10 }, None)?;
        }
    }
    if on("gram") {
        if cpu {
            gram::section(&faer, 10_000)?;
        }
        if let Some(gpu) = &gpu {
            gram::section(gpu, if software { 2_000 } else { 10_000 })?;
        }
        println!();
    }
    if on("eval") {
        eval::section()?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
