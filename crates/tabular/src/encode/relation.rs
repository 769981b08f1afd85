//! Exact relations between numerical columns, carried by the encoded matrix as indicators.
//!
//! Real tables hold relations by construction that a density model reproduces only
//! approximately: a payment equal to the previous month's bill (`PAY_AMT1 = BILL_AMT2`, non-zero,
//! in 13.6% of Credit Default rows), a balance carried over unchanged (`BILL_AMT3 =
//! BILL_AMT2`). Two continuous scores are equal with probability zero under any density, so a
//! sampler that learns densities makes such rows only through the rounding of the decoder (0.0%
//! of synthetic rows for the first), and a boosted-tree detector finds the rows that miss them
//! (`scorediff_eval::diagnose`).
//!
//! A [`Relation`] makes the event explicit: its target column `b` equals its source column
//! `a`, both non-zero. The encoder adds one two-entry one-hot block per relation after the
//! column blocks, `[holds, does not hold]`, so the network models the event as a categorical
//! variable jointly with everything else (a softmax head, like any category). Decoding sets
//! `b := a` in the rows where the block says the relation holds and the decoded `a` is
//! non-zero, after every column is decoded; elsewhere `b` keeps its own decoded value.
//!
//! Zeros are left out on purpose: a column's zeros are a tie of its quantile transform, which
//! already decodes to exactly 0, so a relation that also counted rows where both are zero
//! would make zeros twice (measured: spike indicators and zero-counting equalities raised
//! `BILL_AMT1`'s zeros from 7.3% to 8.9% against 6.7% real, docs/recipe.md).
//!
//! Which relations ([`find`], at fit time, on the training rows only): for each numerical
//! column `b`, the columns `a` before it in table order with `a = b != 0` in at least
//! [`MIN_RATE`] of the rows and in at least [`MIN_LIFT`] times the rate independence would
//! give (`sum_{v != 0} p_a(v) p_b(v)`) are candidates; up to [`MAX_SOURCES`] of them are
//! chosen greedily, each the one that holds in the most rows no source chosen before covers,
//! while those rows are at least [`MIN_RATE`] of the table (a payment equal to the bill in
//! some months and to the previous payment in others: `PAY_AMT2 = BILL_AMT3` and `PAY_AMT2 =
//! PAY_AMT1`). Relations are decoded in target order (table order), so a source's value is
//! final, its own relations applied, when a target copies it; when two relations of one
//! target both draw "holds", the later one sets it. "Equal" compares values exactly
//! (`-0 = 0`), both present. Only the first [`MAX_COLUMNS`] numerical columns are scanned (the
//! pair scan is quadratic). A relation copies no real value into synthetic rows: it copies
//! the row's own synthetic source value.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Least share of training rows that must hold a relation.
pub const MIN_RATE: f64 = 0.02;
/// Least ratio of a relation's rate to its rate under independence.
pub const MIN_LIFT: f64 = 2.0;
/// Most numerical columns scanned for relations.
pub const MAX_COLUMNS: usize = 100;
/// Most relations with one target column.
pub const MAX_SOURCES: usize = 2;

/// One relation and its indicator block (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    /// The numerical column the relation sets.
    pub target: String,
    /// The numerical column it equals.
    pub source: String,
    /// Share of training rows that held it.
    pub real_rate: f64,
    /// First matrix column of its block `[holds, does not hold]`.
    pub start: usize,
}

impl Relation {
    /// Width of a relation's block.
    pub const WIDTH: usize = 2;

    /// The relation in words, e.g. `PAY_AMT1 = BILL_AMT2`.
    pub fn describe(&self) -> String {
        format!("{} = {}", self.target, self.source)
    }

    /// Whether a row with target value `b` and source value `a` holds the relation.
    pub fn holds(b: Option<f64>, a: Option<f64>) -> bool {
        matches!((a, b), (Some(a), Some(b)) if a == b && a != 0.0)
    }
}

/// Canonical bits of a value (`-0` as `0`), the key of exact comparisons.
fn key(x: f64) -> u64 {
    if x == 0.0 { 0 } else { x.to_bits() }
}

fn counts(v: &[Option<f64>]) -> HashMap<u64, usize> {
    let mut m = HashMap::new();
    for x in v.iter().flatten() {
        *m.entry(key(*x)).or_insert(0) += 1;
    }
    m
}

/// The relations of numerical columns `columns` (name, values; in table order), each with
/// `start` 0 (the caller places the blocks), targets in table order and, for one target,
/// sources in the order chosen.
pub fn find(columns: &[(&str, &[Option<f64>])]) -> Vec<Relation> {
    let columns = &columns[..columns.len().min(MAX_COLUMNS)];
    let n = columns.first().map_or(0, |c| c.1.len());
    if n == 0 {
        return Vec::new();
    }
    let nf = n as f64;
    let tallies: Vec<HashMap<u64, usize>> = columns.iter().map(|c| counts(c.1)).collect();
    let mut out = Vec::new();
    for (j, (target, b)) in columns.iter().enumerate() {
        // Every earlier column that passes the rate and lift tests, with the rows it holds in.
        let mut candidates: Vec<(usize, Vec<bool>)> = Vec::new();
        for (i, (_, a)) in columns[..j].iter().enumerate() {
            let holds: Vec<bool> = a
                .iter()
                .zip(b.iter())
                .map(|(&x, &y)| Relation::holds(y, x))
                .collect();
            let rate = holds.iter().filter(|&&h| h).count() as f64 / nf;
            if rate >= MIN_RATE && rate >= MIN_LIFT * coincidence(&tallies[i], &tallies[j], nf) {
                candidates.push((i, holds));
            }
        }
        // Greedy: the source that holds in the most rows no chosen source covers yet.
        let mut covered = vec![false; n];
        for _ in 0..MAX_SOURCES {
            let new_rows = |h: &[bool]| h.iter().zip(&covered).filter(|&(&h, &c)| h && !c).count();
            let Some(best) = (0..candidates.len())
                .max_by_key(|&c| (new_rows(&candidates[c].1), std::cmp::Reverse(c)))
            else {
                break;
            };
            if (new_rows(&candidates[best].1) as f64) < MIN_RATE * nf {
                break;
            }
            let (i, holds) = candidates.swap_remove(best);
            let rate = holds.iter().filter(|&&h| h).count() as f64 / nf;
            covered.iter_mut().zip(&holds).for_each(|(c, &h)| *c |= h);
            out.push(Relation {
                target: target.to_string(),
                source: columns[i].0.to_string(),
                real_rate: rate,
                start: 0,
            });
        }
    }
    out
}

