//! The NNGP/NTK recursion of fully connected ReLU networks of any depth (DESIGN.md §1,
//! "the standard layer recursion"), with the conventions of the neural-tangents library's
//! `stax.serial(Dense(n, W_std, b_std, parameterization), Relu(), ..., Dense(1, ...))`.
//!
//! Conventions (matching neural-tangents' `Dense` and `Relu` kernel functions):
//! - Input layer: `nngp_0(x, x') = x . x' / p` (inner product over the input dimension
//!   `p`), `ntk_0 = 0`.
//! - `Dense`, NTK parameterization (`z = W_std / sqrt(n_in) W x + b_std b`, `W, b ~ N(0, 1)`):
//!   `nngp' = W_std^2 nngp + b_std^2`, `ntk' = nngp' + W_std^2 ntk`.
//! - `Dense`, standard parameterization (`z = W x + b`, `W ~ N(0, W_std^2 / n_in)`,
//!   `b ~ N(0, b_std^2)`): `ntk' = n_in nngp + W_std^2 ntk (+ 1 with a bias)`, then
//!   `nngp' = W_std^2 nngp + b_std^2`. Here `n_in` is the layer's input width (`p` for the
//!   first layer, the previous hidden width after), so the standard-parameterization NTK
//!   grows with the widths.
//! - `Relu`: with `theta` the angle given by `cos = nngp / sqrt(q q')` (diagonal variances
//!   `q, q'`), `nngp' = sqrt(q q') kappa1(cos) / 2`, `ntk' = ntk kappa0(cos) / 2`, `q' = q / 2`.
//!
//! A frozen layer (its parameters not trained) drops its own gradient term from `ntk`
//! (`ntk' = W_std^2 ntk`), which neural-tangents does not offer but the paper's network
//! needs (its output signs are frozen).

use crate::error::{Result, invalid};
use crate::kernel::{Kernel, ScalarKernel, check_inputs, dot};
use scorediff_backend::{Backend, DeviceMatrix, Transpose, Unary};
use scorediff_net::layer::{Activation, kernel_map};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// How a `Dense` layer scales its weights (see the module docs for the kernel updates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Parameterization {
    /// `z = W_std / sqrt(n_in) W x + b_std b` with `W, b ~ N(0, 1)` (Jacot et al.).
    Ntk,
    /// `z = W x + b` with `W ~ N(0, W_std^2 / n_in)`, `b ~ N(0, b_std^2)`
    /// (Sohl-Dickstein et al. 2020); the NTK depends on the hidden widths.
    Standard,
}

/// Which kernel of the network to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KernelKind {
    /// The neural tangent kernel (gradient descent dynamics).
    Ntk,
    /// The NNGP kernel (output covariance at initialisation).
    Nngp,
}

/// A fully connected ReLU network `Dense, Relu, ..., Dense` with one output per coordinate,
/// described by what its infinite-width kernels depend on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepReluKernel {
    /// Widths of the hidden layers (one per `Relu`); the network has
    /// `hidden_widths.len() + 1` `Dense` layers. Only the standard parameterization uses
    /// the values; the NTK parameterization uses only the count.
    pub hidden_widths: Vec<usize>,
    /// Weight standard deviation `W_std` (every layer).
    pub w_std: f64,
    /// Bias standard deviation `b_std`; `None` means no biases.
    pub b_std: Option<f64>,
    /// Weight scaling of the `Dense` layers.
    pub parameterization: Parameterization,
    /// Which `Dense` layers are trained (length `hidden_widths.len() + 1`); `None` means all.
    pub trainable: Option<Vec<bool>>,
    /// NTK or NNGP.
    pub kind: KernelKind,
}

impl DeepReluKernel {
    /// A network with every layer trained, returning the NTK.
    pub fn new(
        hidden_widths: Vec<usize>,
        w_std: f64,
        b_std: Option<f64>,
        parameterization: Parameterization,
    ) -> Self {
        Self {
            hidden_widths,
            w_std,
            b_std,
            parameterization,
            trainable: None,
            kind: KernelKind::Ntk,
        }
    }

    /// The paper's two-layer network as a special case: one hidden layer of width `m`,
    /// standard parameterization with `W_std = 1`, no bias, output layer frozen. Its NTK is
    /// exactly [`crate::TwoLayerReluNtk`] (see docs/ntk.md).
    pub fn paper_two_layer(m: usize) -> Self {
        Self {
            trainable: Some(vec![true, false]),
            ..Self::new(vec![m], 1.0, None, Parameterization::Standard)
        }
    }

    /// Returns this kernel with the given layer trainability.
    pub fn with_trainable(mut self, trainable: Vec<bool>) -> Self {
        self.trainable = Some(trainable);
        self
    }

