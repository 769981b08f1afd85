//! Operation descriptors shared by every backend, with scalar reference definitions.
//!
//! The scalar `apply` functions are the specification: a backend's kernels must agree with
//! them within the tolerances of `cargo xtask conformance`.

use std::f32::consts::PI;

/// Whether a `gemm` operand is used as is or transposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transpose {
    /// Use the operand as stored.
    No,
    /// Use the transpose of the operand.
    Yes,
}

impl Transpose {
    /// `true` for [`Transpose::Yes`].
    pub fn is_yes(self) -> bool {
        matches!(self, Transpose::Yes)
    }
}

/// Elementwise unary operations: the core maps every backend implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unary {
    /// `1 / (1 + e^{-x})`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `e^x`.
    Exp,
    /// Natural logarithm.
    Ln,
    /// `sqrt(x)`.
    Sqrt,
    /// `x^2`.
    Square,
    /// `|x|`.
    Abs,
    /// `1 / x`.
    Recip,
    /// `sin(x)` (time embeddings).
    Sin,
    /// `cos(x)` (time embeddings).
    Cos,
    /// `acos(x)` on `[-1, 1]` (NaN outside).
    Acos,
    /// The step `1{x > 0}` (1 where `x > 0`, else 0; 0 for NaN).
    Step,
}

impl Unary {
    /// Every unary operation, for op suites.
    pub const ALL: [Unary; 12] = [
        Unary::Sigmoid,
        Unary::Tanh,
        Unary::Exp,
        Unary::Ln,
        Unary::Sqrt,
        Unary::Square,
        Unary::Abs,
        Unary::Recip,
        Unary::Sin,
        Unary::Cos,
        Unary::Acos,
        Unary::Step,
    ];

    /// The scalar definition of the operation.
    #[inline]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Unary::Sigmoid => sigmoid(x),
            Unary::Tanh => x.tanh(),
            Unary::Exp => x.exp(),
            Unary::Ln => x.ln(),
            Unary::Sqrt => x.sqrt(),
            Unary::Square => x * x,
            Unary::Abs => x.abs(),
            Unary::Recip => 1.0 / x,
            Unary::Sin => x.sin(),
            Unary::Cos => x.cos(),
            Unary::Acos => x.acos(),
            Unary::Step => step(x),
        }
    }

    /// Short lower-case name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            Unary::Sigmoid => "sigmoid",
            Unary::Tanh => "tanh",
            Unary::Exp => "exp",
            Unary::Ln => "ln",
            Unary::Sqrt => "sqrt",
            Unary::Square => "square",
            Unary::Abs => "abs",
            Unary::Recip => "recip",
            Unary::Sin => "sin",
            Unary::Cos => "cos",
            Unary::Acos => "acos",
            Unary::Step => "step",
        }
    }
}

#[inline]
fn step(x: f32) -> f32 {
    if x > 0.0 { 1.0 } else { 0.0 }
}

/// Numerically stable logistic function: never evaluates `e^x` for large positive `x`.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Activations of the networks (see [`crate::ActivationOps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `relu(x) = max(x, 0)`; `relu'(x) = 1{x > 0}`.
    Relu,
    /// `silu(x) = x sigmoid(x)`; `silu'(x) = s + x s (1 - s)` with `s = sigmoid(x)`.
    Silu,
}

impl Activation {
    /// Every activation, for op suites.
    pub const ALL: [Activation; 2] = [Activation::Relu, Activation::Silu];

