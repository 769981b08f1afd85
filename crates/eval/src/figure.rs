//! Figures as SVG with their furniture: a title, labelled axes with tick values, a legend
//! for every series and marker, a colour bar with values for heatmaps.
//!
//! Drawn with plotters' SVG backend: text is written as SVG `<text>` elements that the
//! viewer (a browser, an editor, a paper's toolchain) renders with its own sans-serif font,
//! so no font file is shipped, looked up on the system or downloaded, and the text stays
//! selectable and searchable. The same figure kinds serve the evaluation report and the
//! project's result figures (`cargo xtask reproduce`), so every figure reads the same way:
//!
//! - [`LineFigure`]: curves against a linear or logarithmic axis, vertical markers (a
//!   stopping step, an oracle), the diagonal of a calibration plot;
//! - [`BarFigure`]: two or more frequency vectors side by side, over numeric bins or named
//!   categories (the report's marginals);
//! - [`Heatmap`]: a square matrix with its row and column names and a colour bar;
//! - [`ScatterPanels`]: point clouds side by side on one window (samples of a model).
//!
//! Log axes say so in their label and carry ticks at powers of ten (and at 2 and 5 times
//! them on axes of three decades or less). Tick values are written compactly (`0.25`,
//! `1,000`, `1e-4`). A legend sits inside the plot or, where curves fill every corner, beside
//! it ([`LegendAt::Right`]).

use plotters::chart::{ChartContext, MeshStyle};
use plotters::coord::CoordTranslate;
use plotters::coord::Shift;
use plotters::coord::combinators::{LogCoord, WithKeyPoints};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{EvalError, Result};

/// A colour (red, green, blue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Blue: real data, the first series.
    pub const BLUE: Rgb = Rgb(31, 119, 180);
    /// Orange: synthetic data, the second series.
    pub const ORANGE: Rgb = Rgb(255, 127, 14);
    /// Green.
    pub const GREEN: Rgb = Rgb(44, 160, 44);
    /// Red.
    pub const RED: Rgb = Rgb(214, 39, 40);
    /// Purple.
    pub const PURPLE: Rgb = Rgb(148, 103, 189);
    /// Grey.
    pub const GREY: Rgb = Rgb(127, 127, 127);

    fn color(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A polyline.
    Line,
    /// Filled dots.
    Dots,
    /// A polyline with dots.
    LineDots,
    /// A dashed polyline.
    Dashed,
}

/// One named curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its legend entry.
    pub name: String,
    /// `(x, y)` points; non-finite ones, and non-positive ones on a log axis, are skipped.
    pub points: Vec<(f64, f64)>,
    /// Its colour.
    pub color: Rgb,
    /// How it is drawn.
    pub style: Style,
}

/// A named vertical line across the plot (a chosen step, an optimum).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Its legend entry.
    pub name: String,
    /// Where it stands on the x axis.
    pub x: f64,
    /// Its colour.
    pub color: Rgb,
}

/// An axis: its label (with units) and scale.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Axis {
    /// The label, with units where there are any.
    pub label: String,
    /// Logarithmic (the label then ends with "(log scale)").
    pub log: bool,
    /// A fixed range; the data's, with a margin, when `None`.
    pub range: Option<(f64, f64)>,
}

impl Axis {
    /// A linear axis with automatic range.
    pub fn linear(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            ..Self::default()
        }
    }

    /// A logarithmic axis with automatic range.
    pub fn log(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            log: true,
            range: None,
        }
    }

    /// The same axis on a fixed range.
    pub fn with_range(mut self, lo: f64, hi: f64) -> Self {
        self.range = Some((lo, hi));
        self
    }

    fn described(&self) -> String {
        if self.log && !self.label.contains("log scale") {
            format!("{} (log scale)", self.label)
        } else {
            self.label.clone()
        }
    }
}

/// Where the legend sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegendAt {
    /// Top right inside the plot.
    #[default]
    UpperRight,
    /// Top left inside the plot.
    UpperLeft,
    /// Bottom right inside the plot.
    LowerRight,
    /// Bottom left inside the plot.
    LowerLeft,
    /// Beside the plot, on its right (the canvas widens by the legend's width): for figures
    /// whose curves fill every corner.
    Right,
}

