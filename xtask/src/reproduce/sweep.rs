//! The training-length figure of a panel table: the held-out boosted-tree C2ST of a
//! fixed-length sweep against the steps, the default's and the theory's stops, and the peers'
//! levels, drawn from the runs of `reproduce panel` or redrawn from the table of a committed
//! `results*.md` (`reproduce panel --redraw FILE`), so a figure never needs its fits run
//! again to be drawn anew.

use std::path::Path;

use super::peers::Peer;
use super::plot::{self, Axis, LegendAt, LineFigure, Marker, Rgb, Series, Style};

/// What one table's figure shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SweepPoints {
    /// `(steps, held-out C2ST)` of the fixed-length runs.
    pub sweep: Vec<(f64, f64)>,
    /// The default recipe's runs: steps where it ended, its C2ST.
    pub default: Vec<(f64, Option<f64>)>,
    /// `--length theory` runs.
    pub theory: Vec<(f64, Option<f64>)>,
    /// The peers' held-out C2ST, with the name they are shown by.
    pub peers: Vec<(Peer, String, f64)>,
}

/// Peer colours (the report's order).
fn peer_color(p: Peer) -> Rgb {
    match p {
        Peer::TabularArgn => Rgb::ORANGE,
        Peer::GaussianCopula => Rgb::PURPLE,
        Peer::Ctgan => Rgb::GREY,
    }
}

impl SweepPoints {
    /// The figure, or `None` with fewer than two sweep points.
    pub fn figure(&self, table: &str) -> Option<LineFigure> {
        if self.sweep.len() < 2 {
            return None;
        }
        let mut sweep = self.sweep.clone();
        sweep.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (lo, hi) = (sweep[0].0, sweep[sweep.len() - 1].0);
        let mut series = vec![Series {
            name: "fixed-length sweep".into(),
            points: sweep,
            color: Rgb::BLUE,
            style: Style::LineDots,
        }];
        let mut markers = Vec::new();
        for (name, runs, color) in [
            ("default recipe (where it stopped)", &self.default, Rgb::RED),
            ("--length theory", &self.theory, Rgb::GREEN),
        ] {
            for &(steps, q) in runs {
                markers.push(Marker {
                    name: format!("{name}: {steps} steps"),
                    x: steps,
                    color,
                });
                if let Some(q) = q {
                    series.push(Series {
                        name: format!("{name}: C2ST {q:.3}"),
                        points: vec![(steps, q)],
                        color,
                        style: Style::Dots,
                    });
                }
            }
        }
        for (peer, name, q) in &self.peers {
            series.push(Series {
                name: format!("{name} (peer): {q:.3}"),
                points: vec![(lo, *q), (hi, *q)],
                color: peer_color(*peer),
                style: Style::Line,
            });
        }
        Some(LineFigure {
            title: format!("{table}: held-out detector against training length"),
            x: Axis::log("training steps"),
            y: Axis::linear("C2ST, boosted trees, against test rows (1 = indistinguishable)")
                .with_range(0.0, 1.05),
            series,
            markers,
            legend: LegendAt::Right,
            size: (760, 500),
        })
    }
}

/// One table's points read from the Markdown of `reproduce panel`: each `## NAME (...)`
/// section's result table, by its `run`, `steps` and `C2ST (trees) vs test` columns.
pub fn points_from_markdown(md: &str) -> Vec<(String, SweepPoints)> {
    let mut out: Vec<(String, SweepPoints)> = Vec::new();
    let mut columns: Option<(usize, usize, usize)> = None;
    for line in md.lines() {
        if let Some(rest) = line.strip_prefix("## ") {
            let name = rest.split_whitespace().next().unwrap_or("").to_string();
            out.push((name, SweepPoints::default()));
            columns = None;
            continue;
        }
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if !line.trim_start().starts_with('|') || cells.len() < 3 {
            continue;
        }
        let find = |h: &str| cells.iter().position(|c| *c == h);
        if let (Some(r), Some(s), Some(q)) =
            (find("run"), find("steps"), find("C2ST (trees) vs test"))
        {
            columns = Some((r, s, q));
            continue;
        }
        let (Some((r, s, q)), Some((_, points))) = (columns, out.last_mut()) else {
            continue;
        };
        let (Some(run), Some(steps), Some(c2st)) = (cells.get(r), cells.get(s), cells.get(q))
        else {
            continue;
        };
        let steps: Option<f64> = steps.parse().ok();
        let c2st: Option<f64> = c2st.parse().ok();
        match (*run, steps) {
            ("default", Some(n)) => points.default.push((n, c2st)),
            ("theory", Some(n)) => points.theory.push((n, c2st)),
            (run, Some(n)) if run.parse::<f64>().is_ok() => {
                if let Some(c) = c2st {
                    points.sweep.push((n, c));
                }
            }
            (run, _) => {
                let peer = [
                    ("TabularARGN", Peer::TabularArgn),
                    ("GaussianCopula", Peer::GaussianCopula),
                    ("CTGAN", Peer::Ctgan),
                ]
                .into_iter()
                .find(|(name, _)| run.starts_with(name));
                if let (Some((name, p)), Some(c)) = (peer, c2st) {
                    points.peers.push((p, name.to_string(), c));
                }
            }
        }
    }
    out
}

