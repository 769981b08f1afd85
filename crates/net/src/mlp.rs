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

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{
    Backend, Binary, ColumnBlock, DeviceMatrix, Transpose, Unary, ops::check_blocks,
};
use serde::{Deserialize, Serialize};

use crate::embedding::{TimeEmbedding, embed};
use crate::init::{Init, normal_vec};
use crate::{Forward, NetConfig, NetError, Param, ScoreNet, check_grad_out, check_inputs};

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
        self.time_embedding.validate()?;
        let blocks: Vec<ColumnBlock> = self.blocks();
        check_blocks("mlp", &blocks, self.data_dim)
            .map_err(|e| NetError::InvalidConfig(e.to_string()))?;
        if blocks.iter().any(|b| b.len == 0) {
            return Err(NetError::InvalidConfig("empty categorical block".into()));
        }
        Ok(())
    }

    fn blocks(&self) -> Vec<ColumnBlock> {
        self.categorical_blocks.clone()
    }
}

/// Positions of a dense layer's weight and bias in the parameter list.
#[derive(Debug, Clone, Copy)]
struct Dense {
    w: usize,
    b: usize,
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
    blocks: Vec<ColumnBlock>,
    params: Vec<Param<B>>,
}

const FREQS: usize = 0;
const INPUT: Dense = Dense { w: 1, b: 2 };

impl<B: Backend> Mlp<B> {
    /// A freshly initialised network. Draws, in order from
    /// `ChaCha8Rng::seed_from_u64(config.seed)`: the embedding frequencies (random Fourier
    /// only), then each weight matrix in parameter order.
    pub fn new(be: &B, config: MlpConfig) -> Result<Self, NetError> {
        config.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let (d, w, e) = (config.data_dim, config.width, config.time_embedding.dim());
        let freqs = config.time_embedding.frequencies(&mut rng);
        let mut params = vec![Param::new(
            "time.freqs",
            be.from_host(1, freqs.len(), &freqs)?,
            false,
        )];
        let mut dense = |name: &str, fan_in: usize, fan_out: usize, params: &mut Vec<_>| {
            let std = config.init.std(fan_in);
            let weight = normal_vec(&mut rng, fan_in * fan_out, std);
            params.push(Param::new(
                format!("{name}.weight"),
                be.from_host(fan_in, fan_out, &weight)?,
                true,
            ));
            params.push(Param::new(
                format!("{name}.bias"),
                be.zeros(1, fan_out)?,
                true,
            ));
            Ok::<(), NetError>(())
        };
        dense("in", d + e, w, &mut params)?;
        if config.residual {
            for k in 0..config.depth {
                dense(&format!("block.{k}.fc1"), w, w, &mut params)?;
                dense(&format!("block.{k}.fc2"), w, w, &mut params)?;
            }
        } else {
            for l in 1..config.depth {
                dense(&format!("hidden.{l}"), w, w, &mut params)?;
            }
        }
        dense("out", w, d, &mut params)?;
        let blocks = config.blocks();
        Ok(Self {
            config,
            blocks,
            params,
        })
    }

    /// The architecture.
    pub fn mlp_config(&self) -> &MlpConfig {
        &self.config
    }

    fn output_layer(&self) -> Dense {
        let n = self.params.len();
        Dense { w: n - 2, b: n - 1 }
    }

    /// Hidden layer `l` (1-based, `l < depth`) of the plain body.
    fn hidden(&self, l: usize) -> Dense {
        Dense {
            w: 1 + 2 * l,
            b: 2 + 2 * l,
        }
    }

    /// The two layers of residual block `k`.
    fn block(&self, k: usize) -> (Dense, Dense) {
        let base = 3 + 4 * k;
        (
            Dense {
                w: base,
                b: base + 1,
            },
            Dense {
                w: base + 2,
                b: base + 3,
            },
        )
    }

    /// `x W + b` for layer `layer`.
    fn dense(&self, be: &B, x: &B::Matrix, layer: Dense) -> Result<B::Matrix, NetError> {
        let y = be.matmul(x, Transpose::No, &self.params[layer.w].value, Transpose::No)?;
        Ok(be.broadcast_row(Binary::Add, &y, &self.params[layer.b].value)?)
    }

