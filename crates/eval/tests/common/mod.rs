//! Test helpers: a minimal reader of the Credit Default CSV files and a column shuffler.
#![allow(dead_code)]

use std::path::PathBuf;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use scorediff_tabular::{Column, Table};

/// Numerical columns as the data README types them; every other column but `ID` is categorical.
const NUMERICAL: [&str; 14] = [
    "LIMIT_BAL",
    "AGE",
    "BILL_AMT1",
    "BILL_AMT2",
    "BILL_AMT3",
    "BILL_AMT4",
    "BILL_AMT5",
    "BILL_AMT6",
    "PAY_AMT1",
    "PAY_AMT2",
    "PAY_AMT3",
    "PAY_AMT4",
    "PAY_AMT5",
    "PAY_AMT6",
];

/// The target column.
pub const TARGET: &str = "default payment next month";

/// Path of a Credit Default file (`train.csv`, `test.csv`) in the shared data folder.
pub fn data_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/credit-default")
        .join(file)
}

/// Reads a Credit Default CSV (all values numeric, header row, no quoting) into a typed table,
/// `ID` dropped; `None` (with a message) when the file is absent.
pub fn read_credit(file: &str) -> Option<Table> {
    let path = data_path(file);
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "SKIP: {} not found (Credit Default data absent)",
            path.display()
        );
        return None;
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split(',').map(str::trim).collect();
    let rows: Vec<Vec<&str>> = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(str::trim).collect())
        .collect();
    let columns = header
        .iter()
        .enumerate()
        .filter(|(_, h)| **h != "ID")
        .map(|(k, h)| {
            if NUMERICAL.contains(h) {
                Column::numerical(
                    *h,
                    rows.iter()
                        .map(|r| r.get(k).and_then(|v| v.parse().ok()))
                        .collect(),
                )
            } else {
                Column::categorical(
                    *h,
                    rows.iter()
                        .map(|r| r.get(k).map(|v| v.to_string()))
                        .collect(),
                )
            }
        })
        .collect();
    Table::new(columns)
}

/// Every column permuted independently (seeded): marginals kept, dependence destroyed.
pub fn shuffle_columns(t: &Table, seed: u64) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let columns = t
        .columns
        .iter()
        .map(|c| {
            let mut perm: Vec<usize> = (0..c.data.len()).collect();
            perm.shuffle(&mut rng);
            let data = c.data.select(&perm);
            Column {
                name: c.name.clone(),
                data,
            }
        })
        .collect();
    Table { columns }
}

/// The first `n` rows of a table.
pub fn head(t: &Table, n: usize) -> Table {
    let columns = t
        .columns
        .iter()
        .map(|c| {
            let data = c.data.select(&(0..n.min(c.data.len())).collect::<Vec<_>>());
            Column {
                name: c.name.clone(),
                data,
            }
        })
        .collect();
    Table { columns }
}
