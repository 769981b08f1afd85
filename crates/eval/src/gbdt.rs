//! A histogram gradient-boosted decision-tree classifier (binary log-loss), the model of the
//! machine-learning-efficiency test (DESIGN.md §3; the benchmarks use XGBoost).
//!
//! Each feature is cut into at most 256 bins (one per distinct value when there are at most
//! 255, otherwise at quantiles); bin 0 holds missing values, so a missing value always goes
//! to the left child. Trees grow depth-wise to `max_depth` with XGBoost's split gain
//! `G_L^2 / (H_L + lambda) + G_R^2 / (H_R + lambda) - G^2 / (H + lambda)`, children need a
//! hessian sum of at least `min_child_weight`, leaves get `-lr * G / (H + lambda)`.
//! Histograms are built over rows in parallel (rayon), the larger child's by subtraction.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Hyper-parameters of [`Gbdt::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbdtParams {
    /// Number of boosting rounds (trees).
    pub n_trees: usize,
    /// Maximum depth of a tree (1: stumps).
    pub max_depth: usize,
    /// Shrinkage of every leaf value.
    pub learning_rate: f64,
    /// Minimum hessian sum of a child (XGBoost `min_child_weight`).
    pub min_child_weight: f64,
    /// L2 penalty on leaf values (XGBoost `lambda`).
    pub lambda: f64,
    /// Maximum number of bins per feature, at most 256 (bin 0 is for missing values).
    pub max_bins: usize,
}

impl Default for GbdtParams {
    fn default() -> Self {
        Self {
            n_trees: 100,
            max_depth: 5,
            learning_rate: 0.1,
            min_child_weight: 1.0,
            lambda: 1.0,
            max_bins: 256,
        }
    }
}

impl GbdtParams {
    /// XGBoost's default settings (`XGBClassifier()`, tree method `hist`): 100 trees of depth
    /// 6, learning rate 0.3, `min_child_weight` 1, `lambda` 1, 256 bins. The boosted-tree
    /// detector of the C2ST uses these (DESIGN.md §3: "default settings").
    pub fn xgboost_defaults() -> Self {
        Self {
            n_trees: 100,
            max_depth: 6,
            learning_rate: 0.3,
            min_child_weight: 1.0,
            lambda: 1.0,
            max_bins: 256,
        }
    }
}

/// Per-feature cut points: a value `x` goes to bin `1 + #{cuts < x}`, a missing (NaN) value to 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Binner {
    cuts: Vec<Vec<f64>>,
}

impl Binner {
    /// Fits cut points on column-major features (NaN = missing).
    pub fn fit(cols: &[Vec<f64>], max_bins: usize) -> Self {
        let max_cuts = max_bins.clamp(2, 256) - 2;
        let cuts = cols
            .iter()
            .map(|c| {
                let mut v: Vec<f64> = c.iter().copied().filter(|x| !x.is_nan()).collect();
                v.sort_by(f64::total_cmp);
                let mut u = v.clone();
                u.dedup();
                if u.len() <= max_cuts + 1 {
                    u.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect()
                } else {
                    let mut q: Vec<f64> = (1..=max_cuts)
                        .map(|k| v[k * (v.len() - 1) / (max_cuts + 1)])
                        .collect();
                    q.dedup();
                    q
                }
            })
            .collect();
        Self { cuts }
    }

    /// Row-major bins (`n_rows x n_features`) of column-major features.
    pub fn transform(&self, cols: &[Vec<f64>]) -> Vec<u8> {
        let n = cols.first().map_or(0, |c| c.len());
        let f = cols.len();
        let mut out = vec![0u8; n * f];
        for (k, (c, cuts)) in cols.iter().zip(&self.cuts).enumerate() {
            for (r, &x) in c.iter().enumerate() {
                out[r * f + k] = if x.is_nan() {
                    0
                } else {
                    (1 + cuts.partition_point(|&t| t < x)) as u8
                };
            }
        }
        out
    }
}

/// A tree node.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Split {
        feature: usize,
        bin: u8,
        left: usize,
        right: usize,
    },
    Leaf(f64),
}

/// A fitted classifier: base log-odds plus a sum of trees over binned features.
#[derive(Debug, Clone, PartialEq)]
pub struct Gbdt {
    binner: Binner,
    n_features: usize,
    base: f64,
    trees: Vec<Vec<Node>>,
}

/// Gradient and hessian sums per (feature, bin).
type Hist = Vec<[f64; 2]>;

const BINS: usize = 256;
/// Rows per parallel histogram task.
const HIST_CHUNK: usize = 8192;

struct Grower<'a> {
    bins: &'a [u8],
    f: usize,
    grad: &'a [f64],
    hess: &'a [f64],
    p: &'a GbdtParams,
}

