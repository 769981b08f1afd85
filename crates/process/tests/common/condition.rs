//! Conditional sampling (`scorediff_process::condition`) driven by exact denoisers of
//! Gaussian laws, against closed forms, generic over the backend: instantiated by
//! `condition.rs` (faer) and `wgpu.rs`.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::prelude::*;
use scorediff_backend::{ColumnBlock, Layout};
use scorediff_process::{
    Choice, Condition, ConditionMethod, ExactScore, GaussianMixture, Interval, OrnsteinUhlenbeck,
    ParametricScore, RowCondition, SamplerConfig, SamplerKind, TimeGrid, sample,
    sample_conditioned,
};

fn heun(steps: usize) -> SamplerConfig {
    SamplerConfig {
        kind: SamplerKind::Heun,
        grid: TimeGrid::Quadratic,
        steps,
        batch_size: 1000,
        ..SamplerConfig::default()
    }
}

/// Records of width `d` with no one-hot block.
fn plain(d: usize) -> Layout {
    Layout::new(d, Vec::new()).unwrap()
}

fn draw<B: Backend>(
    be: &B,
    law: &GaussianMixture,
    condition: &Condition,
    cfg: &SamplerConfig,
    seed: u64,
) -> Vec<Vec<f64>> {
    let exact = ExactScore::new(OrnsteinUhlenbeck, law.clone());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let out = sample_conditioned(
        be,
        &OrnsteinUhlenbeck,
        &exact,
        condition,
        cfg,
        &mut rng,
        &mut |_| {},
    )
    .expect("conditioned sample");
    let d = condition.width();
    be.to_host(&out)
        .expect("download")
        .chunks(d)
        .map(|r| r.iter().map(|&v| f64::from(v)).collect())
        .collect()
}

fn mean_sd(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = xs.collect();
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

fn correlated(rho: f64) -> GaussianMixture {
    let cov = DMatrix::from_row_slice(2, 2, &[1.0, rho, rho, 1.0]);
    GaussianMixture::gaussian(DVector::zeros(2), cov).expect("law")
}

/// Checks on `be` that a condition that requires nothing gives the unconditional draw.
pub fn a_condition_that_requires_nothing_is_the_unconditional_draw<B: Backend>(be: &B) {
    let law = correlated(0.5);
    let exact = ExactScore::new(OrnsteinUhlenbeck, law.clone());
    // The conditioned sampler drives the denoiser through its score form: compare like with
    // like. Its final denoising is the denoiser itself rather than Tweedie's formula on the
    // score, the same value up to rounding: the states are compared bit for bit, the
    // denoised records to within rounding.
    let score = ParametricScore::new(OrnsteinUhlenbeck, &exact);
    for kind in [SamplerKind::Heun, SamplerKind::ExponentialIntegrator] {
        for final_denoise in [false, true] {
            let cfg = SamplerConfig {
                kind,
                steps: 20,
                batch_size: 64,
                final_denoise,
                ..SamplerConfig::default()
            };
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let unconditional =
                sample(be, &OrnsteinUhlenbeck, &score, 150, 2, &cfg, &mut rng).unwrap();
            let want: Vec<f32> = be.to_host(&unconditional).unwrap();
            let none = Condition::same(&plain(2), 150, RowCondition::default()).unwrap();
            let got: Vec<f32> = draw(be, &law, &none, &cfg, 3)
                .iter()
                .flatten()
                .map(|&v| v as f32)
                .collect();
            if final_denoise {
                let worst = got
                    .iter()
                    .zip(&want)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0f32, f32::max);
                assert!(worst < 1e-5, "{kind:?}: {worst}");
            } else {
                assert_eq!(got, want, "{kind:?}");
            }
        }
    }
}

/// Checks on `be` that a known value holds exactly and steers a correlated coordinate.
pub fn a_known_value_holds_exactly_and_steers_a_correlated_coordinate<B: Backend>(be: &B) {
    // x ~ N(0, [[1, rho], [rho, 1]]): x2 | x1 = c ~ N(rho c, 1 - rho^2).
    let (rho, c) = (0.8, 1.5);
    let known = RowCondition {
        intervals: vec![Interval::known(0, c)],
        ..RowCondition::default()
    };
    let rows = draw(
        be,
        &correlated(rho),
        &Condition::same(&plain(2), 4000, known).unwrap(),
        &heun(40),
        1,
    );
    assert!(rows.iter().all(|r| r[0] == c as f32 as f64));
    let (m, sd) = mean_sd(rows.iter().map(|r| r[1]));
    let (m_true, sd_true) = (rho * c, (1.0 - rho * rho).sqrt());
    eprintln!("x2 | x1 = {c}: mean {m:.4} (true {m_true}), sd {sd:.4} (true {sd_true:.4})");
    assert!((m - m_true).abs() < 0.06, "mean {m} against {m_true}");
    assert!(
        (sd / sd_true - 1.0).abs() < 0.08,
        "sd {sd} against {sd_true}"
    );
}

