//! Tables for the pipeline's tests, written as CSV and read back as a user's would be.

#![allow(dead_code)]

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scorediff_synth::tabular::{InferOptions, ReadOptions, Schema, Table, load_table};

/// The table of `csv`, read and typed as `scorediff fit` would.
fn load_csv(csv: &str) -> (Table, Schema) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("table.csv");
    std::fs::write(&path, csv).expect("write the table");
    load_table(
        &path,
        &ReadOptions::default(),
        None,
        &InferOptions::default(),
    )
    .expect("load")
}

/// `n` rows of two numerical columns on a noisy circle and a category that follows the
/// angle.
pub fn circle(n: usize, seed: u64) -> (Table, Schema) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut csv = String::from("x,y,side\n");
    for _ in 0..n {
        let a: f64 = rng.random_range(0.0..std::f64::consts::TAU);
        let r = 1.0 + 0.1 * rng.random::<f64>();
        let side = if a < std::f64::consts::PI {
            "up"
        } else {
            "down"
        };
        csv.push_str(&format!("{:.4},{:.4},{side}\n", r * a.cos(), r * a.sin()));
    }
    load_csv(&csv)
}

/// `n` rows of `k` independent categorical columns, uniform over six letters: the columns'
/// true law has no dependence, so every dependence a model learns is its training rows'.
pub fn independent_letters(n: usize, k: usize, seed: u64) -> (Table, Schema) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let names: Vec<String> = (0..k).map(|j| format!("c{j}")).collect();
    let mut csv = names.join(",") + "\n";
    for _ in 0..n {
        let row: Vec<String> = (0..k)
            .map(|_| ((b'a' + rng.random_range(0..6u8)) as char).to_string())
            .collect();
        csv.push_str(&(row.join(",") + "\n"));
    }
    load_csv(&csv)
}
