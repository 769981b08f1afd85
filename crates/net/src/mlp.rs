//! A practical MLP denoiser with a time embedding and categorical softmax heads.
//!
//! Input: `u = [x, emb(t)]` (the embedding is concatenated, not added after a projection:
//! the first layer then learns its own mixing of data and time, and the input layer's
//! gradient stays a single product).
//!
//! Plain body (`residual = false`, `depth = L` hidden layers):
//! `h_1 = silu(u W_in + b_in)`, `h_l = silu(h_{l-1} W_l + b_l)`, `y = h_L W_out + b_out`.
//!
//! Residual body (`residual = true`, `depth = K` blocks, no normalisation):
//! `h_0 = u W_in + b_in`, `h_{k+1} = h_k + silu(h_k W1_k + b1_k) W2_k + b2_k`,
//! `y = silu(h_K) W_out + b_out`.
//!
//! Output heads: for every categorical one-hot block the output is `softmax(y_block)`, so
//! the denoiser's estimate of `E[X_0 | X_t]` for that block is a probability vector (as the
//! true conditional mean of a one-hot vector is); other columns are linear.
//!
//! Weights are stored `fan_in x fan_out` (a layer is `x W + b`), biases `1 x fan_out`.
//!
//! The network is composed of [`crate::layer`]s: the time embedding ([`TimeFeatures`]) and a
//! [`Sequential`] body of [`Dense`], [`Activation::Silu`], [`Residual`] and [`SoftmaxHeads`]
//! layers; its backward pass is the body's.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, ColumnBlock};
use serde::{Deserialize, Serialize};

use crate::embedding::{TimeEmbedding, TimeFeatures};
use crate::init::Init;
use crate::layer::{Activation, Dense, Layer, Residual, Sequential, SoftmaxHeads, WeightInit};
use crate::{Forward, NetConfig, NetError, Param, ScoreNet, check_inputs};

/// Architecture of an [`Mlp`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Data dimension `d`.
    pub data_dim: usize,
    /// Hidden width.
    pub width: usize,
    /// Number of hidden layers (plain) or of residual blocks (residual); at least 1.
    pub depth: usize,
    /// Residual blocks `h + W2 silu(W1 h)` instead of plain layers.
    pub residual: bool,
    /// Time embedding.
    pub time_embedding: TimeEmbedding,
    /// Weight initialisation rule (biases start at zero).
    pub init: Init,
    /// Seed of the initialisation.
    pub seed: u64,
    /// Categorical one-hot blocks of the output that go through a softmax.
    pub categorical_blocks: Vec<ColumnBlock>,
}

impl MlpConfig {
    /// A plain MLP with `depth` hidden layers of `width`, the default sinusoidal embedding,
    /// He initialisation and no categorical blocks.
    pub fn new(data_dim: usize, width: usize, depth: usize, seed: u64) -> Self {
        Self {
            data_dim,
            width,
            depth,
            residual: false,
            time_embedding: TimeEmbedding::default(),
            init: Init::He,
            seed,
            categorical_blocks: Vec::new(),
        }
    }

    fn validate(&self) -> Result<(), NetError> {
        if self.data_dim == 0 || self.width == 0 || self.depth == 0 {
            return Err(NetError::InvalidConfig(format!(
                "MLP needs d, width and depth >= 1, got d = {}, width = {}, depth = {}",
                self.data_dim, self.width, self.depth
            )));
        }
        Ok(())
    }

    /// The body: input layer, hidden layers or residual blocks, output layer and heads.
    fn body<B: Backend>(&self) -> Result<Sequential<B>, NetError> {
        let (d, w, e) = (self.data_dim, self.width, self.time_embedding.dim());
        let dense = |name: &str, fan_in: usize, fan_out: usize| -> Box<dyn Layer<B>> {
            let init = WeightInit::Normal {
                std: self.init.std(fan_in),
            };
            Box::new(Dense::affine(name, fan_in, fan_out, init))
        };
        let mut layers = vec![dense("in", d + e, w)];
        if self.residual {
            for k in 0..self.depth {
                let branch = Sequential::new(vec![
                    dense(&format!("block.{k}.fc1"), w, w),
                    Box::new(Activation::Silu),
                    dense(&format!("block.{k}.fc2"), w, w),
                ]);
                layers.push(Box::new(Residual::new(branch)));
            }
            layers.push(Box::new(Activation::Silu));
        } else {
            layers.push(Box::new(Activation::Silu));
            for l in 1..self.depth {
                layers.push(dense(&format!("hidden.{l}"), w, w));
                layers.push(Box::new(Activation::Silu));
            }
        }
        layers.push(dense("out", w, d));
        let heads = SoftmaxHeads::new(d, self.categorical_blocks.clone())?;
        if !self.categorical_blocks.is_empty() {
            layers.push(Box::new(heads));
        }
        Ok(Sequential::new(layers))
    }
}

/// The MLP denoiser (see the module documentation for the architecture).
///
/// Parameter order: `"time.freqs"` (frozen), `"in.weight"`, `"in.bias"`, then
/// `"hidden.{l}.weight"/"hidden.{l}.bias"` for `l = 1..depth` (plain) or
/// `"block.{k}.fc1.weight"`, `".fc1.bias"`, `".fc2.weight"`, `".fc2.bias"` for
/// `k = 0..depth` (residual), then `"out.weight"`, `"out.bias"`.
#[derive(Debug)]
pub struct Mlp<B: Backend> {
    config: MlpConfig,
    time: TimeFeatures,
    body: Sequential<B>,
    params: Vec<Param<B>>,
}

impl<B: Backend> Mlp<B> {
    /// A freshly initialised network. Draws, in order from
    /// `ChaCha8Rng::seed_from_u64(config.seed)`: the embedding frequencies (random Fourier
    /// only), then each weight matrix in parameter order.
    pub fn new(be: &B, config: MlpConfig) -> Result<Self, NetError> {
        config.validate()?;
        let time = TimeFeatures::new(config.time_embedding.clone())?;
        let body = config.body()?;
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mut params = Vec::new();
        Layer::<B>::init(&time, be, &mut rng, &mut params)?;
        body.init(be, &mut rng, &mut params)?;
        Ok(Self {
            config,
            time,
            body,
            params,
        })
    }

    /// The architecture.
    pub fn mlp_config(&self) -> &MlpConfig {
        &self.config
    }
}

impl<B: Backend> ScoreNet<B> for Mlp<B> {
    fn data_dim(&self) -> usize {
        self.config.data_dim
    }

    /// Saves `u = [x, emb(t)]` and the body's tape.
    fn forward(&self, be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<Forward<B>, NetError> {
        check_inputs(x, t, self.config.data_dim)?;
        let (emb, _) = self.time.forward(be, &self.params[..1], t)?;
        let u = be.concat_cols(&[x, &emb])?;
        crate::body_forward(be, &self.body, &self.params, 1, u)
    }

    fn backward(
        &self,
        be: &B,
        fwd: &Forward<B>,
        grad_out: &B::Matrix,
    ) -> Result<Vec<B::Matrix>, NetError> {
        crate::body_backward(be, &self.body, &self.params, 1, fwd, grad_out)
    }

    fn params(&self) -> &[Param<B>] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param<B>] {
        &mut self.params
    }

    fn config(&self) -> NetConfig {
        NetConfig::Mlp(self.config.clone())
    }
}
