//! Gram-matrix throughput of the two-layer NTK (kernel entries per second, host transfer
//! included), `N x N` for `N` inputs of dimension `d = 24`.

use anyhow::Result;
use scorediff_synth::backend::Backend;
use scorediff_synth::ntk::bench_gram;

/// Prints the NTK Gram throughput of `be` for `n` inputs.
pub fn section<B: Backend>(be: &B, n: usize) -> Result<()> {
    let d = 24;
    let entries_per_sec = bench_gram(be, n, d)?;
    println!(
        "NTK Gram on {}: N = {n}, d = {d}: {:.3e} entries/s ({:.2} s)",
        be.name(),
        entries_per_sec,
        (n * n) as f64 / entries_per_sec
    );
    Ok(())
}
