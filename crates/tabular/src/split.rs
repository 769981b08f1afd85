//! Seeded train/holdout splits of row indices (used by the metrics and by validation).

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::error::{Result, TabularError};
use crate::table::Table;

/// Row indices of a split, each part in increasing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowSplit {
    /// Rows kept for training.
    pub train: Vec<usize>,
    /// Rows held out.
    pub holdout: Vec<usize>,
}

/// Splits `0..n_rows` at random: `round(holdout_fraction * n_rows)` rows held out, the rest
/// for training. The draw is a Fisher-Yates shuffle by `ChaCha8Rng::seed_from_u64(seed)`, so
/// the same `(n_rows, holdout_fraction, seed)` gives the same split on every platform.
pub fn split_rows(n_rows: usize, holdout_fraction: f64, seed: u64) -> Result<RowSplit> {
    if !(0.0..1.0).contains(&holdout_fraction) {
        return Err(TabularError::InvalidArgument {
            message: format!("holdout fraction {holdout_fraction} is not in [0, 1)"),
        });
    }
    let mut order: Vec<usize> = (0..n_rows).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let n_holdout = (holdout_fraction * n_rows as f64).round() as usize;
    let mut holdout = order[..n_holdout].to_vec();
    let mut train = order[n_holdout..].to_vec();
    holdout.sort_unstable();
    train.sort_unstable();
    Ok(RowSplit { train, holdout })
}

/// Splits a table's rows (see [`split_rows`]): `(train, holdout)`.
pub fn split_table(table: &Table, holdout_fraction: f64, seed: u64) -> Result<(Table, Table)> {
    let s = split_rows(table.n_rows(), holdout_fraction, seed)?;
    Ok((table.select_rows(&s.train), table.select_rows(&s.holdout)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_sizes_and_determinism() {
        let a = split_rows(101, 0.2, 7).unwrap();
        assert_eq!(a.holdout.len(), 20);
        let mut all: Vec<usize> = a.train.iter().chain(&a.holdout).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..101).collect::<Vec<_>>());
        assert_eq!(a, split_rows(101, 0.2, 7).unwrap());
        assert_ne!(a, split_rows(101, 0.2, 8).unwrap());
    }

    #[test]
    fn bad_fraction_is_an_error() {
        assert!(split_rows(10, 1.0, 0).is_err());
        assert!(split_rows(10, -0.1, 0).is_err());
        assert!(split_rows(10, f64::NAN, 0).is_err());
    }
}
