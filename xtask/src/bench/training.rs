//! Training throughput (rows/s of the reference networks): the MLP (width 512, 3 hidden
//! layers) and the paper's two-layer network (m = 8192), batch 4096, d = 110, Adam steps
//! through `scorediff_train::Trainer`; on the CPU, the same MLP and step in PyTorch
//! (`xtask/scripts/torch_step.py`, torch from PyPI in `target/torch-venv`), measured in the
//! same run and printed as a ratio. Beside it, the step's matrix products alone (the
//! "GEMM floor"): the rows/s a step would reach if everything but its eleven products took
//! no time, and that floor over PyTorch's whole step, the most any fusion outside the
//! products could bring.

use super::timing::{secs, time};
use crate::backends::Sync;
use anyhow::Result;
use scorediff_synth::backend::Transpose;
use scorediff_synth::train::bench::{MLP_REFERENCE, TWO_LAYER_REFERENCE, training_throughput};
use std::path::Path;
use std::process::Command;

/// Prints rows/s of both reference networks on `be`, over `steps` optimizer steps.
/// With `torch_threads`, also the PyTorch CPU step on that many threads and the ratio.
pub fn section<B: Sync>(be: &B, steps: u64, torch_threads: Option<usize>) -> Result<()> {
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
            let floor = gemm_floor(be, 4096, 110 + 32, 512, 3, 110)?;
            match torch_rows_per_sec(steps, threads) {
                Ok((rate, version)) => {
                    println!(
                        "{:<28} {rate:>12.0}   scorediff / PyTorch = {:.2} (torch {version}, {threads} threads)",
                        "  PyTorch, same step",
                        rows_per_sec / rate
                    );
                    println!(
                        "{:<28} {floor:>12.0}   products alone / PyTorch = {:.2} (the bound on the ratio)",
                        "  the step's products alone",
                        floor / rate
                    );
                }
                Err(why) => {
                    println!("{:<28} {floor:>12.0}", "  the step's products alone");
                    println!("  PyTorch comparison skipped: {why}");
                }
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

/// Rows/s of a step made of the MLP's matrix products alone (batch `b`, input width
/// `d_in` with the time embedding, `depth` hidden layers of `width`, output `d_out`):
/// per dense layer the forward product `x W`, the weight gradient `x^T G` and, except for
/// the first layer, the input gradient `G W^T`, each timed on its own (best of 5).
fn gemm_floor<B: Sync>(
    be: &B,
    b: usize,
    d_in: usize,
    width: usize,
    depth: usize,
    d_out: usize,
) -> Result<f64> {
    let mut dims = vec![d_in];
    dims.extend(std::iter::repeat_n(width, depth));
    dims.push(d_out);
    let mut total = 0.0;
    for (l, pair) in dims.windows(2).enumerate() {
        let (fan_in, fan_out) = (pair[0], pair[1]);
        let x = be.full(b, fan_in, 0.5)?;
        let w = be.full(fan_in, fan_out, 0.01)?;
        let g = be.full(b, fan_out, 0.25)?;
        let mut y = be.zeros(b, fan_out)?;
        let mut dw = be.zeros(fan_in, fan_out)?;
        let mut dx = be.zeros(b, fan_in)?;
        let (no, yes) = (Transpose::No, Transpose::Yes);
        total += secs(time(be, 5, || Ok(be.gemm(1.0, &x, no, &w, no, 0.0, &mut y)?))?.best);
        total += secs(time(be, 5, || Ok(be.gemm(1.0, &x, yes, &g, no, 0.0, &mut dw)?))?.best);
        if l > 0 {
            total += secs(time(be, 5, || Ok(be.gemm(1.0, &g, no, &w, yes, 0.0, &mut dx)?))?.best);
        }
    }
    Ok(b as f64 / total)
}
