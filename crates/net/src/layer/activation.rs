//! Elementwise activations, with the kernel map of the one that has a closed form.
//!
//! Forward `y = phi(x)`, backward `dL/dx = phi'(x) dL/dy` (one fused elementwise pass on the
//! backends, [`scorediff_backend::ActivationOps::activation_backward`]).
//!
//! Kernel map (neural-tangents' `Relu` kernel function; DESIGN.md §1, the layer recursion):
//! for pre-activations that are a centred Gaussian process with covariance `nngp`, diagonal
//! variances `q, q'` and cosine `c = nngp / sqrt(q q')`, a ReLU layer maps the NNGP kernel and
//! the NTK as
//!
//! ```text
//! nngp' = sqrt(q q') kappa1(c) / 2,      ntk' = ntk kappa0(c) / 2,
//! ```
//!
//! with the arc-cosine maps `kappa0`, `kappa1` ([`ArcCos`]). SiLU has no closed-form map and
//! [`kernel_map`] returns `None` for it.

use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Activation, ArcCos, Backend, Binary};

use super::{InputGrad, Layer, Pass, Tape, check_params};
use crate::{NetError, Param};

/// The NNGP kernel and the NTK after a layer, `(nngp', ntk')`.
pub type KernelPair<B> = (
    <B as scorediff_backend::Device>::Matrix,
    <B as scorediff_backend::Device>::Matrix,
);

/// The kernel map of activation `act` (see the module documentation): given the cosines
/// `cos` of the incoming NNGP kernel, the square roots of its diagonal variances `sqrt_qa`
/// (`rows x 1`) and `sqrt_qb` (`1 x cols`), and the incoming NTK `ntk`, returns
/// `(nngp', ntk')`; `None` where the activation has no closed form.
pub fn kernel_map<B: Backend>(
    be: &B,
    act: Activation,
    cos: &B::Matrix,
    sqrt_qa: &B::Matrix,
    sqrt_qb: &B::Matrix,
    ntk: &B::Matrix,
) -> Result<Option<KernelPair<B>>, NetError> {
    if act != Activation::Relu {
        return Ok(None);
    }
    let k0 = be.arc_cosine(ArcCos::Degree0, cos)?;
    let k1 = be.arc_cosine(ArcCos::Degree1, cos)?;
    let scaled = be.broadcast_col(Binary::Mul, &k1, sqrt_qa)?;
    let scaled = be.broadcast_row(Binary::Mul, &scaled, sqrt_qb)?;
    let nngp = be.scale(&scaled, 0.5)?;
    let ntk = be.scale(&be.mul(ntk, &k0)?, 0.5)?;
    Ok(Some((nngp, ntk)))
}

/// The activation layer is the backend's [`Activation`] itself (one type for the concept):
/// forward [`scorediff_backend::ActivationOps::activation`], backward the fused
/// [`scorediff_backend::ActivationOps::activation_backward`].
impl<B: Backend> Layer<B> for Activation {
    fn n_params(&self) -> usize {
        0
    }

    fn init(&self, _: &B, _: &mut ChaCha8Rng, _: &mut Vec<Param<B>>) -> Result<(), NetError> {
        Ok(())
    }

    fn forward(
        &self,
        be: &B,
        params: &[Param<B>],
        x: &B::Matrix,
    ) -> Result<(B::Matrix, Tape<B>), NetError> {
        check_params("activation", params, None, 0)?;
        Ok((be.activation(*self, x)?, Tape::empty()))
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
        check_params("activation", params, Some(grads), 0)?;
        super::deliver(
            be,
            || Ok(be.activation_backward(*self, pass.input, dy)?),
            input,
        )
    }
}
