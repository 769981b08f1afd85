//! The dense layer `y = s x W + b`.
//!
//! With `W` stored `fan_in x fan_out` ([`WeightLayout::InOut`], the MLP's layers) or
//! `fan_out x fan_in` ([`WeightLayout::OutIn`], the rows `w_r` of the two-layer network's
//! hidden weights), an optional bias row `b` (`1 x fan_out`) and a fixed scale `s` (the
//! `m^{-1/2}` of the two-layer network's output layer). For `G = dL/dy`:
//!
//! ```text
//! dL/dW = s x^T G   (InOut)      dL/dW = s G^T x   (OutIn)
//! dL/db = 1^T G
//! dL/dx = s G W^T   (InOut)      dL/dx = s G W     (OutIn)
//! ```

use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, DeviceMatrix, Transpose};

use super::{InputGrad, Layer, Pass, Tape, check_params};
use crate::init::{normal_vec, sign_vec};
use crate::{NetError, Param};

/// How a dense layer's weight matrix is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightLayout {
    /// `fan_in x fan_out`: `y = x W`.
    InOut,
    /// `fan_out x fan_in`: `y = x W^T` (row `r` is unit `r`'s weight vector).
    OutIn,
}

/// How a dense layer's weights are drawn (biases start at zero).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WeightInit {
    /// Entries `N(0, std^2)` (He, LeCun: `std` from the fan-in, see [`crate::Init`]).
    Normal {
        /// Standard deviation.
        std: f64,
    },
    /// Entries uniform in `{+1, -1}` (the two-layer network's output signs).
    Signs,
}

/// A dense layer (see the module documentation).
#[derive(Debug, Clone)]
pub struct Dense {
    weight_name: String,
    bias_name: Option<String>,
    fan_in: usize,
    fan_out: usize,
    layout: WeightLayout,
    scale: f32,
    init: WeightInit,
    trainable: bool,
}

impl Dense {
    /// `y = x W + b` with parameters `"{name}.weight"` (`fan_in x fan_out`) and
    /// `"{name}.bias"`.
    pub fn affine(name: &str, fan_in: usize, fan_out: usize, init: WeightInit) -> Self {
        Self {
            weight_name: format!("{name}.weight"),
            bias_name: Some(format!("{name}.bias")),
            fan_in,
            fan_out,
            layout: WeightLayout::InOut,
            scale: 1.0,
            init,
            trainable: true,
        }
    }

    /// `y = x W` (no bias) with the weight parameter named `name`.
    pub fn linear(
        name: &str,
        fan_in: usize,
        fan_out: usize,
        layout: WeightLayout,
        init: WeightInit,
    ) -> Self {
        Self {
            weight_name: name.to_string(),
            bias_name: None,
            fan_in,
            fan_out,
            layout,
            scale: 1.0,
            init,
            trainable: true,
        }
    }

    /// The same layer computing `s x W (+ b)`.
    pub fn scaled(mut self, scale: f32) -> Self {
        self.scale = scale;
        self
    }

    /// The same layer with its parameters created frozen.
    pub fn frozen(mut self) -> Self {
        self.trainable = false;
        self
    }

    fn weight_shape(&self) -> (usize, usize) {
        match self.layout {
            WeightLayout::InOut => (self.fan_in, self.fan_out),
            WeightLayout::OutIn => (self.fan_out, self.fan_in),
        }
    }

    /// `op(W)` in `y = x op(W)`.
    fn weight_op(&self) -> Transpose {
        match self.layout {
            WeightLayout::InOut => Transpose::No,
            WeightLayout::OutIn => Transpose::Yes,
        }
    }

    /// `dL/dW` for the layout: `s x^T G` or `s G^T x`.
    fn weight_grad<B: Backend>(
        &self,
        be: &B,
        x: &B::Matrix,
        dy: &B::Matrix,
    ) -> Result<B::Matrix, NetError> {
        let (rows, cols) = self.weight_shape();
        let mut g = be.zeros(rows, cols)?;
        match self.layout {
            WeightLayout::InOut => be.gemm(
                self.scale,
                x,
                Transpose::Yes,
                dy,
                Transpose::No,
                0.0,
                &mut g,
            )?,
            WeightLayout::OutIn => be.gemm(
                self.scale,
                dy,
                Transpose::Yes,
                x,
                Transpose::No,
                0.0,
                &mut g,
            )?,
        }
        Ok(g)
    }
}

impl<B: Backend> Layer<B> for Dense {
    fn n_params(&self) -> usize {
        1 + usize::from(self.bias_name.is_some())
    }

    fn init(&self, be: &B, rng: &mut ChaCha8Rng, out: &mut Vec<Param<B>>) -> Result<(), NetError> {
        let (rows, cols) = self.weight_shape();
        let w = match self.init {
            WeightInit::Normal { std } => normal_vec(rng, rows * cols, std),
            WeightInit::Signs => sign_vec(rng, rows * cols),
        };
        let weight = be.from_host(rows, cols, &w)?;
        out.push(Param::new(&self.weight_name, weight, self.trainable));
        if let Some(name) = &self.bias_name {
            out.push(Param::new(name, be.zeros(1, self.fan_out)?, self.trainable));
        }
        Ok(())
    }

    fn forward(
        &self,
        be: &B,
        params: &[Param<B>],
        x: &B::Matrix,
    ) -> Result<(B::Matrix, Tape<B>), NetError> {
        check_params("dense", params, None, Layer::<B>::n_params(self))?;
        if x.cols() != self.fan_in {
            return Err(NetError::Shape(format!(
                "{}: input has {} columns, the layer takes {}",
                self.weight_name,
                x.cols(),
                self.fan_in
            )));
        }
        let bias = self.bias_name.as_ref().map(|_| &params[1].value);
        let y = be.linear(self.scale, x, &params[0].value, self.weight_op(), bias)?;
        Ok((y, Tape::empty()))
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
        check_params("dense", params, Some(grads), Layer::<B>::n_params(self))?;
        if params[0].trainable {
            grads[0] = Some(self.weight_grad(be, pass.input, dy)?);
        }
        if self.bias_name.is_some() && params[1].trainable {
            grads[1] = Some(be.col_sums(dy)?);
        }
        // dL/dx = s G op(W)^T, straight into the accumulator when there is one.
        let w = &params[0].value;
        let w_back = match self.layout {
            WeightLayout::InOut => Transpose::Yes,
            WeightLayout::OutIn => Transpose::No,
        };
        let (mut dx, beta) = match input {
            InputGrad::Skip => return Ok(None),
            InputGrad::New => (be.zeros(dy.rows(), self.fan_in)?, 0.0),
            InputGrad::AddTo(acc) => (acc, 1.0),
        };
        be.gemm(self.scale, dy, Transpose::No, w, w_back, beta, &mut dx)?;
        Ok(Some(dx))
    }
}