impl Grower<'_> {
    fn hist_seq(&self, rows: &[u32]) -> Hist {
        let mut h = vec![[0.0; 2]; self.f * BINS];
        for &r in rows {
            let r = r as usize;
            let (g, hs) = (self.grad[r], self.hess[r]);
            for (k, &b) in self.bins[r * self.f..(r + 1) * self.f].iter().enumerate() {
                let cell = &mut h[k * BINS + b as usize];
                cell[0] += g;
                cell[1] += hs;
            }
        }
        h
    }

    fn hist(&self, rows: &[u32]) -> Hist {
        if rows.len() <= HIST_CHUNK {
            return self.hist_seq(rows);
        }
        rows.par_chunks(HIST_CHUNK)
            .map(|c| self.hist_seq(c))
            .reduce_with(|mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| {
                    x[0] += y[0];
                    x[1] += y[1];
                });
                a
            })
            .unwrap_or_else(|| vec![[0.0; 2]; self.f * BINS])
    }

    /// Best split `(gain, feature, bin)` of a node with histogram `h`, if any improves.
    fn best_split(&self, h: &Hist, g: f64, hs: f64) -> Option<(f64, usize, u8)> {
        let lam = self.p.lambda;
        let parent = g * g / (hs + lam);
        let mut best: Option<(f64, usize, u8)> = None;
        for k in 0..self.f {
            let (mut gl, mut hl) = (0.0, 0.0);
            for b in 0..BINS - 1 {
                let c = h[k * BINS + b];
                gl += c[0];
                hl += c[1];
                let (gr, hr) = (g - gl, hs - hl);
                if hl < self.p.min_child_weight || hr < self.p.min_child_weight {
                    continue;
                }
                let gain = gl * gl / (hl + lam) + gr * gr / (hr + lam) - parent;
                if gain > 1e-12 && best.is_none_or(|(bg, _, _)| gain > bg) {
                    best = Some((gain, k, b as u8));
                }
            }
        }
        best
    }

    /// Grows the subtree of `rows` (histogram `h`) at `depth`; adds leaf values to `raw`.
    fn grow(
        &self,
        rows: &mut [u32],
        h: Hist,
        depth: usize,
        nodes: &mut Vec<Node>,
        raw: &mut [f64],
    ) -> usize {
        let (g, hs) = h[..BINS]
            .iter()
            .fold((0.0, 0.0), |(a, b), c| (a + c[0], b + c[1]));
        let split = if depth < self.p.max_depth {
            self.best_split(&h, g, hs)
        } else {
            None
        };
        let id = nodes.len();
        let Some((_, feature, bin)) = split else {
            let v = -self.p.learning_rate * g / (hs + self.p.lambda);
            rows.iter().for_each(|&r| raw[r as usize] += v);
            nodes.push(Node::Leaf(v));
            return id;
        };
        nodes.push(Node::Leaf(0.0));
        // Partition: rows going left (bin <= split bin) first.
        let mut mid = 0;
        for i in 0..rows.len() {
            if self.bins[rows[i] as usize * self.f + feature] <= bin {
                rows.swap(i, mid);
                mid += 1;
            }
        }
        let (lrows, rrows) = rows.split_at_mut(mid);
        let (hl, hr) = if lrows.len() <= rrows.len() {
            let hl = self.hist(lrows);
            let hr = h
                .iter()
                .zip(&hl)
                .map(|(p, c)| [p[0] - c[0], p[1] - c[1]])
                .collect();
            (hl, hr)
        } else {
            let hr = self.hist(rrows);
            let hl = h
                .iter()
                .zip(&hr)
                .map(|(p, c)| [p[0] - c[0], p[1] - c[1]])
                .collect();
            (hl, hr)
        };
        let left = self.grow(lrows, hl, depth + 1, nodes, raw);
        let right = self.grow(rrows, hr, depth + 1, nodes, raw);
        nodes[id] = Node::Split {
            feature,
            bin,
            left,
            right,
        };
        id
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Gbdt {
    /// Fits on column-major features `cols` (NaN = missing) and labels `y`.
    pub fn fit(cols: &[Vec<f64>], y: &[bool], p: &GbdtParams) -> Self {
        let binner = Binner::fit(cols, p.max_bins);
        let bins = binner.transform(cols);
        let f = cols.len();
        let n = y.len();
        let pos = y.iter().filter(|&&b| b).count() as f64;
        let rate = ((pos + 0.5) / (n as f64 + 1.0)).clamp(1e-6, 1.0 - 1e-6);
        let base = (rate / (1.0 - rate)).ln();
        let mut raw = vec![base; n];
        let (mut grad, mut hess) = (vec![0.0; n], vec![0.0; n]);
        let mut trees = Vec::with_capacity(p.n_trees);
        for _ in 0..p.n_trees {
            for i in 0..n {
                let q = sigmoid(raw[i]);
                grad[i] = q - if y[i] { 1.0 } else { 0.0 };
                hess[i] = (q * (1.0 - q)).max(1e-16);
            }
            let grower = Grower {
                bins: &bins,
                f,
                grad: &grad,
                hess: &hess,
                p,
            };
            let mut rows: Vec<u32> = (0..n as u32).collect();
            let h = grower.hist(&rows);
            let mut nodes = Vec::new();
            grower.grow(&mut rows, h, 0, &mut nodes, &mut raw);
            trees.push(nodes);
        }
        Self {
            binner,
            n_features: f,
            base,
            trees,
        }
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// Raw scores (log-odds) after each multiple of `step` trees (and after the last tree):
    /// element `k` holds the scores of the first `min((k + 1) * step, n_trees)` trees.
    pub fn staged_raw(&self, cols: &[Vec<f64>], step: usize) -> Vec<(usize, Vec<f64>)> {
        let bins = self.binner.transform(cols);
        let n = cols.first().map_or(0, |c| c.len());
        let f = self.n_features;
        let mut raw = vec![self.base; n];
        let mut out = Vec::new();
        for (t, tree) in self.trees.iter().enumerate() {
            raw.par_iter_mut().enumerate().for_each(|(r, z)| {
                let row = &bins[r * f..(r + 1) * f];
                let mut i = 0;
                loop {
                    match tree[i] {
                        Node::Leaf(v) => {
                            *z += v;
                            break;
                        }
                        Node::Split {
                            feature,
                            bin,
                            left,
                            right,
                        } => i = if row[feature] <= bin { left } else { right },
                    }
                }
            });
            if (t + 1) % step.max(1) == 0 || t + 1 == self.trees.len() {
                out.push((t + 1, raw.clone()));
            }
        }
        if self.trees.is_empty() {
            out.push((0, raw));
        }
        out
    }

    /// Predicted probabilities of the positive class.
    pub fn predict_proba(&self, cols: &[Vec<f64>]) -> Vec<f64> {
        let staged = self.staged_raw(cols, usize::MAX);
        staged
            .last()
            .map_or_else(Vec::new, |(_, r)| r.iter().map(|&z| sigmoid(z)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_stump_by_hand() {
        // x = (0, 0, 1, 1), y = (0, 0, 1, 1), base rate (2 + 0.5) / 5 = 0.5 -> base 0,
        // p = 1/2 everywhere: g = (0.5, 0.5, -0.5, -0.5), h = 1/4 each.
        // Split at x <= 0: left G = 1, H = 0.5 -> leaf -lr * 1 / (0.5 + lambda).
        // With lr = 1, lambda = 0.5: left leaf -1, right leaf +1.
        let p = GbdtParams {
            n_trees: 1,
            max_depth: 1,
            learning_rate: 1.0,
            min_child_weight: 0.0,
            lambda: 0.5,
            max_bins: 256,
        };
        let x = vec![vec![0.0, 0.0, 1.0, 1.0]];
        let m = Gbdt::fit(&x, &[false, false, true, true], &p);
        let pr = m.predict_proba(&x);
        let lo = 1.0 / (1.0 + 1f64.exp());
        for (got, want) in pr.iter().zip([lo, lo, 1.0 - lo, 1.0 - lo]) {
            assert!((got - want).abs() < 1e-12);
        }
    }

    #[test]
    fn learns_xor_with_depth_two() {
        // XOR needs an interaction: depth 2 trees separate it, so the AUC reaches 1. The cells
        // have unequal counts (2:2:2:1), otherwise no root split has positive gain.
        let cell = |i: usize| {
            [
                (0.0, 0.0),
                (0.0, 0.0),
                (0.0, 1.0),
                (0.0, 1.0),
                (1.0, 0.0),
                (1.0, 0.0),
                (1.0, 1.0),
            ][i % 7]
        };
        let x0: Vec<f64> = (0..700).map(|i| cell(i).0).collect();
        let x1: Vec<f64> = (0..700).map(|i| cell(i).1).collect();
        let y: Vec<bool> = x0
            .iter()
            .zip(&x1)
            .map(|(a, b)| (a + b) as i32 == 1)
            .collect();
        let cols = vec![x0, x1];
        let m = Gbdt::fit(
            &cols,
            &y,
            &GbdtParams {
                n_trees: 20,
                max_depth: 2,
                ..GbdtParams::default()
            },
        );
        let auc = crate::auc::roc_auc(&m.predict_proba(&cols), &y).unwrap();
        assert!(auc > 0.999, "auc {auc}");
    }

    #[test]
    fn binner_missing_and_many_values() {
        let b = Binner::fit(&[vec![1.0, 2.0, f64::NAN, 3.0]], 256);
        assert_eq!(
            b.transform(&[vec![f64::NAN, 1.0, 2.0, 3.0, 10.0]]),
            vec![0, 1, 2, 3, 3]
        );
        let many: Vec<f64> = (0..10_000).map(|i| i as f64).collect();
        let b = Binner::fit(std::slice::from_ref(&many), 256);
        let t = b.transform(&[many]);
        assert!(t.windows(2).all(|w| w[0] <= w[1]) && *t.last().unwrap() == 255);
    }
}
