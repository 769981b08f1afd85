//! Encoding of a categorical column: a one-hot block, or a block of bits for a column of
//! many categories.
//!
//! One-hot (the default, [`Coding::OneHot`]): a category is the vector with `scale` at its
//! position and 0 elsewhere; a missing value, when the training column had any, is one more
//! category at the end. The default scale is 1: the denoiser `E[X_0 | X_t]` of a one-hot block
//! is then exactly the vector of category probabilities given `X_t`, which is what a softmax on
//! the block outputs (DESIGN.md §1, the parametric score form); with another scale `c` the
//! network must multiply its softmax by `c`.
//!
//! Bits ([`Coding::Bits`], for columns of more categories than
//! [`crate::EncoderOptions::max_one_hot`]): category `k` gets the code `c_k` (fitted so that
//! categories that relate alike to the other columns share their leading bits,
//! [`super::codes`]; the rank by training frequency in an encoder without fitted codes),
//! written in `b = ceil(log2 K)` coordinates as
//! `+scale` for a set bit and `-scale` for a clear one (analog bits, Chen et al. 2022). The
//! block is `b` wide instead of `K`: 12 coordinates for 4,000 categories instead of 4,000.
//! The network models the coordinates as continuous (no softmax), and decoding reads each
//! coordinate's sign; a code no category holds (between `K` and `2^b`) decodes to the
//! category whose code agrees best with the block (largest `sum_i x_i s_i(c)`, `s = +-1`).

use std::collections::HashMap;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::table::CategoricalCells;

/// How a categorical column's block codes its categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Coding {
    /// One entry per category.
    #[default]
    OneHot,
    /// `bits` signed coordinates of the category's code.
    Bits {
        /// Coordinates of the block.
        bits: usize,
    },
}

impl Coding {
    fn is_one_hot(&self) -> bool {
        *self == Coding::OneHot
    }
}

/// One categorical column's encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalEncoder {
    /// The categories, in block order (one-hot) or index order (bits).
    pub categories: Vec<String>,
    /// Whether the block ends with the missing category (one-hot), or the missing value has
    /// a code of its own (bits).
    pub missing: bool,
    /// The value of the hot entry (one-hot) or of a set bit (bits).
    pub scale: f64,
    /// The training share of each category (categories, then missing); empty in older
    /// encoders. Tells how often a condition on the column holds in the training table, and
    /// orders the bit codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shares: Vec<f64>,
    /// The block's coding (absent in older encoders: one-hot).
    #[serde(default, skip_serializing_if = "Coding::is_one_hot")]
    pub coding: Coding,
    /// A bit-coded column's code of each category (its frequency rank when empty; the
    /// encoder fits codes that follow the category's relations, [`super::codes`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<u64>,
    /// The bit codes and their inverse, computed once on first use.
    #[serde(skip)]
    pub cache: CodeCache,
}

/// The codes of a bit-coded column (`codes[k]`) and the index of each code (`index[c]`,
/// `u32::MAX` for a code no category holds), derived from the fitted `codes` (or, without
/// them, from the shares); not stored, and equal for every encoder (it is a function of the
/// other fields).
#[derive(Debug, Clone, Default)]
pub struct CodeCache(std::sync::OnceLock<(Vec<u64>, Vec<u32>)>);

impl PartialEq for CodeCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl CategoricalEncoder {
    /// A one-hot coder of `n` unnamed values (a relation's block).
    pub fn one_hot(n: usize, scale: f64) -> Self {
        Self {
            categories: (0..n).map(|k| k.to_string()).collect(),
            missing: false,
            scale,
            shares: Vec::new(),
            coding: Coding::OneHot,
            codes: Vec::new(),
            cache: CodeCache::default(),
        }
    }

    /// Number of categories, the missing one included.
    pub fn n_values(&self) -> usize {
        self.categories.len() + usize::from(self.missing)
    }

    /// Block width: one entry per category (plus missing) one-hot, the code's bits else.
    pub fn width(&self) -> usize {
        match self.coding {
            Coding::OneHot => self.n_values(),
            Coding::Bits { bits } => bits,
        }
    }

    /// Whether the block is one-hot (a softmax head, class probabilities as its denoiser).
    pub fn is_one_hot(&self) -> bool {
        self.coding.is_one_hot()
    }