    /// The scalar definition `phi(x)`.
    #[inline]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Activation::Relu => x.max(0.0),
            Activation::Silu => x * sigmoid(x),
        }
    }

    /// The scalar derivative `phi'(x)`.
    #[inline]
    pub fn derivative(self, x: f32) -> f32 {
        match self {
            Activation::Relu => step(x),
            Activation::Silu => {
                let s = sigmoid(x);
                s + x * s * (1.0 - s)
            }
        }
    }

    /// The scalar fused backward map `dy phi'(x)` (for ReLU exactly `dy` where `x > 0`,
    /// else `0`, so an infinite `dy` at an inactive unit gives 0, not NaN).
    #[inline]
    pub fn backward(self, x: f32, dy: f32) -> f32 {
        match self {
            Activation::Relu => {
                if x > 0.0 {
                    dy
                } else {
                    0.0
                }
            }
            Activation::Silu => dy * self.derivative(x),
        }
    }

    /// Short lower-case name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Silu => "silu",
        }
    }
}

/// The arc-cosine kernel maps of a cosine `c` (clamped to `[-1, 1]`), the ReLU layer's
/// kernel maps (DESIGN.md §1): the two-layer ReLU NTK is `k(z, z') = (z . z') kappa0(c) / 2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArcCos {
    /// Degree 0: `kappa0(c) = (pi - acos c) / pi` (the NTK map of a ReLU layer).
    Degree0,
    /// Degree 1: `kappa1(c) = (sqrt(1 - c^2) + (pi - acos c) c) / pi` (the NNGP map).
    Degree1,
}

impl ArcCos {
    /// Both degrees, for op suites.
    pub const ALL: [ArcCos; 2] = [ArcCos::Degree0, ArcCos::Degree1];

    /// The scalar definition.
    #[inline]
    pub fn apply(self, x: f32) -> f32 {
        let c = x.clamp(-1.0, 1.0);
        match self {
            ArcCos::Degree0 => (PI - c.acos()) / PI,
            ArcCos::Degree1 => ((1.0 - c * c).max(0.0).sqrt() + (PI - c.acos()) * c) / PI,
        }
    }

    /// Short lower-case name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            ArcCos::Degree0 => "arccos0",
            ArcCos::Degree1 => "arccos1",
        }
    }
}

/// Elementwise binary operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Binary {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b`.
    Div,
    /// `max(a, b)`.
    Max,
    /// `min(a, b)`.
    Min,
}

impl Binary {
    /// Every binary operation, for op suites.
    pub const ALL: [Binary; 6] = [
        Binary::Add,
        Binary::Sub,
        Binary::Mul,
        Binary::Div,
        Binary::Max,
        Binary::Min,
    ];

    /// The scalar definition of the operation.
    #[inline]
    pub fn apply(self, a: f32, b: f32) -> f32 {
        match self {
            Binary::Add => a + b,
            Binary::Sub => a - b,
            Binary::Mul => a * b,
            Binary::Div => a / b,
            Binary::Max => a.max(b),
            Binary::Min => a.min(b),
        }
    }

    /// Short lower-case name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
            Binary::Max => "max",
            Binary::Min => "min",
        }
    }
}

/// The coefficients of one Adam update (Kingma & Ba, with decoupled weight decay):
///
/// ```text
/// m' = (1 - b1) g + b1 m,      v' = (1 - b2) g^2 + b2 v,
/// p' = -(lr / bc1) m' / (sqrt(v') / sqrt(bc2) + eps) + (1 - lr wd) p,
/// ```
///
/// with the bias corrections `bc_i = 1 - b_i^k` at the 1-based step `k`, held in `f32`
/// as the kernels use them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    /// `b1`.
    pub beta1: f32,
    /// `1 - b1` (rounded from `f64`, not computed in `f32`).
    pub mix1: f32,
    /// `b2`.
    pub beta2: f32,
    /// `1 - b2`.
    pub mix2: f32,
    /// `1 / sqrt(bc2)`.
    pub inv_root_bc2: f32,
    /// `eps`.
    pub eps: f32,
    /// `-(lr / bc1)`.
    pub step_size: f32,
    /// `1 - lr wd`.
    pub keep: f32,
}

