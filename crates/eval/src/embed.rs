//! Min-max embedding of a table: scaled numerical columns plus one-hot categorical columns.
//!
//! The one-hot block is never materialised. Two rows with categories `u` and `v` in a column
//! differ in that column's one-hot block by `0` (same category) or by two unit entries
//! (different categories), so that block adds `2 [u != v]` to both the squared Euclidean and
//! the L1 distance. Min-max scaling of a one-hot column is a translation at most (a 0/1
//! column keeps range 1; a constant column gets scale 1), which changes no distance, so the
//! distances below equal those on the explicit scikit-learn `MinMaxScaler(OneHot(...))`
//! features that synthcity and TabSyn use.

use crate::coding::{Coded, CodedColumn, Plan};

/// Per-column min-max scaling fitted on a reference table, with mean imputation of missing
/// numerical values (scikit-learn's `SimpleImputer(strategy="mean")` then `MinMaxScaler`).
#[derive(Debug, Clone, PartialEq)]
pub struct MinMax {
    /// Per numerical column: (mean used for imputation, minimum, 1 / range or 1 if constant).
    pub num: Vec<(f64, f64, f64)>,
    /// Number of categories of each categorical column.
    pub n_categories: Vec<usize>,
}

/// A coded table in the embedding space: numerical columns scaled (column-major), categorical
/// columns as category codes.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    /// Number of rows.
    pub n: usize,
    /// Scaled numerical columns.
    pub num: Vec<Vec<f64>>,
    /// Category codes of the categorical columns.
    pub cat: Vec<Vec<u32>>,
}

impl MinMax {
    /// Fits the scaling on `reference` (coded under `plan`).
    pub fn fit(plan: &Plan, reference: &Coded) -> Self {
        let mut num = Vec::new();
        let mut n_categories = Vec::new();
        for (cp, col) in plan.columns.iter().zip(&reference.columns) {
            match col {
                CodedColumn::Num(v) => {
                    let present: Vec<f64> = v
                        .iter()
                        .flatten()
                        .copied()
                        .filter(|x| !x.is_nan())
                        .collect();
                    let mean = if present.is_empty() {
                        0.0
                    } else {
                        present.iter().sum::<f64>() / present.len() as f64
                    };
                    let lo = present.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let (lo, inv) = if hi > lo {
                        (lo, 1.0 / (hi - lo))
                    } else if lo.is_finite() {
                        (lo, 1.0)
                    } else {
                        (0.0, 1.0)
                    };
                    num.push((mean, lo, inv));
                }
                CodedColumn::Cat(_) => n_categories.push(cp.n_categories()),
            }
        }
        Self { num, n_categories }
    }

    /// Embeds a coded table (same plan as the fit).
    pub fn embed(&self, coded: &Coded) -> Embedding {
        let mut num = Vec::with_capacity(self.num.len());
        let mut cat = Vec::with_capacity(self.n_categories.len());
        let mut k = 0;
        for col in &coded.columns {
            match col {
                CodedColumn::Num(v) => {
                    let (mean, lo, inv) = self.num[k];
                    k += 1;
                    num.push(
                        v.iter()
                            .map(|x| match x {
                                Some(x) if !x.is_nan() => (x - lo) * inv,
                                _ => (mean - lo) * inv,
                            })
                            .collect(),
                    );
                }
                CodedColumn::Cat(c) => cat.push(c.clone()),
            }
        }
        Embedding {
            n: coded.n_rows,
            num,
            cat,
        }
    }
}

impl Embedding {
    /// The rows `idx` of this embedding, in that order.
    pub fn select(&self, idx: &[usize]) -> Self {
        Self {
            n: idx.len(),
            num: self
                .num
                .iter()
                .map(|c| idx.iter().map(|&i| c[i]).collect())
                .collect(),
            cat: self
                .cat
                .iter()
                .map(|c| idx.iter().map(|&i| c[i]).collect())
                .collect(),
        }
    }

    /// Number of embedding dimensions (numerical columns plus one-hot columns).
    pub fn dims(&self, n_categories: &[usize]) -> usize {
        self.num.len() + n_categories.iter().sum::<usize>()
    }
}

/// Squared Euclidean distance between row `i` of `a` and row `j` of `b` in the one-hot space.
pub fn sq_l2(a: &Embedding, i: usize, b: &Embedding, j: usize) -> f64 {
    let num: f64 = a
        .num
        .iter()
        .zip(&b.num)
        .map(|(x, y)| (x[i] - y[j]).powi(2))
        .sum();
    num + mismatches(a, i, b, j)
}

