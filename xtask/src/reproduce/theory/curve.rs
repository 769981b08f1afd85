//! (b) Test error along gradient-descent steps, with the stopping rule.

use super::*;

#[derive(Serialize)]
struct CurveResult {
    n: usize,
    width: usize,
    eta: f64,
    sigma_hat: f64,
    b_hat: Option<f64>,
    rule_literal: Option<u64>,
    rule_balanced: Option<u64>,
    oracle_kernel: u64,
    oracle_kernel_risk: f64,
    oracle_network: u64,
    oracle_network_risk: f64,
    risk_at_rule_literal: f64,
    risk_at_rule_balanced: f64,
    network_stopped_by_trainer: Option<(u64, f64)>,
    /// `(step, kernel test excess risk, kernel training MSE)`.
    kernel_curve: Vec<(u64, f64, f64)>,
    /// `(step, network test excess risk)`.
    network_curve: Vec<(u64, f64)>,
}

/// (b) Test excess risk `||f_k - E[X_0 | X_t]||^2` along GD steps on fixed noisy triples,
/// kernel regression and the network, with the rule's steps and the oracle marked.
pub(super) fn gd_curve(
    be: &FaerBackend,
    mix: &GaussianMixture,
    args: &TheoryArgs,
) -> Result<String, String> {
    let (n, width, m_test, net_steps) = if args.full {
        (1024usize, 8192usize, 8000usize, 20_000u64)
    } else {
        (256, 2048, 2000, 2000)
    };
    let tr = triples(be, mix, n, 11, &gd_config(1.0, 1, 303))?;
    let k = ntk_gram(&tr.z)?;
    let eta = 1.0 / eigenvalues_over_n(&k).map_err(e)?[0];
    let config = gd_config(eta, 10_000_000, 303);
    let test = triples(be, mix, m_test, 12, &gd_config(eta, 1, 404))?;
    let kt = ntk_cross(&test.z, &tr.z)?;
    let net = two_layer(be, width, 7)?;
    let (xt_tr, t_tr) = upload_xt(be, &tr.x_t, &tr.t)?;
    let (xt_te, t_te) = upload_xt(be, &test.x_t, &test.t)?;
    let f0 = host(be, &net.predict(be, &xt_tr, &t_tr).map_err(e)?)?;
    let f0t = host(be, &net.predict(be, &xt_te, &t_te).map_err(e)?)?;
    let mut kr = KernelRegression::fit(&k, &tr.y, Some(&f0), eta).map_err(e)?;
    kr.attach_test(&kt, Some(&f0t), Some(&test.target))
        .map_err(e)?;
    // The rule, computed by the training crate's hook on the run's own triples.
    let literal =
        plan_theory_stop(be, &net, &config, &tr.data, &TheoryStopConfig::default()).map_err(e)?;
    let balanced_cfg = TheoryStopConfig {
        rule: StoppingRuleConfig::balanced(1.0),
        norm: NormBound::Estimated,
        ..TheoryStopConfig::default()
    };
    let balanced = plan_theory_stop(be, &net, &config, &tr.data, &balanced_cfg).map_err(e)?;
    let steps = log_steps(1_000_000, 240);
    let kcurve: Vec<(u64, f64, f64)> = kr
        .curve(&steps)
        .map_err(e)?
        .iter()
        .map(|c| (c.step, c.test_mse.unwrap_or(f64::NAN), c.train_mse))
        .collect();
    let (oracle_k, oracle_risk) = kcurve
        .iter()
        .map(|c| (c.0, c.1))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or("empty curve")?;
    let risk_at = |k: Option<u64>| -> Result<f64, String> {
        let f = SpectralFilter::GdSteps(k.unwrap_or(1_000_000));
        Ok(kr.test_mse(f).map_err(e)?.unwrap_or(f64::NAN))
    };
    // The network: plain full-batch GD (the trainer's update), test risk at log steps.
    let ncurve = network_curve(be, net, &tr, &test, eta, net_steps)?;
    let (oracle_n, oracle_n_risk) = ncurve
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .ok_or("empty network curve")?;
    // And the trainer itself, stopped by EarlyStop::Theory at the balanced rule's step.
    let stopped = match balanced.decision.step {
        Some(kb) if kb <= net_steps => {
            let mut trainer =
                Trainer::new(*be, two_layer(be, width, 7)?, config.clone()).map_err(e)?;
            let run = fit_with_theory_stop(&mut trainer, &tr.data, None, &balanced_cfg, &mut go)
                .map_err(e)?;
            let net = trainer.into_model();
            let f = host(be, &net.predict(be, &xt_te, &t_te).map_err(e)?)?;
            Some((run.report.steps, mse(&f, &test.target)))
        }
        _ => None,
    };
    let res = CurveResult {
        n,
        width,
        eta,
        sigma_hat: literal.sigma.sigma,
        b_hat: balanced.rkhs_norm,
        rule_literal: literal.decision.step,
        rule_balanced: balanced.decision.step,
        oracle_kernel: oracle_k,
        oracle_kernel_risk: oracle_risk,
        oracle_network: oracle_n,
        oracle_network_risk: oracle_n_risk,
        risk_at_rule_literal: risk_at(literal.decision.step)?,
        risk_at_rule_balanced: risk_at(balanced.decision.step)?,
        network_stopped_by_trainer: stopped,
        kernel_curve: kcurve.clone(),
        network_curve: ncurve.clone(),
    };
    let mut markers = vec![Marker {
        name: format!("oracle step (kernel), {oracle_k}"),
        x: oracle_k as f64,
        color: Rgb::GREY,
    }];
    if let Some(k) = res.rule_literal {
        markers.push(Marker {
            name: format!("rule, paper-literal constants, {k}"),
            x: k as f64,
            color: Rgb::RED,
        });
    }
    if let Some(k) = res.rule_balanced {
        markers.push(Marker {
            name: format!("rule, balanced constants, {k}"),
            x: k as f64,
            color: Rgb::GREEN,
        });
    }
    let figure = LineFigure {
        title: "(b) Test error along gradient-descent steps, noisy labels".into(),
        x: Axis::log("gradient-descent step"),
        y: Axis::log("mean squared error"),
        series: vec![
            Series {
                name: "kernel regression: test excess risk".into(),
                points: kcurve.iter().map(|c| (c.0 as f64, c.1)).collect(),
                color: Rgb::BLUE,
                style: Style::Line,
            },
            Series {
                name: "kernel regression: training MSE (noisy labels)".into(),
                points: kcurve.iter().map(|c| (c.0 as f64, c.2)).collect(),
                color: Rgb::PURPLE,
                style: Style::Dashed,
            },
            Series {
                name: format!("network (width {width}): test excess risk"),
                points: ncurve.iter().map(|c| (c.0 as f64, c.1)).collect(),
                color: Rgb::ORANGE,
                style: Style::Dots,
            },
        ],
        markers,
        legend: LegendAt::Right,
        size: (720, 480),
    };
    plot::write_svg(&args.out.join("b_gd_curve.svg"), figure.to_svg())?;
    write_json(&args.out.join("b_gd_curve.json"), &res)?;
    write_json(&args.out.join("b_rule_literal.json"), &literal)?;
    write_json(&args.out.join("b_rule_balanced.json"), &balanced)?;
    Ok(curve_markdown(&res))
}

