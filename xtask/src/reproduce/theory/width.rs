//! (a) The network against kernel regression with its NTK, against width.

use super::*;

#[derive(Serialize)]
struct WidthResult {
    n: usize,
    test_points: usize,
    steps: u64,
    eta: f64,
    widths: Vec<usize>,
    seeds: Vec<u64>,
    /// RMS gap per width, averaged over seeds.
    gap: Vec<f64>,
    /// Per width, the gap of every seed.
    gap_per_seed: Vec<Vec<f64>>,
    slope: f64,
}

/// (a) The GD-trained two-layer network against kernel regression with its NTK, same
/// start `f_0`, same step, same triples: RMS gap of test predictions against width `m`.
pub(super) fn width_gap(
    be: &FaerBackend,
    mix: &GaussianMixture,
    args: &TheoryArgs,
) -> Result<String, String> {
    let (n, m_test, steps) = (64usize, 256usize, 300u64);
    let widths: Vec<usize> = if args.full {
        vec![256, 1024, 4096, 16384, 65536]
    } else {
        vec![256, 1024, 4096, 16384]
    };
    let seeds: Vec<u64> = if args.full {
        (1..=8).collect()
    } else {
        vec![1, 2, 3, 4]
    };
    let probe = gd_config(1.0, steps, 101);
    let tr = triples(be, mix, n, 1, &probe)?;
    let k = ntk_gram(&tr.z)?;
    let eta = 1.0 / eigenvalues_over_n(&k).map_err(e)?[0];
    let config = gd_config(eta, steps, 101);
    let test = triples(be, mix, m_test, 2, &gd_config(eta, 1, 202))?;
    let kt = ntk_cross(&test.z, &tr.z)?;
    let (xt_test, t_test) = upload_xt(be, &test.x_t, &test.t)?;
    let (xt_tr, t_tr) = upload_xt(be, &tr.x_t, &tr.t)?;
    let mut gap = Vec::new();
    let mut per_seed = Vec::new();
    for &m in &widths {
        let mut row = Vec::new();
        for &seed in &seeds {
            let net = two_layer(be, m, 1000 * seed + m as u64)?;
            let f0 = host(be, &net.predict(be, &xt_tr, &t_tr).map_err(e)?)?;
            let f0t = host(be, &net.predict(be, &xt_test, &t_test).map_err(e)?)?;
            let mut kr = KernelRegression::fit(&k, &tr.y, Some(&f0), eta).map_err(e)?;
            kr.attach_test(&kt, Some(&f0t), None).map_err(e)?;
            let mut trainer = Trainer::new(*be, net, config.clone()).map_err(e)?;
            trainer.fit(&tr.data, None, &mut go).map_err(e)?;
            let net = trainer.into_model();
            let ft = host(be, &net.predict(be, &xt_test, &t_test).map_err(e)?)?;
            let kp = kr.predict_at_step(steps).map_err(e)?;
            let kp = kp.test.ok_or("no test predictions")?;
            row.push(mse(&ft, &kp).sqrt());
        }
        gap.push(mean(&row));
        per_seed.push(row);
    }
    let pts: Vec<(f64, f64)> = widths
        .iter()
        .map(|&m| m as f64)
        .zip(gap.iter().copied())
        .collect();
    let (slope, icpt) = log_log_slope(&pts);
    let fit: Vec<(f64, f64)> = pts
        .iter()
        .map(|p| (p.0, (icpt + slope * p.0.ln()).exp()))
        .collect();
    let half: Vec<(f64, f64)> = pts
        .iter()
        .map(|p| (p.0, gap[0] * (p.0 / pts[0].0).powf(-0.5)))
        .collect();
    let figure = LineFigure {
        title: "(a) Network against kernel regression, by width".into(),
        x: Axis::log("width m (hidden units)"),
        y: Axis::log("RMS gap of the test predictions"),
        series: vec![
            Series {
                name: "measured (mean over seeds)".into(),
                points: pts.clone(),
                color: Rgb::BLUE,
                style: Style::LineDots,
            },
            Series {
                name: format!("fitted power law, slope {slope:.3}"),
                points: fit,
                color: Rgb::ORANGE,
                style: Style::Line,
            },
            Series {
                name: "slope -1/2 (theory)".into(),
                points: half,
                color: Rgb::GREY,
                style: Style::Dashed,
            },
        ],
        markers: Vec::new(),
        legend: LegendAt::Right,
        size: (640, 440),
    };
    plot::write_svg(&args.out.join("a_width_gap.svg"), figure.to_svg())?;
    let res = WidthResult {
        n,
        test_points: m_test,
        steps,
        eta,
        widths: widths.clone(),
        seeds,
        gap: gap.clone(),
        gap_per_seed: per_seed,
        slope,
    };
    write_json(&args.out.join("a_width_gap.json"), &res)?;
    let mut md = String::from("## (a) GD-trained network vs kernel regression, against width\n\n");
    let _ = writeln!(
        md,
        "N = {n} triples of the mixture regression, {steps} full-batch GD steps with \
         eta = 1 / lambda_hat_max = {eta:.4}, RMS gap of the test predictions ({m_test} fresh \
         triples) between the network and NTK kernel regression from the same f_0.\n"
    );
    md.push_str("| width m | RMS gap (mean over seeds) |\n| ---: | ---: |\n");
    for (m, g) in widths.iter().zip(&gap) {
        let _ = writeln!(md, "| {m} | {g:.5} |");
    }
    let _ = writeln!(
        md,
        "\nFitted log-log slope: **{slope:.3}** (theory: -0.5, the m^(-1/2) rate).\n\n\
         ![width gap](a_width_gap.svg)\n\nx: width m (log), y: RMS gap (log); blue: measured, \
         orange: fitted line, grey dashed: slope -1/2 through the first point."
    );
    Ok(md)
}
