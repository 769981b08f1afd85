//! Bit codes that follow a category's relations to the other columns.
//!
//! A column coded in bits ([`super::categorical`]) gives each category a `b`-bit code. Any
//! assignment round-trips, but the network sees the category only through its bits: with
//! arbitrary codes (frequency ranks), a rule as simple as `group = code mod 4` is an
//! arbitrary boolean function of the bits, and a 3,000-step fit kept it in 30.6% of the
//! synthetic rows against 96.2% of the real ones (94.6% one-hot; docs/scale.md).
//!
//! Here the codes are a binary tree over the categories built from their profiles: the
//! profile of category `k` is the mean, over its training rows, of the other columns'
//! encoded coordinates (numerical scores, one-hot entries, the bits of bit-coded columns fitted
//! before it; those fitted after it left out),
//! shrunk towards the overall mean as `(sum_k + m mean) / (n_k + m)` with `m = 10` rows, so
//! that a rare category's profile is not its few rows' noise. The top bit splits the
//! categories in two halves along the first principal direction of their profiles (weighted
//! by their rows), the next bit splits each half along its own, and so on down to single
//! categories: categories that relate alike to the rest of the table share their leading
//! bits, and the relations the network has to learn become functions of a few bits. Each
//! split cuts the categories sorted by projection at the widest gap among the cuts that leave
//! each side at most `2^(r - 1)` categories (`r` bits left), so that clusters stay whole where
//! the bits allow and a node of `n <= 2^r` categories always fits. Deterministic: the power
//! iteration starts from a fixed vector and ties keep category order.

/// Pseudo-rows pulling a category's profile towards the overall mean.
pub const PROFILE_PRIOR_ROWS: f64 = 10.0;

/// Power-iteration rounds of each split's principal direction.
const POWER_ROUNDS: usize = 30;

/// The codes (`codes[k] < 2^bits`, distinct) of categories with `profiles` (row-major
/// `k x dims`, already shrunk) and `weights` (their rows).
pub fn tree_codes(profiles: &[f64], dims: usize, weights: &[f64], bits: usize) -> Vec<u64> {
    let n = weights.len();
    let mut codes = vec![0u64; n];
    let all: Vec<usize> = (0..n).collect();
    split(&all, profiles, dims, weights, bits, 0, &mut codes);
    codes
}

/// Assigns codes `prefix` followed by `bits` more bits to the categories `cats`.
fn split(
    cats: &[usize],
    profiles: &[f64],
    dims: usize,
    weights: &[f64],
    bits: usize,
    prefix: u64,
    codes: &mut [u64],
) {
    if cats.len() <= 1 || bits == 0 {
        for (j, &k) in cats.iter().enumerate() {
            codes[k] = (prefix << bits) | j as u64;
        }
        return;
    }
    let direction = principal_direction(cats, profiles, dims, weights);
    let project = |k: usize| -> f64 {
        (0..dims)
            .map(|j| profiles[k * dims + j] * direction[j])
            .sum()
    };
    let mut order: Vec<(f64, usize)> = cats.iter().map(|&k| (project(k), k)).collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let cut = cut(&order, bits);
    let low: Vec<usize> = order[..cut].iter().map(|&(_, k)| k).collect();
    let high: Vec<usize> = order[cut..].iter().map(|&(_, k)| k).collect();
    split(&low, profiles, dims, weights, bits - 1, prefix << 1, codes);
    split(
        &high,
        profiles,
        dims,
        weights,
        bits - 1,
        (prefix << 1) | 1,
        codes,
    );
}

/// Where to split categories sorted by projection, `order`, with `bits` bits left: each side
/// may hold at most `2^(bits - 1)` categories; among the cuts that allows, the one at the
/// widest gap between consecutive projections (clusters stay whole), the most even on a tie.
fn cut(order: &[(f64, usize)], bits: usize) -> usize {
    let n = order.len();
    let cap = 1usize << (bits - 1).min(62);
    let (lo, hi) = (n.saturating_sub(cap).max(1), cap.min(n - 1));
    (lo..=hi)
        .max_by(|&a, &b| {
            let gap = |s: usize| order[s].0 - order[s - 1].0;
            let even = |s: usize| std::cmp::Reverse(s.abs_diff(n / 2));
            gap(a).total_cmp(&gap(b)).then(even(a).cmp(&even(b)))
        })
        .unwrap_or(n.div_ceil(2))
}

/// The first principal direction of the weighted profiles of `cats` (power iteration on
/// their weighted covariance; a unit vector, or the zero vector when they do not vary).
fn principal_direction(cats: &[usize], profiles: &[f64], dims: usize, weights: &[f64]) -> Vec<f64> {
    let total: f64 = cats
        .iter()
        .map(|&k| weights[k])
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let mut mean = vec![0.0; dims];
    for &k in cats {
        for j in 0..dims {
            mean[j] += weights[k] * profiles[k * dims + j] / total;
        }
    }
    // v <- C v with C = sum_k w_k (p_k - mean)(p_k - mean)^T, without forming C.
    let mut v: Vec<f64> = (0..dims).map(|j| 1.0 + 0.1 * (j % 7) as f64).collect();
    for _ in 0..POWER_ROUNDS {
        let mut next = vec![0.0; dims];
        for &k in cats {
            let row = &profiles[k * dims..(k + 1) * dims];
            let dot: f64 = (0..dims).map(|j| (row[j] - mean[j]) * v[j]).sum();
            for j in 0..dims {
                next[j] += weights[k] * dot * (row[j] - mean[j]);
            }
        }
        let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm.is_nan() || norm <= 1e-300 {
            return vec![0.0; dims];
        }
        v = next.iter().map(|x| x / norm).collect();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_that_relate_alike_share_their_leading_bits() {
        // 16 categories in four groups (profile = the group's one-hot, a little noise):
        // the two top bits must name the group.
        let (n, dims) = (16, 4);
        let group = |k: usize| (k * 5) % 4;
        let profiles: Vec<f64> = (0..n)
            .flat_map(|k| {
                (0..dims).map(move |j| f64::from(u8::from(group(k) == j)) + 0.01 * (k % 3) as f64)
            })
            .collect();
        let codes = tree_codes(&profiles, dims, &vec![1.0; n], 4);
        let mut distinct = codes.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), n, "codes are distinct");
        assert!(codes.iter().all(|&c| c < 16));
        for a in 0..n {
            for b in 0..n {
                assert_eq!(
                    group(a) == group(b),
                    codes[a] >> 2 == codes[b] >> 2,
                    "{a} {b} {codes:?}"
                );
            }
        }
    }

    #[test]
    fn any_count_fits_its_bits() {
        for n in [1usize, 2, 3, 5, 17, 100, 1000] {
            let bits = crate::encode::categorical::bits_for(n);
            let profiles: Vec<f64> = (0..n).map(|k| (k as f64 * 0.37).sin()).collect();
            let codes = tree_codes(&profiles, 1, &vec![1.0; n], bits);
            let mut sorted = codes.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), n);
            assert!(codes.iter().all(|&c| c < 1 << bits), "{n}");
        }
    }
}
