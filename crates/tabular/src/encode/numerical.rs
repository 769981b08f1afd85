//! Encoding of one numerical column: a transform to a normal-like score, an optional missing
//! indicator, and the decoding rules (round to the column's resolution, clip to the range,
//! and, for a discrete column, snap to its support).
//!
//! Discrete columns. A numerical column whose values repeat, such as a credit limit set in
//! steps of 10,000, is a few point masses: each value is a tie of the quantile transform and
//! encodes to one score, and a sampled score between two ties' score ranges decodes to a
//! value in between that no row holds (Credit Default `LIMIT_BAL`: 81 values in the data,
//! about 1,500 in a sample, 5.6% of sampled values never seen). When
//! [`crate::EncoderOptions::snap_discrete`] is on, a column is discrete if the values held by
//! at least [`SUPPORT_MIN_ROWS`] training rows make up [`DISCRETE_SHARE`] of its present
//! values; those values and the column's training minimum and maximum are its support, and
//! every decoded value is moved to the nearest of them. Other values held by fewer rows are
//! never produced for such a column: the rare-value rule of categorical columns (schema
//! `rare_min_count`, 10 rows) applied to numbers. The two extremes stay because decoding
//! reaches them anyway (values are clipped to the training range) and because the
//! evaluation protocol bins each table on its own range: without them a sample's
//! `LIMIT_BAL` ended at 750,000 instead of 1,000,000 and the same model's Trend error went
//! from 1.92 to 2.82 (docs/recipe.md).

use serde::{Deserialize, Serialize};

use crate::encode::quantile::QuantileMap;
use crate::encode::standard::StandardMap;
use crate::number::NumberFormat;

/// Least number of training rows that hold a value for it to be in a discrete column's
/// support (the categorical columns' rare-value threshold).
pub const SUPPORT_MIN_ROWS: usize = 10;

/// Least share of a column's present training values that its support must hold for the
/// column to count as discrete.
pub const DISCRETE_SHARE: f64 = 0.99;

/// The support of a discrete column: the values of `sorted` (ascending) held by at least
/// [`SUPPORT_MIN_ROWS`] entries, with the smallest and the largest value, when there are at
/// least two frequent values and they hold at least [`DISCRETE_SHARE`] of the entries; empty
/// otherwise (the column is continuous).
pub fn discrete_support(sorted: &[f64]) -> Vec<f64> {
    let mut support = Vec::new();
    let mut held = 0;
    for run in sorted.chunk_by(|a, b| a == b) {
        if run.len() >= SUPPORT_MIN_ROWS {
            support.push(run[0]);
            held += run.len();
        }
    }
    if support.len() >= 2 && held as f64 >= DISCRETE_SHARE * sorted.len() as f64 {
        let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
        if support[0] != min {
            support.insert(0, min);
        }
        if support.last() != Some(&max) {
            support.push(max);
        }
        support
    } else {
        Vec::new()
    }
}

/// The value of `support` (ascending, non-empty) nearest to `x`, the lower one on a tie.
fn nearest(support: &[f64], x: f64) -> f64 {
    let k = support.partition_point(|&s| s < x);
    match (k.checked_sub(1).map(|j| support[j]), support.get(k)) {
        (Some(lo), Some(&hi)) => {
            if hi - x < x - lo {
                hi
            } else {
                lo
            }
        }
        (Some(lo), None) => lo,
        (None, Some(&hi)) => hi,
        (None, None) => x,
    }
}

/// The fitted transform of a numerical column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumericalMap {
    /// Quantile transform to a standard normal.
    Quantile(QuantileMap),
    /// Standardization.
    Standard(StandardMap),
}

impl NumericalMap {
    fn encode(&self, x: f64) -> f64 {
        match self {
            NumericalMap::Quantile(m) => m.encode(x),
            NumericalMap::Standard(m) => m.encode(x),
        }
    }

    fn encode_spread(&self, x: f64, v: f64) -> f64 {
        match self {
            NumericalMap::Quantile(m) => m.encode_spread(x, v),
            NumericalMap::Standard(m) => m.encode(x),
        }
    }

    fn decode(&self, z: f64) -> f64 {
        match self {
            NumericalMap::Quantile(m) => m.decode(z),
            NumericalMap::Standard(m) => m.decode(z),
        }
    }

    /// The scores of the values in `[lo, hi]` (see [`QuantileMap::score_bounds`]; a
    /// standardisation maps the ends).
    pub fn score_bounds(&self, lo: f64, hi: f64) -> (f64, f64) {
        match self {
            NumericalMap::Quantile(m) => m.score_bounds(lo, hi),
            NumericalMap::Standard(m) => (m.encode(lo), m.encode(hi)),
        }
    }

    /// The training share of present values in `[lo, hi]`, where the map knows it (the
    /// quantile map's knots; `None` for a standardisation).
    pub fn probability(&self, lo: f64, hi: f64) -> Option<f64> {
        match self {
            NumericalMap::Quantile(m) => Some(m.probability(lo, hi)),
            NumericalMap::Standard(_) => None,
        }
    }
}

/// One numerical column's encoder. Its block is the score, followed, when the training column
/// had missing values, by an indicator (1 missing, 0 present; decoded as missing above 0.5).
/// A missing value's score is the score of the training median (imputation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericalEncoder {
    /// The transform.
    pub map: NumericalMap,
    /// Whether the block carries a missing indicator.
    pub indicator: bool,
    /// Score written for a missing value.
    pub impute: f64,
    /// Smallest training value: decoded values are clipped to `[min, max]`.
    pub min: f64,
    /// Largest training value.
    pub max: f64,
    /// Number format: decoded values are rounded to its decimals (0 for integer columns).
    pub format: NumberFormat,
    /// A discrete column's support, ascending: decoded values snap to the nearest (empty for
    /// a continuous column, and in older encoders).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub support: Vec<f64>,
}

