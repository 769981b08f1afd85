//! Encoding of one numerical column: a transform to a normal-like score, an optional missing
//! indicator, and the decoding rules (round to the column's resolution, clip to the range).

use serde::{Deserialize, Serialize};

use crate::encode::quantile::QuantileMap;
use crate::encode::standard::StandardMap;
use crate::number::NumberFormat;

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

    fn decode(&self, z: f64) -> f64 {
        match self {
            NumericalMap::Quantile(m) => m.decode(z),
            NumericalMap::Standard(m) => m.decode(z),
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
}

impl NumericalEncoder {
    /// Fits to `sorted` (non-empty, ascending, finite) training values.
    pub fn fit(sorted: &[f64], map: NumericalMap, indicator: bool, format: NumberFormat) -> Self {
        let median = sorted[sorted.len() / 2];
        let impute = map.encode(median);
        Self {
            impute,
            indicator,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            format,
            map,
        }
    }

    /// Block width: 1, or 2 with the missing indicator.
    pub fn width(&self) -> usize {
        1 + usize::from(self.indicator)
    }

    /// Writes the block of value `x` into `out` (length [`Self::width`]).
    pub fn encode(&self, x: Option<f64>, out: &mut [f32]) {
        out[0] = x.map_or(self.impute, |x| self.map.encode(x)) as f32;
        if self.indicator {
            out[1] = if x.is_none() { 1.0 } else { 0.0 };
        }
    }

    /// The value of a block (entries not NaN).
    pub fn decode(&self, block: &[f32]) -> Option<f64> {
        if self.indicator && block[1] > 0.5 {
            return None;
        }
        let x = self.format.round(self.map.decode(f64::from(block[0])));
        Some(x.clamp(self.min, self.max))
    }
}
