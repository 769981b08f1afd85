//! What a row of the encoded table must satisfy: the requirements of conditional sampling
//! and imputation (`scorediff_process::condition`), stated on the encoded matrix's columns
//! as the encoder of the table produces them (like [`crate::Layout`], the encoded table's
//! description that the crates on both sides of the matrix share).

use crate::ColumnBlock;

/// A coordinate whose clean value must lie in `[lo, hi]` (`lo = hi`: a known value; an open
/// end is infinite).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The matrix column.
    pub coord: usize,
    /// Lower end (`-inf`: none).
    pub lo: f64,
    /// Upper end (`+inf`: none).
    pub hi: f64,
}

impl Interval {
    /// A known value.
    pub fn known(coord: usize, value: f64) -> Self {
        Self {
            coord,
            lo: value,
            hi: value,
        }
    }
}

/// A one-hot block whose category must be one of the `allowed` entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The block.
    pub block: ColumnBlock,
    /// One flag per entry of the block: whether it may be drawn.
    pub allowed: Vec<bool>,
}

/// What one row requires (empty: nothing, an unconditional row).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowCondition {
    /// Coordinates held to intervals.
    pub intervals: Vec<Interval>,
    /// One-hot blocks held to sets of entries.
    pub choices: Vec<Choice>,
}

impl RowCondition {
    /// Whether the row requires nothing.
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty() && self.choices.is_empty()
    }

    /// Checks the requirement against a record width `d`: coordinates and blocks inside it,
    /// no coordinate held twice, `lo <= hi` and not NaN, at least one allowed entry per block.
    pub fn check(&self, d: usize) -> std::result::Result<(), String> {
        let mut held = vec![false; d];
        let mut hold = |j: usize, what: &str| -> std::result::Result<(), String> {
            match held.get_mut(j) {
                None => Err(format!(
                    "{what} at column {j} lies outside records of width {d}"
                )),
                Some(true) => Err(format!("column {j} is held by two requirements")),
                Some(h) => {
                    *h = true;
                    Ok(())
                }
            }
        };
        for iv in &self.intervals {
            hold(iv.coord, "an interval")?;
            let ordered = iv.lo.partial_cmp(&iv.hi).is_some_and(|o| o.is_le());
            if !ordered || iv.lo == f64::INFINITY || iv.hi == f64::NEG_INFINITY {
                return Err(format!(
                    "column {} needs lo <= hi within the reals, got [{}, {}]",
                    iv.coord, iv.lo, iv.hi
                ));
            }
        }
        for c in &self.choices {
            if c.allowed.len() != c.block.len {
                return Err(format!(
                    "the block at column {} has {} entries, its choice {}",
                    c.block.start,
                    c.block.len,
                    c.allowed.len()
                ));
            }
            if !c.allowed.contains(&true) {
                return Err(format!(
                    "the block at column {} allows no entry",
                    c.block.start
                ));
            }
            for j in c.block.start..c.block.start + c.block.len {
                hold(j, "a block")?;
            }
        }
        Ok(())
    }

    /// The entries the requirement holds, in a fixed order (intervals, then blocks).
    pub fn held(&self) -> impl Iterator<Item = usize> + '_ {
        let intervals = self.intervals.iter().map(|iv| iv.coord);
        let blocks = self
            .choices
            .iter()
            .flat_map(|c| c.block.start..c.block.start + c.block.len);
        intervals.chain(blocks)
    }
}
