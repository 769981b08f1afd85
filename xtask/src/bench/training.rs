//! Training throughput (rows/s of the reference networks): the MLP (width 512, 3 hidden
//! layers) and the paper's two-layer network (m = 8192), batch 4096, d = 110, Adam steps
//! through `scorediff_train::Trainer`; on the CPU, the same MLP and step in PyTorch
//! (`xtask/scripts/torch_step.py`, torch from PyPI in `target/torch-venv`), measured in the
//! same run and printed as a ratio.

use anyhow::Result;
use scorediff_synth::backend::Backend;
use scorediff_synth::train::bench::{MLP_REFERENCE, TWO_LAYER_REFERENCE, training_throughput};
use std::path::Path;
use std::process::Command;

/// Prints rows/s of both reference networks on `be`, over `steps` optimizer steps.
/// With `torch_threads`, also the PyTorch CPU step on that many threads and the ratio.
pub fn section<B: Backend>(be: &B, steps: u64, torch_threads: Option<usize>) -> Result<()> {
    println!(
        "training throughput on {} (batch 4096, d = 110, {steps} Adam steps after one warm-up)",
        be.name()
    );
    println!("{:<28} {:>12}", "network", "rows/s");
    for (name, spec) in [
        ("MLP 512 x 3", MLP_REFERENCE),
        ("two-layer m = 8192", TWO_LAYER_REFERENCE),
    ] {
        let rows_per_sec = training_throughput(be, spec, 4096, 110, steps)?;
        println!("{name:<28} {rows_per_sec:>12.0}");
        if spec == MLP_REFERENCE
            && let Some(threads) = torch_threads
        {
            match torch_rows_per_sec(steps, threads) {
                Ok((rate, version)) => println!(
                    "{:<28} {rate:>12.0}   scorediff / PyTorch = {:.2} (torch {version}, {threads} threads)",
                    "  PyTorch, same step",
                    rows_per_sec / rate
                ),
                Err(why) => println!("  PyTorch comparison skipped: {why}"),
            }
        }
    }
    println!();
    Ok(())
}

/// Runs the PyTorch step (`xtask/scripts/torch-bench.sh`); `(rows/s, torch version)`.
fn torch_rows_per_sec(steps: u64, threads: usize) -> Result<(f64, String), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("scripts/torch-bench.sh");
    let venv = root.join("../target/torch-venv");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&venv)
        .args([
            "--steps",
            &steps.to_string(),
            "--threads",
            &threads.to_string(),
        ])
        .output()
        .map_err(|e| format!("running {}: {e}", script.display()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(err.trim().lines().last().unwrap_or("failed").to_string());
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim())
        .map_err(|e| format!("unreadable output of torch_step.py ({e}): {line}"))?;
    let rate = v["rows_per_sec"]
        .as_f64()
        .ok_or("no rows_per_sec in the output")?;
    Ok((rate, v["torch"].as_str().unwrap_or("?").to_string()))
}
