//! One-hot encoding of a categorical column.
//!
//! A category is the vector with `scale` at its position and 0 elsewhere; a missing value, when
//! the training column had any, is one more category at the end. The default scale is 1: the
//! denoiser `E[X_0 | X_t]` of a one-hot block is then exactly the vector of category
//! probabilities given `X_t`, which is what a softmax on the block outputs (DESIGN.md §1, the
//! parametric score form); with another scale `c` the network must multiply its softmax by `c`.

use std::collections::HashMap;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// One categorical column's encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneHotEncoder {
    /// The categories, in block order.
    pub categories: Vec<String>,
    /// Whether the block ends with the missing category.
    pub missing: bool,
    /// The value of the hot entry.
    pub scale: f64,
    /// The training share of each block entry (categories, then missing); empty in older
    /// encoders. Tells how often a condition on the column holds in the training table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shares: Vec<f64>,
}

impl OneHotEncoder {
    /// Block width: one entry per category, plus one for missing.
    pub fn width(&self) -> usize {
        self.categories.len() + usize::from(self.missing)
    }

    /// A lookup from category text to block position.
    pub fn lookup(&self) -> HashMap<&str, usize> {
        self.categories
            .iter()
            .enumerate()
            .map(|(k, c)| (c.as_str(), k))
            .collect()
    }

    /// Position of `value` in the block using `lookup` from [`Self::lookup`]; `None` for a
    /// category not fitted (or a missing value when the block has no missing category).
    pub fn index(&self, lookup: &HashMap<&str, usize>, value: Option<&str>) -> Option<usize> {
        match value {
            None => self.missing.then_some(self.categories.len()),
            Some(v) => lookup.get(v).copied(),
        }
    }

    /// Writes the block of category index `k` into `out` (length [`Self::width`]).
    pub fn encode(&self, k: usize, out: &mut [f32]) {
        out.fill(0.0);
        out[k] = self.scale as f32;
    }

    /// The category of block position `k`.
    pub fn category(&self, k: usize) -> Option<String> {
        self.categories.get(k).cloned()
    }

    /// The position of the largest entry (the first on ties); entries not NaN.
    pub fn argmax(block: &[f32]) -> usize {
        let mut best = 0;
        for (k, &v) in block.iter().enumerate() {
            if v > block[best] {
                best = k;
            }
        }
        best
    }

    /// A position drawn with probability proportional to the block's positive entries (a
    /// softmax output divided by the scale); the argmax when no entry is positive.
    pub fn sample<R: Rng + ?Sized>(block: &[f32], rng: &mut R) -> usize {
        let total: f64 = block.iter().map(|&v| f64::from(v.max(0.0))).sum();
        if !(total > 0.0 && total.is_finite()) {
            return Self::argmax(block);
        }
        let mut r = rng.random::<f64>() * total;
        for (k, &v) in block.iter().enumerate() {
            r -= f64::from(v.max(0.0));
            if r < 0.0 {
                return k;
            }
        }
        // Rounding left r >= 0: the last positive entry.
        block.iter().rposition(|&v| v > 0.0).unwrap_or(0)
    }
}
