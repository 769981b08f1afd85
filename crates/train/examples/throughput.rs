//! Prints the reference training throughputs on the faer CPU backend:
//! `cargo run -p scorediff-train --example throughput [steps]`.

use scorediff_faer::FaerBackend;
use scorediff_train::bench::{MLP_REFERENCE, TWO_LAYER_REFERENCE, training_throughput};

fn main() -> Result<(), scorediff_train::TrainError> {
    let steps = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let be = FaerBackend::default();
    for (label, spec) in [
        ("MLP 512 x 3", MLP_REFERENCE),
        ("two-layer m = 8192", TWO_LAYER_REFERENCE),
    ] {
        let rate = training_throughput(&be, spec, 4096, 110, steps)?;
        println!("{label}: batch 4096, d = 110: {rate:.0} rows/s");
    }
    Ok(())
}