impl AdamStep {
    /// The coefficients of step `k` (1-based) at learning rate `lr`.
    pub fn new(beta1: f64, beta2: f64, eps: f64, weight_decay: f64, lr: f64, k: u64) -> Self {
        let bc1 = 1.0 - beta1.powf(k as f64);
        let bc2 = 1.0 - beta2.powf(k as f64);
        Self {
            beta1: beta1 as f32,
            mix1: (1.0 - beta1) as f32,
            beta2: beta2 as f32,
            mix2: (1.0 - beta2) as f32,
            inv_root_bc2: (1.0 / bc2.sqrt()) as f32,
            eps: eps as f32,
            step_size: -(lr / bc1) as f32,
            keep: (1.0 - lr * weight_decay) as f32,
        }
    }

    /// `(p', m', v')` of one element, in the order of operations of the composed default
    /// (each line one core op: `axpby`, `Square`, `Sqrt`, `affine`, `Div`).
    #[inline(always)]
    pub fn apply(&self, p: f32, g: f32, m: f32, v: f32) -> (f32, f32, f32) {
        let m = axpby_scalar(self.mix1, g, self.beta1, m);
        let v = axpby_scalar(self.mix2, g * g, self.beta2, v);
        let denom = self.inv_root_bc2 * v.sqrt() + self.eps;
        let p = axpby_scalar(self.step_size, m / denom, self.keep, p);
        (p, m, v)
    }
}

/// The moving average of the weights, `ema' = (1 - decay) p + decay ema`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Average {
    /// `decay`.
    pub decay: f32,
    /// `1 - decay` (rounded from `f64`).
    pub mix: f32,
}

impl Average {
    /// The average with decay `decay`.
    pub fn new(decay: f64) -> Self {
        Self {
            decay: decay as f32,
            mix: (1.0 - decay) as f32,
        }
    }

    /// `ema'` of one element.
    #[inline(always)]
    pub fn apply(&self, p: f32, ema: f32) -> f32 {
        axpby_scalar(self.mix, p, self.decay, ema)
    }
}

/// `alpha x + beta y`, and `alpha x` when `beta == 0` (the `axpby` contract: `y`'s old value,
/// NaN included, is then ignored).
#[inline(always)]
pub fn axpby_scalar(alpha: f32, x: f32, beta: f32, y: f32) -> f32 {
    if beta == 0.0 {
        alpha * x
    } else {
        alpha * x + beta * y
    }
}

/// The default implementations of [`crate::ActivationOps`] and [`crate::FusedOps`], composed of core ops (public so
/// that a backend's fused kernels can be checked against them).
pub mod composed {
    use super::{Activation, AdamStep, ArcCos, Average, Binary, PI, Transpose, Unary};
    use crate::{DeviceMatrix, ElementwiseOps, LinalgOps, Result};

    /// Default of [`crate::FusedOps::linear`]: the product, then the bias broadcast.
    pub fn linear<B: LinalgOps + ElementwiseOps>(
        be: &B,
        scale: f32,
        x: &B::Matrix,
        w: &B::Matrix,
        trans_w: Transpose,
        bias: Option<&B::Matrix>,
    ) -> Result<B::Matrix> {
        let cols = if trans_w.is_yes() { w.rows() } else { w.cols() };
        let mut y = be.zeros(x.rows(), cols)?;
        be.gemm(scale, x, Transpose::No, w, trans_w, 0.0, &mut y)?;
        match bias {
            Some(b) => be.broadcast_row(Binary::Add, &y, b),
            None => Ok(y),
        }
    }

    /// Default of [`crate::FusedOps::adam_update`]: the update of [`AdamStep::apply`] as
    /// seven core ops, then the average as one `axpby`.
    #[allow(clippy::too_many_arguments)]
    pub fn adam_update<B: ElementwiseOps>(
        be: &B,
        step: &AdamStep,
        p: &mut B::Matrix,
        g: &B::Matrix,
        m: &mut B::Matrix,
        v: &mut B::Matrix,
        ema: Option<(&mut B::Matrix, Average)>,
    ) -> Result<()> {
        be.axpby(step.mix1, g, step.beta1, m)?;
        let g2 = be.unary(Unary::Square, g)?;
        be.axpby(step.mix2, &g2, step.beta2, v)?;
        let root = be.unary(Unary::Sqrt, v)?;
        let denom = be.affine(&root, step.inv_root_bc2, step.eps)?;
        let dir = be.binary(Binary::Div, m, &denom)?;
        be.axpby(step.step_size, &dir, step.keep, p)?;
        if let Some((e, avg)) = ema {
            be.axpby(avg.mix, p, avg.decay, e)?;
        }
        Ok(())
    }

