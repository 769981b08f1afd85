//! Closed forms of the forward processes: `d log alpha / dt = f`, `h' = 2 f h + g^2`, the
//! exponential-integrator coefficients against quadrature, schedules against their papers'
//! formulas, and config round trips.

use scorediff_process::{
    ForwardProcess, OrnsteinUhlenbeck, ProcessConfig, SamplerConfig, SamplerKind, TimeGrid,
    TimeSampler, VpCosine, VpLinear,
};

/// Every process, behind its config (which delegates).
fn processes() -> Vec<ProcessConfig> {
    vec![
        ProcessConfig::OrnsteinUhlenbeck,
        ProcessConfig::VpLinear(VpLinear::default()),
        ProcessConfig::VpLinear(VpLinear::new(0.5, 5.0).unwrap()),
        ProcessConfig::VpCosine(VpCosine::default()),
    ]
}

/// Times inside each process's default range.
fn times(p: &ProcessConfig) -> Vec<f64> {
    let (t0, t_end) = p.default_time_range();
    (0..=8)
        .map(|i| t0 + (t_end - t0) * (0.02 + 0.96 * i as f64 / 8.0))
        .collect()
}

#[test]
fn start_is_data() {
    for p in processes() {
        assert!((p.alpha(0.0) - 1.0).abs() < 1e-12, "{p:?}");
        assert!(p.h(0.0).abs() < 1e-12, "{p:?}");
    }
}

#[test]
fn log_alpha_derivative_is_drift_and_variance_solves_its_ode() {
    for p in processes() {
        for t in times(&p) {
            let e = 1e-6 * t.max(1e-3);
            let dlog_alpha = (p.log_alpha(t + e) - p.log_alpha(t - e)) / (2.0 * e);
            let f = p.drift_coef(t);
            assert!(
                (dlog_alpha - f).abs() < 1e-5 * (1.0 + f.abs()),
                "{p:?} t={t}"
            );
            let dh = (p.h(t + e) - p.h(t - e)) / (2.0 * e);
            let rhs = 2.0 * f * p.h(t) + p.diffusion_sq(t);
            assert!(
                (dh - rhs).abs() < 1e-5 * (1.0 + rhs.abs()),
                "{p:?} t={t}: {dh} vs {rhs}"
            );
        }
    }
}

#[test]
fn ou_and_schedules_match_their_published_formulas() {
    let ou = OrnsteinUhlenbeck;
    for t in [1e-4f64, 0.1, 1.0, 4.0] {
        assert!((ou.alpha(t) - (-t).exp()).abs() < 1e-15);
        assert!((ou.h(t) - (1.0 - (-2.0 * t).exp())).abs() < 1e-15);
    }
    // Song et al.: alpha_t = exp(-1/4 t^2 (b1 - b0) - 1/2 t b0).
    let vp = VpLinear::new(0.1, 20.0).unwrap();
    for t in [1e-3f64, 0.3, 1.0] {
        let expected = (-0.25 * t * t * (20.0 - 0.1) - 0.5 * t * 0.1).exp();
        assert!((vp.alpha(t) - expected).abs() < 1e-14);
    }
    // Nichol & Dhariwal: alpha-bar_t = cos^2(((t + s)/(1 + s)) pi/2) / cos^2(s/(1 + s) pi/2).
    let cos = VpCosine::new(0.008).unwrap();
    let half_pi = std::f64::consts::FRAC_PI_2;
    for t in [1e-3f64, 0.5, 0.9] {
        let bar =
            ((t + 0.008) / 1.008 * half_pi).cos().powi(2) / (0.008 / 1.008 * half_pi).cos().powi(2);
        assert!((cos.alpha(t).powi(2) - bar).abs() < 1e-12);
        assert!((cos.h(t) - (1.0 - bar)).abs() < 1e-12);
    }
    assert_eq!(cos.alpha(1.0), 0.0);
}

