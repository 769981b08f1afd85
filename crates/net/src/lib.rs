//! Score networks of scorediff with hand-written forward and backward passes.
//!
//! A score network `f_theta(x, t)` estimates the denoiser `E[X_0 | X_t = x]`; the score model
//! is its parametric form `s_theta = (alpha_t f_theta - x) / h_t` (DESIGN.md §1), built by
//! `scorediff-process`. This crate only knows the network: inputs `x` (`rows x d`) and `t`
//! (`rows x 1`, one time per record), output `rows x d`.
//!
//! Two networks implement [`ScoreNet`]:
//! - [`TwoLayerNet`], the network of the theory (DESIGN.md §1):
//!   `f_W(z) = m^{-1/2} sum_r a_r relu(w_r . z)` with `z = (x, t, 1)`, `W` trained and the
//!   sign matrix `A` frozen. It also exposes what the empirical NTK needs
//!   ([`TwoLayerNet::inputs`], [`TwoLayerNet::activation_pattern`],
//!   [`TwoLayerNet::empirical_ntk`]).
//! - [`Mlp`], a practical denoiser: time embedding, SiLU hidden layers (optionally residual
//!   blocks) and softmax output heads over categorical one-hot blocks.
//!
//! Both are composed of [`layer`]s (dense, activation, residual, softmax heads, time
//! features), each with its forward pass, backward pass and parameters; a new denoiser is
//! a new stack of layers, and a new layer a type implementing [`layer::Layer`].
//!
//! Every operation runs on a [`Backend`]; products are `gemm`s, so memory is
//! `O(batch x width)`. Gradients are checked against finite differences in `tests/`, per
//! layer (`tests/layers.rs`) and per network (`tests/gradcheck.rs`).

mod config;
mod embedding;
mod error;
mod init;
pub mod layer;
mod mlp;
mod two_layer;

pub use config::{AnyNet, NetConfig, NetKind, NetSpec};
pub use embedding::{TimeEmbedding, TimeFeatures};
pub use error::NetError;
pub use init::Init;
pub use mlp::{Mlp, MlpConfig};
pub use two_layer::{TwoLayerConfig, TwoLayerNet};

use layer::Tape;
use scorediff_backend::{Backend, DeviceMatrix};

/// A named parameter matrix of a network.
///
/// Names are stable (`"W"`, `"A"`, `"in.weight"`, ...): checkpoints store parameters by name.
#[derive(Debug)]
pub struct Param<B: Backend> {
    /// Stable name, used as the tensor name in checkpoints.
    pub name: String,
    /// The current value.
    pub value: B::Matrix,
    /// Whether optimizers update it. Frozen parameters (the signs `A` of the two-layer net,
    /// the frequencies of a time embedding) get zero gradients.
    pub trainable: bool,
}

impl<B: Backend> Param<B> {
    /// A parameter named `name` holding `value`.
    pub fn new(name: impl Into<String>, value: B::Matrix, trainable: bool) -> Self {
        Self {
            name: name.into(),
            value,
            trainable,
        }
    }

    /// `(rows, cols)` of the value.
    pub fn shape(&self) -> (usize, usize) {
        self.value.shape()
    }
}

/// The result of a forward pass: the output and what the backward pass needs.
#[derive(Debug)]
pub struct Forward<B: Backend> {
    /// Network output, `rows x d`.
    pub output: B::Matrix,
    /// What the network's layers saved for [`ScoreNet::backward`].
    tape: Tape<B>,
    /// The forward pass of a wrapped network, for wrappers (such as a preconditioning
    /// layer) whose backward pass calls the inner network's.
    inner: Option<Box<Forward<B>>>,
}

impl<B: Backend> Forward<B> {
    /// Bundles an output with the intermediates its network's backward pass reads.
    pub fn new(output: B::Matrix, saved: Vec<B::Matrix>) -> Self {
        Self::with_tape(output, Tape::of(saved))
    }

    /// Bundles an output with its layers' tape.
    pub fn with_tape(output: B::Matrix, tape: Tape<B>) -> Self {
        Self {
            output,
            tape,
            inner: None,
        }
    }

