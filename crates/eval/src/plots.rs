//! The report's figures (SVG, [`crate::figure`]): each with its title, labelled axes, tick
//! values and legend, so that a figure copied out of the report reads on its own. Colours:
//! real data blue, synthetic data orange.

use scorediff_tabular::Table;

use crate::coding::{CodedColumn, Plan, category_label};
use crate::error::Result;
use crate::figure::{
    Axis, BarFigure, BarGroup, BarSlots, ColorScale, Heatmap, LegendAt, LineFigure, Rgb, Series,
    Style,
};
use crate::report::Report;
use crate::trend::pearson;

/// One figure of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// Its title (also drawn in the figure).
    pub title: String,
    /// A caption under it: what is drawn, in words.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
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

const MARGINAL_SIZE: (u32, u32) = (460, 330);

/// Real and synthetic frequencies over `slots`, as bars.
fn bars(
    title: &str,
    slots: BarSlots,
    x_label: &str,
    real: Vec<f64>,
    syn: Vec<f64>,
) -> Result<String> {
    BarFigure {
        title: title.to_string(),
        slots,
        x_label: x_label.to_string(),
        y_label: "share of rows".into(),
        groups: vec![
            BarGroup {
                name: "real".into(),
                color: Rgb::BLUE,
                values: real,
            },
            BarGroup {
                name: "synthetic".into(),
                color: Rgb::ORANGE,
                values: syn,
            },
        ],
        size: MARGINAL_SIZE,
    }
    .to_svg()
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

/// A nice upper end for a sequential colour scale of values up to `max`.
fn nice_max(max: f64) -> f64 {
    [0.05, 0.1, 0.2, 0.25, 0.5, 1.0]
        .into_iter()
        .find(|&m| max <= m)
        .unwrap_or(max.max(1.0))
}

fn heatmap(
    title: &str,
    names: &[&str],
    cells: Vec<Vec<Option<f64>>>,
    scale: ColorScale,
    value: &str,
) -> Result<String> {
    Heatmap {
        title: title.to_string(),
        names: names.iter().map(|n| n.to_string()).collect(),
        cells,
        scale,
        value_label: value.to_string(),
    }
    .to_svg()
}

/// Draws the report's plots from the two tables and the report's curves.
pub fn make_plots(real: &Table, syn: &Table, report: &Report) -> Result<Plots> {
    let plan = Plan::build(real, &[("synthetic", syn)], &[])?;
    let (cr, cs) = (plan.code(real, "real")?, plan.code(syn, "synthetic")?);
    let mut plots = Plots::default();
    for (cp, (a, b)) in plan.columns.iter().zip(cr.columns.iter().zip(&cs.columns)) {
        let (svg, caption) = match (a, b) {
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
                let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
                let caption = format!(
                    "Share of rows in each of 30 equal-width bins over [{lo}, {hi}] (the range of both tables); missing values left out."
                );
                let svg = bars(
                    &cp.name,
                    BarSlots::Bins { lo, hi },
                    &format!("{} (value)", cp.name),
                    histogram(x, lo, hi, 30),
                    histogram(y, lo, hi, 30),
                )?;
                (svg, caption)
            }
            (CodedColumn::Cat(x), CodedColumn::Cat(y)) => {
                let k = cp.n_categories();
                let names: Vec<String> = match &cp.kind {
                    crate::coding::ColumnKind::Categorical { categories } => {
                        categories.iter().map(category_label).collect()
                    }
                    _ => Vec::new(),
                };
                let caption = format!(
                    "Share of rows in each category, left to right: {}.",
                    names.join(", ")
                );
                let svg = bars(
                    &cp.name,
                    BarSlots::Categories(names),
                    &format!("{} (category)", cp.name),
                    crate::shape::frequencies(x, k),
                    crate::shape::frequencies(y, k),
                )?;
                (svg, caption)
            }
            _ => continue,
        };
        plots.marginals.push(Plot {
            title: cp.name.clone(),
            caption,
            svg,
        });
    }
    correlation_plots(&plan, &cr, &cs, &mut plots)?;
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
        let title = "Trend error per column pair";
        plots.correlations.push(Plot {
            title: title.into(),
            caption: "1 - the pair's Trend score (correlation or contingency similarity): 0 where the synthetic pair matches the real one; grey where the score is undefined.".into(),
            svg: heatmap(title, &all, m, ColorScale::Sequential { max: 1.0 }, "1 - pair score")?,
        });
    }
    if let Some(ab) = &report.alpha_beta {
        let curve = |name: &str, ys: &[f64], color| Series {
            name: name.into(),
            points: ab.alphas.iter().copied().zip(ys.iter().copied()).collect(),
            color,
            style: Style::Line,
        };
        let title = "alpha-precision and beta-coverage curves";
        let svg = LineFigure {
            title: title.into(),
            x: Axis::linear("alpha (beta for the coverage curve)").with_range(0.0, 1.0),
            y: Axis::linear("share of rows").with_range(0.0, 1.0),
            series: vec![
                curve("alpha-precision", &ab.alpha_precision_curve, Rgb::BLUE),
                curve("beta-coverage", &ab.beta_coverage_curve, Rgb::ORANGE),
                Series {
                    name: "ideal (diagonal)".into(),
                    points: vec![(0.0, 0.0), (1.0, 1.0)],
                    color: Rgb::GREY,
                    style: Style::Dashed,
                },
            ],
            markers: Vec::new(),
            legend: LegendAt::UpperLeft,
            size: (460, 400),
        }
        .to_svg()?;
        plots.curves.push(Plot {
            title: title.into(),
            caption: "Share of synthetic rows inside the real data's alpha-support (alpha-precision) and of real rows inside the synthetic data's beta-support (beta-coverage), against the support's mass; a perfect generator follows the diagonal.".into(),
            svg,
        });
    }
    Ok(plots)
}

/// The Pearson matrices of the numerical columns, real and synthetic, and their difference.
fn correlation_plots(
    plan: &Plan,
    cr: &crate::coding::Coded,
    cs: &crate::coding::Coded,
    plots: &mut Plots,
) -> Result<()> {
    let nums: Vec<usize> = (0..plan.columns.len())
        .filter(|&i| plan.columns[i].is_numerical())
        .collect();
    if nums.is_empty() {
        return Ok(());
    }
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
    let (mr, ms) = (corr(cr), corr(cs));
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
    let largest = diff.iter().flatten().flatten().copied().fold(0.0, f64::max);
    let r = ColorScale::Diverging { limit: 1.0 };
    let caption = "Pearson correlation of each pair of numerical columns; grey where it is undefined (a constant column).";
    for (title, m) in [
        ("Pearson correlation, real", mr),
        ("Pearson correlation, synthetic", ms),
    ] {
        plots.correlations.push(Plot {
            title: title.into(),
            caption: caption.into(),
            svg: heatmap(title, &names, m, r, "Pearson r")?,
        });
    }
    let title = "|Pearson real - Pearson synthetic|";
    plots.correlations.push(Plot {
        title: title.into(),
        caption: format!("Absolute difference of the two matrices above (largest {largest:.3}; the colour bar ends at the next round value)."),
        svg: heatmap(title, &names, diff, ColorScale::Sequential { max: nice_max(largest) }, "absolute difference")?,
    });
    Ok(())
}
