//! PNG plots for the HTML report, drawn with plotters' bitmap backend.
//!
//! The plots carry no text (plotters would need system fonts for it); titles, legends and
//! axis labels are written by the HTML page around each image. Colours: real data blue,
//! synthetic data orange.

use plotters::prelude::*;

use scorediff_tabular::Table;

use crate::coding::{CodedColumn, Plan, category_label};
use crate::error::{EvalError, Result};
use crate::report::Report;
use crate::trend::pearson;

/// One encoded plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// Short title shown above the image.
    pub title: String,
    /// Caption under the image (axes, legend).
    pub caption: String,
    /// PNG bytes.
    pub png: Vec<u8>,
}

/// All plots of a report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plots {
    /// One marginal overlay per column.
    pub marginals: Vec<Plot>,
    /// Correlation heatmaps: real, synthetic, their absolute difference, pair-trend errors.
    pub correlations: Vec<Plot>,
    /// The alpha-precision and beta-coverage curves.
    pub curves: Vec<Plot>,
}

const REAL: RGBColor = RGBColor(31, 119, 180);
const SYN: RGBColor = RGBColor(255, 127, 14);
const W: u32 = 360;
const H: u32 = 220;

/// Draws into an RGB buffer of `w x h` with `draw` and encodes it as PNG.
fn render(
    name: &str,
    w: u32,
    h: u32,
    draw: impl FnOnce(
        &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    ) -> std::result::Result<(), String>,
) -> Result<Vec<u8>> {
    let err = |reason: String| EvalError::Plot {
        plot: name.to_string(),
        reason,
    };
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        draw(&root).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(|e| err(e.to_string()))?;
        wr.write_image_data(&buf).map_err(|e| err(e.to_string()))?;
        wr.finish().map_err(|e| err(e.to_string()))?;
    }
    Ok(png_bytes)
}

/// Side-by-side bars of two frequency vectors (real left, synthetic right in each slot).
fn bars(name: &str, real: &[f64], syn: &[f64]) -> Result<Vec<u8>> {
    let k = real.len().max(1);
    let top = real
        .iter()
        .chain(syn)
        .copied()
        .fold(0.0f64, f64::max)
        .max(1e-12);
    render(name, W, H, |root| {
        let (pad, base) = (10i32, H as i32 - 10);
        let slot = (W as i32 - 2 * pad) as f64 / k as f64;
        for (i, (r, s)) in real.iter().zip(syn).enumerate() {
            let x0 = pad + (i as f64 * slot) as i32;
            let xm = pad + ((i as f64 + 0.5) * slot) as i32;
            let x1 = pad + ((i as f64 + 1.0) * slot) as i32;
            let hgt = |v: f64| base - ((base - pad) as f64 * v / top) as i32;
            root.draw(&Rectangle::new([(x0, hgt(*r)), (xm, base)], REAL.filled()))
                .map_err(|e| e.to_string())?;
            root.draw(&Rectangle::new(
                [(xm, hgt(*s)), (x1.max(xm + 1), base)],
                SYN.filled(),
            ))
            .map_err(|e| e.to_string())?;
        }
        root.draw(&PathElement::new(
            vec![(pad, base), (W as i32 - pad, base)],
            BLACK,
        ))
        .map_err(|e| e.to_string())
    })
}

/// Histogram frequencies of `v` (missing dropped) over `bins` bins of `[lo, hi]`.
fn histogram(v: &[Option<f64>], lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let mut f = vec![0.0; bins];
    let vals: Vec<f64> = v
        .iter()
        .flatten()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    for x in &vals {
        let k = if hi > lo {
            (((x - lo) / (hi - lo)) * bins as f64) as usize
        } else {
            0
        };
        f[k.min(bins - 1)] += 1.0;
    }
    let n = vals.len().max(1) as f64;
    f.iter_mut().for_each(|x| *x /= n);
    f
}

/// A colour for `v` in `[-1, 1]`: blue (negative) through white to red (positive).
fn diverging(v: f64) -> RGBColor {
    let t = v.clamp(-1.0, 1.0);
    let mix = |a: u8, b: u8, s: f64| (a as f64 + (b as f64 - a as f64) * s) as u8;
    if t >= 0.0 {
        RGBColor(255, mix(255, 30, t), mix(255, 30, t))
    } else {
        RGBColor(mix(255, 30, -t), mix(255, 30, -t), 255)
    }
}