    /// A wrapper's forward pass: its output and intermediates, and the wrapped network's
    /// own forward pass.
    pub fn wrapping(output: B::Matrix, saved: Vec<B::Matrix>, inner: Forward<B>) -> Self {
        Self {
            output,
            tape: Tape::of(saved),
            inner: Some(Box::new(inner)),
        }
    }

    /// The wrapped network's forward pass, when this one came from a wrapper.
    pub fn inner(&self) -> Option<&Forward<B>> {
        self.inner.as_deref()
    }

    /// The matrices the network saved at its top level.
    pub fn saved(&self) -> &[B::Matrix] {
        &self.tape.saved
    }

    /// The whole tape.
    pub fn tape(&self) -> &Tape<B> {
        &self.tape
    }

    /// Number of rows of the batch.
    pub fn rows(&self) -> usize {
        self.output.rows()
    }

    /// Takes the output, dropping the cache.
    pub fn into_output(self) -> B::Matrix {
        self.output
    }
}

/// A network `f_theta(x, t) -> R^d` with a hand-written backward pass.
///
/// `x` is `rows x d`, `t` is `rows x 1`. The output is `rows x d`.
pub trait ScoreNet<B: Backend>: Send + Sync {
    /// The data dimension `d` (input `x` and output both have `d` columns).
    fn data_dim(&self) -> usize;

