//! Distance to closest record (DESIGN.md §3): the share of synthetic rows whose nearest real
//! row (L1 on min-max scaled numerical + one-hot features, scaling fitted on the training
//! table) lies in the training table rather than in a holdout table of equal size. The larger
//! of the two is subsampled (seeded) to the smaller's size; a synthetic row at equal distance
//! from both counts one half. 50% means no sign of memorisation, 100% means every synthetic
//! row sits closer to the training rows.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use scorediff_tabular::Table;

use crate::alpha_beta::{quantile_sorted, subsample};
use crate::coding::Plan;
use crate::embed::MinMax;
use crate::error::{EvalError, Result};
use crate::knn::{Metric, nearest};
use crate::progress::Progress;

/// DCR results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DcrResult {
    /// Share of synthetic rows closer to the training rows, in percent.
    pub share_closer_to_train: f64,
    /// Rows used from the training and from the holdout table (equal).
    pub n_reference: usize,
    /// Median L1 distance of a synthetic row to its nearest training row.
    pub median_dcr_train: f64,
    /// Median L1 distance of a synthetic row to its nearest holdout row.
    pub median_dcr_holdout: f64,
}

/// DCR of `syn` against `train` and `holdout` (see the module doc).
pub fn dcr(
    train: &Table,
    holdout: &Table,
    syn: &Table,
    seed: u64,
    progress: &dyn Progress,
) -> Result<DcrResult> {
    for (t, which) in [
        (train, "training"),
        (holdout, "holdout"),
        (syn, "synthetic"),
    ] {
        if t.n_rows() == 0 {
            return Err(EvalError::TooFewRows {
                table: which,
                rows: 0,
                metric: "DCR",
            });
        }
    }
    let plan = Plan::build(train, &[("holdout", holdout), ("synthetic", syn)], &[])?;
    let ct = plan.code(train, "training")?;
    let scaler = MinMax::fit(&plan, &ct);
    let (et, eh, es) = (
        scaler.embed(&ct),
        scaler.embed(&plan.code(holdout, "holdout")?),
        scaler.embed(&plan.code(syn, "synthetic")?),
    );
    let m = et.n.min(eh.n);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let et = et.select(&subsample(et.n, m, &mut rng));
    let eh = eh.select(&subsample(eh.n, m, &mut rng));
    let dist = |nb: Vec<Option<crate::knn::Neighbour>>| -> Vec<f64> {
        nb.iter()
            .map(|n| n.map_or(f64::INFINITY, |n| n.dist))
            .collect()
    };
    let dt = dist(nearest(
        &es,
        &et,
        Metric::L1,
        false,
        progress,
        "DCR: training",
    ));
    let dh = dist(nearest(
        &es,
        &eh,
        Metric::L1,
        false,
        progress,
        "DCR: holdout",
    ));
    let score: f64 = dt
        .iter()
        .zip(&dh)
        .map(|(a, b)| {
            if a < b {
                1.0
            } else if a == b {
                0.5
            } else {
                0.0
            }
        })
        .sum();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        quantile_sorted(&v, 0.5)
    };
    Ok(DcrResult {
        share_closer_to_train: 100.0 * score / es.n as f64,
        n_reference: m,
        median_dcr_train: median(dt),
        median_dcr_holdout: median(dh),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use scorediff_tabular::Column;

    fn t(x: &[f64], c: &[&str]) -> Table {
        Table::new(vec![
            Column::numerical("x", x.iter().map(|&v| Some(v)).collect()),
            Column::categorical("c", c.iter().map(|s| Some(s.to_string())).collect()),
        ])
        .unwrap()
    }

    #[test]
    fn by_hand() {
        // train x = (0, 10) (range 10, scale 1/10), categories (a, a); holdout x = (4, 6),
        // categories (a, b). Synthetic rows:
        //   (1, a): train 0.1, holdout 0.3 -> train (1)
        //   (5, b): train 0.5 + 2 = 2.5, holdout (6, b) 0.1 -> holdout (0)
        //   (5, a): train 0.5, holdout (4, a) 0.1 -> holdout (0)
        //   (10, a): train 0, holdout 0.6 -> train (1)
        // share = 2 / 4 = 50%.
        let r = dcr(
            &t(&[0.0, 10.0], &["a", "a"]),
            &t(&[4.0, 6.0], &["a", "b"]),
            &t(&[1.0, 5.0, 5.0, 10.0], &["a", "b", "a", "a"]),
            0,
            &NoProgress,
        )
        .unwrap();
        assert!((r.share_closer_to_train - 50.0).abs() < 1e-12);
        // A tie counts half: synthetic (5, a) against train (0, a), (10, a) and holdout (0, a),
        // (10, a) -> 50%.
        let r = dcr(
            &t(&[0.0, 10.0], &["a", "a"]),
            &t(&[0.0, 10.0], &["a", "a"]),
            &t(&[5.0], &["a"]),
            0,
            &NoProgress,
        )
        .unwrap();
        assert_eq!(r.share_closer_to_train, 50.0);
    }
}
