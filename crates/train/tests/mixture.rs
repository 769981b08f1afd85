//! End to end: train on a 2-D Gaussian mixture, sample with the process crate's sampler
//! through the parametric score form, and recover the mixture's weights and means.

mod common;

use common::{check_recovery, mixture_config};
use scorediff_faer::FaerBackend;
use scorediff_net::{Mlp, MlpConfig, TwoLayerConfig, TwoLayerNet};
use scorediff_train::TrainConfig;

fn train_config(steps: u64, lr: f64) -> TrainConfig {
    mixture_config(steps, lr, 500)
}

#[test]
fn mlp_recovers_a_gaussian_mixture() {
    let be = FaerBackend::default();
    let mut config = MlpConfig::new(2, 128, 3, 1);
    config.time_embedding = scorediff_net::TimeEmbedding::Sinusoidal {
        dim: 16,
        max_period: 1000.0,
        time_scale: 100.0,
    };
    let net = Mlp::new(&be, config).unwrap();
    check_recovery(&be, net, train_config(1500, 3e-3));
}

#[test]
fn two_layer_net_recovers_a_gaussian_mixture() {
    let be = FaerBackend::default();
    let net = TwoLayerNet::new(
        &be,
        TwoLayerConfig {
            data_dim: 2,
            width: 1024,
            seed: 1,
        },
    )
    .unwrap();
    check_recovery(&be, net, train_config(2000, 3e-2));
}
