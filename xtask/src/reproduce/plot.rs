//! Writes the result figures: SVG documents drawn by `scorediff_eval::figure` (title,
//! labelled axes with tick values, a legend for every series and marker), so that the
//! figures of `docs/results/` and the evaluation report read the same way.

pub use scorediff_synth::eval::figure::{
    Axis, LegendAt, LineFigure, Marker, Panel, Rgb, ScatterPanels, Series, Style,
};

/// Writes `svg` (a drawn figure) to `path` by [`super::common::write_text`].
pub fn write_svg(
    path: &std::path::Path,
    svg: Result<String, scorediff_synth::eval::EvalError>,
) -> Result<(), String> {
    let svg = svg.map_err(|e| format!("{}: {e}", path.display()))?;
    super::common::write_text(path, &svg)
}
