//! Trend: per-pair dependence fidelity (DESIGN.md §3), as SDMetrics' Column Pair Trends
//! defines it: `CorrelationSimilarity` (Pearson) for two numerical columns,
//! `ContingencySimilarity` for any pair with a categorical column.

use serde::Serialize;

use scorediff_tabular::Table;

use crate::coding::{CodedColumn, Plan};
use crate::error::{EvalError, Result};
use crate::shape::{mean, total_variation};

/// The Trend score of one column pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairTrend {
    /// First column (earlier in the real table).
    pub a: String,
    /// Second column.
    pub b: String,
    /// `CorrelationSimilarity` or `ContingencySimilarity`.
    pub metric: &'static str,
    /// The pair score in `[0, 1]`; `None` when a correlation is undefined (a constant
    /// column), in which case the pair is left out of the mean, as SDMetrics' NaN-mean does.
    pub score: Option<f64>,
    /// Pearson correlation on the real table (numerical pairs only).
    pub real_corr: Option<f64>,
    /// Pearson correlation on the synthetic table (numerical pairs only).
    pub syn_corr: Option<f64>,
}

/// Trend over all column pairs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendResult {
    /// Mean of the defined pair scores.
    pub score: f64,
    /// `(1 - score) * 100`.
    pub error: f64,
    /// Per-pair scores, pairs `(i, j)` with `i < j` in the real table's column order.
    pub pairs: Vec<PairTrend>,
    /// A diagnostic beside the protocol: the error with every numerical column of *both*
    /// tables cut on the real table's bin edges. The protocol's per-table edges move with
    /// the synthetic sample's own minimum and maximum, so one missing extreme value re-bins a
    /// whole column; this variant measures the joint structure alone.
    pub error_real_bins: f64,
}

/// Pearson correlation of the rows where both values are present; `None` with fewer than two
/// such rows or a zero variance.
pub fn pearson(x: &[Option<f64>], y: &[Option<f64>]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .collect();
    if pairs.len() < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (a, b)| (sx + a, sy + b));
    let (mx, my) = (mx / n, my / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in &pairs {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// `CorrelationSimilarity`: `1 - |r_real - r_syn| / 2`.
pub fn correlation_similarity(r_real: f64, r_syn: f64) -> f64 {
    1.0 - (r_real - r_syn).abs() / 2.0
}

/// The `(min, max)` of the present, non-NaN values (`(inf, -inf)` when there are none).
fn range(x: &[Option<f64>]) -> (f64, f64) {
    let present = x.iter().flatten().filter(|v| !v.is_nan());
    present.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
        (l.min(v), h.max(v))
    })
}

/// Discretises a numerical column into `bins` equal-width bins over its own range, as
/// scikit-learn's `KBinsDiscretizer(strategy="uniform", encode="ordinal")` does (edges
/// `linspace(min, max, bins + 1)`, a value `x` goes to the number of upper edges `<= x + eps`
/// with `eps = 1e-8 + 1e-5 |x|`, clipped to the last bin). A constant column is one bin; a
/// missing value goes to an extra bin `bins`.
pub fn uniform_bins(x: &[Option<f64>], bins: usize) -> Vec<u32> {
    let (lo, hi) = range(x);
    bins_on(x, lo, hi, bins)
}

/// [`uniform_bins`] with the range `[lo, hi]` given (values outside go to the end bins).
pub fn bins_on(x: &[Option<f64>], lo: f64, hi: f64, bins: usize) -> Vec<u32> {
    let edges: Vec<f64> = (1..=bins)
        .map(|k| lo + (hi - lo) * k as f64 / bins as f64)
        .collect();
    x.iter()
        .map(|v| match v {
            Some(v) if !v.is_nan() => {
                if hi <= lo {
                    return 0;
                }
                let xe = v + 1e-8 + 1e-5 * v.abs();
                let k = edges.partition_point(|&e| e <= xe);
                k.min(bins - 1) as u32
            }
            _ => bins as u32,
        })
        .collect()
}

