//! Exact nearest-neighbour search by blocked brute force (rayon over query chunks).
//!
//! Candidate distances are accumulated in `f32` over blocks of data rows held column-major
//! (the inner loops vectorise); the returned distance of the chosen neighbour is recomputed in
//! `f64`. With the implicit one-hot embedding of [`crate::embed`] a pair costs one
//! subtract-multiply-add per numerical column and one compare per categorical column. Ties
//! go to the lowest data index. Near-ties closer than `f32` rounding (about `1e-7` relative)
//! may pick a different but equally near neighbour than an `f64` search.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::embed::{Embedding, l1, sq_l2};
use crate::progress::Progress;

/// The distance of a nearest-neighbour search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Euclidean distance (searched on its square).
    Euclidean,
    /// L1 (Manhattan) distance.
    L1,
}

/// A nearest neighbour: its row in the data set and its distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    /// Row index in the searched data set.
    pub index: usize,
    /// Distance to the query (Euclidean or L1).
    pub dist: f64,
}

/// Rows per data block: 256 rows x (a few dozen columns) x 4 bytes stays in L1/L2 cache.
const BLOCK: usize = 256;
/// Queries per parallel task.
const CHUNK: usize = 64;

/// Column-major `f32` copy of an embedding (categorical codes as exact small floats).
struct Cols {
    num: Vec<Vec<f32>>,
    cat: Vec<Vec<f32>>,
}

impl Cols {
    fn of(e: &Embedding) -> Self {
        Self {
            num: e
                .num
                .iter()
                .map(|c| c.iter().map(|&x| x as f32).collect())
                .collect(),
            cat: e
                .cat
                .iter()
                .map(|c| c.iter().map(|&x| x as f32).collect())
                .collect(),
        }
    }
}

/// Accumulates distances from query `q` to data rows `start..start + acc.len()`.
#[inline(always)]
fn accumulate<const MANHATTAN: bool>(
    acc: &mut [f32],
    qc: &Cols,
    q: usize,
    dc: &Cols,
    start: usize,
) {
    let len = acc.len();
    acc.fill(0.0);
    for (qcol, dcol) in qc.num.iter().zip(&dc.num) {
        let qk = qcol[q];
        for (a, &x) in acc.iter_mut().zip(&dcol[start..start + len]) {
            let t = qk - x;
            *a += if MANHATTAN { t.abs() } else { t * t };
        }
    }
    for (qcol, dcol) in qc.cat.iter().zip(&dc.cat) {
        let qk = qcol[q];
        for (a, &x) in acc.iter_mut().zip(&dcol[start..start + len]) {
            *a += if x != qk { 2.0 } else { 0.0 };
        }
    }
}

/// Best (distance, index) of every query in `queries` over all data rows.
#[inline(always)]
fn scan<const MANHATTAN: bool>(
    queries: std::ops::Range<usize>,
    qc: &Cols,
    dc: &Cols,
    n_data: usize,
    exclude_self: bool,
) -> Vec<(f32, usize)> {
    let mut best = vec![(f32::INFINITY, usize::MAX); queries.len()];
    let mut acc = [0.0f32; BLOCK];
    for start in (0..n_data).step_by(BLOCK) {
        let len = BLOCK.min(n_data - start);
        for (b, q) in best.iter_mut().zip(queries.clone()) {
            let acc = &mut acc[..len];
            accumulate::<MANHATTAN>(acc, qc, q, dc, start);
            if exclude_self && (start..start + len).contains(&q) {
                acc[q - start] = f32::INFINITY;
            }
            let m = acc.iter().copied().fold(f32::INFINITY, f32::min);
            if m < b.0 {
                let j = acc.iter().position(|&a| a == m).unwrap_or(0);
                *b = (m, start + j);
            }
        }
    }
    best
}

/// [`scan`] compiled for AVX2 (wider vectors, the same operations per lane, so the same
/// results bit for bit: no fused multiply-add is enabled).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn scan_avx2(
    metric: Metric,
    queries: std::ops::Range<usize>,
    qc: &Cols,
    dc: &Cols,
    n_data: usize,
    exclude_self: bool,
) -> Vec<(f32, usize)> {
    match metric {
        Metric::Euclidean => scan::<false>(queries, qc, dc, n_data, exclude_self),
        Metric::L1 => scan::<true>(queries, qc, dc, n_data, exclude_self),
    }
}

