//! A preconditioned denoiser: the network's inputs and outputs rescaled by the process's
//! `alpha_t` and `h_t` so that every time asks the same difficulty of it.
//!
//! The parametric score of DESIGN.md §1, `s = (alpha_t f - x) / h_t`, divides the error of
//! the denoiser `f` by `h_t`, which vanishes as `t -> 0`: a plain network that must output
//! `f ~ x / alpha_t` there to within `h_t` loses the fine structure of the data. Following
//! Karras et al. (2022, "Elucidating the design space", §5 and Appendix B.6), the denoiser is
//! written
//!
//! ```text
//! f(x, t) = c_skip(t) x + c_out(t) F(c_in(t) x, t),      v_t = alpha_t^2 sigma_d^2 + h_t,
//! c_in = 1 / sqrt(v_t),   c_skip = alpha_t sigma_d^2 / v_t,   c_out = sqrt(h_t) sigma_d / sqrt(v_t)
//! ```
//!
//! with `sigma_d` the data's standard deviation per coordinate: `c_in` gives the network
//! unit-variance inputs, `c_skip` is the linear minimum-mean-square denoiser of data with
//! variance `sigma_d^2`, and `c_out` scales the network's correction to the size of the
//! remaining error. `f` is still an estimate of `E[X_0 | X_t = x]` trained by the same
//! regression `||f - x_0||^2`; only its parameterisation changes. On one-hot blocks the
//! network's softmax output is kept as it is (`c_skip = 0`, `c_out = 1`), so `f` stays a
//! probability vector there.

use scorediff_backend::{Backend, Binary, DeviceMatrix, Layout, Transpose};
use scorediff_net::{Forward, NetConfig, NetError, Param, ScoreNet};
use scorediff_process::{ForwardProcess, ProcessConfig};
use serde::{Deserialize, Serialize};

/// `v_t = alpha_t^2 sigma_d^2 + h_t`: the per-coordinate variance of `X_t` for data of
/// variance `sigma_d^2` (DESIGN.md §1, the preconditioned denoiser). It sets the
/// preconditioner's scales and the unit-target loss weight `w(t) = v_t / (h_t sigma_d^2)`.
pub fn marginal_variance(alpha_t: f64, h_t: f64, sigma_data: f64) -> f64 {
    alpha_t * alpha_t * (sigma_data * sigma_data) + h_t
}

/// Settings of the preconditioning.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PreconditionConfig {
    /// `sigma_d`, the standard deviation of a data coordinate (1 after a quantile-normal or
    /// standard encoding).
    pub sigma_data: f64,
}

impl Default for PreconditionConfig {
    fn default() -> Self {
        Self { sigma_data: 1.0 }
    }
}

/// A network `F` used as the denoiser `f = c_skip x + c_out F(c_in x, t)`; with no
/// configuration it is `F` itself.
#[derive(Debug)]
pub struct Preconditioned<N> {
    /// The wrapped network `F`.
    pub net: N,
    process: ProcessConfig,
    config: Option<PreconditionConfig>,
    /// 1 on the columns that get the skip connection, 0 on one-hot blocks.
    mask: Vec<f32>,
}

impl<N> Preconditioned<N> {
    /// Wraps `net` for data of width `d` whose one-hot columns are `blocks`. `config: None`
    /// leaves the network as it is (the theory's setting).
    pub fn new(
        net: N,
        process: ProcessConfig,
        config: Option<PreconditionConfig>,
        layout: &Layout,
    ) -> Self {
        let mut mask = vec![1.0f32; layout.width];
        for b in &layout.one_hot {
            for m in mask.iter_mut().skip(b.start).take(b.len) {
                *m = 0.0;
            }
        }
        Self {
            net,
            process,
            config,
            mask,
        }
    }

    /// The preconditioning, if any.
    pub fn config(&self) -> Option<PreconditionConfig> {
        self.config
    }

    /// `(c_in, c_skip, c_out)` at time `t` (see the module documentation; `v_t` is
    /// [`marginal_variance`]).
    pub fn coefficients(&self, t: f64) -> (f64, f64, f64) {
        let Some(cfg) = self.config else {
            return (1.0, 0.0, 1.0);
        };
        let (alpha, h) = (self.process.alpha(t), self.process.h(t));
        let s2 = cfg.sigma_data * cfg.sigma_data;
        let v = marginal_variance(alpha, h, cfg.sigma_data);
        (
            1.0 / v.sqrt(),
            alpha * s2 / v,
            h.sqrt() * cfg.sigma_data / v.sqrt(),
        )
    }