    /// Gradients of `y = x W + b` given `dy`: stores `dW = x^T dy`, `db = 1^T dy` into
    /// `grads`; returns `dx = dy W^T` when asked.
    fn dense_backward(
        &self,
        be: &B,
        x: &B::Matrix,
        dy: &B::Matrix,
        layer: Dense,
        need_dx: bool,
        grads: &mut [Option<B::Matrix>],
    ) -> Result<Option<B::Matrix>, NetError> {
        grads[layer.w] = Some(be.matmul(x, Transpose::Yes, dy, Transpose::No)?);
        grads[layer.b] = Some(be.col_sums(dy)?);
        if !need_dx {
            return Ok(None);
        }
        let w = &self.params[layer.w].value;
        Ok(Some(be.matmul(dy, Transpose::No, w, Transpose::Yes)?))
    }

    fn heads(&self, be: &B, y: B::Matrix) -> Result<B::Matrix, NetError> {
        if self.blocks.is_empty() {
            Ok(y)
        } else {
            Ok(be.softmax_blocks(&y, &self.blocks)?)
        }
    }

    /// Saves `[u, a_1, h_1, .., a_L, h_L]`.
    fn forward_plain(&self, be: &B, u: B::Matrix) -> Result<(B::Matrix, Vec<B::Matrix>), NetError> {
        let mut saved = Vec::with_capacity(2 * self.config.depth + 1);
        let a = self.dense(be, &u, INPUT)?;
        let mut h = be.unary(Unary::Silu, &a)?;
        saved.push(u);
        saved.push(a);
        for l in 1..self.config.depth {
            let a = self.dense(be, &h, self.hidden(l))?;
            let next = be.unary(Unary::Silu, &a)?;
            saved.push(std::mem::replace(&mut h, next));
            saved.push(a);
        }
        let y = self.dense(be, &h, self.output_layer())?;
        saved.push(h);
        Ok((y, saved))
    }

    fn backward_plain(
        &self,
        be: &B,
        saved: &[B::Matrix],
        dy: &B::Matrix,
        grads: &mut [Option<B::Matrix>],
    ) -> Result<(), NetError> {
        let depth = self.config.depth;
        if saved.len() != 2 * depth + 1 {
            return Err(NetError::Cache(format!(
                "expected {} saved matrices, found {}",
                2 * depth + 1,
                saved.len()
            )));
        }
        // saved = [u, a_1, h_1, a_2, h_2, .., a_L, h_L]: a_l at 2l - 1, h_l at 2l, u at 0.
        let h_last = &saved[2 * depth];
        let mut dh = self
            .dense_backward(be, h_last, dy, self.output_layer(), true, grads)?
            .ok_or_else(|| NetError::Cache("missing output gradient".into()))?;
        for l in (1..=depth).rev() {
            let a = &saved[2 * l - 1];
            let da = be.binary(Binary::SiluBackward, a, &dh)?;
            let input = &saved[2 * l - 2];
            let layer = if l == 1 { INPUT } else { self.hidden(l - 1) };
            match self.dense_backward(be, input, &da, layer, l > 1, grads)? {
                Some(next) => dh = next,
                None => break,
            }
        }
        Ok(())
    }

    /// Saves `[u, h_0, a_0, s_0, .., h_{K-1}, a_{K-1}, s_{K-1}, h_K, silu(h_K)]`.
    fn forward_residual(
        &self,
        be: &B,
        u: B::Matrix,
    ) -> Result<(B::Matrix, Vec<B::Matrix>), NetError> {
        let mut saved = Vec::with_capacity(3 * self.config.depth + 3);
        let mut h = self.dense(be, &u, INPUT)?;
        saved.push(u);
        for k in 0..self.config.depth {
            let (fc1, fc2) = self.block(k);
            let a = self.dense(be, &h, fc1)?;
            let s = be.unary(Unary::Silu, &a)?;
            let r = self.dense(be, &s, fc2)?;
            let next = be.add(&h, &r)?;
            saved.push(std::mem::replace(&mut h, next));
            saved.push(a);
            saved.push(s);
        }
        let sf = be.unary(Unary::Silu, &h)?;
        let y = self.dense(be, &sf, self.output_layer())?;
        saved.push(h);
        saved.push(sf);
        Ok((y, saved))
    }

