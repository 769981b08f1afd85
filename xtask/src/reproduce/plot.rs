//! Writes the result figures: SVG documents drawn by `scorediff_eval::figure` (title,
//! labelled axes with tick values, a legend for every series and marker), so that the
//! figures of `docs/results/` and the evaluation report read the same way.

pub use scorediff_synth::eval::figure::{
    Axis, LegendAt, LineFigure, Marker, Panel, Rgb, ScatterPanels, Series, Style,
};

/// Writes `svg` (a drawn figure) to `path` by [`write_text`].
pub fn write_svg(
    path: &std::path::Path,
    svg: Result<String, scorediff_synth::eval::EvalError>,
) -> Result<(), String> {
    let svg = svg.map_err(|e| format!("{}: {e}", path.display()))?;
    write_text(path, &svg)
}

/// Writes `text` to `path` through the table crate's safe writer (a temporary file and a
/// rename; the temporary removed if the write fails or is interrupted).
pub fn write_text(path: &std::path::Path, text: &str) -> Result<(), String> {
    scorediff_synth::tabular::write::write_atomic(path, |w| {
        std::io::Write::write_all(w, text.as_bytes())
    })
    .map_err(|e| e.to_string()) // the error names the file
}