impl LegendAt {
    fn position(self) -> Option<SeriesLabelPosition> {
        match self {
            Self::UpperRight => Some(SeriesLabelPosition::UpperRight),
            Self::UpperLeft => Some(SeriesLabelPosition::UpperLeft),
            Self::LowerRight => Some(SeriesLabelPosition::LowerRight),
            Self::LowerLeft => Some(SeriesLabelPosition::LowerLeft),
            Self::Right => None,
        }
    }
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Glyph {
    Series(Style),
    Marker,
}

/// Curves and markers on two axes.
#[derive(Debug, Clone, PartialEq)]
pub struct LineFigure {
    /// The title above the plot.
    pub title: String,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis.
    pub y: Axis,
    /// The curves, in legend order.
    pub series: Vec<Series>,
    /// Vertical markers, after the curves in the legend.
    pub markers: Vec<Marker>,
    /// Where the legend goes.
    pub legend: LegendAt,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

/// Font sizes given to plotters (it writes them about 0.8 times smaller).
const TITLE_PX: f64 = 21.0;
const LABEL_PX: f64 = 17.0;
const TICK_PX: f64 = 15.0;

/// The plotting failed (a range of no width, a value plotters refuses).
fn fail(name: &str) -> impl Fn(String) -> EvalError + '_ {
    move |reason| EvalError::Plot {
        plot: name.to_string(),
        reason,
    }
}

fn text<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws with `draw` on a white `size` canvas and returns the SVG document.
fn svg(
    name: &str,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> std::result::Result<(), String>,
) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE).map_err(text).map_err(fail(name))?;
        draw(&root).map_err(fail(name))?;
        root.present().map_err(text).map_err(fail(name))?;
    }
    Ok(out)
}

/// A tick value written compactly: up to 4 significant digits, no trailing zeros, thousands
/// separated by commas from 1,000 to a billion, powers of ten beyond and below 0.001.
pub fn tick_text(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { format!("{v}") };
    }
    let a = v.abs();
    if !(1e-3..1e9).contains(&a) {
        let e = a.log10().floor();
        let m = v / 10f64.powf(e);
        let m = trim(&format!("{m:.3}"));
        return if m == "1" {
            format!("1e{e}")
        } else {
            format!("{m}e{e}")
        };
    }
    let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
    let s = trim(&format!("{v:.decimals$}"));
    if a >= 1e3 { thousands(&s) } else { s }
}