/// Test excess risk of the network along plain full-batch GD (`W <- W - eta grad L`, the
/// trainer's update), at about 40 log-spaced steps up to `max_steps`.
fn network_curve(
    be: &FaerBackend,
    mut net: TwoLayerNet<FaerBackend>,
    tr: &Triples,
    test: &Triples,
    eta: f64,
    max_steps: u64,
) -> Result<Vec<(u64, f64)>, String> {
    let (xt, t) = upload_xt(be, &tr.x_t, &tr.t)?;
    let (xte, tte) = upload_xt(be, &test.x_t, &test.t)?;
    let x0 = be.from_host(tr.n(), D, tr.data.data()).map_err(e)?;
    let marks = log_steps(max_steps, 40);
    let mut out = Vec::new();
    let mut step = 0u64;
    for &mark in &marks {
        while step < mark {
            let fwd = net.forward(be, &xt, &t).map_err(e)?;
            let diff = be.sub(&fwd.output, &x0).map_err(e)?;
            let g = be.scale(&diff, 1.0 / tr.n() as f32).map_err(e)?;
            let grads = net.backward(be, &fwd, &g).map_err(e)?;
            for (p, gr) in net.params_mut().iter_mut().zip(&grads) {
                if p.trainable {
                    be.axpby(-(eta as f32), gr, 1.0, &mut p.value).map_err(e)?;
                }
            }
            step += 1;
        }
        let f = host(be, &net.predict(be, &xte, &tte).map_err(e)?)?;
        out.push((step, mse(&f, &test.target)));
    }
    Ok(out)
}

fn curve_markdown(r: &CurveResult) -> String {
    let mut md = String::from("## (b) Test error along GD steps on noisy labels\n\n");
    let opt = |k: Option<u64>| k.map_or("none".to_string(), |k| k.to_string());
    let _ = writeln!(
        md,
        "N = {} fixed triples (x_t, t) -> x_0 of the mixture, two-layer NTK kernel regression \
         and the width-{} network from the same f_0, full-batch GD with eta = {:.4}; test \
         excess risk = mean squared distance to the exact denoiser E[X_0 | X_t] on fresh \
         triples. sigma_hat (hold-out ridge) = {:.3}, B_hat = {}.\n",
        r.n,
        r.width,
        r.eta,
        r.sigma_hat,
        r.b_hat.map_or("-".into(), |b| format!("{b:.3}"))
    );
    md.push_str("| step | which | kernel test excess risk |\n| ---: | --- | ---: |\n");
    let _ = writeln!(
        md,
        "| {} | oracle (kernel) | {:.5} |",
        r.oracle_kernel, r.oracle_kernel_risk
    );
    let _ = writeln!(
        md,
        "| {} | rule, paper-literal (c = 2e, B = 1) | {:.5} |",
        opt(r.rule_literal),
        r.risk_at_rule_literal
    );
    let _ = writeln!(
        md,
        "| {} | rule, balanced (c = sqrt(2e), B = B_hat) | {:.5} |",
        opt(r.rule_balanced),
        r.risk_at_rule_balanced
    );
    let _ = writeln!(
        md,
        "\nNetwork: best test excess risk {:.5} at step {} (of the steps evaluated).",
        r.oracle_network_risk, r.oracle_network
    );
    if let Some((k, risk)) = r.network_stopped_by_trainer {
        let _ = writeln!(
            md,
            "Trainer with `EarlyStop::Theory` (balanced rule) stopped at step {k}; network \
             test excess risk there {risk:.5}."
        );
    }
    md.push_str(
        "\n![GD curve](b_gd_curve.svg)\n\nx: GD step (log), y: test excess risk (log); blue: \
         kernel regression, purple dashed: kernel training MSE (against the noisy labels), \
         orange dots: the network; vertical lines: grey = oracle step, red = paper-literal \
         rule, green = balanced rule.\n",
    );
    md
}
