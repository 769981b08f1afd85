//! Training-throughput benchmarks (entry points for `cargo xtask bench`).

use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::Backend;
use scorediff_backend::Layout;
use scorediff_net::NetSpec;
use scorediff_process::standard_normal;

use crate::config::{LrSchedule, OptimizerConfig, TrainConfig};
use crate::data::Dataset;
use crate::error::{Result, TrainError};
use crate::trainer::Trainer;

/// The reference MLP of the benchmarks: width 512, 3 plain hidden layers.
pub const MLP_REFERENCE: NetSpec = NetSpec::Mlp {
    width: 512,
    depth: 3,
    residual: false,
};

/// The reference two-layer net of the benchmarks: width 8192.
pub const TWO_LAYER_REFERENCE: NetSpec = NetSpec::TwoLayer { width: 8192 };

/// Training throughput in records per second: `steps` Adam steps on batches of `batch`
/// synthetic standard-normal records of dimension `d` (one warm-up step not timed); the
/// network is `spec` for a table of `d` columns without one-hot blocks, seed 0.
pub fn training_throughput<B: Backend>(
    be: &B,
    spec: NetSpec,
    batch: usize,
    d: usize,
    steps: u64,
) -> Result<f64> {
    if batch == 0 || d == 0 || steps == 0 {
        return Err(TrainError::InvalidConfig(
            "benchmark needs batch, d and steps >= 1".into(),
        ));
    }
    let layout = Layout::new(d, Vec::new())?;
    let net = spec.config(&layout, 0).build(be)?;
    let rows = batch * 2;
    let data = Dataset::new(
        standard_normal(&mut ChaCha8Rng::seed_from_u64(1), rows * d),
        rows,
        d,
    )?;
    let config = TrainConfig {
        optimizer: OptimizerConfig::adam(1e-4),
        schedule: LrSchedule::default(),
        batch_size: Some(batch),
        max_steps: 1,
        eval_every: 0,
        log_every: u64::MAX,
        max_rows_per_pass: batch,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(be.clone(), net, config)?;
    trainer.fit(&data, None, &mut |_| std::ops::ControlFlow::Continue(()))?;
    trainer.config.max_steps = 1 + steps;
    let start = Instant::now();
    trainer.fit(&data, None, &mut |_| std::ops::ControlFlow::Continue(()))?;
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    Ok((batch as f64 * steps as f64) / secs)
}

/// The two reference measurements: `(MLP width 512 x 3, batch 4096, d = 110)` and
/// `(two-layer m = 8192, batch 4096, d = 110)`, in records per second.
pub fn reference_throughputs<B: Backend>(be: &B, steps: u64) -> Result<(f64, f64)> {
    let mlp = training_throughput(be, MLP_REFERENCE, 4096, 110, steps)?;
    let two = training_throughput(be, TWO_LAYER_REFERENCE, 4096, 110, steps)?;
    Ok((mlp, two))
}
