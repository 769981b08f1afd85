//! ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half.

/// ROC AUC of `scores` for binary `labels` (true = positive): the probability that a random
/// positive scores above a random negative, ties counting one half (scikit-learn's
/// `roc_auc_score`). `None` when one class is absent.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let n_pos = labels.iter().filter(|&&l| l).count();
    let n_neg = labels.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    // Sum of the (average, 1-based) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += avg_rank * idx[i..=j].iter().filter(|&&k| labels[k]).count() as f64;
        i = j + 1;
    }
    let (p, n) = (n_pos as f64, n_neg as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand() {
        // positives score (0.8, 0.4), negatives (0.5, 0.1): pairs (0.8>0.5, 0.8>0.1, 0.4<0.5,
        // 0.4>0.1) -> 3/4.
        let a = roc_auc(&[0.8, 0.4, 0.5, 0.1], &[true, true, false, false]).unwrap();
        assert!((a - 0.75).abs() < 1e-12);
        // All tied -> 1/2.
        assert_eq!(roc_auc(&[1.0, 1.0, 1.0], &[true, false, false]), Some(0.5));
        assert_eq!(roc_auc(&[1.0, 2.0], &[true, true]), None);
    }
}
