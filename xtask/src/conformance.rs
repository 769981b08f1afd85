//! `cargo xtask conformance`: every backend against the naive host reference.
//!
//! The suite and its tolerances are `scorediff_conformance` (see its
//! documentation). The reference is [`crate::naive::NaiveBackend`], the scalar op
//! definitions with `f64` accumulation, so faer is checked as well as wgpu; comparing
//! faer with itself would be trivially zero.

use crate::backends::{self, Kind};
use crate::naive::NaiveBackend;
use anyhow::Result;
use scorediff_backend::prelude::*;
use scorediff_conformance::{self as conformance, Report, SuiteConfig};
use std::process::ExitCode;

/// Options of `cargo xtask conformance`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Backends to check, comma-separated.
    #[arg(long, default_value = "faer,wgpu")]
    backends: String,
    /// Random cases per operation.
    #[arg(long, default_value_t = SuiteConfig::default().cases)]
    cases: usize,
    /// Seed of the random inputs.
    #[arg(long, default_value_t = SuiteConfig::default().seed)]
    seed: u64,
    /// Largest matrix dimension drawn.
    #[arg(long, default_value_t = SuiteConfig::default().max_dim)]
    max_dim: usize,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let config = SuiteConfig {
        cases: args.cases,
        seed: args.seed,
        max_dim: args.max_dim,
    };
    let reference = NaiveBackend;
    let mut reports = Vec::new();
    for kind in backends::parse_list(&args.backends)? {
        let report = match kind {
            Kind::Faer => conformance::run(&backends::faer(), &reference, &config),
            Kind::Wgpu => conformance::run(&backends::wgpu()?, &reference, &config),
        };
        reports.push((kind, report));
    }
    print_table(&reports, &config, &reference.name());
    let failed: Vec<String> = reports
        .iter()
        .flat_map(|(k, r)| {
            r.failures()
                .into_iter()
                .map(move |o| format!("{}: {}", k.name(), o.op))
        })
        .collect();
    if failed.is_empty() {
        println!("\nall operations PASS");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("\n{} FAIL: {}", failed.len(), failed.join(", "));
        Ok(ExitCode::FAILURE)
    }
}

/// One row per operation, one column group (max error, tolerance, verdict) per backend.
fn print_table(reports: &[(Kind, Report)], config: &SuiteConfig, reference: &str) {
    println!(
        "reference: {reference}; seed {}, {} cases/op, dimensions <= {}",
        config.seed, config.cases, config.max_dim
    );
    for (kind, r) in reports {
        println!("{}: {}", kind.name(), r.candidate);
    }
    println!("error = max |cand - ref| / scale (see scorediff_conformance)\n");
    let mut header = format!("{:<26}", "op");
    for (kind, _) in reports {
        header += &format!(" | {:>10} {:>8} {:<4}", kind.name(), "tol", "");
    }
    println!("{header}");
    println!("{}", "-".repeat(header.len()));
    let Some((_, first)) = reports.first() else {
        return;
    };
    for (i, op) in first.ops.iter().enumerate() {
        let mut line = format!("{:<26}", op.op);
        for (_, r) in reports {
            let o = &r.ops[i];
            let verdict = if o.passed { "PASS" } else { "FAIL" };
            line += &format!(" | {:>10.2e} {:>8.1e} {verdict}", o.max_error, o.tolerance);
        }
        println!("{line}");
        for (kind, r) in reports {
            if let Some(d) = &r.ops[i].detail {
                println!("    {}: {d}", kind.name());
            }
        }
    }
}