/// A heatmap of a square matrix (`None` cells grey).
fn heatmap(name: &str, m: &[Vec<Option<f64>>]) -> Result<Vec<u8>> {
    let d = m.len().max(1) as i32;
    let cell = (300 / d).max(4);
    let size = (cell * d) as u32;
    render(name, size, size, |root| {
        for (i, row) in m.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                let c = v.map_or(RGBColor(200, 200, 200), diverging);
                let (x, y) = (j as i32 * cell, i as i32 * cell);
                root.draw(&Rectangle::new([(x, y), (x + cell, y + cell)], c.filled()))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

/// Line plot of curves on `[0, 1]^2` with the diagonal (grey).
fn curves(name: &str, xs: &[f64], ys: &[(&[f64], RGBColor)]) -> Result<Vec<u8>> {
    let s = 240i32;
    let pad = 10;
    render(name, (s + 2 * pad) as u32, (s + 2 * pad) as u32, |root| {
        let pt = |x: f64, y: f64| (pad + (x * s as f64) as i32, pad + s - (y * s as f64) as i32);
        root.draw(&Rectangle::new(
            [(pad, pad), (pad + s, pad + s)],
            BLACK.stroke_width(1),
        ))
        .map_err(|e| e.to_string())?;
        root.draw(&PathElement::new(
            vec![pt(0.0, 0.0), pt(1.0, 1.0)],
            RGBColor(160, 160, 160),
        ))
        .map_err(|e| e.to_string())?;
        for (y, c) in ys {
            let path: Vec<(i32, i32)> = xs.iter().zip(y.iter()).map(|(&a, &b)| pt(a, b)).collect();
            root.draw(&PathElement::new(path, c.stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}

/// Draws the report's plots from the two tables and the report's curves.
pub fn make_plots(real: &Table, syn: &Table, report: &Report) -> Result<Plots> {
    let plan = Plan::build(real, &[("synthetic", syn)], &[])?;
    let (cr, cs) = (plan.code(real, "real")?, plan.code(syn, "synthetic")?);
    let mut plots = Plots::default();
    for (cp, (a, b)) in plan.columns.iter().zip(cr.columns.iter().zip(&cs.columns)) {
        let (png, caption) = match (a, b) {
            (CodedColumn::Num(x), CodedColumn::Num(y)) => {
                let all = x
                    .iter()
                    .chain(y)
                    .flatten()
                    .copied()
                    .filter(|v| v.is_finite());
                let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                    (l.min(v), h.max(v))
                });
                let caption = format!("30 equal-width bins over [{lo}, {hi}]");
                (
                    bars(
                        &cp.name,
                        &histogram(x, lo, hi, 30),
                        &histogram(y, lo, hi, 30),
                    )?,
                    caption,
                )
            }
            (CodedColumn::Cat(x), CodedColumn::Cat(y)) => {
                let k = cp.n_categories();
                let cats = match &cp.kind {
                    crate::coding::ColumnKind::Categorical { categories } => categories
                        .iter()
                        .map(category_label)
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => String::new(),
                };
                let caption = format!("categories, left to right: {cats}");
                (
                    bars(
                        &cp.name,
                        &crate::shape::frequencies(x, k),
                        &crate::shape::frequencies(y, k),
                    )?,
                    caption,
                )
            }
            _ => continue,
        };
        plots.marginals.push(Plot {
            title: cp.name.clone(),
            caption,
            png,
        });
    }
    // Pearson matrices of the numerical columns.
    let nums: Vec<usize> = (0..plan.columns.len())
        .filter(|&i| plan.columns[i].is_numerical())
        .collect();
    let names: Vec<&str> = nums
        .iter()
        .map(|&i| plan.columns[i].name.as_str())
        .collect();
    let corr = |c: &crate::coding::Coded| -> Vec<Vec<Option<f64>>> {
        nums.iter()
            .map(|&i| {
                nums.iter()
                    .map(|&j| match (&c.columns[i], &c.columns[j]) {
                        (CodedColumn::Num(x), CodedColumn::Num(y)) => pearson(x, y),
                        _ => None,
                    })
                    .collect()
            })
            .collect()
    };
    let (mr, ms) = (corr(&cr), corr(&cs));
    let diff: Vec<Vec<Option<f64>>> = mr
        .iter()
        .zip(&ms)
        .map(|(a, b)| {
            a.iter()
                .zip(b)
                .map(|(x, y)| Some((x.as_ref()? - y.as_ref()?).abs()))
                .collect()
        })
        .collect();
    let order = format!(
        "rows and columns: {}; colour from blue (-1) through white (0) to red (+1)",
        names.join(", ")
    );
    plots.correlations.push(Plot {
        title: "Pearson correlation, real".into(),
        caption: order.clone(),
        png: heatmap("corr_real", &mr)?,
    });
    plots.correlations.push(Plot {
        title: "Pearson correlation, synthetic".into(),
        caption: order.clone(),
        png: heatmap("corr_syn", &ms)?,
    });
    plots.correlations.push(Plot {
        title: "|difference|".into(),
        caption: order,
        png: heatmap("corr_diff", &diff)?,
    });
    if let Some(t) = &report.trend {
        let d = plan.columns.len();
        let mut m = vec![vec![Some(0.0); d]; d];
        let pos = |n: &str| plan.columns.iter().position(|c| c.name == n);
        for p in &t.pairs {
            if let (Some(i), Some(j)) = (pos(&p.a), pos(&p.b)) {
                let e = p.score.map(|s| 1.0 - s);
                m[i][j] = e;
                m[j][i] = e;
            }
        }
        let all: Vec<&str> = plan.columns.iter().map(|c| c.name.as_str()).collect();
        let caption = format!(
            "1 - pair score, white (0) to red (1); rows and columns: {}",
            all.join(", ")
        );
        plots.correlations.push(Plot {
            title: "Trend error per column pair".into(),
            caption,
            png: heatmap("trend_pairs", &m)?,
        });
    }
    if let Some(ab) = &report.alpha_beta {
        let png = curves(
            "alpha_beta",
            &ab.alphas,
            &[
                (&ab.alpha_precision_curve, REAL),
                (&ab.beta_coverage_curve, SYN),
            ],
        )?;
        let caption = "x: alpha (beta), y: share; blue: alpha-precision curve, orange: beta-coverage curve, grey: ideal diagonal".into();
        plots.curves.push(Plot {
            title: "alpha-precision and beta-coverage curves".into(),
            caption,
            png,
        });
    }
    Ok(plots)
}