impl NumericalEncoder {
    /// Fits to `sorted` (non-empty, ascending, finite) training values; with `snap`, a
    /// discrete column gets its support ([`discrete_support`]).
    pub fn fit(
        sorted: &[f64],
        map: NumericalMap,
        indicator: bool,
        format: NumberFormat,
        snap: bool,
    ) -> Self {
        let median = sorted[sorted.len() / 2];
        let impute = map.encode(median);
        Self {
            impute,
            indicator,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            format,
            map,
            support: if snap {
                discrete_support(sorted)
            } else {
                Vec::new()
            },
        }
    }

    /// Block width: 1, or 2 with the missing indicator.
    pub fn width(&self) -> usize {
        1 + usize::from(self.indicator)
    }

    /// The score of a present value `x` (the first entry of its block).
    pub fn score(&self, x: f64) -> f64 {
        self.map.encode(x)
    }

    /// Writes the block of value `x` into `out` (length [`Self::width`]).
    pub fn encode(&self, x: Option<f64>, out: &mut [f32]) {
        self.write(x.map(|x| self.map.encode(x)), out);
    }

    /// [`Self::encode`] with a tied value spread over its run of the quantile map by `v` in
    /// `[0, 1)` ([`QuantileMap::encode_spread`]).
    pub fn encode_spread(&self, x: Option<f64>, v: f64, out: &mut [f32]) {
        self.write(x.map(|x| self.map.encode_spread(x, v)), out);
    }

    /// Writes the block of a present value's `score`, or of a missing value (`None`).
    fn write(&self, score: Option<f64>, out: &mut [f32]) {
        out[0] = score.unwrap_or(self.impute) as f32;
        if self.indicator {
            out[1] = if score.is_none() { 1.0 } else { 0.0 };
        }
    }

    /// The value of a block (entries not NaN).
    pub fn decode(&self, block: &[f32]) -> Option<f64> {
        if self.indicator && block[1] > 0.5 {
            return None;
        }
        let x = self.format.round(self.map.decode(f64::from(block[0])));
        let x = x.clamp(self.min, self.max);
        Some(if self.support.is_empty() {
            x
        } else {
            nearest(&self.support, x)
        })
    }

    /// A decoded value's last steps: rounded to the column's resolution, clipped to the
    /// training range, snapped to a discrete column's support.
    pub fn finish(&self, x: f64) -> f64 {
        let x = self.format.round(x).clamp(self.min, self.max);
        if self.support.is_empty() {
            x
        } else {
            nearest(&self.support, x)
        }
    }

    /// The value nearest `x` among those decoding can produce (the column's resolution, the
    /// training range, a discrete column's support) that lie in `[lo, hi]`; `None` when none
    /// does.
    pub fn value_within(&self, x: f64, lo: f64, hi: f64) -> Option<f64> {
        let (lo, hi) = (lo.max(self.min), hi.min(self.max));
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return None;
        }
        if !self.support.is_empty() {
            let inside: Vec<f64> = self
                .support
                .iter()
                .copied()
                .filter(|v| (lo..=hi).contains(v))
                .collect();
            return (!inside.is_empty()).then(|| nearest(&inside, x));
        }
        // The smallest and largest values at the column's resolution inside [lo, hi].
        let step = 10f64.powi(-(self.format.decimals.min(22) as i32));
        let mut first = self.format.round(lo);
        if first < lo {
            first = self.format.round(first + step);
        }
        let mut last = self.format.round(hi);
        if last > hi {
            last = self.format.round(last - step);
        }
        if first > last {
            return None;
        }
        Some(self.format.round(x.clamp(first, last)).clamp(first, last))
    }

    /// Checks the support read from a file: finite and strictly ascending.
    pub fn check(&self) -> std::result::Result<(), String> {
        let finite = self.support.iter().all(|v| v.is_finite());
        if finite && self.support.windows(2).all(|w| w[0] < w[1]) {
            Ok(())
        } else {
            Err("a discrete column's support is not finite and ascending".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_is_the_frequent_values_of_a_discrete_column() {
        // 995 rows on three values, five rows on two rare ones: discrete.
        let mut xs: Vec<f64> = [(10.0, 500), (20.0, 300), (40.0, 195), (25.0, 3), (90.0, 2)]
            .iter()
            .flat_map(|&(v, n)| std::iter::repeat_n(v, n))
            .collect();
        xs.sort_by(f64::total_cmp);
        // The largest value stays, the rare 25 goes.
        assert_eq!(discrete_support(&xs), vec![10.0, 20.0, 40.0, 90.0]);
        // Two per cent of rows on rare values: continuous.
        let mut ys: Vec<f64> = xs[..980].to_vec();
        ys.extend((0..20).map(|i| 100.0 + f64::from(i)));
        ys.sort_by(f64::total_cmp);
        assert!(discrete_support(&ys).is_empty());
        // A single frequent value is a constant, not a support.
        assert!(discrete_support(&[1.0; 50]).is_empty());
    }

    #[test]
    fn nearest_takes_the_closer_value_and_the_lower_on_a_tie() {
        let s = [10.0, 20.0, 40.0];
        let got: Vec<f64> = [-5.0, 10.0, 14.9, 15.0, 15.1, 29.0, 31.0, 99.0]
            .iter()
            .map(|&x| nearest(&s, x))
            .collect();
        assert_eq!(got, vec![10.0, 10.0, 10.0, 10.0, 20.0, 20.0, 40.0, 40.0]);
    }
}