/// The rate at which two independent columns with value counts `p`, `q` (of `n` rows) are
/// equal and non-zero: `sum_{v != 0} p(v) q(v) / n^2`.
fn coincidence(p: &HashMap<u64, usize>, q: &HashMap<u64, usize>, n: f64) -> f64 {
    let (small, large) = if p.len() <= q.len() { (p, q) } else { (q, p) };
    small
        .iter()
        .filter(|&(&k, _)| k != 0)
        .filter_map(|(k, &c)| large.get(k).map(|&d| c as f64 * d as f64))
        .sum::<f64>()
        / (n * n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_non_zero_equalities_and_ignores_zeros_and_coincidences() {
        let n = 1000;
        // a: 1..=100 cycling; b = a in 30% of rows (i % 10 < 3), otherwise 1000 + i;
        // c, d: zero together in 40% of rows, otherwise distinct (no relation: zeros are
        // left out); e, f: values 1..=4 (equal in 25% of rows, what independence gives).
        let a: Vec<Option<f64>> = (0..n).map(|i| Some((1 + i % 100) as f64)).collect();
        let b: Vec<Option<f64>> = (0..n)
            .map(|i| {
                Some(if i % 10 < 3 {
                    (1 + i % 100) as f64
                } else {
                    (1000 + i) as f64
                })
            })
            .collect();
        let zero_or = |off: f64| -> Vec<Option<f64>> {
            (0..n)
                .map(|i| Some(if i % 5 < 2 { -0.0 } else { i as f64 + off }))
                .collect()
        };
        let (c, d) = (zero_or(0.5), zero_or(0.25));
        let e: Vec<Option<f64>> = (0..n).map(|i| Some((1 + (i / 3) % 4) as f64)).collect();
        let f: Vec<Option<f64>> = (0..n).map(|i| Some((1 + (i / 7) % 4) as f64)).collect();
        let cols = [
            ("a", &a[..]),
            ("b", &b[..]),
            ("c", &c[..]),
            ("d", &d[..]),
            ("e", &e[..]),
            ("f", &f[..]),
        ];
        let r = find(&cols);
        let described: Vec<String> = r.iter().map(Relation::describe).collect();
        assert_eq!(described, ["b = a"], "{r:?}");
        assert_eq!(r[0].real_rate, 0.3);
        assert!(Relation::holds(Some(4.0), Some(4.0)));
        assert!(!Relation::holds(Some(4.0), None) && !Relation::holds(Some(0.0), Some(-0.0)));
    }

    /// `t` equals `a` in rows 0-2 of every 10 and `c` in rows 3-4; `d` equals `t` in rows
    /// 0-1 only (already covered by `a`). Greedy choice: `a` (30%), then `c` (20% new rows),
    /// not `d` (0 new rows), and at most two.
    #[test]
    fn a_second_source_is_chosen_by_the_rows_it_adds() {
        let n = 1000;
        let col =
            |f: &dyn Fn(usize) -> f64| -> Vec<Option<f64>> { (0..n).map(|i| Some(f(i))).collect() };
        let a = col(&|i| (1 + i % 97) as f64);
        let c = col(&|i| (500 + i % 89) as f64);
        let d = col(&|i| {
            if i % 10 < 2 {
                (1 + i % 97) as f64
            } else {
                -1.0 - i as f64
            }
        });
        let e = col(&|i| {
            if i % 10 == 5 {
                1e6 + i as f64
            } else {
                -5e6 - i as f64
            }
        });
        let t = col(&|i| match i % 10 {
            0..=2 => (1 + i % 97) as f64,
            3 | 4 => (500 + i % 89) as f64,
            5 => 1e6 + i as f64,
            _ => 1e7 + i as f64,
        });
        let cols = [
            ("a", &a[..]),
            ("c", &c[..]),
            ("d", &d[..]),
            ("e", &e[..]),
            ("t", &t[..]),
        ];
        let r = find(&cols);
        let described: Vec<String> = r.iter().map(Relation::describe).collect();
        // `d = a` in its 20% by construction; for `t`, `e` would cover 10% new rows, but two
        // sources are the most.
        assert_eq!(described, ["d = a", "t = a", "t = c"], "{r:?}");
        assert_eq!((r[1].real_rate, r[2].real_rate), (0.3, 0.2));
    }

    #[test]
    fn nothing_in_an_empty_or_relation_free_table() {
        assert!(find(&[]).is_empty());
        let x: Vec<Option<f64>> = (0..500).map(|i| Some(i as f64)).collect();
        let y: Vec<Option<f64>> = (0..500)
            .map(|i| Some((i * 7 % 500) as f64 + 0.25))
            .collect();
        assert!(find(&[("x", &x[..]), ("y", &y[..])]).is_empty());
    }
}