    /// A lookup from category text to its index.
    pub fn lookup(&self) -> HashMap<&str, usize> {
        self.categories
            .iter()
            .enumerate()
            .map(|(k, c)| (c.as_str(), k))
            .collect()
    }

    /// Index of `value` using `lookup` from [`Self::lookup`]; `None` for a category not
    /// fitted (or a missing value when the column had none).
    pub fn index(&self, lookup: &HashMap<&str, usize>, value: Option<&str>) -> Option<usize> {
        match value {
            None => self.missing.then_some(self.categories.len()),
            Some(v) => lookup.get(v).copied(),
        }
    }

    /// The index of each cell of `cells`, in row order (`None` for a category not fitted, or
    /// a missing cell when the column had none); each level is looked up once.
    pub fn cell_indices<'a>(
        &self,
        cells: &'a CategoricalCells,
    ) -> impl ExactSizeIterator<Item = Option<usize>> + 'a {
        let lookup = self.lookup();
        let by_level: Vec<Option<usize>> = cells
            .levels()
            .iter()
            .map(|l| lookup.get(l.as_str()).copied())
            .collect();
        let missing = self.missing.then_some(self.categories.len());
        cells.codes().iter().map(move |&c| match c {
            CategoricalCells::MISSING => missing,
            c => by_level[c as usize],
        })
    }

    /// Writes the block of index `k` into `out` (length [`Self::width`]).
    pub fn encode(&self, k: usize, out: &mut [f32]) {
        let s = self.scale as f32;
        match self.coding {
            Coding::OneHot => {
                out.fill(0.0);
                out[k] = s;
            }
            Coding::Bits { bits } => {
                let code = self.code_table().0[k];
                for (i, o) in out.iter_mut().enumerate().take(bits) {
                    *o = if code >> i & 1 == 1 { s } else { -s };
                }
            }
        }
    }

    /// The category of index `k` (`None`: the missing value, or out of range).
    pub fn category(&self, k: usize) -> Option<String> {
        self.categories.get(k).cloned()
    }

    /// The cells of the indices `ks` (an index past the categories: missing), coded on the
    /// encoder's categories.
    pub fn cells(&self, ks: impl Iterator<Item = usize>) -> CategoricalCells {
        let n = self.categories.len();
        let codes = ks
            .map(|k| {
                if k < n {
                    k as u32
                } else {
                    CategoricalCells::MISSING
                }
            })
            .collect();
        CategoricalCells::from_codes(self.categories.clone(), codes)
            .expect("an encoder's categories are distinct")
    }

    /// The index a block decodes to: the largest entry (one-hot) or the code its signs
    /// spell (bits; see the module documentation). Entries not NaN.
    pub fn pick(&self, block: &[f32]) -> usize {
        match self.coding {
            Coding::OneHot => Self::argmax(block),
            Coding::Bits { .. } => self.decode_bits(block),
        }
    }

    /// The index drawn from a block: one-hot blocks are class probabilities, drawn from
    /// ([`Self::sample`]); bits are read as [`Self::pick`] reads them.
    pub fn draw<R: Rng + ?Sized>(&self, block: &[f32], rng: &mut R) -> usize {
        match self.coding {
            Coding::OneHot => Self::sample(block, rng),
            Coding::Bits { .. } => self.decode_bits(block),
        }
    }

    /// Checks a bit-coded column read from a file: `ceil(log2 K)` bits, and codes (when
    /// given) one per category, distinct, each within the bits.
    pub fn check_codes(&self) -> std::result::Result<(), String> {
        let Coding::Bits { bits } = self.coding else {
            return Ok(());
        };
        let n = self.n_values();
        if bits != bits_for(n) {
            return Err(format!(
                "{n} categories need {} bits, not {bits}",
                bits_for(n)
            ));
        }
        if self.codes.is_empty() {
            return Ok(());
        }
        let mut seen = std::collections::HashSet::new();
        let valid =
            self.codes.len() == n && self.codes.iter().all(|&c| c < 1 << bits && seen.insert(c));
        if valid {
            Ok(())
        } else {
            Err("the bit codes are not one distinct code per category within the bits".into())
        }
    }

    /// The codes and their inverse (see [`CodeCache`]).
    fn code_table(&self) -> &(Vec<u64>, Vec<u32>) {
        self.cache.0.get_or_init(|| {
            let codes = self.codes();
            let bits = match self.coding {
                Coding::Bits { bits } => bits.min(32),
                Coding::OneHot => 0,
            };
            let mut index = vec![u32::MAX; if bits > 0 { 1usize << bits } else { 0 }];
            for (k, &c) in codes.iter().enumerate() {
                if let Some(slot) = index.get_mut(c as usize) {
                    *slot = k as u32;
                }
            }
            (codes, index)
        })
    }

    /// The codes of the indices: the fitted ones, else frequency ranks (ties to the lower
    /// index; by index without shares).
    pub fn codes(&self) -> Vec<u64> {
        let n = self.n_values();
        if self.codes.len() == n {
            return self.codes.clone();
        }
        let mut order: Vec<usize> = (0..n).collect();
        if self.shares.len() == n {
            order.sort_by(|&a, &b| self.shares[b].total_cmp(&self.shares[a]).then(a.cmp(&b)));
        }
        let mut codes = vec![0u64; n];
        for (rank, &k) in order.iter().enumerate() {
            codes[k] = rank as u64;
        }
        codes
    }

    fn decode_bits(&self, block: &[f32]) -> usize {
        let code = block
            .iter()
            .enumerate()
            .filter(|&(_, &v)| v > 0.0)
            .fold(0u64, |c, (i, _)| c | 1 << i);
        let n = self.n_values();
        let (codes, index) = self.code_table();
        if let Some(&k) = index.get(code as usize).filter(|&&k| k != u32::MAX) {
            return k as usize;
        }
        // A code no category holds: the category whose signs agree best with the block.
        let agreement = |c: u64| -> f64 {
            block
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    if c >> i & 1 == 1 {
                        f64::from(v)
                    } else {
                        -f64::from(v)
                    }
                })
                .sum()
        };
        (0..n)
            .max_by(|&a, &b| {
                agreement(codes[a])
                    .total_cmp(&agreement(codes[b]))
                    .then(b.cmp(&a))
            })
            .unwrap_or(0)
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

