//! Optimizer updates and the exponential moving average of the weights, on the device.

use scorediff_backend::{AdamStep, Average, Backend};
use scorediff_net::Param;

use crate::config::OptimizerConfig;
use crate::error::Result;

/// Per-parameter optimizer state: Adam's first and second moments (`None` for frozen
/// parameters and for gradient descent).
#[derive(Debug)]
pub(crate) struct OptState<B: Backend> {
    pub m: Vec<Option<B::Matrix>>,
    pub v: Vec<Option<B::Matrix>>,
}

impl<B: Backend> OptState<B> {
    /// Zero moments for every trainable parameter (Adam) or none (gradient descent).
    pub fn new(be: &B, params: &[Param<B>], config: &OptimizerConfig) -> Result<Self> {
        let adam = matches!(config, OptimizerConfig::Adam { .. });
        let zeros = |p: &Param<B>| -> Result<Option<B::Matrix>> {
            if adam && p.trainable {
                let (r, c) = p.shape();
                Ok(Some(be.zeros(r, c)?))
            } else {
                Ok(None)
            }
        };
        Ok(Self {
            m: params.iter().map(zeros).collect::<Result<_>>()?,
            v: params.iter().map(zeros).collect::<Result<_>>()?,
        })
    }

    /// One update of every trainable parameter with gradients `grads` at learning rate `lr`;
    /// `step` is the 1-based index of this update (Adam's bias correction). With `ema`, the
    /// moving average of each updated parameter follows with decay `ema.1` (in the same pass
    /// as Adam's update: `FusedOps::adam_update`).
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &mut self,
        be: &B,
        params: &mut [Param<B>],
        grads: &[B::Matrix],
        config: &OptimizerConfig,
        lr: f64,
        step: u64,
        ema: Option<(&mut [Option<B::Matrix>], f64)>,
    ) -> Result<()> {
        let mut ema = ema.map(|(e, decay)| (e, Average::new(decay)));
        for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            if !p.trainable {
                continue;
            }
            let e = ema
                .as_mut()
                .and_then(|(e, avg)| e[i].as_mut().map(|e| (e, *avg)));
            match *config {
                OptimizerConfig::Gd { .. } => {
                    be.axpby(-(lr as f32), g, 1.0, &mut p.value)?;
                    if let Some((e, avg)) = e {
                        be.axpby(avg.mix, &p.value, avg.decay, e)?;
                    }
                }
                OptimizerConfig::Adam {
                    beta1,
                    beta2,
                    eps,
                    weight_decay,
                    ..
                } => {
                    let (Some(m), Some(v)) = (self.m[i].as_mut(), self.v[i].as_mut()) else {
                        continue;
                    };
                    let coefs = AdamStep::new(beta1, beta2, eps, weight_decay, lr, step);
                    be.adam_update(&coefs, &mut p.value, g, m, v, e)?;
                }
            }
        }
        Ok(())
    }
}

/// The effective EMA decay at update `step` (1-based): `min(decay, (1 + step) / (10 +
/// step))`, so the average is not dominated by the random initial weights early on.
pub(crate) fn ema_decay_at(decay: f64, step: u64) -> f64 {
    decay.min((1.0 + step as f64) / (10.0 + step as f64))
}

/// Copies of the trainable parameters (`None` for frozen ones).
pub(crate) fn trainable_copies<B: Backend>(
    be: &B,
    params: &[Param<B>],
) -> Result<Vec<Option<B::Matrix>>> {
    params
        .iter()
        .map(|p| {
            if p.trainable {
                Ok(Some(be.copy(&p.value)?))
            } else {
                Ok(None)
            }
        })
        .collect()
}

/// Swaps the values of the trainable parameters with `other` (EMA or best weights), so an
/// evaluation can run on them and a second swap restores the live weights exactly.
pub(crate) fn swap_weights<B: Backend>(params: &mut [Param<B>], other: &mut [Option<B::Matrix>]) {
    for (p, o) in params.iter_mut().zip(other) {
        if let Some(o) = o {
            std::mem::swap(&mut p.value, o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scorediff_backend::prelude::*;
    use scorediff_faer::FaerBackend;

    fn param(be: &FaerBackend, v: &[f32]) -> Vec<Param<FaerBackend>> {
        vec![Param::new("p", be.from_host(1, v.len(), v).unwrap(), true)]
    }

    #[test]
    fn first_adam_step_moves_by_lr_times_sign() {
        // With bias correction, m_hat = g and v_hat = g^2 after one step, so the update is
        // lr * g / (|g| + eps) = lr * sign(g) up to eps.
        let be = FaerBackend::default();
        let config = OptimizerConfig::adam(0.01);
        let mut params = param(&be, &[1.0, -2.0, 0.5]);
        let mut state = OptState::new(&be, &params, &config).unwrap();
        let g = vec![be.from_host(1, 3, &[3.0, -0.001, 20.0]).unwrap()];
        state
            .apply(&be, &mut params, &g, &config, 0.01, 1, None)
            .unwrap();
        let v = be.to_host(&params[0].value).unwrap();
        for (got, want) in v.iter().zip([0.99f32, -1.99, 0.49]) {
            assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        }
    }

    #[test]
    fn gd_step_and_frozen_parameters() {
        let be = FaerBackend::default();
        let config = OptimizerConfig::Gd { lr: 0.5 };
        let mut params = param(&be, &[1.0, 2.0]);
        params.push(Param::new(
            "frozen",
            be.from_host(1, 1, &[7.0]).unwrap(),
            false,
        ));
        let mut state = OptState::new(&be, &params, &config).unwrap();
        let g = vec![
            be.from_host(1, 2, &[2.0, -4.0]).unwrap(),
            be.from_host(1, 1, &[100.0]).unwrap(),
        ];
        state
            .apply(&be, &mut params, &g, &config, 0.5, 1, None)
            .unwrap();
        assert_eq!(be.to_host(&params[0].value).unwrap(), vec![0.0, 4.0]);
        assert_eq!(be.to_host(&params[1].value).unwrap(), vec![7.0]);
    }

    #[test]
    fn ema_decay_warms_up() {
        assert!((ema_decay_at(0.999, 1) - 2.0 / 11.0).abs() < 1e-12);
        assert_eq!(ema_decay_at(0.9, 1_000_000), 0.9);
    }
}