fn trim(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

fn thousands(s: &str) -> String {
    let (sign, digits) = s.strip_prefix('-').map_or(("", s), |d| ("-", d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    format!("{sign}{out}")
}

fn tick_of(v: &f64) -> String {
    tick_text(*v)
}

/// The furniture every chart's axes share: their labels, tick values written by
/// [`tick_text`], `labels` ticks on each axis at most, and the fonts.
fn furnish<X, Y, DB>(
    mesh: &mut MeshStyle<'_, '_, X, Y, DB>,
    x_desc: &str,
    y_desc: &str,
    labels: usize,
) where
    X: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
    DB: DrawingBackend,
{
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(("sans-serif", TICK_PX))
        .axis_desc_style(("sans-serif", LABEL_PX))
        .x_label_formatter(&tick_of)
        .y_label_formatter(&tick_of)
        .x_labels(labels)
        .y_labels(labels);
}

/// The data range of `values` on an axis, widened by a margin (and to a positive range on a
/// log axis); the axis's own range when it has one.
fn axis_range(axis: &Axis, values: impl Iterator<Item = f64>) -> (f64, f64) {
    if let Some(r) = axis.range {
        return r;
    }
    let (lo, hi) = values
        .filter(|v| v.is_finite() && (!axis.log || *v > 0.0))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if !lo.is_finite() {
        return if axis.log { (1.0, 10.0) } else { (0.0, 1.0) };
    }
    if axis.log {
        let (l, h) = (lo.log10(), hi.log10());
        let m = 0.04 * (h - l).max(0.3);
        (10f64.powf(l - m), 10f64.powf(h + m))
    } else {
        let m = 0.04 * (hi - lo).max(lo.abs().max(1e-9) * 0.1);
        (lo - m, hi + m)
    }
}

/// A log axis over `[lo, hi]` ticked at powers of ten, and at 2 and 5 times them where the
/// axis spans under three decades (so that a short axis has more than one or two labels);
/// light grid lines at every integer multiple.
fn log_axis(lo: f64, hi: f64) -> WithKeyPoints<LogCoord<f64>> {
    let (e0, e1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let at = |multiples: &[f64]| -> Vec<f64> {
        (e0..=e1)
            .flat_map(|e| multiples.iter().map(move |m| m * 10f64.powi(e)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let bold = if e1 - e0 <= 3 {
        at(&[1.0, 2.0, 5.0])
    } else {
        at(&[1.0])
    };
    let light = at(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    (lo..hi)
        .log_scale()
        .with_key_points(bold)
        .with_light_points(light)
}

fn plottable(axis: &Axis, v: f64) -> bool {
    v.is_finite() && (!axis.log || v > 0.0)
}

impl LineFigure {
    /// The figure as an SVG document.
    pub fn to_svg(&self) -> Result<String> {
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .chain(self.markers.iter().map(|m| m.x));
        let (x0, x1) = axis_range(&self.x, xs);
        let ys = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1));
        let (y0, y1) = axis_range(&self.y, ys);
        let entries = self.legend_entries();
        let side = if self.legend == LegendAt::Right {
            let chars = entries
                .iter()
                .map(|e| e.0.chars().count())
                .max()
                .unwrap_or(0);
            (chars as f64 * 0.62 * TICK_PX * 0.8) as u32 + 60
        } else {
            0
        };
        let size = (self.size.0 + side, self.size.1);
        svg(&self.title, size, |root| {
            let (plot, beside) = root.split_horizontally(self.size.0);
            // The four combinations of scales are four coordinate types.
            match (self.x.log, self.y.log) {
                (false, false) => self.draw(&plot, x0..x1, y0..y1),
                (true, false) => self.draw(&plot, log_axis(x0, x1), y0..y1),
                (false, true) => self.draw(&plot, x0..x1, log_axis(y0, y1)),
                (true, true) => self.draw(&plot, log_axis(x0, x1), log_axis(y0, y1)),
            }?;
            if side > 0 {
                draw_legend(&beside, &entries)?;
            }
            Ok(())
        })
    }

    /// The legend's entries: the series, then the markers.
    fn legend_entries(&self) -> Vec<(String, Glyph, RGBColor)> {
        let series =
            (self.series.iter()).map(|s| (s.name.clone(), Glyph::Series(s.style), s.color.color()));
        let markers =
            (self.markers.iter()).map(|m| (m.name.clone(), Glyph::Marker, m.color.color()));
        series.chain(markers).collect()
    }

    fn draw<X, Y>(
        &self,
        root: &DrawingArea<SVGBackend<'_>, Shift>,
        x: X,
        y: Y,
    ) -> std::result::Result<(), String>
    where
        X: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
        Y: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
        X::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
        Y::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", TITLE_PX))
            .margin(14)
            .margin_right(30)
            .x_label_area_size(52)
            .y_label_area_size(74)
            .build_cartesian_2d(x, y)
            .map_err(text)?;
        let (y_lo, y_hi) = {
            let r = chart.y_range();
            (r.start, r.end)
        };
        let mut mesh = chart.configure_mesh();
        furnish(&mut mesh, &self.x.described(), &self.y.described(), 8);
        mesh.light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(210, 210, 210))
            .draw()
            .map_err(text)?;
        for s in &self.series {
            let c = s.color.color();
            let pts: Vec<(f64, f64)> = (s.points.iter().copied())
                .filter(|&(a, b)| plottable(&self.x, a) && plottable(&self.y, b))
                .collect();
            let line = c.stroke_width(2);
            let seg = move |x0: i32, x1: i32| PathElement::new(vec![(x0, 0), (x1, 0)], line);
            match s.style {
                Style::Line | Style::LineDots => {
                    chart
                        .draw_series(LineSeries::new(pts.clone(), line))
                        .map_err(text)?
                        .label(&s.name)
                        .legend(move |p| EmptyElement::at(p) + seg(0, 19));
                }
                Style::Dashed => {
                    chart
                        .draw_series(DashedLineSeries::new(pts.clone(), 8, 5, line))
                        .map_err(text)?
                        .label(&s.name)
                        .legend(move |p| EmptyElement::at(p) + seg(0, 7) + seg(12, 19));
                }
                Style::Dots => {
                    chart
                        .draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))
                        .map_err(text)?
                        .label(&s.name)
                        .legend(move |p| EmptyElement::at(p) + Circle::new((9, 0), 4, c.filled()));
                }
            }
            if s.style == Style::LineDots {
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))
                    .map_err(text)?;
            }
        }
        for m in &self.markers {
            if !plottable(&self.x, m.x) {
                continue;
            }
            let c = m.color.color();
            chart
                .draw_series(DashedLineSeries::new(
                    [(m.x, y_lo), (m.x, y_hi)],
                    6,
                    4,
                    c.stroke_width(2),
                ))
                .map_err(text)?
                .label(&m.name)
                .legend(move |(a, b)| {
                    PathElement::new(vec![(a + 9, b - 7), (a + 9, b + 7)], c.stroke_width(2))
                });
        }
        if let Some(position) = self.legend.position()
            && !(self.series.is_empty() && self.markers.is_empty())
        {
            inner_legend(&mut chart, position)?;
        }
        Ok(())
    }
}