    /// Returns this kernel set to `kind`.
    pub fn with_kind(mut self, kind: KernelKind) -> Self {
        self.kind = kind;
        self
    }

    /// Number of `Dense` layers.
    pub fn depth(&self) -> usize {
        self.hidden_widths.len() + 1
    }

    /// Checks the description: finite non-negative scales, a trainability mask of the right
    /// length, non-zero widths.
    pub fn validate(&self) -> Result<()> {
        if !(self.w_std.is_finite() && self.w_std >= 0.0) {
            return Err(invalid(format!(
                "w_std must be finite and >= 0, got {}",
                self.w_std
            )));
        }
        if let Some(b) = self.b_std
            && !(b.is_finite() && b >= 0.0)
        {
            return Err(invalid(format!("b_std must be finite and >= 0, got {b}")));
        }
        if let Some(t) = &self.trainable
            && t.len() != self.depth()
        {
            return Err(invalid(format!(
                "trainable has {} entries for {} Dense layers",
                t.len(),
                self.depth()
            )));
        }
        if self.hidden_widths.contains(&0) {
            return Err(invalid("hidden widths must be >= 1"));
        }
        Ok(())
    }

    fn is_trainable(&self, layer: usize) -> bool {
        self.trainable.as_ref().is_none_or(|t| t[layer])
    }

    fn b2(&self) -> f64 {
        self.b_std.map_or(0.0, |b| b * b)
    }

    /// The `Dense` update of `(nngp, ntk)` for layer `layer` with input width `n_in`, on
    /// scalars (the host reference; the backend path applies the same affine maps).
    fn dense_coeffs(&self, layer: usize, n_in: f64) -> DenseCoeffs {
        let w2 = self.w_std * self.w_std;
        let b2 = self.b2();
        let train = self.is_trainable(layer);
        // ntk' = c_ntk ntk + c_nngp nngp + c_1, nngp' = w2 nngp + b2.
        match (self.parameterization, train) {
            (_, false) => DenseCoeffs {
                c_ntk: w2,
                c_nngp: 0.0,
                c_1: 0.0,
                w2,
                b2,
            },
            (Parameterization::Ntk, true) => DenseCoeffs {
                c_ntk: w2,
                c_nngp: w2,
                c_1: b2,
                w2,
                b2,
            },
            (Parameterization::Standard, true) => DenseCoeffs {
                c_ntk: w2,
                c_nngp: n_in,
                c_1: if self.b_std.is_some() { 1.0 } else { 0.0 },
                w2,
                b2,
            },
        }
    }

    /// Input width of `Dense` layer `layer` given the input dimension `p`.
    fn n_in(&self, layer: usize, p: usize) -> f64 {
        if layer == 0 {
            p as f64
        } else {
            self.hidden_widths[layer - 1] as f64
        }
    }

    /// `(nngp, ntk)` at the output for one pair of inputs, in `f64`. Assumes
    /// [`DeepReluKernel::validate`] passed.
    pub fn eval_pair(&self, a: &[f64], b: &[f64]) -> (f64, f64) {
        let p = a.len().max(1) as f64;
        let mut nngp = dot(a, b) / p;
        let mut qa = dot(a, a) / p;
        let mut qb = dot(b, b) / p;
        let mut ntk = 0.0;
        for layer in 0..self.depth() {
            if layer > 0 {
                // Relu after the previous Dense.
                let root = (qa * qb).sqrt();
                let cos = if root > 0.0 {
                    (nngp / root).clamp(-1.0, 1.0)
                } else {
                    0.0
                };
                let theta = cos.acos();
                let k0 = (PI - theta) / PI;
                let k1 = ((1.0 - cos * cos).max(0.0).sqrt() + (PI - theta) * cos) / PI;
                nngp = root * k1 / 2.0;
                ntk *= k0 / 2.0;
                qa /= 2.0;
                qb /= 2.0;
            }
            let c = self.dense_coeffs(layer, self.n_in(layer, a.len()));
            ntk = c.c_ntk * ntk + c.c_nngp * nngp + c.c_1;
            nngp = c.w2 * nngp + c.b2;
            qa = c.w2 * qa + c.b2;
            qb = c.w2 * qb + c.b2;
        }
        (nngp, ntk)
    }
}

#[derive(Debug, Clone, Copy)]
struct DenseCoeffs {
    c_ntk: f64,
    c_nngp: f64,
    c_1: f64,
    w2: f64,
    b2: f64,
}

