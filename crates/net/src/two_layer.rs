//! The two-layer ReLU network of the theory (DESIGN.md §1).
//!
//! `f_W(z) = m^{-1/2} sum_r a_r relu(w_r . z)` with `z = (x, t, 1) in R^{d+2}`, `W` (`m x
//! (d+2)`, rows `w_r ~ N(0, I)`) trained and `A` (`m x d`, rows `a_r in {+1,-1}^d`) frozen.
//! In matrix form, for a batch `Z` (`rows x (d+2)`):
//!
//! ```text
//! P = Z W^T            (rows x m, the pre-activations w_r . z)
//! f = m^{-1/2} relu(P) A
//! ```
//!
//! and for `G = dL/df`: `dL/dP = 1{P > 0} * (m^{-1/2} G A^T)`, `dL/dW = (dL/dP)^T Z`.
//!
//! As layers: `Dense(W, stored m x (d+2), no bias)`, `Activation::Relu`,
//! `Dense(A, scaled m^{-1/2}, frozen)`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, DeviceMatrix, Transpose};
use serde::{Deserialize, Serialize};

use crate::layer::{Activation, Dense, Layer, Sequential, WeightInit, WeightLayout};
use crate::{Forward, NetConfig, NetError, Param, ScoreNet, check_inputs};

/// Index of `W` in [`TwoLayerNet::params`].
const W_IDX: usize = 0;
/// Index of `A` in [`TwoLayerNet::params`].
const A_IDX: usize = 1;

/// Architecture of a [`TwoLayerNet`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoLayerConfig {
    /// Data dimension `d`.
    pub data_dim: usize,
    /// Width `m` (number of hidden ReLU units).
    pub width: usize,
    /// Seed of the initialisation (`W ~ N(0, I)`, `A` uniform signs).
    pub seed: u64,
}

/// The paper's two-layer ReLU network with frozen output signs (DESIGN.md §1).
///
/// Parameters: `"W"` (`m x (d+2)`, trainable) then `"A"` (`m x d`, frozen).
#[derive(Debug)]
pub struct TwoLayerNet<B: Backend> {
    config: TwoLayerConfig,
    body: Sequential<B>,
    params: Vec<Param<B>>,
}

impl<B: Backend> TwoLayerNet<B> {
    /// A freshly initialised network: `W` entries `N(0, 1)`, `A` entries uniform in
    /// `{+1, -1}`, drawn in that order from `ChaCha8Rng::seed_from_u64(config.seed)`.
    pub fn new(be: &B, config: TwoLayerConfig) -> Result<Self, NetError> {
        if config.data_dim == 0 || config.width == 0 {
            return Err(NetError::InvalidConfig(format!(
                "two-layer net needs d >= 1 and m >= 1, got d = {}, m = {}",
                config.data_dim, config.width
            )));
        }
        let (m, d) = (config.width, config.data_dim);
        let inv_sqrt_m = 1.0 / (m as f32).sqrt();
        let body = Sequential::new(vec![
            Box::new(Dense::linear(
                "W",
                d + 2,
                m,
                WeightLayout::OutIn,
                WeightInit::Normal { std: 1.0 },
            )),
            Box::new(Activation::Relu),
            Box::new(
                Dense::linear("A", m, d, WeightLayout::InOut, WeightInit::Signs)
                    .scaled(inv_sqrt_m)
                    .frozen(),
            ),
        ]);
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mut params = Vec::new();
        body.init(be, &mut rng, &mut params)?;
        Ok(Self {
            config,
            body,
            params,
        })
    }

    /// Width `m`.
    pub fn width(&self) -> usize {
        self.config.width
    }

    /// The hidden weights `W` (`m x (d+2)`, row `r` is `w_r`).
    pub fn weights(&self) -> &B::Matrix {
        &self.params[W_IDX].value
    }

    /// The frozen output signs `A` (`m x d`, row `r` is `a_r`).
    pub fn signs(&self) -> &B::Matrix {
        &self.params[A_IDX].value
    }

    /// The network inputs `Z = [x, t, 1]` (`rows x (d+2)`): data, time and the bias input.
    pub fn inputs(&self, be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix, NetError> {
        check_inputs(x, t, self.config.data_dim)?;
        let ones = be.full(x.rows(), 1, 1.0)?;
        Ok(be.concat_cols(&[x, t, &ones])?)
    }

    /// The pre-activations `P = Z W^T` (`rows x m`) of inputs `z` (`rows x (d+2)`, see
    /// [`TwoLayerNet::inputs`]).
    pub fn pre_activations(&self, be: &B, z: &B::Matrix) -> Result<B::Matrix, NetError> {
        Ok(be.matmul(z, Transpose::No, self.weights(), Transpose::Yes)?)
    }

    /// The activation pattern `S[i, r] = 1{w_r . z_i > 0}` (`rows x m`) of inputs `z`.
    ///
    /// The empirical NTK of DESIGN.md §1 is `k_m(z, z') = (z . z') (1/m) sum_r S_r(z) S_r(z')`
    /// (the set `w_r . z = 0` has probability zero, so `>` and `>=` agree almost surely).
    pub fn activation_pattern(&self, be: &B, z: &B::Matrix) -> Result<B::Matrix, NetError> {
        Ok(be.activation_grad(Activation::Relu, &self.pre_activations(be, z)?)?)
    }

    /// The per-row feature map whose inner products give the empirical NTK: the activation
    /// pattern scaled by `m^{-1/2}` (`rows x m`), so that
    /// `k_m(z, z') = (z . z') <phi(z), phi(z')>`.
    pub fn features(&self, be: &B, z: &B::Matrix) -> Result<B::Matrix, NetError> {
        let s = self.activation_pattern(be, z)?;
        Ok(be.scale(&s, 1.0 / (self.config.width as f32).sqrt())?)
    }

    /// The empirical NTK Gram block `K[i, j] = (z_i . z'_j) (1/m) sum_r S_r(z_i) S_r(z'_j)`
    /// (`rows(z1) x rows(z2)`), the kernel that couples output coordinate `k` with itself
    /// (DESIGN.md §1). Cross-coordinate terms carry `a_rk a_rl` and vanish as `m` grows.
    pub fn empirical_ntk(
        &self,
        be: &B,
        z1: &B::Matrix,
        z2: &B::Matrix,
    ) -> Result<B::Matrix, NetError> {
        let phi1 = self.features(be, z1)?;
        let phi2 = self.features(be, z2)?;
        let pattern = be.matmul(&phi1, Transpose::No, &phi2, Transpose::Yes)?;
        let dots = be.matmul(z1, Transpose::No, z2, Transpose::Yes)?;
        Ok(be.mul(&pattern, &dots)?)
    }
}

impl<B: Backend> ScoreNet<B> for TwoLayerNet<B> {
    fn data_dim(&self) -> usize {
        self.config.data_dim
    }

    /// Saves `Z` and the layers' tape (`P` and `relu(P)`).
    fn forward(&self, be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<Forward<B>, NetError> {
        let z = self.inputs(be, x, t)?;
        crate::body_forward(be, &self.body, &self.params, 0, z)
    }

    fn backward(
        &self,
        be: &B,
        fwd: &Forward<B>,
        grad_out: &B::Matrix,
    ) -> Result<Vec<B::Matrix>, NetError> {
        crate::body_backward(be, &self.body, &self.params, 0, fwd, grad_out)
    }

    fn params(&self) -> &[Param<B>] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param<B>] {
        &mut self.params
    }

    fn config(&self) -> NetConfig {
        NetConfig::TwoLayer(self.config.clone())
    }
}