/// The legend inside the plot at `position`: a white, lightly framed box.
fn inner_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> std::result::Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font(("sans-serif", TICK_PX))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(160, 160, 160))
        .draw()
        .map_err(text)
}

/// A legend drawn in its own area: one row per entry, its glyph then its name.
fn draw_legend(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    entries: &[(String, Glyph, RGBColor)],
) -> std::result::Result<(), String> {
    let style = TextStyle::from(("sans-serif", TICK_PX).into_font())
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (k, (name, glyph, c)) in entries.iter().enumerate() {
        let y = 60 + 26 * k as i32;
        let line = |x0: i32, x1: i32| PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(2));
        match glyph {
            Glyph::Series(Style::Line) => area.draw(&line(8, 30)),
            Glyph::Series(Style::LineDots) => area
                .draw(&line(8, 30))
                .and_then(|_| area.draw(&Circle::new((19, y), 3, c.filled()))),
            Glyph::Series(Style::Dashed) => area
                .draw(&line(8, 16))
                .and_then(|_| area.draw(&line(22, 30))),
            Glyph::Series(Style::Dots) => area.draw(&Circle::new((19, y), 4, c.filled())),
            Glyph::Marker => area.draw(&PathElement::new(
                vec![(19, y - 8), (19, y + 8)],
                c.stroke_width(2),
            )),
        }
        .map_err(text)?;
        area.draw(&Text::new(name.clone(), (38, y), style.clone()))
            .map_err(text)?;
    }
    Ok(())
}

/// The slots of a bar figure: numeric bins or named categories.
#[derive(Debug, Clone, PartialEq)]
pub enum BarSlots {
    /// Equal-width bins over `[lo, hi]` (as many as the groups' values).
    Bins {
        /// The left edge of the first bin.
        lo: f64,
        /// The right edge of the last bin.
        hi: f64,
    },
    /// One slot per category, in this order.
    Categories(Vec<String>),
}

/// One named vector of bar heights.
#[derive(Debug, Clone, PartialEq)]
pub struct BarGroup {
    /// Its legend entry.
    pub name: String,
    /// Its colour.
    pub color: Rgb,
    /// One height per slot.
    pub values: Vec<f64>,
}

