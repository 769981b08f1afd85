//! Softmax output heads over the one-hot blocks of the encoded table.
//!
//! Within each block `y_block = softmax(x_block)`, so the denoiser's estimate of
//! `E[X_0 | X_t]` there is a probability vector, as the true conditional mean of a one-hot
//! vector is; other columns pass through. Backward (from the output alone):
//! `dL/dx = y * (dL/dy - sum_block(dL/dy * y))` inside blocks, `dL/dy` outside.

use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, ColumnBlock, ops::check_blocks};

use super::{InputGrad, Layer, Pass, Tape, check_params};
use crate::{NetError, Param};

/// Softmax within column blocks (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftmaxHeads {
    blocks: Vec<ColumnBlock>,
}

impl SoftmaxHeads {
    /// Heads on `blocks` of a `width`-column matrix; blocks inside it, non-empty, disjoint.
    pub fn new(width: usize, blocks: Vec<ColumnBlock>) -> Result<Self, NetError> {
        check_blocks("softmax heads", &blocks, width)
            .map_err(|e| NetError::InvalidConfig(e.to_string()))?;
        if blocks.iter().any(|b| b.len == 0) {
            return Err(NetError::InvalidConfig("empty categorical block".into()));
        }
        Ok(Self { blocks })
    }
}

impl<B: Backend> Layer<B> for SoftmaxHeads {
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
        check_params("softmax heads", params, None, 0)?;
        Ok((be.softmax_blocks(x, &self.blocks)?, Tape::empty()))
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
        check_params("softmax heads", params, Some(grads), 0)?;
        super::deliver(
            be,
            || Ok(be.softmax_blocks_backward(pass.output, dy, &self.blocks)?),
            input,
        )
    }
}
