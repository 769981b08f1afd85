//! (c) Score error against the number of records `N`.

use super::*;

#[derive(Serialize)]
struct RateRow {
    n: usize,
    oracle_risk: f64,
    balanced_risk: f64,
    literal_risk: f64,
    critical_radius_sq: f64,
    oracle_step: f64,
    balanced_step: f64,
    literal_step: f64,
}

#[derive(Serialize)]
struct RateResult {
    rows: Vec<RateRow>,
    seeds: usize,
    slope_oracle: f64,
    slope_balanced: f64,
    slope_literal: f64,
    slope_critical_radius_sq: f64,
    spectrum_decay_beta: f64,
    minimax_slope_from_beta: f64,
}

/// One `(N, seed)` of experiment (c): risks at the oracle and rule steps, `eps_hat^2`.
fn rate_point(
    be: &FaerBackend,
    mix: &GaussianMixture,
    n: usize,
    seed: u64,
    test: &Triples,
) -> Result<(RateRow, Vec<f64>), String> {
    let tr = triples(be, mix, n, 1000 + seed, &gd_config(1.0, 1, 2000 + seed))?;
    let k = ntk_gram(&tr.z)?;
    let eigs = eigenvalues_over_n(&k).map_err(e)?;
    let eta = 1.0 / eigs[0];
    let kt = ntk_cross(&test.z, &tr.z)?;
    let mut kr = KernelRegression::fit(&k, &tr.y, None, eta).map_err(e)?;
    kr.attach_test(&kt, None, Some(&test.target)).map_err(e)?;
    let steps = log_steps(1_000_000, 160);
    let curve = kr.curve(&steps).map_err(e)?;
    let best = curve
        .iter()
        .min_by(|a, b| {
            a.test_mse
                .unwrap_or(f64::NAN)
                .total_cmp(&b.test_mse.unwrap_or(f64::NAN))
        })
        .ok_or("empty curve")?;
    let hold = SigmaEstimator::HoldoutRidge {
        holdout_fraction: 0.2,
    };
    let sig = estimate_sigma(&hold, &k, &tr.y).map_err(e)?;
    let b_hat = estimate_target_norm(&k, &tr.y, None, sig.mu).map_err(e)?;
    let lit = theory_stopping_step(&eigs, eta, sig.sigma, &StoppingRuleConfig::paper_literal())
        .map_err(e)?;
    let bal = theory_stopping_step(&eigs, eta, sig.sigma, &StoppingRuleConfig::balanced(b_hat))
        .map_err(e)?;
    let risk = |k: Option<u64>| -> Result<f64, String> {
        let f = SpectralFilter::GdSteps(k.unwrap_or(1_000_000));
        Ok(kr.test_mse(f).map_err(e)?.unwrap_or(f64::NAN))
    };
    let eps = lit.critical_radius.unwrap_or(f64::NAN);
    Ok((
        RateRow {
            n,
            oracle_risk: best.test_mse.unwrap_or(f64::NAN),
            balanced_risk: risk(bal.step)?,
            literal_risk: risk(lit.step)?,
            critical_radius_sq: eps * eps,
            oracle_step: best.step as f64,
            balanced_step: bal.step.map_or(f64::NAN, |k| k as f64),
            literal_step: lit.step.map_or(f64::NAN, |k| k as f64),
        },
        eigs,
    ))
}

