//! Training throughput (issue: rows/s of the reference networks): the MLP (width 512, 3
//! hidden layers) and the paper's two-layer network (m = 8192), batch 4096, d = 110,
//! Adam steps through `scorediff_train::Trainer`.

use anyhow::Result;
use scorediff_synth::backend::Backend;
use scorediff_synth::train::bench::{MLP_REFERENCE, TWO_LAYER_REFERENCE, training_throughput};

/// Prints rows/s of both reference networks on `be`, over `steps` optimizer steps.
pub fn section<B: Backend>(be: &B, steps: u64) -> Result<()> {
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
    }
    println!();
    Ok(())
}