/// Bars of two or more groups side by side in each slot.
#[derive(Debug, Clone, PartialEq)]
pub struct BarFigure {
    /// The title above the plot.
    pub title: String,
    /// What the slots are.
    pub slots: BarSlots,
    /// The horizontal axis's label.
    pub x_label: String,
    /// The vertical axis's label.
    pub y_label: String,
    /// The groups, in legend order.
    pub groups: Vec<BarGroup>,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

/// Most category names written under an axis; beyond, every k-th is written.
const MAX_NAMES: usize = 40;
/// Longest name written in full; longer ones are cut with an ellipsis.
const NAME_CHARS: usize = 16;

fn short(name: &str) -> String {
    if name.chars().count() <= NAME_CHARS {
        name.to_string()
    } else {
        let cut: String = name.chars().take(NAME_CHARS - 1).collect();
        format!("{cut}…")
    }
}

/// Pixels a rotated name list needs below an axis (about 0.62 em a character).
fn names_height(names: &[String]) -> u32 {
    let chars = names
        .iter()
        .map(|n| short(n).chars().count())
        .max()
        .unwrap_or(1);
    (chars as f64 * 0.62 * TICK_PX * 0.8) as u32 + 14
}

impl BarFigure {
    /// The figure as an SVG document.
    pub fn to_svg(&self) -> Result<String> {
        let n = self
            .groups
            .iter()
            .map(|g| g.values.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let top = (self.groups.iter().flat_map(|g| g.values.iter().copied()))
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        // Headroom above the tallest bar for the legend in the upper right.
        let top = if top > 0.0 { top * 1.35 } else { 1.0 };
        let (x0, x1, names) = match &self.slots {
            BarSlots::Bins { lo, hi } if hi > lo => (*lo, *hi, None),
            BarSlots::Bins { lo, .. } => (lo - 0.5, lo + 0.5, None),
            BarSlots::Categories(c) => (-0.5, n as f64 - 0.5, Some(c.clone())),
        };
        // Names are turned when written flat they would not fit their slots.
        let slot_px = f64::from(self.size.0.saturating_sub(110)) / n as f64;
        let rotated = names.as_ref().is_some_and(|c| {
            c.iter()
                .any(|s| short(s).chars().count() as f64 * 0.62 * TICK_PX * 0.8 > 0.9 * slot_px)
        });
        let x_area = match &names {
            Some(c) if rotated => names_height(c) + 30,
            _ => 52,
        };
        let slot = (x1 - x0) / n as f64;
        let k = self.groups.len().max(1) as f64;
        svg(&self.title, self.size, |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(&self.title, ("sans-serif", TITLE_PX))
                .margin(14)
                .margin_right(30)
                .x_label_area_size(x_area)
                .y_label_area_size(74)
                .build_cartesian_2d(x0..x1, 0.0..top)
                .map_err(text)?;
            let mut mesh = chart.configure_mesh();
            furnish(&mut mesh, &self.x_label, &self.y_label, 6);
            mesh.disable_x_mesh()
                .light_line_style(RGBColor(240, 240, 240))
                .bold_line_style(RGBColor(220, 220, 220));
            mesh.x_labels(if names.is_some() { 0 } else { 6 })
                .y_labels(6);
            mesh.draw().map_err(text)?;
            for (g, group) in self.groups.iter().enumerate() {
                let c = group.color.color();
                let bars = group.values.iter().enumerate().map(|(i, &v)| {
                    let a = x0 + slot * (i as f64 + 0.05 + 0.9 * g as f64 / k);
                    let b = x0 + slot * (i as f64 + 0.05 + 0.9 * (g as f64 + 1.0) / k);
                    Rectangle::new([(a, 0.0), (b, v.max(0.0))], c.filled())
                });
                chart
                    .draw_series(bars)
                    .map_err(text)?
                    .label(&group.name)
                    .legend(move |(a, b)| {
                        Rectangle::new([(a, b - 6), (a + 16, b + 6)], c.filled())
                    });
            }
            if let Some(names) = &names {
                let every = names.len().div_ceil(MAX_NAMES).max(1);
                for (i, name) in names.iter().enumerate().step_by(every) {
                    let (px, py) = chart.backend_coord(&(i as f64, 0.0));
                    let style = TextStyle::from(("sans-serif", TICK_PX).into_font());
                    let (style, pos) = if rotated {
                        let s = style
                            .transform(FontTransform::Rotate90)
                            .pos(Pos::new(HPos::Left, VPos::Center));
                        (s, (px, py + 6))
                    } else {
                        (style.pos(Pos::new(HPos::Center, VPos::Top)), (px, py + 6))
                    };
                    root.draw(&Text::new(short(name), pos, style))
                        .map_err(text)?;
                }
            }
            inner_legend(&mut chart, SeriesLabelPosition::UpperRight)
        })
    }
}

/// How a heatmap maps values to colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColorScale {
    /// Blue (`-limit`) through white (0) to red (`+limit`): correlations.
    Diverging {
        /// The magnitude at full colour.
        limit: f64,
    },
    /// White (0) to red (`max`): errors, distances.
    Sequential {
        /// The value at full colour.
        max: f64,
    },
}

