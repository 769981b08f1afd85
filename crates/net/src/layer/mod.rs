//! Layers: the building blocks the networks are composed of.
//!
//! A [`Layer`] is a map `y = g_theta(x)` of one batch matrix (`rows x fan_in` to
//! `rows x fan_out`) with its forward pass, its backward pass and its parameters, in the
//! manner of burn's `Module` and of the `(init, apply, kernel)` triple of neural-tangents'
//! `stax` layers:
//!
//! - **Parameters live with the network, not in the layer.** A layer describes its
//!   parameters ([`Layer::n_params`], [`Layer::init`]); the network owns one flat list of
//!   [`Param`]s and hands each layer its slice. This keeps [`crate::ScoreNet::params`] a slice
//!   (what optimizers, checkpoints and the empirical NTK walk) and lets a composite split the
//!   slice among its children without any bookkeeping of indices.
//! - **Backward passes see the forward pass's input and output** ([`Pass`]). A layer keeps on
//!   its [`Tape`] only what is neither (a residual block its branch's output, a composite the
//!   intermediate activations), so no matrix is stored twice.
//! - **The input gradient is asked for, not assumed** ([`InputGrad`]): the first layer of a
//!   network whose input is data skips its `dy W^T` product, and a residual block has its
//!   branch's first layer add `dx` into the skip path's gradient in place (one `gemm` with
//!   `beta = 1`), as a hand-written backward pass would.
//!
//! Composites: [`Sequential`] (a chain), [`Residual`] (`x + F(x)`). Leaves: [`Dense`] (`x W + b`
//! and its scaled, transposed and frozen variants), [`Activation`] (ReLU, SiLU, with the
//! arc-cosine kernel maps of ReLU), [`SoftmaxHeads`] (softmax within one-hot blocks) and
//! [`crate::TimeFeatures`] (the sinusoidal time embedding). A new layer is a type that
//! implements [`Layer`]; nothing outside this crate changes (`tests/layers.rs` adds one).

mod activation;
mod dense;
mod softmax;

pub use activation::{KernelPair, kernel_map};
pub use dense::{Dense, WeightInit, WeightLayout};
pub use scorediff_backend::Activation;
pub use softmax::SoftmaxHeads;

use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, DeviceMatrix};

use crate::{NetError, Param};

/// What a forward pass keeps for the backward pass, besides its input and output.
#[derive(Debug)]
pub struct Tape<B: Backend> {
    /// Matrices the layer itself saved (meaning private to the layer).
    pub saved: Vec<B::Matrix>,
    /// The tapes of a composite's children, in order.
    pub children: Vec<Tape<B>>,
}

impl<B: Backend> Tape<B> {
    /// A tape that keeps nothing.
    pub fn empty() -> Self {
        Self {
            saved: Vec::new(),
            children: Vec::new(),
        }
    }

    /// A tape that keeps `saved`.
    pub fn of(saved: Vec<B::Matrix>) -> Self {
        Self {
            saved,
            children: Vec::new(),
        }
    }

    /// Saved matrix `i`, or a cache error naming the layer.
    pub fn get(&self, i: usize, layer: &str) -> Result<&B::Matrix, NetError> {
        self.saved
            .get(i)
            .ok_or_else(|| NetError::Cache(format!("{layer}: saved matrix {i} missing")))
    }

    /// Child tape `i`, or a cache error naming the layer.
    pub fn child(&self, i: usize, layer: &str) -> Result<&Tape<B>, NetError> {
        self.children
            .get(i)
            .ok_or_else(|| NetError::Cache(format!("{layer}: child tape {i} missing")))
    }
}

/// A forward pass as its backward pass sees it: the layer's input, its output and its tape.
#[derive(Debug)]
pub struct Pass<'a, B: Backend> {
    /// The input `x` of the forward pass.
    pub input: &'a B::Matrix,
    /// The output `y` of the forward pass.
    pub output: &'a B::Matrix,
    /// What the forward pass saved.
    pub tape: &'a Tape<B>,
}

/// What a backward pass does with `dL/dx`, the gradient with respect to the layer's input.
#[derive(Debug)]
pub enum InputGrad<M> {
    /// Not needed: the input is data (the backward pass returns `None`).
    Skip,
    /// Returned as a new matrix.
    New,
    /// Added into this matrix, which is returned (a residual connection's skip path).
    AddTo(M),
}