/// `ContingencySimilarity`: `1 - TVD` of the joint frequency tables of two coded columns
/// (`na`, `nb` possible codes), over the union of the cells.
pub fn contingency_similarity(
    real: (&[u32], &[u32]),
    syn: (&[u32], &[u32]),
    na: usize,
    nb: usize,
) -> f64 {
    let joint = |a: &[u32], b: &[u32]| {
        let mut f = vec![0.0; na * nb];
        for (&x, &y) in a.iter().zip(b) {
            f[x as usize * nb + y as usize] += 1.0;
        }
        let n = a.len().max(1) as f64;
        f.iter_mut().for_each(|v| *v /= n);
        f
    };
    1.0 - total_variation(&joint(real.0, real.1), &joint(syn.0, syn.1))
}

/// A column turned into codes for a contingency table: categories as they are, numerical
/// values into `bins + 1` uniform bins of that table's own range.
/// With `on: Some(real)`, numerical values are cut on the real column's range instead.
fn discrete(
    col: &CodedColumn,
    n_categories: usize,
    bins: usize,
    on: Option<&CodedColumn>,
) -> (Vec<u32>, usize) {
    match (col, on) {
        (CodedColumn::Cat(c), _) => (c.clone(), n_categories),
        (CodedColumn::Num(v), Some(CodedColumn::Num(r))) => {
            let (lo, hi) = range(r);
            (bins_on(v, lo, hi, bins), bins + 1)
        }
        (CodedColumn::Num(v), _) => (uniform_bins(v, bins), bins + 1),
    }
}