impl ColorScale {
    fn range(self) -> (f64, f64) {
        match self {
            Self::Diverging { limit } => (-limit, limit),
            Self::Sequential { max } => (0.0, max),
        }
    }

    /// The colour of `v` (values beyond the range take the end colour).
    pub fn color_of(self, v: f64) -> Rgb {
        let mix = |a: u8, b: u8, s: f64| (f64::from(a) + (f64::from(b) - f64::from(a)) * s) as u8;
        let (lo, hi) = self.range();
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        let t = match self {
            Self::Diverging { .. } => 2.0 * t - 1.0,
            Self::Sequential { .. } => t,
        };
        if t >= 0.0 {
            Rgb(255, mix(255, 30, t), mix(255, 30, t))
        } else {
            Rgb(mix(255, 30, -t), mix(255, 30, -t), 255)
        }
    }
}

/// A square matrix of values with its row and column names and a colour bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// The title above the plot.
    pub title: String,
    /// The names of the rows, which are also the columns' (top to bottom, left to right).
    pub names: Vec<String>,
    /// `cells[i][j]`; `None` is drawn grey.
    pub cells: Vec<Vec<Option<f64>>>,
    /// The colour mapping.
    pub scale: ColorScale,
    /// What a value is (the colour bar's label).
    pub value_label: String,
}

impl Heatmap {
    /// The figure as an SVG document; its size follows the number of names.
    pub fn to_svg(&self) -> Result<String> {
        let d = self.names.len().max(1);
        let cell = (520 / d).clamp(10, 40) as u32;
        let names_px = names_height(&self.names);
        let plot = cell * d as u32;
        let (bar_w, pad) = (120u32, 14u32);
        let w = names_px + plot + bar_w + 3 * pad;
        let h = 50 + plot + names_px + 2 * pad;
        svg(&self.title, (w, h), |outer| {
            let root = outer
                .titled(&self.title, ("sans-serif", TITLE_PX))
                .map_err(text)?;
            let (left, right) = root.split_horizontally(w - bar_w);
            let mut chart = ChartBuilder::on(&left)
                .margin(pad)
                .x_label_area_size(names_px)
                .y_label_area_size(names_px)
                .build_cartesian_2d(0.0..d as f64, 0.0..d as f64)
                .map_err(text)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(0)
                .y_labels(0)
                .draw()
                .map_err(text)?;
            let grey = RGBColor(200, 200, 200);
            let rects = self.cells.iter().enumerate().flat_map(|(i, row)| {
                row.iter().enumerate().map(move |(j, v)| {
                    let c = v.map_or(grey, |v| self.scale.color_of(v).color());
                    let y = (d - 1 - i) as f64;
                    Rectangle::new([(j as f64, y), (j as f64 + 1.0, y + 1.0)], c.filled())
                })
            });
            chart.draw_series(rects).map_err(text)?;
            let font = || TextStyle::from(("sans-serif", TICK_PX).into_font());
            for (i, name) in self.names.iter().enumerate() {
                let (px, py) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
                let style = font()
                    .transform(FontTransform::Rotate90)
                    .pos(Pos::new(HPos::Left, VPos::Center));
                // Backend coordinates are the whole canvas's: drawn on the outer area.
                outer
                    .draw(&Text::new(short(name), (px, py + 6), style))
                    .map_err(text)?;
                let (qx, qy) = chart.backend_coord(&(0.0, (d - 1 - i) as f64 + 0.5));
                let style = font().pos(Pos::new(HPos::Right, VPos::Center));
                outer
                    .draw(&Text::new(short(name), (qx - 6, qy), style))
                    .map_err(text)?;
            }
            self.colour_bar(&right, plot, names_px, pad)
        })
    }