    /// Per-row coefficient columns for the times `t_host` (the host copy of the batch's
    /// time column: built once per pass on the host, uploaded once).
    fn columns<B: Backend>(&self, be: &B, t_host: &[f32]) -> Result<[B::Matrix; 3], NetError> {
        let mut cols = [vec![], vec![], vec![]];
        for &ti in t_host {
            let (a, b, c) = self.coefficients(f64::from(ti));
            cols[0].push(a as f32);
            cols[1].push(b as f32);
            cols[2].push(c as f32);
        }
        let n = t_host.len();
        let [c_in, c_skip, c_out] = cols;
        Ok([
            be.from_host(n, 1, &c_in)?,
            be.from_host(n, 1, &c_skip)?,
            be.from_host(n, 1, &c_out)?,
        ])
    }
}

/// The forward pass of the network used as it is (no preconditioning).
fn unwrapped<B: Backend>(be: &B, inner: Forward<B>) -> Result<Forward<B>, NetError> {
    let output = be.copy(&inner.output)?;
    Ok(Forward::wrapping(output, Vec::new(), inner))
}

/// The outer product `col row^T` (`rows x 1` times `1 x d`).
fn outer<B: Backend>(be: &B, col: &B::Matrix, row: &B::Matrix) -> Result<B::Matrix, NetError> {
    Ok(be.matmul(col, Transpose::No, row, Transpose::No)?)
}

impl<B: Backend, N: ScoreNet<B>> ScoreNet<B> for Preconditioned<N> {
    fn data_dim(&self) -> usize {
        self.net.data_dim()
    }

    /// Downloads `t` for the coefficients; callers holding the times on the host use
    /// [`ScoreNet::forward_at`].
    fn forward(&self, be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<Forward<B>, NetError> {
        if self.config.is_none() {
            return unwrapped(be, self.net.forward(be, x, t)?);
        }
        let t_host = be.to_host(t)?;
        self.forward_at(be, x, t, &t_host)
    }

    fn forward_at(
        &self,
        be: &B,
        x: &B::Matrix,
        t: &B::Matrix,
        t_host: &[f32],
    ) -> Result<Forward<B>, NetError> {
        if self.config.is_none() {
            return unwrapped(be, self.net.forward_at(be, x, t, t_host)?);
        }
        if x.rows() != t.rows() || x.cols() != self.mask.len() || t_host.len() != x.rows() {
            return Err(NetError::Shape(format!(
                "x {}x{}, t {}x{} ({} host times), network width {}",
                x.rows(),
                x.cols(),
                t.rows(),
                t.cols(),
                t_host.len(),
                self.mask.len()
            )));
        }
        let [c_in, c_skip, c_out] = self.columns(be, t_host)?;
        let x_in = be.broadcast_col(Binary::Mul, x, &c_in)?;
        let inner = self.net.forward(be, &x_in, t)?;
        let mask = be.from_host(1, self.mask.len(), &self.mask)?;
        // out_scale[i, j] = c_out_i on skip columns, 1 on one-hot blocks:
        // 1 + (c_out_i - 1) m_j.
        let c_out_minus_one = be.affine(&c_out, 1.0, -1.0)?;
        let out_scale = be.affine(&outer(be, &c_out_minus_one, &mask)?, 1.0, 1.0)?;
        let skip = be.mul(&outer(be, &c_skip, &mask)?, x)?;
        let output = be.add(&be.mul(&inner.output, &out_scale)?, &skip)?;
        Ok(Forward::wrapping(output, vec![out_scale], inner))
    }

    fn backward(
        &self,
        be: &B,
        fwd: &Forward<B>,
        grad_out: &B::Matrix,
    ) -> Result<Vec<B::Matrix>, NetError> {
        let inner = fwd
            .inner()
            .ok_or_else(|| NetError::Cache("not a preconditioned forward pass".into()))?;
        match fwd.saved().first() {
            // df/dF = out_scale elementwise; x's skip term has no parameters.
            Some(out_scale) => self.net.backward(be, inner, &be.mul(grad_out, out_scale)?),
            None => self.net.backward(be, inner, grad_out),
        }
    }

    fn params(&self) -> &[Param<B>] {
        self.net.params()
    }

    fn params_mut(&mut self) -> &mut [Param<B>] {
        self.net.params_mut()
    }

    /// The wrapped network's configuration; the preconditioning is recorded by the caller
    /// (the process and [`PreconditionConfig`]).
    fn config(&self) -> NetConfig {
        self.net.config()
    }
}