/// Trend of `syn` against `real` over all pairs of columns of `real` (target included),
/// numerical columns cut into `bins` equal-width bins, computed separately on each table.
pub fn trend(real: &Table, syn: &Table, bins: usize) -> Result<TrendResult> {
    if bins == 0 {
        return Err(EvalError::Config("trend_bins must be at least 1".into()));
    }
    let plan = Plan::build(real, &[("synthetic", syn)], &[])?;
    let (cr, cs) = (plan.code(real, "real")?, plan.code(syn, "synthetic")?);
    let d = plan.columns.len();
    let cut = |coded: &crate::coding::Coded, on: Option<&crate::coding::Coded>| {
        (0..d)
            .map(|i| {
                let real = on.map(|t| &t.columns[i]);
                discrete(
                    &coded.columns[i],
                    plan.columns[i].n_categories(),
                    bins,
                    real,
                )
            })
            .collect::<Vec<_>>()
    };
    let (disc_r, disc_s, disc_s_real) = (cut(&cr, None), cut(&cs, None), cut(&cs, Some(&cr)));
    let mut pairs = Vec::with_capacity(d * d.saturating_sub(1) / 2);
    let mut real_bin_scores = Vec::with_capacity(pairs.capacity());
    for i in 0..d {
        for j in i + 1..d {
            let (a, b) = (plan.columns[i].name.clone(), plan.columns[j].name.clone());
            let pair = match (
                &cr.columns[i],
                &cr.columns[j],
                &cs.columns[i],
                &cs.columns[j],
            ) {
                (
                    CodedColumn::Num(xr),
                    CodedColumn::Num(yr),
                    CodedColumn::Num(xs),
                    CodedColumn::Num(ys),
                ) => {
                    let (rr, rs) = (pearson(xr, yr), pearson(xs, ys));
                    let score = rr.zip(rs).map(|(p, q)| correlation_similarity(p, q));
                    // Correlations use no bins: the same score on either edges.
                    real_bin_scores.extend(score);
                    PairTrend {
                        a,
                        b,
                        metric: "CorrelationSimilarity",
                        score,
                        real_corr: rr,
                        syn_corr: rs,
                    }
                }
                _ => {
                    let ((ar, na), (br, nb)) = (&disc_r[i], &disc_r[j]);
                    let ((as_, _), (bs, _)) = (&disc_s[i], &disc_s[j]);
                    let score = contingency_similarity((ar, br), (as_, bs), *na, *nb);
                    let ((as_, _), (bs, _)) = (&disc_s_real[i], &disc_s_real[j]);
                    real_bin_scores.push(contingency_similarity((ar, br), (as_, bs), *na, *nb));
                    PairTrend {
                        a,
                        b,
                        metric: "ContingencySimilarity",
                        score: Some(score),
                        real_corr: None,
                        syn_corr: None,
                    }
                }
            };
            pairs.push(pair);
        }
    }
    let score = mean(pairs.iter().filter_map(|p| p.score));
    let real_bins = mean(real_bin_scores.iter().copied());
    Ok(TrendResult {
        score,
        error: (1.0 - score) * 100.0,
        pairs,
        error_real_bins: (1.0 - real_bins) * 100.0,
    })
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
    fn pearson_by_hand() {
        // y = 2x + 1 -> r = 1; y = -x -> r = -1; similarity of r = 1 vs r = -1 is 0.
        let x = num(&[1.0, 2.0, 3.0]);
        assert!((pearson(&x, &num(&[3.0, 5.0, 7.0])).unwrap() - 1.0).abs() < 1e-12);
        assert!((pearson(&x, &num(&[-1.0, -2.0, -3.0])).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(correlation_similarity(1.0, -1.0), 0.0);
        // x = (1,2,3,4), y = (1,3,2,4): mean 2.5 both; sxy = 2.25+(-0.25)+(-0.25)+2.25 = 4,
        // sxx = syy = 5 -> r = 0.8.
        let r = pearson(&num(&[1.0, 2.0, 3.0, 4.0]), &num(&[1.0, 3.0, 2.0, 4.0])).unwrap();
        assert!((r - 0.8).abs() < 1e-12);
        assert_eq!(pearson(&x, &num(&[1.0, 1.0, 1.0])), None);
    }

    #[test]
    fn uniform_bins_by_hand() {
        // range [0, 10], 10 bins of width 1: 0 -> 0, 0.5 -> 0, 1 -> 1 (edge goes up),
        // 9.99 -> 9, 10 -> 9 (clipped), missing -> 10.
        let b = uniform_bins(
            &[
                Some(0.0),
                Some(0.5),
                Some(1.0),
                Some(9.99),
                Some(10.0),
                None,
            ],
            10,
        );
        assert_eq!(b, vec![0, 0, 1, 9, 9, 10]);
    }

    #[test]
    fn contingency_by_hand() {
        // real pairs: (a,x) (a,x) (b,y) (b,y) -> cells ax 1/2, by 1/2.
        // syn pairs: (a,x) (a,y) (b,y) (b,y) -> ax 1/4, ay 1/4, by 1/2.
        // TVD = 1/2 (1/4 + 1/4 + 0) = 1/4 -> score 0.75.
        let real = Table::new(vec![
            Column::categorical("c", cat(&["a", "a", "b", "b"])),
            Column::categorical("d", cat(&["x", "x", "y", "y"])),
        ])
        .unwrap();
        let syn = Table::new(vec![
            Column::categorical("c", cat(&["a", "a", "b", "b"])),
            Column::categorical("d", cat(&["x", "y", "y", "y"])),
        ])
        .unwrap();
        let t = trend(&real, &syn, 10).unwrap();
        assert_eq!(t.pairs.len(), 1);
        assert!((t.score - 0.75).abs() < 1e-12);
        assert!((t.error - 25.0).abs() < 1e-9);
    }

    #[test]
    fn mixed_pair_bins_each_table_on_its_own_range() {
        // real x = (0, 10) with c = (a, b): bins 0 and 9. syn x = (100, 200) with c = (a, b):
        // its own range gives bins 0 and 9 too -> identical joint tables, score 1, although
        // the values are far apart (the SDMetrics behaviour of per-table binning).
        let real = Table::new(vec![
            Column::numerical("x", num(&[0.0, 10.0])),
            Column::categorical("c", cat(&["a", "b"])),
        ])
        .unwrap();
        let syn = Table::new(vec![
            Column::numerical("x", num(&[100.0, 200.0])),
            Column::categorical("c", cat(&["a", "b"])),
        ])
        .unwrap();
        let t = trend(&real, &syn, 10).unwrap();
        assert!((t.score - 1.0).abs() < 1e-12);
        assert_eq!(trend(&real, &real, 10).unwrap().error, 0.0);
        // On the real table's edges both synthetic values fall in the last bin: cells
        // (9, a) and (9, b) against (0, a) and (9, b), TVD 1/2.
        assert!(
            (t.error_real_bins - 50.0).abs() < 1e-9,
            "{}",
            t.error_real_bins
        );
        assert_eq!(trend(&real, &real, 10).unwrap().error_real_bins, 0.0);
    }
}