/// Checks on `be` that an interval on an independent coordinate gives its truncated law.
pub fn an_interval_on_an_independent_coordinate_gives_its_truncated_law<B: Backend>(be: &B) {
    // Independent coordinates: x1 | x1 in [lo, hi] is N(0, 1) truncated, x2 unchanged.
    let law = GaussianMixture::gaussian(DVector::zeros(2), DMatrix::identity(2, 2)).unwrap();
    let (lo, hi) = (0.5, 2.0);
    let req = RowCondition {
        intervals: vec![Interval { coord: 0, lo, hi }],
        ..RowCondition::default()
    };
    let rows = draw(
        be,
        &law,
        &Condition::same(&plain(2), 6000, req).unwrap(),
        &heun(40),
        2,
    );
    assert!(
        rows.iter()
            .all(|r| lo as f32 as f64 <= r[0] && r[0] <= hi as f32 as f64)
    );
    // Moments of N(0, 1) on [0.5, 2]: mean (phi(a) - phi(b)) / Z, E[x^2] = 1 + (a phi(a) -
    // b phi(b)) / Z.
    let phi = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    // Phi(2) - Phi(0.5).
    let z = 0.977_249_868_051_821 - 0.691_462_461_274_013;
    let mean = (phi(lo) - phi(hi)) / z;
    let second = 1.0 + (lo * phi(lo) - hi * phi(hi)) / z;
    let sd = (second - mean * mean).sqrt();
    let (m1, s1) = mean_sd(rows.iter().map(|r| r[0]));
    let (m2, s2) = mean_sd(rows.iter().map(|r| r[1]));
    eprintln!(
        "x1 on [{lo}, {hi}]: mean {m1:.4} ({mean:.4}), sd {s1:.4} ({sd:.4}); x2 {m2:.4} {s2:.4}"
    );
    assert!((m1 - mean).abs() < 0.02, "mean {m1} against {mean}");
    assert!((s1 / sd - 1.0).abs() < 0.06, "sd {s1} against {sd}");
    assert!(m2.abs() < 0.05 && (s2 - 1.0).abs() < 0.05, "x2 {m2} {s2}");
}

/// Checks on `be` that a category set holds exactly and picks its component.
pub fn a_category_set_holds_exactly_and_picks_its_component<B: Backend>(be: &B) {
    // Two tight components: a one-hot-like block (1, 0) or (0, 1) and a third coordinate at
    // -2 or +2. Allowing entry 0 only must give the first component's third coordinate.
    let means = vec![
        DVector::from_vec(vec![1.0, 0.0, -2.0]),
        DVector::from_vec(vec![0.0, 1.0, 2.0]),
    ];
    let law = GaussianMixture::isotropic(vec![0.7, 0.3], means, &[0.01, 0.01]).unwrap();
    let req = RowCondition {
        choices: vec![Choice {
            block: ColumnBlock::new(0, 2),
            allowed: vec![false, true],
        }],
        ..RowCondition::default()
    };
    let rows = draw(
        be,
        &law,
        &Condition::same(
            &Layout::new(3, vec![ColumnBlock::new(0, 2)]).unwrap(),
            3000,
            req,
        )
        .unwrap(),
        &heun(40),
        4,
    );
    assert!(
        rows.iter().all(|r| r[0] == 0.0),
        "a disallowed entry was kept"
    );
    let (m, _) = mean_sd(rows.iter().map(|r| r[2]));
    let near = rows.iter().filter(|r| (r[2] - 2.0).abs() < 0.5).count();
    eprintln!("third coordinate given entry 1: mean {m:.4}, {near} of 3000 near +2");
    assert!(
        near >= 2950,
        "{near} of 3000 rows near the allowed component"
    );
}