/// Runs [`scan`] with AVX2 when the CPU has it.
fn scan_dispatch(
    metric: Metric,
    queries: std::ops::Range<usize>,
    qc: &Cols,
    dc: &Cols,
    n_data: usize,
    exclude_self: bool,
) -> Vec<(f32, usize)> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { scan_avx2(metric, queries, qc, dc, n_data, exclude_self) };
    }
    match metric {
        Metric::Euclidean => scan::<false>(queries, qc, dc, n_data, exclude_self),
        Metric::L1 => scan::<true>(queries, qc, dc, n_data, exclude_self),
    }
}

/// For every row of `queries`, its nearest row of `data` under `metric`. With `exclude_self`
/// (`queries` and `data` the same table) row `i` never matches itself, which gives the
/// distance to the nearest other row (0 for a duplicate), as scikit-learn's second
/// neighbour does. `progress` gets `(stage, queries done, queries total)`.
pub fn nearest(
    queries: &Embedding,
    data: &Embedding,
    metric: Metric,
    exclude_self: bool,
    progress: &dyn Progress,
    stage: &str,
) -> Vec<Option<Neighbour>> {
    let (qc, dc) = (Cols::of(queries), Cols::of(data));
    let done = AtomicUsize::new(0);
    let n_chunks = queries.n.div_ceil(CHUNK);
    let best: Vec<(f32, usize)> = (0..n_chunks)
        .into_par_iter()
        .flat_map_iter(|c| {
            let range = c * CHUNK..((c + 1) * CHUNK).min(queries.n);
            let r = scan_dispatch(metric, range.clone(), &qc, &dc, data.n, exclude_self);
            let d = done.fetch_add(range.len(), Ordering::Relaxed) + range.len();
            progress.report(stage, d, queries.n);
            r
        })
        .collect();
    best.iter()
        .enumerate()
        .map(|(i, &(_, j))| {
            (j != usize::MAX).then(|| Neighbour {
                index: j,
                dist: match metric {
                    Metric::Euclidean => sq_l2(queries, i, data, j).sqrt(),
                    Metric::L1 => l1(queries, i, data, j),
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use proptest::prelude::*;

    fn emb(num: Vec<Vec<f64>>, cat: Vec<Vec<u32>>) -> Embedding {
        let n = num
            .first()
            .map(|c| c.len())
            .or(cat.first().map(|c| c.len()))
            .unwrap_or(0);
        Embedding { n, num, cat }
    }

    #[test]
    fn small_by_hand() {
        // data rows (x, c): (0, a) (1, a) (0.1, b); query (0.2, a):
        // squared distances 0.04, 0.64, 0.01 + 2 = 2.01 -> row 0 at distance 0.2.
        let data = emb(vec![vec![0.0, 1.0, 0.1]], vec![vec![0, 0, 1]]);
        let q = emb(vec![vec![0.2]], vec![vec![0]]);
        let nb = nearest(&q, &data, Metric::Euclidean, false, &NoProgress, "t")[0].unwrap();
        assert_eq!(nb.index, 0);
        assert!((nb.dist - 0.2).abs() < 1e-12);
        // L1 self-excluded: row 0's nearest other row is row 1 (1.0) not row 2 (0.1 + 2).
        let nb = nearest(&data, &data, Metric::L1, true, &NoProgress, "t")[0].unwrap();
        assert_eq!(nb.index, 1);
        assert!((nb.dist - 1.0).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn matches_brute_force(seed in 0u64..1000, nq in 1usize..40, nd in 2usize..600) {
            // Deterministic pseudo-random data on a coarse grid (many ties on purpose).
            let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let mut next = || { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (s >> 33) % 7 };
            let mk = |n: usize, next: &mut dyn FnMut() -> u64| emb(
                (0..2).map(|_| (0..n).map(|_| next() as f64 / 6.0).collect()).collect(),
                (0..2).map(|_| (0..n).map(|_| (next() % 3) as u32).collect()).collect(),
            );
            let data = mk(nd, &mut next);
            let q = mk(nq, &mut next);
            for metric in [Metric::Euclidean, Metric::L1] {
                let got = nearest(&q, &data, metric, false, &NoProgress, "t");
                for (i, g) in got.iter().enumerate() {
                    let dist = |j| match metric { Metric::Euclidean => sq_l2(&q, i, &data, j).sqrt(), Metric::L1 => l1(&q, i, &data, j) };
                    let best = (0..nd).map(dist).fold(f64::INFINITY, f64::min);
                    prop_assert!((g.unwrap().dist - best).abs() < 1e-9);
                }
            }
        }
    }
}