/// L1 distance between row `i` of `a` and row `j` of `b` in the one-hot space.
pub fn l1(a: &Embedding, i: usize, b: &Embedding, j: usize) -> f64 {
    let num: f64 = a
        .num
        .iter()
        .zip(&b.num)
        .map(|(x, y)| (x[i] - y[j]).abs())
        .sum();
    num + mismatches(a, i, b, j)
}

/// `2 * (number of categorical columns where the rows differ)`.
fn mismatches(a: &Embedding, i: usize, b: &Embedding, j: usize) -> f64 {
    2.0 * a
        .cat
        .iter()
        .zip(&b.cat)
        .filter(|(x, y)| x[i] != y[j])
        .count() as f64
}

/// The mean of an embedding in the one-hot space: numerical means and, per categorical
/// column, the category frequencies.
#[derive(Debug, Clone, PartialEq)]
pub struct Centre {
    /// Means of the scaled numerical columns.
    pub num: Vec<f64>,
    /// Category frequencies of each categorical column.
    pub freq: Vec<Vec<f64>>,
}

impl Centre {
    /// The mean of `e`, whose categorical columns have `n_categories` categories.
    pub fn of(e: &Embedding, n_categories: &[usize]) -> Self {
        let n = e.n.max(1) as f64;
        let num = e.num.iter().map(|c| c.iter().sum::<f64>() / n).collect();
        let freq = e
            .cat
            .iter()
            .zip(n_categories)
            .map(|(c, &k)| {
                let mut f = vec![0.0; k];
                c.iter().for_each(|&v| f[v as usize] += 1.0);
                f.iter_mut().for_each(|x| *x /= n);
                f
            })
            .collect();
        Self { num, freq }
    }

    /// Euclidean distance of row `i` of `e` to the centre: the one-hot block of a column with
    /// category `u` and centre frequencies `p` contributes `(1 - p_u)^2 + sum_{v != u} p_v^2
    /// = 1 - 2 p_u + sum_v p_v^2`.
    pub fn distance(&self, e: &Embedding, i: usize) -> f64 {
        let num: f64 = e
            .num
            .iter()
            .zip(&self.num)
            .map(|(c, m)| (c[i] - m).powi(2))
            .sum();
        let cat: f64 = e
            .cat
            .iter()
            .zip(&self.freq)
            .map(|(c, p)| {
                let sq: f64 = p.iter().map(|x| x * x).sum();
                (1.0 - 2.0 * p[c[i] as usize] + sq).max(0.0)
            })
            .sum();
        (num + cat).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Explicit one-hot vector of row `i`.
    fn explicit(e: &Embedding, i: usize, nc: &[usize]) -> Vec<f64> {
        let mut v: Vec<f64> = e.num.iter().map(|c| c[i]).collect();
        for (c, &k) in e.cat.iter().zip(nc) {
            let mut oh = vec![0.0; k];
            oh[c[i] as usize] = 1.0;
            v.extend(oh);
        }
        v
    }

    #[test]
    fn implicit_one_hot_matches_explicit() {
        let nc = [3usize, 2];
        let e = Embedding {
            n: 3,
            num: vec![vec![0.0, 0.5, 1.0], vec![0.2, 0.9, 0.4]],
            cat: vec![vec![0, 2, 2], vec![1, 0, 1]],
        };
        let c = Centre::of(&e, &nc);
        let mean: Vec<f64> = (0..e.dims(&nc))
            .map(|d| (0..3).map(|i| explicit(&e, i, &nc)[d]).sum::<f64>() / 3.0)
            .collect();
        for i in 0..3 {
            let xi = explicit(&e, i, &nc);
            let dc: f64 = xi
                .iter()
                .zip(&mean)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!((c.distance(&e, i) - dc).abs() < 1e-12);
            for j in 0..3 {
                let xj = explicit(&e, j, &nc);
                let d2: f64 = xi.iter().zip(&xj).map(|(a, b)| (a - b).powi(2)).sum();
                let d1: f64 = xi.iter().zip(&xj).map(|(a, b)| (a - b).abs()).sum();
                assert!((sq_l2(&e, i, &e, j) - d2).abs() < 1e-12);
                assert!((l1(&e, i, &e, j) - d1).abs() < 1e-12);
            }
        }
    }
}