/// A differentiable map of a batch matrix with its parameters (see the module docs).
pub trait Layer<B: Backend>: std::fmt::Debug + Send + Sync {
    /// Number of parameter matrices the layer reads (the length of its slice).
    fn n_params(&self) -> usize;

    /// Appends the layer's freshly initialised parameters to `out`, drawing from `rng` in
    /// parameter order.
    fn init(&self, be: &B, rng: &mut ChaCha8Rng, out: &mut Vec<Param<B>>) -> Result<(), NetError>;

    /// `y = g(x)` with the layer's parameters `params` (its slice, [`Layer::n_params`] long).
    fn forward(
        &self,
        be: &B,
        params: &[Param<B>],
        x: &B::Matrix,
    ) -> Result<(B::Matrix, Tape<B>), NetError>;

    /// Given `dy = dL/dy` for the forward pass `pass`, writes `dL/dtheta` of every trainable
    /// parameter into `grads` (the layer's slice; frozen ones stay `None`) and delivers
    /// `dL/dx` as `input` asks.
    fn backward(
        &self,
        be: &B,
        params: &[Param<B>],
        pass: Pass<'_, B>,
        dy: &B::Matrix,
        grads: &mut [Option<B::Matrix>],
        input: InputGrad<B::Matrix>,
    ) -> Result<Option<B::Matrix>, NetError>;
}

/// Delivers a freshly computed input gradient `dx` as `input` asks (for layers whose `dx`
/// is not a product that could accumulate in place).
pub fn deliver<B: Backend>(
    be: &B,
    dx: impl FnOnce() -> Result<B::Matrix, NetError>,
    input: InputGrad<B::Matrix>,
) -> Result<Option<B::Matrix>, NetError> {
    match input {
        InputGrad::Skip => Ok(None),
        InputGrad::New => Ok(Some(dx()?)),
        InputGrad::AddTo(mut acc) => {
            be.axpby(1.0, &dx()?, 1.0, &mut acc)?;
            Ok(Some(acc))
        }
    }
}

/// Checks that a layer got as many parameters as it reads.
pub(crate) fn check_params<B: Backend>(
    layer: &str,
    params: &[Param<B>],
    grads: Option<&[Option<B::Matrix>]>,
    n: usize,
) -> Result<(), NetError> {
    if params.len() != n || grads.is_some_and(|g| g.len() != n) {
        return Err(NetError::Shape(format!(
            "{layer} reads {n} parameters, got {}",
            params.len()
        )));
    }
    Ok(())
}

/// A chain `y = g_n(..g_2(g_1(x)))`; keeps the intermediate activations on its tape.
#[derive(Debug)]
pub struct Sequential<B: Backend> {
    layers: Vec<Box<dyn Layer<B>>>,
}

impl<B: Backend> Sequential<B> {
    /// A chain of `layers`, applied in order.
    pub fn new(layers: Vec<Box<dyn Layer<B>>>) -> Self {
        Self { layers }
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[Box<dyn Layer<B>>] {
        &self.layers
    }

    /// The parameter ranges of the layers, in order.
    fn ranges(&self) -> Vec<std::ops::Range<usize>> {
        let mut start = 0;
        self.layers
            .iter()
            .map(|l| {
                let r = start..start + l.n_params();
                start = r.end;
                r
            })
            .collect()
    }
}

impl<B: Backend> Layer<B> for Sequential<B> {
    fn n_params(&self) -> usize {
        self.layers.iter().map(|l| l.n_params()).sum()
    }

    fn init(&self, be: &B, rng: &mut ChaCha8Rng, out: &mut Vec<Param<B>>) -> Result<(), NetError> {
        self.layers.iter().try_for_each(|l| l.init(be, rng, out))
    }

    /// Saves the outputs of every layer but the last (the next layer's inputs).
    fn forward(
        &self,
        be: &B,
        params: &[Param<B>],
        x: &B::Matrix,
    ) -> Result<(B::Matrix, Tape<B>), NetError> {
        check_params("sequential", params, None, self.n_params())?;
        let mut tape = Tape::empty();
        let mut current: Option<B::Matrix> = None;
        for (layer, range) in self.layers.iter().zip(self.ranges()) {
            let (y, child) = layer.forward(be, &params[range], current.as_ref().unwrap_or(x))?;
            tape.children.push(child);
            if let Some(previous) = current.replace(y) {
                tape.saved.push(previous);
            }
        }
        let y = match current {
            Some(y) => y,
            None => be.copy(x)?,
        };
        Ok((y, tape))
    }

