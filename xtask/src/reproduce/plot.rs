//! Text-free PNG plots (plotters' bitmap backend, encoded with `png`): plotters would need
//! system fonts for text, so titles, axis names and legends are written in the Markdown
//! next to each image. Log axes carry light grid lines at every power of ten.

use plotters::prelude::*;

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

/// One curve of a plot.
#[derive(Debug, Clone)]
pub struct Series {
    /// `(x, y)` points (non-positive values are dropped on a log axis).
    pub points: Vec<(f64, f64)>,
    /// Colour.
    pub color: RGBColor,
    /// Drawing style.
    pub style: Style,
}

/// Colours used by every figure (named in the Markdown legends).
pub const BLUE: RGBColor = RGBColor(31, 119, 180);
/// Orange.
pub const ORANGE: RGBColor = RGBColor(255, 127, 14);
/// Green.
pub const GREEN: RGBColor = RGBColor(44, 160, 44);
/// Red.
pub const RED: RGBColor = RGBColor(214, 39, 40);
/// Purple.
pub const PURPLE: RGBColor = RGBColor(148, 103, 189);
/// Grey.
pub const GREY: RGBColor = RGBColor(140, 140, 140);

const W: u32 = 640;
const H: u32 = 420;
const PAD: i32 = 24;

/// Axis scales of a line plot.
#[derive(Debug, Clone, Copy)]
pub struct Axes {
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
}

/// A line plot of `series` with vertical markers `(x, colour)`, written as PNG to `path`.
pub fn line_plot(
    path: &std::path::Path,
    series: &[Series],
    vlines: &[(f64, RGBColor)],
    axes: Axes,
) -> Result<(), String> {
    let tx = |v: f64| if axes.log_x { v.log10() } else { v };
    let ty = |v: f64| if axes.log_y { v.log10() } else { v };
    let ok = |p: &(f64, f64)| {
        p.0.is_finite()
            && p.1.is_finite()
            && (!axes.log_x || p.0 > 0.0)
            && (!axes.log_y || p.1 > 0.0)
    };
    let pts: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| {
            s.points
                .iter()
                .filter(|p| ok(p))
                .map(|p| (tx(p.0), ty(p.1)))
        })
        .collect();
    if pts.is_empty() {
        return Err(format!("{}: nothing to plot", path.display()));
    }
    let (mut x0, mut x1, y0, y1) = bounds(&pts);
    for (x, _) in vlines.iter().filter(|v| !axes.log_x || v.0 > 0.0) {
        x0 = x0.min(tx(*x));
        x1 = x1.max(tx(*x));
    }
    let (xm, ym) = (0.03 * (x1 - x0).max(1e-12), 0.05 * (y1 - y0).max(1e-12));
    let (x0, x1, y0, y1) = (x0 - xm, x1 + xm, y0 - ym, y1 + ym);
    let map = move |x: f64, y: f64| {
        let px = PAD as f64 + (x - x0) / (x1 - x0) * (W as i32 - 2 * PAD) as f64;
        let py = (H as i32 - PAD) as f64 - (y - y0) / (y1 - y0) * (H as i32 - 2 * PAD) as f64;
        (px.round() as i32, py.round() as i32)
    };
    render(path, W, H, |root| {
        grid(root, axes, (x0, x1, y0, y1), &map)?;
        for &(x, c) in vlines.iter().filter(|v| !axes.log_x || v.0 > 0.0) {
            let (a, b) = (map(tx(x), y0), map(tx(x), y1));
            root.draw(&PathElement::new(vec![a, b], c.stroke_width(2)))
                .map_err(|e| e.to_string())?;
        }
        for s in series {
            let path: Vec<(i32, i32)> = s
                .points
                .iter()
                .filter(|p| ok(p))
                .map(|p| map(tx(p.0), ty(p.1)))
                .collect();
            draw_series(root, &path, s.color, s.style)?;
        }
        Ok(())
    })
}

/// Side-by-side scatter panels of 2-D points on a common square window `[lo, hi]^2`.
pub fn scatter_panels(
    path: &std::path::Path,
    panels: &[(Vec<(f64, f64)>, RGBColor)],
    lo: f64,
    hi: f64,
) -> Result<(), String> {
    let side = 260i32;
    let w = (side + 8) * panels.len().max(1) as i32 + 8;
    render(path, w as u32, (side + 16) as u32, |root| {
        for (k, (pts, c)) in panels.iter().enumerate() {
            let ox = 8 + k as i32 * (side + 8);
            let oy = 8;
            root.draw(&Rectangle::new(
                [(ox, oy), (ox + side, oy + side)],
                BLACK.stroke_width(1),
            ))
            .map_err(|e| e.to_string())?;
            for &(x, y) in pts {
                if !(x.is_finite() && y.is_finite()) || x < lo || x > hi || y < lo || y > hi {
                    continue;
                }
                let px = ox + ((x - lo) / (hi - lo) * side as f64) as i32;
                let py = oy + side - ((y - lo) / (hi - lo) * side as f64) as i32;
                root.draw(&Circle::new((px, py), 1, c.filled()))
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
}

fn bounds(pts: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    pts.iter().fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), &(x, y)| (a.min(x), b.max(x), c.min(y), d.max(y)),
    )
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// The frame and, on log axes, grid lines at integer powers of ten.
fn grid(
    root: &Area<'_>,
    axes: Axes,
    (x0, x1, y0, y1): (f64, f64, f64, f64),
    map: &dyn Fn(f64, f64) -> (i32, i32),
) -> Result<(), String> {
    let light = RGBColor(225, 225, 225);
    if axes.log_x {
        for e in (x0.ceil() as i64)..=(x1.floor() as i64) {
            let (a, b) = (map(e as f64, y0), map(e as f64, y1));
            root.draw(&PathElement::new(vec![a, b], light))
                .map_err(|e| e.to_string())?;
        }
    }
    if axes.log_y {
        for e in (y0.ceil() as i64)..=(y1.floor() as i64) {
            let (a, b) = (map(x0, e as f64), map(x1, e as f64));
            root.draw(&PathElement::new(vec![a, b], light))
                .map_err(|e| e.to_string())?;
        }
    }
    root.draw(&Rectangle::new(
        [map(x0, y1), map(x1, y0)],
        BLACK.stroke_width(1),
    ))
    .map_err(|e| e.to_string())?;
    Ok(())
}

fn draw_series(
    root: &Area<'_>,
    path: &[(i32, i32)],
    c: RGBColor,
    style: Style,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    match style {
        Style::Line | Style::LineDots => {
            root.draw(&PathElement::new(path.to_vec(), c.stroke_width(2)))
                .map_err(err)?;
        }
        Style::Dashed => {
            for seg in path.windows(2).step_by(2) {
                root.draw(&PathElement::new(seg.to_vec(), c.stroke_width(2)))
                    .map_err(err)?;
            }
        }
        Style::Dots => {}
    }
    if matches!(style, Style::Dots | Style::LineDots) {
        for &p in path {
            root.draw(&Circle::new(p, 3, c.filled())).map_err(err)?;
        }
    }
    Ok(())
}

/// Draws into an RGB buffer and writes it as PNG.
fn render(
    path: &std::path::Path,
    w: u32,
    h: u32,
    draw: impl FnOnce(&Area<'_>) -> Result<(), String>,
) -> Result<(), String> {
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut wr = enc.write_header().map_err(|e| e.to_string())?;
    wr.write_image_data(&buf).map_err(|e| e.to_string())?;
    wr.finish().map_err(|e| e.to_string())
}
