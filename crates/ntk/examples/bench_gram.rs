//! Gram-matrix throughput of the faer backend (the figure `cargo xtask bench` reports):
//! `cargo run -p scorediff-ntk --example bench_gram -- [N] [d]` (default N = 10,000, d = 24).

use scorediff_faer::FaerBackend;

fn main() -> Result<(), scorediff_ntk::NtkError> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let n = args.next().and_then(Result::ok).unwrap_or(10_000);
    let d = args.next().and_then(Result::ok).unwrap_or(24);
    let be = FaerBackend::default();
    let rate = scorediff_ntk::bench_gram(&be, n, d)?;
    println!(
        "gram two-layer NTK, N = {n}, d = {d}, {}: {:.3e} entries/s",
        scorediff_backend::Device::name(&be),
        rate
    );
    Ok(())
}