/// Implements only the required methods, so the provided (quadrature) ones are used.
#[derive(Debug)]
struct Generic(ProcessConfig);

impl ForwardProcess for Generic {
    fn log_alpha(&self, t: f64) -> f64 {
        self.0.log_alpha(t)
    }
    fn h(&self, t: f64) -> f64 {
        self.0.h(t)
    }
    fn drift_coef(&self, t: f64) -> f64 {
        self.0.drift_coef(t)
    }
    fn diffusion_sq(&self, t: f64) -> f64 {
        self.0.diffusion_sq(t)
    }
    fn default_time_range(&self) -> (f64, f64) {
        self.0.default_time_range()
    }
    fn config(&self) -> ProcessConfig {
        self.0
    }
}

#[test]
fn exponential_integrator_closed_forms_match_quadrature() {
    for p in processes() {
        let generic = Generic(p);
        let ts = times(&p);
        for w in ts.windows(2) {
            let (s, t) = (w[0], w[1]);
            let c = p.reverse_score_coef(s, t);
            let c_quad = generic.reverse_score_coef(s, t);
            assert!(
                (c - c_quad).abs() < 1e-7 * (1.0 + c.abs()),
                "{p:?} [{s}, {t}]: {c} vs {c_quad}"
            );
            let v = p.reverse_noise_var(s, t);
            let v_gen = generic.reverse_noise_var(s, t);
            assert!(
                (v - v_gen).abs() < 1e-9 * (1.0 + v.abs()),
                "{p:?} [{s}, {t}]"
            );
        }
    }
    // OU: Phi = e^{dt}, c = 2 (e^{dt} - 1), v = e^{2 dt} - 1.
    let (s, t) = (0.7, 1.0);
    let ou = OrnsteinUhlenbeck;
    assert!((ou.reverse_growth(s, t) - 0.3f64.exp()).abs() < 1e-14);
    assert!((ou.reverse_score_coef(s, t) - 2.0 * (0.3f64.exp() - 1.0)).abs() < 1e-14);
    assert!((ou.reverse_noise_var(s, t) - (0.6f64.exp() - 1.0)).abs() < 1e-14);
}

#[test]
fn reverse_drift_coefficients_match_the_paper_for_ou() {
    assert_eq!(OrnsteinUhlenbeck.reverse_sde_coefs(0.4), (1.0, 2.0));
    assert_eq!(OrnsteinUhlenbeck.probability_flow_coefs(0.4), (1.0, 1.0));
}