/// (c) Score estimation error (the denoiser's excess risk, i.e. the score error with the
/// paper's weight `h_t^2 / alpha_t^2`) of early-stopped NTK regression against `N`.
pub(super) fn sample_size_rate(
    be: &FaerBackend,
    mix: &GaussianMixture,
    args: &TheoryArgs,
) -> Result<String, String> {
    let (ns, seeds): (Vec<usize>, u64) = if args.full {
        (vec![64, 128, 256, 512, 1024, 2048, 4096], 5)
    } else {
        (vec![64, 128, 256, 512, 1024], 3)
    };
    let test = triples(be, mix, 2000, 99, &gd_config(1.0, 1, 98))?;
    let mut rows = Vec::new();
    let mut last_eigs = Vec::new();
    for &n in &ns {
        let mut acc: Vec<RateRow> = Vec::new();
        for seed in 0..seeds {
            let (row, eigs) = rate_point(be, mix, n, seed, &test)?;
            acc.push(row);
            last_eigs = eigs;
        }
        let avg = |f: fn(&RateRow) -> f64| mean(&acc.iter().map(f).collect::<Vec<_>>());
        rows.push(RateRow {
            n,
            oracle_risk: avg(|r| r.oracle_risk),
            balanced_risk: avg(|r| r.balanced_risk),
            literal_risk: avg(|r| r.literal_risk),
            critical_radius_sq: avg(|r| r.critical_radius_sq),
            oracle_step: avg(|r| r.oracle_step),
            balanced_step: avg(|r| r.balanced_step),
            literal_step: avg(|r| r.literal_step),
        });
    }
    let pts = |f: fn(&RateRow) -> f64| -> Vec<(f64, f64)> {
        rows.iter().map(|r| (r.n as f64, f(r))).collect()
    };
    let (s_or, _) = log_log_slope(&pts(|r| r.oracle_risk));
    let (s_bal, _) = log_log_slope(&pts(|r| r.balanced_risk));
    let (s_lit, _) = log_log_slope(&pts(|r| r.literal_risk));
    let (s_eps, _) = log_log_slope(&pts(|r| r.critical_radius_sq));
    // Spectrum decay lambda_i ~ i^(-beta) of the largest N, fitted on i in [4, N/8].
    let n_last = last_eigs.len();
    let spec: Vec<(f64, f64)> = (4..(n_last / 8).max(5))
        .map(|i| (i as f64, last_eigs[i - 1]))
        .collect();
    let beta = -log_log_slope(&spec).0;
    let minimax = -beta / (beta + 1.0);
    let line = |name: &str, points, color| Series {
        name: name.into(),
        points,
        color,
        style: Style::LineDots,
    };
    let figure = LineFigure {
        title: "(c) Score estimation error against sample size".into(),
        x: Axis::log("training triples N"),
        y: Axis::log("test excess risk of the denoiser"),
        series: vec![
            line(
                "stopped at the oracle step",
                pts(|r| r.oracle_risk),
                Rgb::GREY,
            ),
            line(
                "stopped by the balanced rule",
                pts(|r| r.balanced_risk),
                Rgb::GREEN,
            ),
            line(
                "stopped by the paper-literal rule",
                pts(|r| r.literal_risk),
                Rgb::RED,
            ),
            Series {
                name: "critical radius eps_hat^2 (literal constants)".into(),
                points: pts(|r| r.critical_radius_sq),
                color: Rgb::BLUE,
                style: Style::Dashed,
            },
        ],
        markers: Vec::new(),
        legend: LegendAt::Right,
        size: (680, 460),
    };
    plot::write_svg(&args.out.join("c_rate.svg"), figure.to_svg())?;
    let res = RateResult {
        rows,
        seeds: seeds as usize,
        slope_oracle: s_or,
        slope_balanced: s_bal,
        slope_literal: s_lit,
        slope_critical_radius_sq: s_eps,
        spectrum_decay_beta: beta,
        minimax_slope_from_beta: minimax,
    };
    write_json(&args.out.join("c_rate.json"), &res)?;
    let mut md = String::from("## (c) Score estimation error against sample size N\n\n");
    let _ = writeln!(
        md,
        "Kernel regression with the two-layer NTK (the infinite-width network) on N fixed \
         triples, stopped at the oracle step, the balanced rule's step and the paper-literal \
         rule's step; error = test excess risk of the denoiser (= score error weighted by \
         h_t^2 / alpha_t^2, the paper's loss), mean over {seeds} seeds.\n"
    );
    md.push_str(
        "| N | oracle | balanced rule | literal rule | eps_hat^2 | steps (oracle / balanced / literal) |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in &res.rows {
        let _ = writeln!(
            md,
            "| {} | {:.5} | {:.5} | {:.5} | {:.5} | {:.0} / {:.0} / {:.0} |",
            r.n,
            r.oracle_risk,
            r.balanced_risk,
            r.literal_risk,
            r.critical_radius_sq,
            r.oracle_step,
            r.balanced_step,
            r.literal_step
        );
    }
    let _ = writeln!(
        md,
        "\nFitted log-log slopes: oracle **{s_or:.3}**, balanced rule **{s_bal:.3}**, literal \
         rule **{s_lit:.3}**, empirical critical radius eps_hat^2 **{s_eps:.3}**. Spectrum of \
         K/N at the largest N decays like i^(-{beta:.2}); the minimax rate for that decay, \
         N^(-beta/(beta+1)), has slope **{minimax:.3}**.\n\n\
         ![rate](c_rate.svg)\n\nx: N (log), y: error (log); grey: oracle-stopped, green: \
         balanced rule, red: paper-literal rule, blue dashed: eps_hat^2 (literal constants)."
    );
    Ok(md)
}