    /// Default of [`crate::ActivationOps::activation`].
    pub fn activation<B: ElementwiseOps>(
        be: &B,
        act: Activation,
        x: &B::Matrix,
    ) -> Result<B::Matrix> {
        match act {
            Activation::Relu => be.binary(Binary::Max, x, &be.zeros(x.rows(), x.cols())?),
            Activation::Silu => be.mul(x, &be.unary(Unary::Sigmoid, x)?),
        }
    }

    /// Default of [`crate::ActivationOps::activation_grad`].
    pub fn activation_grad<B: ElementwiseOps>(
        be: &B,
        act: Activation,
        x: &B::Matrix,
    ) -> Result<B::Matrix> {
        match act {
            Activation::Relu => be.unary(Unary::Step, x),
            Activation::Silu => {
                // s + x s (1 - s)
                let s = be.unary(Unary::Sigmoid, x)?;
                let x_s = be.mul(x, &s)?;
                let tail = be.mul(&x_s, &be.affine(&s, -1.0, 1.0)?)?;
                be.add(&s, &tail)
            }
        }
    }

    /// Default of [`crate::ActivationOps::activation_backward`].
    pub fn activation_backward<B: ElementwiseOps>(
        be: &B,
        act: Activation,
        x: &B::Matrix,
        dy: &B::Matrix,
    ) -> Result<B::Matrix> {
        match act {
            // dy * 1{x > 0}: the fused map for finite dy (an infinite dy at an inactive
            // unit gives NaN here, 0 there).
            Activation::Relu => be.mul(dy, &be.unary(Unary::Step, x)?),
            Activation::Silu => be.mul(dy, &activation_grad(be, act, x)?),
        }
    }

    /// Default of [`crate::ActivationOps::arc_cosine`].
    pub fn arc_cosine<B: ElementwiseOps>(
        be: &B,
        degree: ArcCos,
        c: &B::Matrix,
    ) -> Result<B::Matrix> {
        let (rows, cols) = (c.rows(), c.cols());
        let clamped = be.binary(Binary::Max, c, &be.full(rows, cols, -1.0)?)?;
        let clamped = be.binary(Binary::Min, &clamped, &be.full(rows, cols, 1.0)?)?;
        // pi - acos c
        let angle_gap = be.affine(&be.unary(Unary::Acos, &clamped)?, -1.0, PI)?;
        match degree {
            ArcCos::Degree0 => be.scale(&angle_gap, 1.0 / PI),
            ArcCos::Degree1 => {
                let one_minus_sq = be.affine(&be.unary(Unary::Square, &clamped)?, -1.0, 1.0)?;
                let sine = be.unary(
                    Unary::Sqrt,
                    &be.binary(Binary::Max, &one_minus_sq, &be.zeros(rows, cols)?)?,
                )?;
                let sum = be.add(&sine, &be.mul(&angle_gap, &clamped)?)?;
                be.scale(&sum, 1.0 / PI)
            }
        }
    }
}

/// A contiguous block of columns, `start..start + len`: one categorical column's one-hot
/// block of the encoded table (the one type for it: the encoder's [`Layout`], the network's
/// softmax heads, the preconditioner's identity columns, [`crate::Backend::softmax_blocks`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ColumnBlock {
    /// First column of the block.
    pub start: usize,
    /// Number of columns in the block.
    pub len: usize,
}