#[test]
fn configs_round_trip_and_bad_parameters_are_rejected() {
    for p in processes() {
        let json = serde_json::to_string(&p).unwrap();
        let back: ProcessConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p, "{json}");
        assert_eq!(p.config(), p);
    }
    assert!(
        serde_json::from_str::<ProcessConfig>(r#"{"kind":"vp_linear","beta_min":3,"beta_max":1}"#)
            .is_err()
    );
    assert!(serde_json::from_str::<ProcessConfig>(r#"{"kind":"vp_cosine","s":-1}"#).is_err());
    assert!(VpLinear::new(f64::NAN, 1.0).is_err());

    let sampler = SamplerConfig {
        kind: SamplerKind::Heun,
        grid: TimeGrid::Uniform,
        t0: Some(0.01),
        ..SamplerConfig::default()
    };
    let json = serde_json::to_string(&sampler).unwrap();
    assert_eq!(
        serde_json::from_str::<SamplerConfig>(&json).unwrap(),
        sampler
    );
    let partial: SamplerConfig = serde_json::from_str(r#"{"steps": 17}"#).unwrap();
    assert_eq!(partial.steps, 17);
    assert_eq!(partial.kind, SamplerConfig::default().kind);

    let ts = TimeSampler::log_uniform(1e-3, 2.0).unwrap();
    let json = serde_json::to_string(&ts).unwrap();
    assert_eq!(serde_json::from_str::<TimeSampler>(&json).unwrap(), ts);
    assert!(TimeSampler::uniform(0.0, 1.0).is_err());
    assert!(TimeSampler::uniform(2.0, 1.0).is_err());
}

#[test]
fn time_grids_run_from_t_down_to_t0() {
    for grid in [TimeGrid::Uniform, TimeGrid::LogSpaced, TimeGrid::Quadratic] {
        let ts = grid.times(1e-3, 5.0, 37).unwrap();
        assert_eq!(ts.len(), 38);
        assert_eq!(ts[0], 5.0);
        assert_eq!(ts[37], 1e-3);
        assert!(ts.windows(2).all(|w| w[0] > w[1]), "{grid:?}");
        assert!(grid.times(0.0, 5.0, 10).is_err());
        assert!(grid.times(1e-3, 5.0, 0).is_err());
    }
    // Log and quadratic grids put their smallest steps at T0.
    for grid in [TimeGrid::LogSpaced, TimeGrid::Quadratic] {
        let ts = grid.times(1e-3, 5.0, 50).unwrap();
        assert!(ts[49] - ts[50] < ts[0] - ts[1]);
    }
}

/// `ImportanceLogUniform` draws log-uniform times and weights them by `p_U / p_log`: the
/// product of its drawing density and its weight is the uniform density everywhere, so a
/// weighted average over its draws estimates the `Uniform` expectation (checked on
/// `g(t) = 1 / h_t`-like and smooth functions by Monte Carlo against the exact integral).
#[test]
fn importance_log_uniform_estimates_the_uniform_expectation() {
    use rand::SeedableRng;
    let (t0, t_end) = (1e-3, 3.0);
    let imp = TimeSampler::importance_log_uniform(t0, t_end).unwrap();
    let uniform = TimeSampler::uniform(t0, t_end).unwrap();
    for t in [t0, 2e-3, 0.05, 0.7, 2.0, t_end] {
        let product = imp.density(t) * imp.importance_weight(t);
        assert!(
            (product - uniform.density(t)).abs() < 1e-12,
            "t {t}: {product} vs {}",
            uniform.density(t)
        );
        assert_eq!(uniform.importance_weight(t), 1.0);
        assert!(imp.is_importance_weighted() && !uniform.is_importance_weighted());
        assert_eq!(
            TimeSampler::LogUniform { t0, t_end }.importance_weight(t),
            1.0
        );
    }
    assert_eq!(imp.range(), uniform.range());
    // Monte Carlo: E_imp[w g] against the exact uniform mean of g, for a g that is large at
    // small t (as the unit-target loss weight) and a smooth one.
    let draws = 200_000;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let ts: Vec<f64> = (0..draws).map(|_| imp.sample(&mut rng)).collect();
    // (g, integral of g over [T0, T])
    type Case = (fn(f64) -> f64, f64);
    let cases: [Case; 2] = [
        // int 1 / sqrt(t) = 2 (sqrt(T) - sqrt(t0)).
        (|t| 1.0 / t.sqrt(), 2.0 * (3.0f64.sqrt() - 1e-3f64.sqrt())),
        // int t^2 = (T^3 - t0^3) / 3.
        (|t| t * t, (27.0 - 1e-9) / 3.0),
    ];
    for (g, integral) in cases {
        let exact = integral / (t_end - t0);
        let vals: Vec<f64> = ts
            .iter()
            .map(|&t| imp.importance_weight(t) * g(t))
            .collect();
        let mean = vals.iter().sum::<f64>() / draws as f64;
        let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / draws as f64;
        let se = (var / draws as f64).sqrt();
        assert!((mean - exact).abs() < 4.0 * se, "{mean} +- {se} vs {exact}");
    }
    assert!(TimeSampler::importance_log_uniform(0.0, 1.0).is_err());
    let json = serde_json::to_string(&imp).unwrap();
    assert!(json.contains("importance_log_uniform"), "{json}");
    assert_eq!(serde_json::from_str::<TimeSampler>(&json).unwrap(), imp);
}
