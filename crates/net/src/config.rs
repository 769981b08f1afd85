//! Serialisable network configurations and a network of either kind.

use scorediff_backend::Backend;
use serde::{Deserialize, Serialize};

use crate::{Forward, Mlp, MlpConfig, NetError, Param, ScoreNet, TwoLayerConfig, TwoLayerNet};

/// The architecture of a score network: enough to rebuild it (with its initial weights;
/// trained weights come from a checkpoint's tensors, matched by parameter name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetConfig {
    /// The two-layer ReLU network of the theory.
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