impl ColumnBlock {
    /// A block of `len` columns starting at `start`.
    pub fn new(start: usize, len: usize) -> Self {
        Self { start, len }
    }

    /// One past the last column (saturating: a block read from a damaged file that would
    /// end past `usize::MAX` ends there, and [`check_blocks`] rejects it).
    pub fn end(self) -> usize {
        self.start.saturating_add(self.len)
    }
}

/// The layout of an encoded table: its width `d` and its one-hot blocks, produced by the
/// table encoder and taken by the network (softmax heads), the preconditioner (identity on
/// one-hot columns) and the training data.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    /// Number of columns `d` of the encoded matrix.
    pub width: usize,
    /// The one-hot blocks, in column order.
    pub one_hot: Vec<ColumnBlock>,
}

impl Layout {
    /// A layout, checked: blocks inside `width` columns and not overlapping.
    pub fn new(width: usize, one_hot: Vec<ColumnBlock>) -> crate::Result<Self> {
        check_blocks("layout", &one_hot, width)?;
        Ok(Self { width, one_hot })
    }
}

/// Checks that `blocks` lie inside `cols` columns and do not overlap.
pub fn check_blocks(op: &'static str, blocks: &[ColumnBlock], cols: usize) -> crate::Result<()> {
    let mut sorted: Vec<ColumnBlock> = blocks.to_vec();
    sorted.sort_by_key(|b| b.start);
    let mut next_free = 0;
    for b in sorted {
        if b.end() > cols {
            return Err(crate::arg_err(
                op,
                format!("block {}..{} outside {} columns", b.start, b.end(), cols),
            ));
        }
        if b.start < next_free {
            return Err(crate::arg_err(
                op,
                format!("block at column {} overlaps another", b.start),
            ));
        }
        next_free = b.end();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arccos_kernels_match_closed_forms_at_landmarks() {
        // c = 1: angle 0 -> kappa0 = 1, kappa1 = 1; c = -1: angle pi -> both 0;
        // c = 0: angle pi/2 -> kappa0 = 1/2, kappa1 = 1/pi.
        assert!((ArcCos::Degree0.apply(1.0) - 1.0).abs() < 1e-6);
        assert!(ArcCos::Degree0.apply(-1.0).abs() < 1e-6);
        assert!((ArcCos::Degree0.apply(0.0) - 0.5).abs() < 1e-6);
        assert!((ArcCos::Degree1.apply(1.0) - 1.0).abs() < 1e-6);
        assert!(ArcCos::Degree1.apply(-1.0).abs() < 1e-6);
        assert!((ArcCos::Degree1.apply(0.0) - 1.0 / PI).abs() < 1e-6);
        // Clamping: a cosine a rounding error past 1 stays finite.
        assert!(ArcCos::Degree0.apply(1.000_001).is_finite());
        assert!(ArcCos::Degree1.apply(-1.000_001).is_finite());
    }

    #[test]
    fn silu_grad_matches_central_difference() {
        for &x in &[-6.0f32, -1.5, -0.1, 0.0, 0.3, 2.0, 8.0] {
            let h = 1e-3f64;
            let f = |v: f64| v / (1.0 + (-v).exp());
            let fd = (f(x as f64 + h) - f(x as f64 - h)) / (2.0 * h);
            assert!(
                (Activation::Silu.derivative(x) as f64 - fd).abs() < 1e-4,
                "x = {x}"
            );
        }
    }

    #[test]
    fn sigmoid_is_stable_for_large_magnitudes() {
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
    }

    #[test]
    fn overlapping_or_outside_blocks_are_rejected() {
        assert!(check_blocks("t", &[ColumnBlock::new(0, 2), ColumnBlock::new(2, 3)], 5).is_ok());
        assert!(check_blocks("t", &[ColumnBlock::new(0, 3), ColumnBlock::new(2, 2)], 5).is_err());
        assert!(check_blocks("t", &[ColumnBlock::new(4, 2)], 5).is_err());
    }
}
