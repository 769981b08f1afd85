//! Serialisable network configurations and a network of either kind.

use scorediff_backend::Backend;
use serde::{Deserialize, Serialize};

use crate::{Forward, Mlp, MlpConfig, NetError, Param, ScoreNet, TwoLayerConfig, TwoLayerNet};

/// The architecture of a score network: enough to rebuild it (with its initial weights;
/// trained weights come from a checkpoint's tensors, matched by parameter name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetConfig {
    /// The two-layer ReLU network of the theory (`"kind": "two-layer"`; `two_layer` is still
    /// read).
    #[serde(rename = "two-layer", alias = "two_layer")]
    TwoLayer(TwoLayerConfig),
    /// The MLP denoiser.
    Mlp(MlpConfig),
}

impl NetConfig {
    /// Builds a freshly initialised network of this architecture.
    pub fn build<B: Backend>(&self, be: &B) -> Result<AnyNet<B>, NetError> {
        Ok(match self {
            NetConfig::TwoLayer(c) => AnyNet::TwoLayer(TwoLayerNet::new(be, c.clone())?),
            NetConfig::Mlp(c) => AnyNet::Mlp(Mlp::new(be, c.clone())?),
        })
    }

    /// The number of parameters (trainable and frozen) a network of this architecture has,
    /// computed without building it; `None` when it overflows. Lets a loader check a
    /// configuration against stored weights before allocating anything.
    pub fn n_params(&self) -> Option<u128> {
        match self {
            NetConfig::TwoLayer(c) => {
                let (m, d) = (c.width as u128, c.data_dim as u128);
                m.checked_mul(d + 2)?.checked_add(m.checked_mul(d)?)
            }
            NetConfig::Mlp(c) => {
                let (d, w) = (c.data_dim as u128, c.width as u128);
                let e = c.time_embedding.dim() as u128;
                let dense =
                    |fan_in: u128, fan_out: u128| fan_in.checked_mul(fan_out)?.checked_add(fan_out);
                let square = dense(w, w)?;
                let body = if c.residual {
                    (c.depth as u128).checked_mul(square.checked_mul(2)?)?
                } else {
                    (c.depth as u128).saturating_sub(1).checked_mul(square)?
                };
                (e / 2)
                    .checked_add(dense(d.checked_add(e)?, w)?)?
                    .checked_add(body)?
                    .checked_add(dense(w, d)?)
            }
        }
    }

    /// The data dimension `d`.
    pub fn data_dim(&self) -> usize {
        match self {
            NetConfig::TwoLayer(c) => c.data_dim,
            NetConfig::Mlp(c) => c.data_dim,
        }
    }
}

/// A network of any kind this crate defines, for code that picks the kind at run time
/// (the command line, checkpoint loading).
#[derive(Debug)]
pub enum AnyNet<B: Backend> {
    /// A [`TwoLayerNet`].
    TwoLayer(TwoLayerNet<B>),
    /// An [`Mlp`].
    Mlp(Mlp<B>),
}

impl<B: Backend> AnyNet<B> {
    fn inner(&self) -> &dyn ScoreNet<B> {
        match self {
            AnyNet::TwoLayer(n) => n,
            AnyNet::Mlp(n) => n,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn ScoreNet<B> {
        match self {
            AnyNet::TwoLayer(n) => n,
            AnyNet::Mlp(n) => n,
        }
    }
}

impl<B: Backend> ScoreNet<B> for AnyNet<B> {
    fn data_dim(&self) -> usize {
        self.inner().data_dim()
    }
    fn forward(&self, be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<Forward<B>, NetError> {
        self.inner().forward(be, x, t)
    }
    fn backward(
        &self,
        be: &B,
        fwd: &Forward<B>,
        grad_out: &B::Matrix,
    ) -> Result<Vec<B::Matrix>, NetError> {
        self.inner().backward(be, fwd, grad_out)
    }
    fn params(&self) -> &[Param<B>] {
        self.inner().params()
    }
    fn params_mut(&mut self) -> &mut [Param<B>] {
        self.inner_mut().params_mut()
    }
    fn config(&self) -> NetConfig {
        self.inner().config()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scorediff_backend::DeviceMatrix as _;
    use scorediff_faer::FaerBackend;

    /// The count computed from the configuration is the count of the built network.
    #[test]
    fn parameter_count_matches_the_built_network() {
        let be = FaerBackend::default();
        let mut configs = vec![NetConfig::TwoLayer(TwoLayerConfig {
            data_dim: 5,
            width: 17,
            seed: 0,
        })];
        for (residual, depth) in [(false, 1), (false, 3), (true, 1), (true, 2)] {
            let mut c = MlpConfig::new(7, 12, depth, 0);
            c.residual = residual;
            configs.push(NetConfig::Mlp(c));
        }
        for c in configs {
            let net = c.build(&be).unwrap();
            let built: usize = net
                .params()
                .iter()
                .map(|p| {
                    let (r, k) = p.value.shape();
                    r * k
                })
                .sum();
            assert_eq!(c.n_params(), Some(built as u128), "{c:?}");
        }
        let mut huge = MlpConfig::new(7, usize::MAX, 3, 0);
        huge.residual = true;
        assert_eq!(NetConfig::Mlp(huge).n_params(), None);
    }
}
