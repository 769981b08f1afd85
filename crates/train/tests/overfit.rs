//! The theory's overfitting (DESIGN.md §1): full-batch gradient descent on a fixed set of
//! noisy labels first learns the signal, then fits the label noise, so the validation loss
//! falls and then rises again.

mod common;

use std::ops::ControlFlow;

use scorediff_backend::Backend;
use scorediff_faer::FaerBackend;
use scorediff_net::{TwoLayerConfig, TwoLayerNet};
use scorediff_train::{LrSchedule, NoiseMode, OptimizerConfig, TrainConfig, Trainer};

fn check_interior_minimum<B: Backend>(be: &B) {
    let (train, val) = (common::mixture_data(64, 1), common::mixture_data(400, 2));
    let net = TwoLayerNet::new(
        be,
        TwoLayerConfig {
            data_dim: 2,
            width: 512,
            seed: 3,
        },
    )
    .unwrap();
    let config = TrainConfig {
        optimizer: OptimizerConfig::Gd { lr: 0.5 },
        schedule: LrSchedule::default(),
        batch_size: None,
        noise: NoiseMode::Fixed,
        max_steps: 4000,
        ema_decay: None,
        seed: 5,
        eval_every: 20,
        log_every: 20,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(be.clone(), net, config).unwrap();
    let report = trainer
        .fit(&train, Some(&val), &mut |_| ControlFlow::Continue(()))
        .unwrap();
    let vals: Vec<(u64, f64)> = report
        .curve
        .iter()
        .filter_map(|e| e.val_loss.map(|v| (e.step, v)))
        .collect();
    let (argmin, &(best_step, best)) = vals
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.1.total_cmp(&b.1.1))
        .unwrap();
    let (first, last) = (vals[0].1, vals[vals.len() - 1].1);
    eprintln!("val: first {first:.4}, min {best:.4} at step {best_step}, last {last:.4}");
    assert!(
        argmin > 0 && argmin < vals.len() - 1,
        "minimum at an end: {vals:?}"
    );
    assert!(
        best < 0.9 * first,
        "validation loss barely fell: {first} -> {best}"
    );
    assert!(
        last > 1.02 * best,
        "validation loss did not rise again: {best} -> {last}"
    );
    // Meanwhile the training loss keeps falling: the rise is overfitting, not divergence.
    let train_losses: Vec<f64> = report.curve.iter().filter_map(|e| e.train_loss).collect();
    assert!(train_losses[train_losses.len() - 1] < train_losses[argmin.max(1) - 1]);
}

#[test]
fn gradient_descent_on_noisy_labels_overfits() {
    check_interior_minimum(&FaerBackend::default());
}