/// Checks on `be` that rows may each have their own requirement.
pub fn rows_may_each_have_their_own_requirement<B: Backend>(be: &B) {
    // Imputation's shape: row i knows x1 = c_i; each row's x2 follows its own c_i.
    let (rho, n) = (0.9, 3000);
    let reqs: Vec<RowCondition> = (0..n)
        .map(|i| RowCondition {
            intervals: vec![Interval::known(0, if i % 2 == 0 { -1.0 } else { 1.0 })],
            ..RowCondition::default()
        })
        .collect();
    let rows = draw(
        be,
        &correlated(rho),
        &Condition::per_row(&plain(2), reqs).unwrap(),
        &heun(40),
        5,
    );
    let (m_neg, _) = mean_sd(rows.iter().step_by(2).map(|r| r[1]));
    let (m_pos, _) = mean_sd(rows.iter().skip(1).step_by(2).map(|r| r[1]));
    eprintln!("x2 given -1: {m_neg:.4}, given +1: {m_pos:.4} (true -/+{rho})");
    assert!((m_neg + rho).abs() < 0.06 && (m_pos - rho).abs() < 0.06);
    assert!(
        rows.iter()
            .enumerate()
            .all(|(i, r)| r[0] == if i % 2 == 0 { -1.0 } else { 1.0 })
    );
}

/// Checks on `be` that a condition of another width is refused.
pub fn a_condition_of_another_width_is_refused<B: Backend>(be: &B) {
    let law = correlated(0.5);
    let exact = ExactScore::new(OrnsteinUhlenbeck, law);
    let wrong = Condition::same(&plain(3), 10, RowCondition::default()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    // A 3-wide condition over a 2-D law: the denoiser's output shape does not fit.
    let res = sample_conditioned(
        be,
        &OrnsteinUhlenbeck,
        &exact,
        &wrong,
        &heun(5),
        &mut rng,
        &mut |_| {},
    );
    assert!(res.is_err());
}

/// Checks on `be` that replacement alone decides the other coordinates too early.
pub fn replacement_alone_decides_the_other_coordinates_too_early<B: Backend>(be: &B) {
    // The same known value by the replacement method: x2 keeps little of the condition
    // (documented in the condition module: mean about 0.5 against the true 1.2), which is
    // why the posterior method is the default.
    let (rho, c) = (0.8, 1.5);
    let known = RowCondition {
        intervals: vec![Interval::known(0, c)],
        ..RowCondition::default()
    };
    let cfg = SamplerConfig {
        condition: ConditionMethod::Replacement,
        ..heun(40)
    };
    let rows = draw(
        be,
        &correlated(rho),
        &Condition::same(&plain(2), 4000, known).unwrap(),
        &cfg,
        1,
    );
    assert!(rows.iter().all(|r| r[0] == c));
    let (m, _) = mean_sd(rows.iter().map(|r| r[1]));
    assert!(m < 0.8, "replacement drew x2 with mean {m}");
}

/// Checks on `be` that an interval and a known value hold together.
pub fn an_interval_and_a_known_value_hold_together<B: Backend>(be: &B) {
    // Three correlated coordinates: x1 known, x2 in a range, x3 free; both held exactly, x3
    // pulled towards the conditioned ones.
    let cov = DMatrix::from_row_slice(3, 3, &[1.0, 0.5, 0.6, 0.5, 1.0, 0.4, 0.6, 0.4, 1.0]);
    let law = GaussianMixture::gaussian(DVector::zeros(3), cov).unwrap();
    let req = RowCondition {
        intervals: vec![
            Interval::known(0, 1.0),
            Interval {
                coord: 1,
                lo: 0.5,
                hi: f64::INFINITY,
            },
        ],
        ..RowCondition::default()
    };
    let rows = draw(
        be,
        &law,
        &Condition::same(&plain(3), 3000, req).unwrap(),
        &heun(30),
        6,
    );
    assert!(rows.iter().all(|r| r[0] == 1.0 && r[1] >= 0.5));
    // E[x3 | x1, x2] = b1 x1 + b2 x2 with (b1, b2) = (0.6, 0.4) [[1, 0.5], [0.5, 1]]^{-1} =
    // (8/15, 2/15); x2 | x1 = 1 is N(0.5, 0.75), truncated to [0.5, inf) its mean is
    // 0.5 + sqrt(0.75) sqrt(2 / pi).
    let m2_true = 0.5 + 0.75f64.sqrt() * (2.0 / std::f64::consts::PI).sqrt();
    let m3_true = 8.0 / 15.0 + 2.0 / 15.0 * m2_true;
    let (m2, _) = mean_sd(rows.iter().map(|r| r[1]));
    let (m3, _) = mean_sd(rows.iter().map(|r| r[2]));
    eprintln!("x2 {m2:.4} ({m2_true:.4}), x3 {m3:.4} ({m3_true:.4})");
    assert!(
        (m2 - m2_true).abs() < 0.08,
        "x2 mean {m2} against {m2_true}"
    );
    assert!(
        (m3 - m3_true).abs() < 0.06,
        "x3 mean {m3} against {m3_true}"
    );
}