    fn backward(
        &self,
        be: &B,
        params: &[Param<B>],
        pass: Pass<'_, B>,
        dy: &B::Matrix,
        grads: &mut [Option<B::Matrix>],
        input: InputGrad<B::Matrix>,
    ) -> Result<Option<B::Matrix>, NetError> {
        let n = self.layers.len();
        check_params("sequential", params, Some(grads), self.n_params())?;
        if pass.tape.children.len() != n || pass.tape.saved.len() != n.saturating_sub(1) {
            return Err(NetError::Cache(format!(
                "sequential of {n} layers: tape of {} children and {} activations",
                pass.tape.children.len(),
                pass.tape.saved.len()
            )));
        }
        if n == 0 {
            return deliver(be, || Ok(be.copy(dy)?), input);
        }
        let ranges = self.ranges();
        let mut input = Some(input);
        let mut dy_next: Option<B::Matrix> = None;
        for i in (0..n).rev() {
            let layer_pass = Pass {
                input: if i == 0 {
                    pass.input
                } else {
                    &pass.tape.saved[i - 1]
                },
                output: if i == n - 1 {
                    pass.output
                } else {
                    &pass.tape.saved[i]
                },
                tape: &pass.tape.children[i],
            };
            let mode = if i == 0 {
                input.take().unwrap_or(InputGrad::Skip)
            } else {
                InputGrad::New
            };
            let range = ranges[i].clone();
            let dx = self.layers[i].backward(
                be,
                &params[range.clone()],
                layer_pass,
                dy_next.as_ref().unwrap_or(dy),
                &mut grads[range],
                mode,
            )?;
            if i == 0 {
                return Ok(dx);
            }
            dy_next = Some(
                dx.ok_or_else(|| NetError::Cache("a layer returned no input gradient".into()))?,
            );
        }
        unreachable!("the loop returns at its last layer")
    }
}

/// A residual block `y = x + F(x)` around a branch `F` of the same width.
#[derive(Debug)]
pub struct Residual<B: Backend> {
    branch: Sequential<B>,
}

impl<B: Backend> Residual<B> {
    /// The block `x + branch(x)`.
    pub fn new(branch: Sequential<B>) -> Self {
        Self { branch }
    }
}

impl<B: Backend> Layer<B> for Residual<B> {
    fn n_params(&self) -> usize {
        self.branch.n_params()
    }

    fn init(&self, be: &B, rng: &mut ChaCha8Rng, out: &mut Vec<Param<B>>) -> Result<(), NetError> {
        self.branch.init(be, rng, out)
    }

    /// Saves the branch's output `F(x)` (its backward pass's `output`).
    fn forward(
        &self,
        be: &B,
        params: &[Param<B>],
        x: &B::Matrix,
    ) -> Result<(B::Matrix, Tape<B>), NetError> {
        let (r, branch) = self.branch.forward(be, params, x)?;
        if r.shape() != x.shape() {
            return Err(NetError::Shape(format!(
                "residual branch maps {}x{} to {}x{}",
                x.rows(),
                x.cols(),
                r.rows(),
                r.cols()
            )));
        }
        let y = be.add(x, &r)?;
        Ok((
            y,
            Tape {
                saved: vec![r],
                children: vec![branch],
            },
        ))
    }

    /// `dL/dx = dy + F'(x)^T dy`: the skip path's copy of `dy` is the accumulator the
    /// branch's first layer adds into.
    fn backward(
        &self,
        be: &B,
        params: &[Param<B>],
        pass: Pass<'_, B>,
        dy: &B::Matrix,
        grads: &mut [Option<B::Matrix>],
        input: InputGrad<B::Matrix>,
    ) -> Result<Option<B::Matrix>, NetError> {
        let branch_pass = Pass {
            input: pass.input,
            output: pass.tape.get(0, "residual")?,
            tape: pass.tape.child(0, "residual")?,
        };
        let mode = match input {
            InputGrad::Skip => InputGrad::Skip,
            InputGrad::New => InputGrad::AddTo(be.copy(dy)?),
            InputGrad::AddTo(mut acc) => {
                be.axpby(1.0, dy, 1.0, &mut acc)?;
                InputGrad::AddTo(acc)
            }
        };
        self.branch
            .backward(be, params, branch_pass, dy, grads, mode)
    }
}