    /// The colour bar: the scale's range on a labelled axis beside the matrix.
    fn colour_bar(
        &self,
        area: &DrawingArea<SVGBackend<'_>, Shift>,
        plot: u32,
        names_px: u32,
        pad: u32,
    ) -> std::result::Result<(), String> {
        let (lo, hi) = self.scale.range();
        let (_, h) = area.dim_in_pixel();
        let below = h.saturating_sub(pad + plot);
        let mut bar = ChartBuilder::on(area)
            .margin_top(pad)
            .margin_right(8)
            .x_label_area_size(below.max(names_px))
            .y_label_area_size(0)
            .right_y_label_area_size(70)
            .build_cartesian_2d(0.0..1.0, lo..hi)
            .map_err(text)?
            .set_secondary_coord(0.0..1.0, lo..hi);
        bar.configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .draw()
            .map_err(text)?;
        bar.configure_secondary_axes()
            .y_desc(&self.value_label)
            .label_style(("sans-serif", TICK_PX))
            .axis_desc_style(("sans-serif", LABEL_PX))
            .y_labels(9)
            .y_label_formatter(&|v| tick_text(*v))
            .draw()
            .map_err(text)?;
        let steps = 64;
        let rects = (0..steps).map(|k| {
            let a = lo + (hi - lo) * k as f64 / steps as f64;
            let b = lo + (hi - lo) * (k + 1) as f64 / steps as f64;
            let c = self.scale.color_of(0.5 * (a + b)).color();
            Rectangle::new([(0.0, a), (1.0, b)], c.filled())
        });
        bar.draw_series(rects).map_err(text)?;
        Ok(())
    }
}

/// One panel of a [`ScatterPanels`] figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Its title.
    pub title: String,
    /// Its points.
    pub points: Vec<(f64, f64)>,
    /// Their colour.
    pub color: Rgb,
}

/// Point clouds side by side on one square window.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterPanels {
    /// The title above the panels.
    pub title: String,
    /// The panels, left to right.
    pub panels: Vec<Panel>,
    /// The window, on both axes.
    pub range: (f64, f64),
    /// The horizontal axis's label.
    pub x_label: String,
    /// The vertical axis's label.
    pub y_label: String,
}

impl ScatterPanels {
    /// The figure as an SVG document.
    pub fn to_svg(&self) -> Result<String> {
        let k = self.panels.len().max(1);
        let side = 300u32;
        let size = (side * k as u32, side + 40);
        let (lo, hi) = self.range;
        svg(&self.title, size, |root| {
            let root = root
                .titled(&self.title, ("sans-serif", TITLE_PX))
                .map_err(text)?;
            for (area, panel) in root.split_evenly((1, k)).iter().zip(&self.panels) {
                let Panel {
                    title: name,
                    points,
                    color,
                } = panel;
                let mut chart = ChartBuilder::on(area)
                    .caption(name, ("sans-serif", LABEL_PX))
                    .margin(8)
                    .x_label_area_size(44)
                    .y_label_area_size(52)
                    .build_cartesian_2d(lo..hi, lo..hi)
                    .map_err(text)?;
                let mut mesh = chart.configure_mesh();
                furnish(&mut mesh, &self.x_label, &self.y_label, 5);
                mesh.light_line_style(RGBColor(245, 245, 245))
                    .draw()
                    .map_err(text)?;
                let c = color.color();
                let inside = points
                    .iter()
                    .filter(|(x, y)| (lo..=hi).contains(x) && (lo..=hi).contains(y));
                chart
                    .draw_series(inside.map(|&p| Circle::new(p, 1, c.filled())))
                    .map_err(text)?;
            }
            Ok(())
        })
    }
}