    fn backward_residual(
        &self,
        be: &B,
        saved: &[B::Matrix],
        dy: &B::Matrix,
        grads: &mut [Option<B::Matrix>],
    ) -> Result<(), NetError> {
        let depth = self.config.depth;
        if saved.len() != 3 * depth + 3 {
            return Err(NetError::Cache(format!(
                "expected {} saved matrices, found {}",
                3 * depth + 3,
                saved.len()
            )));
        }
        let (h_last, sf) = (&saved[3 * depth + 1], &saved[3 * depth + 2]);
        let dsf = self
            .dense_backward(be, sf, dy, self.output_layer(), true, grads)?
            .ok_or_else(|| NetError::Cache("missing output gradient".into()))?;
        // dh is dL/dh_{k+1} on entry to block k's step.
        let mut dh = be.binary(Binary::SiluBackward, h_last, &dsf)?;
        for k in (0..depth).rev() {
            let (h, a, s) = (&saved[1 + 3 * k], &saved[2 + 3 * k], &saved[3 + 3 * k]);
            let (fc1, fc2) = self.block(k);
            let ds = self
                .dense_backward(be, s, &dh, fc2, true, grads)?
                .ok_or_else(|| NetError::Cache("missing block gradient".into()))?;
            let da = be.binary(Binary::SiluBackward, a, &ds)?;
            grads[fc1.w] = Some(be.matmul(h, Transpose::Yes, &da, Transpose::No)?);
            grads[fc1.b] = Some(be.col_sums(&da)?);
            // Skip path plus branch: dh_k = dh_{k+1} + da W1^T.
            let w1 = &self.params[fc1.w].value;
            be.gemm(1.0, &da, Transpose::No, w1, Transpose::Yes, 1.0, &mut dh)?;
        }
        self.dense_backward(be, &saved[0], &dh, INPUT, false, grads)?;
        Ok(())
    }
}

impl<B: Backend> ScoreNet<B> for Mlp<B> {
    fn data_dim(&self) -> usize {
        self.config.data_dim
    }

    fn forward(&self, be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<Forward<B>, NetError> {
        check_inputs(x, t, self.config.data_dim)?;
        let emb = embed(be, t, &self.params[FREQS].value)?;
        let u = be.concat_cols(&[x, &emb])?;
        let (y, saved) = if self.config.residual {
            self.forward_residual(be, u)?
        } else {
            self.forward_plain(be, u)?
        };
        Ok(Forward::new(self.heads(be, y)?, saved))
    }

    fn backward(
        &self,
        be: &B,
        fwd: &Forward<B>,
        grad_out: &B::Matrix,
    ) -> Result<Vec<B::Matrix>, NetError> {
        check_grad_out(fwd, grad_out)?;
        // Through the softmax heads first (identity outside the blocks).
        let owned;
        let dy = if self.blocks.is_empty() {
            grad_out
        } else {
            owned = be.softmax_blocks_backward(&fwd.output, grad_out, &self.blocks)?;
            &owned
        };
        let mut grads: Vec<Option<B::Matrix>> = (0..self.params.len()).map(|_| None).collect();
        if self.config.residual {
            self.backward_residual(be, fwd.saved(), dy, &mut grads)?;
        } else {
            self.backward_plain(be, fwd.saved(), dy, &mut grads)?;
        }
        // Frozen parameters (the embedding frequencies) get zeros.
        grads
            .into_iter()
            .zip(&self.params)
            .map(|(g, p)| match g {
                Some(g) => Ok(g),
                None => Ok(be.zeros(p.value.rows(), p.value.cols())?),
            })
            .collect()
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