    /// Forward pass on a batch; keeps what [`ScoreNet::backward`] needs.
    fn forward(&self, be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<Forward<B>, NetError>;

    /// Backward pass: given `grad_out = dL/d(output)` (`rows x d`) for the batch of `fwd`,
    /// returns `dL/d(param)` for every parameter, in the order and with the shapes of
    /// [`ScoreNet::params`]. Frozen parameters get zero matrices.
    fn backward(
        &self,
        be: &B,
        fwd: &Forward<B>,
        grad_out: &B::Matrix,
    ) -> Result<Vec<B::Matrix>, NetError>;

    /// The parameters, in a fixed order.
    fn params(&self) -> &[Param<B>];

    /// Mutable access to the parameters (optimizers, checkpoint loading). Callers keep the
    /// shapes unchanged.
    fn params_mut(&mut self) -> &mut [Param<B>];

    /// The configuration that rebuilds this architecture (weights aside).
    fn config(&self) -> NetConfig;

    /// The output only (no cache kept beyond the call).
    fn predict(&self, be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<B::Matrix, NetError> {
        Ok(self.forward(be, x, t)?.into_output())
    }

    /// [`ScoreNet::forward`] when the caller also holds the times on the host (a training
    /// batch's draw, a sampler step): `t_host[i]` is the `f32` in row `i` of `t`. Networks
    /// that need per-row coefficients of `t` (the preconditioner's `c_in`, `c_skip`,
    /// `c_out`) compute them from `t_host` instead of downloading `t` on every pass; the
    /// default ignores it.
    fn forward_at(
        &self,
        be: &B,
        x: &B::Matrix,
        t: &B::Matrix,
        t_host: &[f32],
    ) -> Result<Forward<B>, NetError> {
        let _ = t_host;
        self.forward(be, x, t)
    }

    /// The output of [`ScoreNet::forward_at`] only.
    fn predict_at(
        &self,
        be: &B,
        x: &B::Matrix,
        t: &B::Matrix,
        t_host: &[f32],
    ) -> Result<B::Matrix, NetError> {
        Ok(self.forward_at(be, x, t, t_host)?.into_output())
    }

    /// Total number of parameter entries, frozen ones included.
    fn n_params(&self) -> usize {
        self.params().iter().map(|p| p.value.len()).sum()
    }

    /// Number of trainable parameter entries.
    fn n_trainable(&self) -> usize {
        self.params()
            .iter()
            .filter(|p| p.trainable)
            .map(|p| p.value.len())
            .sum()
    }
}

impl<B: Backend, N: ScoreNet<B> + ?Sized> ScoreNet<B> for Box<N> {
    fn data_dim(&self) -> usize {
        (**self).data_dim()
    }
    fn forward(&self, be: &B, x: &B::Matrix, t: &B::Matrix) -> Result<Forward<B>, NetError> {
        (**self).forward(be, x, t)
    }
    fn forward_at(
        &self,
        be: &B,
        x: &B::Matrix,
        t: &B::Matrix,
        t_host: &[f32],
    ) -> Result<Forward<B>, NetError> {
        (**self).forward_at(be, x, t, t_host)
    }
    fn backward(
        &self,
        be: &B,
        fwd: &Forward<B>,
        grad_out: &B::Matrix,
    ) -> Result<Vec<B::Matrix>, NetError> {
        (**self).backward(be, fwd, grad_out)
    }
    fn params(&self) -> &[Param<B>] {
        (**self).params()
    }
    fn params_mut(&mut self) -> &mut [Param<B>] {
        (**self).params_mut()
    }
    fn config(&self) -> NetConfig {
        (**self).config()
    }
}

/// Checks the batch shapes shared by every network: `x` is `rows x d`, `t` is `rows x 1`.
pub(crate) fn check_inputs<M: DeviceMatrix>(x: &M, t: &M, d: usize) -> Result<(), NetError> {
    if x.cols() != d {
        return Err(NetError::Shape(format!(
            "x has {} columns, the network expects d = {d}",
            x.cols()
        )));
    }
    if t.cols() != 1 || t.rows() != x.rows() {
        return Err(NetError::Shape(format!(
            "t must be {} x 1 (one time per row of x), got {} x {}",
            x.rows(),
            t.rows(),
            t.cols()
        )));
    }
    Ok(())
}

/// Checks that `grad_out` matches the forward output's shape.
pub(crate) fn check_grad_out<B: Backend>(
    fwd: &Forward<B>,
    grad_out: &B::Matrix,
) -> Result<(), NetError> {
    if grad_out.shape() != fwd.output.shape() {
        return Err(NetError::Shape(format!(
            "grad_out is {}x{}, the output is {}x{}",
            grad_out.rows(),
            grad_out.cols(),
            fwd.output.rows(),
            fwd.output.cols()
        )));
    }
    Ok(())
}

/// The forward pass of a network whose `body` of layers maps one input matrix `u` (built
/// from `x` and `t`) with `params[first..]`: keeps `u` and the body's tape.
pub(crate) fn body_forward<B: Backend>(
    be: &B,
    body: &layer::Sequential<B>,
    params: &[Param<B>],
    first: usize,
    u: B::Matrix,
) -> Result<Forward<B>, NetError> {
    use layer::Layer as _;
    let (output, tape) = body.forward(be, &params[first..], &u)?;
    Ok(Forward::with_tape(
        output,
        Tape {
            saved: vec![u],
            children: vec![tape],
        },
    ))
}

/// The backward pass of [`body_forward`]'s network: every parameter's gradient, zeros for
/// the frozen ones and for `params[..first]` (which the body does not read).
pub(crate) fn body_backward<B: Backend>(
    be: &B,
    body: &layer::Sequential<B>,
    params: &[Param<B>],
    first: usize,
    fwd: &Forward<B>,
    grad_out: &B::Matrix,
) -> Result<Vec<B::Matrix>, NetError> {
    use layer::Layer as _;
    check_grad_out(fwd, grad_out)?;
    let pass = layer::Pass {
        input: fwd.tape.get(0, "network")?,
        output: &fwd.output,
        tape: fwd.tape.child(0, "network")?,
    };
    let mut grads: Vec<Option<B::Matrix>> = (0..params.len()).map(|_| None).collect();
    body.backward(
        be,
        &params[first..],
        pass,
        grad_out,
        &mut grads[first..],
        layer::InputGrad::Skip,
    )?;
    grads
        .into_iter()
        .zip(params)
        .map(|(g, p)| match g {
            Some(g) => Ok(g),
            None => Ok(be.zeros(p.value.rows(), p.value.cols())?),
        })
        .collect()
}
