//! Shape: per-column marginal fidelity (DESIGN.md §3), as SDMetrics' `KSComplement`
//! (numerical) and `TVComplement` (categorical) define it.

use serde::Serialize;

use scorediff_tabular::Table;

use crate::coding::{CodedColumn, Plan};
use crate::error::Result;

/// The Shape score of one column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnShape {
    /// Column name.
    pub column: String,
    /// `KSComplement` or `TVComplement`.
    pub metric: &'static str,
    /// The column score in `[0, 1]` (1: identical marginals).
    pub score: f64,
}

/// Shape over all columns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapeResult {
    /// Mean of the column scores.
    pub score: f64,
    /// `(1 - score) * 100`, the number the benchmarks report.
    pub error: f64,
    /// Per-column scores, in the real table's column order.
    pub columns: Vec<ColumnShape>,
}

/// Two-sample Kolmogorov-Smirnov statistic `sup_x |F_a(x) - F_b(x)|` of two sorted samples
/// (the exact statistic of `scipy.stats.ks_2samp`; ties handled by stepping over equal values).
pub fn ks_statistic_sorted(a: &[f64], b: &[f64]) -> f64 {
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    d
}

/// `KSComplement`: `1 - KS(real, syn)` on the non-missing values. Both columns empty
/// (all missing) gives 1, exactly one empty gives 0.
pub fn ks_complement(real: &[Option<f64>], syn: &[Option<f64>]) -> f64 {
    let clean = |v: &[Option<f64>]| {
        let mut x: Vec<f64> = v
            .iter()
            .flatten()
            .copied()
            .filter(|x| !x.is_nan())
            .collect();
        x.sort_by(f64::total_cmp);
        x
    };
    let (a, b) = (clean(real), clean(syn));
    match (a.is_empty(), b.is_empty()) {
        (true, true) => 1.0,
        (true, false) | (false, true) => 0.0,
        _ => 1.0 - ks_statistic_sorted(&a, &b),
    }
}

/// Relative frequencies of codes `0..n_categories`.
pub(crate) fn frequencies(codes: &[u32], n_categories: usize) -> Vec<f64> {
    let mut f = vec![0.0; n_categories];
    for &c in codes {
        f[c as usize] += 1.0;
    }
    let n = codes.len().max(1) as f64;
    f.iter_mut().for_each(|x| *x /= n);
    f
}