impl ScalarKernel for DeepReluKernel {
    fn eval(&self, a: &[f64], b: &[f64]) -> f64 {
        let (nngp, ntk) = self.eval_pair(a, b);
        match self.kind {
            KernelKind::Ntk => ntk,
            KernelKind::Nngp => nngp,
        }
    }
}

impl<B: Backend> Kernel<B> for DeepReluKernel {
    fn block(&self, be: &B, a: &B::Matrix, b: &B::Matrix) -> Result<B::Matrix> {
        self.validate()?;
        check_inputs(a, b)?;
        let p = a.cols();
        let inv_p = 1.0 / p.max(1) as f32;
        let mut nngp = be.matmul(a, Transpose::No, b, Transpose::Yes)?;
        nngp = be.scale(&nngp, inv_p)?;
        let mut qa = be.scale(&be.row_sq_norms(a)?, inv_p)?;
        let mut qb = be.scale(&be.transpose(&be.row_sq_norms(b)?)?, inv_p)?;
        let mut ntk = be.zeros(a.rows(), b.rows())?;
        for layer in 0..self.depth() {
            if layer > 0 {
                let (n2, t2) = relu_step(be, &nngp, &ntk, &qa, &qb)?;
                nngp = n2;
                ntk = t2;
                qa = be.scale(&qa, 0.5)?;
                qb = be.scale(&qb, 0.5)?;
            }
            let c = self.dense_coeffs(layer, self.n_in(layer, p));
            // ntk' = c_ntk ntk + c_nngp nngp + c_1 (c_nngp nngp computed before nngp moves).
            let mut next_ntk = be.affine(&nngp, c.c_nngp as f32, c.c_1 as f32)?;
            be.axpby(c.c_ntk as f32, &ntk, 1.0, &mut next_ntk)?;
            ntk = next_ntk;
            nngp = be.affine(&nngp, c.w2 as f32, c.b2 as f32)?;
            qa = be.affine(&qa, c.w2 as f32, c.b2 as f32)?;
            qb = be.affine(&qb, c.w2 as f32, c.b2 as f32)?;
        }
        Ok(match self.kind {
            KernelKind::Ntk => ntk,
            KernelKind::Nngp => nngp,
        })
    }
}

/// One `Relu` layer on the backend: the layer's own kernel map
/// ([`kernel_map`]: `nngp' = sqrt(qa qb) kappa1(cos) / 2`, `ntk' = ntk kappa0(cos) / 2`),
/// with `cos = nngp / sqrt(qa qb)` (floored norms).
fn relu_step<B: Backend>(
    be: &B,
    nngp: &B::Matrix,
    ntk: &B::Matrix,
    qa: &B::Matrix,
    qb: &B::Matrix,
) -> Result<(B::Matrix, B::Matrix)> {
    let cos = crate::kernel::scale_by_norms(be, nngp, qa, qb)?;
    let ra = be.unary(Unary::Sqrt, qa)?;
    let rb = be.unary(Unary::Sqrt, qb)?;
    kernel_map(be, Activation::Relu, &cos, &ra, &rb, ntk)?
        .ok_or_else(|| invalid("ReLU has a kernel map"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TwoLayerReluNtk;

    #[test]
    fn paper_two_layer_is_the_two_layer_formula() {
        let deep = DeepReluKernel::paper_two_layer(1000);
        let z = [
            [0.3, -1.2, 0.5, 1.0],
            [2.0, 0.1, 0.9, 1.0],
            [-0.7, -0.4, 0.2, 1.0],
        ];
        for a in &z {
            for b in &z {
                let (want, got) = (TwoLayerReluNtk.eval(a, b), deep.eval(a, b));
                // The angle at z = z' is ill-conditioned (acos near 1 turns a 1e-16 cosine
                // error into 1e-8), so agreement is to 1e-7, not to the last bit.
                assert!(
                    (want - got).abs() < 1e-7 * want.abs().max(1.0),
                    "{want} vs {got}"
                );
            }
        }
    }

    #[test]
    fn single_dense_layer_is_linear_kernel() {
        // One Dense layer, NTK parameterization, bias: nngp = w2 x.x'/p + b2 and ntk = nngp.
        let k = DeepReluKernel::new(vec![], 1.5, Some(0.5), Parameterization::Ntk);
        let (nngp, ntk) = k.eval_pair(&[1.0, 2.0], &[3.0, -1.0]);
        assert!((nngp - (2.25 * 0.5 + 0.25)).abs() < 1e-12);
        assert!((ntk - nngp).abs() < 1e-12);
    }

    #[test]
    fn bad_mask_is_rejected() {
        let k = DeepReluKernel::new(vec![8], 1.0, None, Parameterization::Ntk)
            .with_trainable(vec![true]);
        assert!(k.validate().is_err());
    }
}
