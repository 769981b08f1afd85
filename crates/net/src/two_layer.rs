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

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, Binary, DeviceMatrix, Transpose, Unary};
use serde::{Deserialize, Serialize};

use crate::init::{normal_vec, sign_vec};
use crate::{Forward, NetConfig, NetError, Param, ScoreNet, check_grad_out, check_inputs};

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
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let w = normal_vec(&mut rng, m * (d + 2), 1.0);
        let a = sign_vec(&mut rng, m * d);
        let params = vec![
            Param::new("W", be.from_host(m, d + 2, &w)?, true),
            Param::new("A", be.from_host(m, d, &a)?, false),
        ];
        Ok(Self { config, params })
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
        let p = self.pre_activations(be, z)?;
        Ok(be.unary(Unary::ReluGrad, &p)?)
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

    fn inv_sqrt_m(&self) -> f32 {
        1.0 / (self.config.width as f32).sqrt()
    }
}

impl<B: Backend> ScoreNet<B> for TwoLayerNet<B> {
    fn data_dim(&self) -> usize {
        self.config.data_dim
    }

    /// Saves `[Z, P]`.
    fn forward(&self, be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<Forward<B>, NetError> {
        let z = self.inputs(be, x, t)?;
        let p = self.pre_activations(be, &z)?;
        let h = be.unary(Unary::Relu, &p)?;
        let mut out = be.zeros(x.rows(), self.config.data_dim)?;
        be.gemm(
            self.inv_sqrt_m(),
            &h,
            Transpose::No,
            self.signs(),
            Transpose::No,
            0.0,
            &mut out,
        )?;
        Ok(Forward::new(out, vec![z, p]))
    }

    fn backward(
        &self,
        be: &B,
        fwd: &Forward<B>,
        grad_out: &B::Matrix,
    ) -> Result<Vec<B::Matrix>, NetError> {
        check_grad_out(fwd, grad_out)?;
        let [z, p] = fwd.saved() else {
            return Err(NetError::Cache(format!(
                "expected 2 saved matrices, found {}",
                fwd.saved().len()
            )));
        };
        let (m, d) = (self.config.width, self.config.data_dim);
        if p.cols() != m || z.cols() != d + 2 {
            return Err(NetError::Cache("saved shapes differ from this net".into()));
        }
        let s = self.inv_sqrt_m();
        // dL/dh = m^{-1/2} G A^T, then through the ReLU.
        let mut dh = be.zeros(grad_out.rows(), m)?;
        be.gemm(
            s,
            grad_out,
            Transpose::No,
            self.signs(),
            Transpose::Yes,
            0.0,
            &mut dh,
        )?;
        let dp = be.binary(Binary::ReluBackward, p, &dh)?;
        drop(dh);
        let grad_w = be.matmul(&dp, Transpose::Yes, z, Transpose::No)?;
        let grad_a = if self.params[A_IDX].trainable {
            let h = be.unary(Unary::Relu, p)?;
            let mut ga = be.zeros(m, d)?;
            be.gemm(s, &h, Transpose::Yes, grad_out, Transpose::No, 0.0, &mut ga)?;
            ga
        } else {
            be.zeros(m, d)?
        };
        Ok(vec![grad_w, grad_a])
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