/// Total variation distance `1/2 sum_k |p_k - q_k|` of two frequency vectors over the same
/// (union) category set.
pub fn total_variation(p: &[f64], q: &[f64]) -> f64 {
    0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

/// `TVComplement` of two coded columns over `n_categories` categories (the union).
pub(crate) fn tv_complement_codes(real: &[u32], syn: &[u32], n_categories: usize) -> f64 {
    1.0 - total_variation(
        &frequencies(real, n_categories),
        &frequencies(syn, n_categories),
    )
}

/// `TVComplement`: `1 - TVD` of the category frequencies, over the union of the categories
/// of both columns (a synthetic category unseen in the real column counts against it); a
/// missing value is a category of its own.
pub fn tv_complement(real: &[Option<String>], syn: &[Option<String>]) -> f64 {
    let mut cats: Vec<Option<&str>> = real.iter().chain(syn).map(|x| x.as_deref()).collect();
    cats.sort();
    cats.dedup();
    let code = |v: &[Option<String>]| -> Vec<u32> {
        v.iter()
            .map(|x| cats.binary_search(&x.as_deref()).map_or(0, |k| k as u32))
            .collect()
    };
    tv_complement_codes(&code(real), &code(syn), cats.len())
}

/// Shape of `syn` against `real` over all columns of `real` (the target included, as the
/// benchmarks do).
pub fn shape(real: &Table, syn: &Table) -> Result<ShapeResult> {
    let plan = Plan::build(real, &[("synthetic", syn)], &[])?;
    let (cr, cs) = (plan.code(real, "real")?, plan.code(syn, "synthetic")?);
    let columns: Vec<ColumnShape> = plan
        .columns
        .iter()
        .zip(cr.columns.iter().zip(&cs.columns))
        .map(|(cp, pair)| match pair {
            (CodedColumn::Num(a), CodedColumn::Num(b)) => ColumnShape {
                column: cp.name.clone(),
                metric: "KSComplement",
                score: ks_complement(a, b),
            },
            (CodedColumn::Cat(a), CodedColumn::Cat(b)) => ColumnShape {
                column: cp.name.clone(),
                metric: "TVComplement",
                score: tv_complement_codes(a, b, cp.n_categories()),
            },
            _ => unreachable!("a plan codes a column the same way in every table"),
        })
        .collect();
    let score = mean(columns.iter().map(|c| c.score));
    Ok(ShapeResult {
        score,
        error: (1.0 - score) * 100.0,
        columns,
    })
}

/// Mean of an iterator (0 when empty).
pub(crate) fn mean(it: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = it.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { 0.0 } else { s / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scorediff_tabular::Column;

    fn num(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().map(|&x| Some(x)).collect()
    }
    fn cat(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|x| Some(x.to_string())).collect()
    }

    #[test]
    fn ks_by_hand() {
        // real {1,2,3,4}, syn {3,4,5,6}: F_r(2) = 1/2, F_s(2) = 0 ... at x = 4: F_r = 1, F_s = 1/2.
        // sup |F_r - F_s| = 1/2 (reached at 2, 3 and 4) -> KSComplement = 0.5.
        let s = ks_complement(&num(&[1.0, 2.0, 3.0, 4.0]), &num(&[3.0, 4.0, 5.0, 6.0]));
        assert!((s - 0.5).abs() < 1e-12);
        // Ties: real {0,0,1}, syn {0,1,1}: at 0, F_r = 2/3, F_s = 1/3 -> D = 1/3.
        let s = ks_complement(&num(&[0.0, 0.0, 1.0]), &num(&[0.0, 1.0, 1.0]));
        assert!((s - 2.0 / 3.0).abs() < 1e-12);
        // Missing values are dropped: real {1, None, 2} vs syn {1, 2} -> identical.
        let s = ks_complement(&[Some(1.0), None, Some(2.0)], &num(&[1.0, 2.0]));
        assert!((s - 1.0).abs() < 1e-12);
    }

    #[test]
    fn tv_by_hand() {
        // real: a 1/2, b 1/2; syn: a 1/4, b 1/4, c 1/2 (c unseen in real).
        // TVD = 1/2 (|1/2-1/4| + |1/2-1/4| + |0-1/2|) = 1/2 -> score 0.5.
        let s = tv_complement(&cat(&["a", "b"]), &cat(&["a", "b", "c", "c"]));
        assert!((s - 0.5).abs() < 1e-12);
        // Missing is its own category: real {a, None}, syn {a, a}: TVD = 1/2.
        let s = tv_complement(&[Some("a".into()), None], &cat(&["a", "a"]));
        assert!((s - 0.5).abs() < 1e-12);
    }

    #[test]
    fn shape_by_hand_and_identity() {
        let real = Table::new(vec![
            Column::numerical("x", num(&[1.0, 2.0, 3.0, 4.0])),
            Column::categorical("c", cat(&["a", "a", "b", "b"])),
        ])
        .unwrap();
        let syn = Table::new(vec![
            Column::numerical("x", num(&[3.0, 4.0, 5.0, 6.0])),
            Column::categorical("c", cat(&["a", "b", "c", "c"])),
        ])
        .unwrap();
        // Column scores 0.5 (KS above) and 0.5 (TV above) -> Shape 0.5, error 50.
        let r = shape(&real, &syn).unwrap();
        assert!((r.score - 0.5).abs() < 1e-12 && (r.error - 50.0).abs() < 1e-9);
        let same = shape(&real, &real).unwrap();
        assert_eq!(same.error, 0.0);
    }
}
