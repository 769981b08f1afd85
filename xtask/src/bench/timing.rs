//! Wall-clock timing with warm-up and repetitions.

use crate::backends::Sync;
use anyhow::Result;
use std::time::{Duration, Instant};

/// Best and median of the repetitions.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub best: Duration,
    pub median: Duration,
}

/// Runs `f` once to warm up (compile kernels, fill pools, fault pages in), then `reps`
/// times, each bracketed by device synchronisation.
pub fn time<B: Sync>(
    backend: &B,
    reps: usize,
    mut f: impl FnMut() -> Result<()>,
) -> Result<Timing> {
    f()?;
    backend.sync()?;
    let mut samples = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        f()?;
        backend.sync()?;
        samples.push(start.elapsed());
    }
    samples.sort();
    Ok(Timing {
        best: samples[0],
        median: samples[samples.len() / 2],
    })
}

/// Seconds as f64.
pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64().max(1e-12)
}