/// Bits of a code of `n` values: `ceil(log2 n)`, at least 1.
pub fn bits_for(n: usize) -> usize {
    (usize::BITS - n.saturating_sub(1).leading_zeros()).max(1) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits_encoder(n: usize, shares: Vec<f64>) -> CategoricalEncoder {
        CategoricalEncoder {
            categories: (0..n).map(|k| format!("c{k}")).collect(),
            missing: false,
            scale: 1.0,
            shares,
            coding: Coding::Bits { bits: bits_for(n) },
            codes: Vec::new(),
            cache: CodeCache::default(),
        }
    }

    #[test]
    fn bit_codes_round_trip_and_follow_frequency() {
        assert_eq!(
            (bits_for(1), bits_for(2), bits_for(3), bits_for(4000)),
            (1, 1, 2, 12)
        );
        let shares = vec![0.1, 0.5, 0.15, 0.25, 0.0];
        let e = bits_encoder(5, shares);
        assert_eq!(e.codes(), vec![3, 0, 2, 1, 4]);
        assert_eq!(e.width(), 3);
        let mut block = vec![0.0f32; 3];
        for k in 0..5 {
            e.encode(k, &mut block);
            assert!(block.iter().all(|v| v.abs() == 1.0));
            assert_eq!(e.pick(&block), k);
            // Noise smaller than the scale keeps the signs.
            let noisy: Vec<f32> = block.iter().map(|v| v * 0.3).collect();
            assert_eq!(e.pick(&noisy), k);
        }
    }

    #[test]
    fn an_unused_code_decodes_to_the_best_agreeing_category() {
        // 5 values in 3 bits: codes 5, 6, 7 are unused. Code 7 = (+, +, +): the agreement
        // with code 3 (+, +, -) and with 5/6 (not held) ... the best held code differs in
        // one bit, weighted by the block's magnitudes.
        let e = bits_encoder(5, Vec::new());
        // (+0.9, +0.8, +0.1): closest held codes differ in the weakest bit: code 3.
        assert_eq!(e.pick(&[0.9, 0.8, 0.1]), 3);
        // (+0.1, -0.2, +0.9): code 5 is unused; code 4 (-, -, +) flips the weak first bit.
        assert_eq!(e.pick(&[0.1, -0.2, 0.9]), 4);
    }
}