/// Redraws the sweep figures of a committed `results*.md` as `sweep-TABLE.svg` beside it and
/// points its image links at them (the file is rewritten through a temporary file and a
/// rename).
pub fn redraw(md_path: &Path) -> Result<Vec<String>, String> {
    let md = std::fs::read_to_string(md_path).map_err(|e| format!("{}: {e}", md_path.display()))?;
    let dir = md_path.parent().unwrap_or(Path::new("."));
    let mut drawn = Vec::new();
    let mut text = md.clone();
    for (table, points) in points_from_markdown(&md) {
        let Some(figure) = points.figure(&table) else {
            continue;
        };
        let name = format!("sweep-{table}.svg");
        plot::write_svg(&dir.join(&name), figure.to_svg())?;
        text = text.replace(&format!("sweep-{table}.png"), &name);
        drawn.push(name);
    }
    if text != md {
        super::common::write_text(md_path, &text)?;
    }
    Ok(drawn)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD: &str = "## penguins (x): 310 rows\n\n\
        | run | steps | stopped by | C2ST (trees) | C2ST (trees) vs test | DCR % |\n\
        | --- | --- | --- | --- | --- | --- |\n\
        | 500 | 500 | MaxSteps | 0.5 | 0.829 | 61 |\n\
        | 1000 | 1000 | MaxSteps | 0.7 | 0.857 | 62 |\n\
        | default | 17500 | ValidationRise | 1.0 | 0.920 | 62 |\n\
        | theory | 2225 | MaxSteps | 1.0 | - | 59 |\n\
        | TabularARGN (mostlyai-engine 2.7.3) | - | its early stopping | 0.3 | 0.587 | 62 |\n\
        | CTGAN (sdv 2.0.0; epochs 300) | - | its epochs | 0.1 | 0.642 | 61 |\n\n\
        ![penguins](sweep-penguins.png)\n\n## other (y)\n\n\
        | run | steps | C2ST (trees) vs test |\n| --- | --- | --- |\n| 500 | 500 | 0.1 |\n";

    #[test]
    fn the_markdown_table_gives_the_sweep_the_stops_and_the_peers() {
        let tables = points_from_markdown(MD);
        assert_eq!(tables.len(), 2);
        let (name, p) = &tables[0];
        assert_eq!(name, "penguins");
        assert_eq!(p.sweep, vec![(500.0, 0.829), (1000.0, 0.857)]);
        assert_eq!(p.default, vec![(17500.0, Some(0.92))]);
        assert_eq!(p.theory, vec![(2225.0, None)]);
        assert_eq!(p.peers.len(), 2);
        assert_eq!(p.peers[0].0, Peer::TabularArgn);
        assert_eq!(p.peers[1], (Peer::Ctgan, "CTGAN".to_string(), 0.642));
        // One sweep point is not a curve.
        assert!(tables[1].1.figure("other").is_none());
    }

    #[test]
    fn the_figure_names_every_series_and_stop() {
        let (_, p) = &points_from_markdown(MD)[0];
        let svg = p.figure("penguins").unwrap().to_svg().unwrap();
        for wanted in [
            "penguins: held-out detector against training length",
            "training steps (log scale)",
            "fixed-length sweep",
            "default recipe (where it stopped): 17500 steps",
            "--length theory: 2225 steps",
            "TabularARGN (peer): 0.587",
        ] {
            assert!(svg.contains(wanted), "{wanted:?} missing");
        }
    }
}
