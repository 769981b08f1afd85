//! Every figure kind writes its furniture as SVG text: title, axis labels, tick values,
//! legend entries, heatmap names and colour-bar values.

use proptest::prelude::*;
use scorediff_eval::figure::{
    Axis, BarFigure, BarGroup, BarSlots, ColorScale, Heatmap, LegendAt, LineFigure, Marker, Panel,
    Rgb, ScatterPanels, Series, Style, tick_text,
};

/// The text of every `<text>` element of an SVG document, trimmed.
fn texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let after = &rest[start..];
        let open_end = after.find('>').expect("a closed <text> tag");
        let close = after.find("</text>").expect("a </text>");
        out.push(after[open_end + 1..close].trim().to_string());
        rest = &after[close + 7..];
    }
    out
}

fn has(texts: &[String], wanted: &str) -> bool {
    texts.iter().any(|t| t == wanted)
}

fn numbers(texts: &[String]) -> Vec<f64> {
    texts
        .iter()
        .filter_map(|t| t.replace(',', "").parse::<f64>().ok())
        .collect()
}

fn well_formed(svg: &str) {
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
}

#[test]
fn a_line_figure_has_title_axis_labels_ticks_and_a_legend_entry_per_series_and_marker() {
    let f = LineFigure {
        title: "Held-out error against steps".into(),
        x: Axis::log("training steps"),
        y: Axis::linear("error (%)"),
        series: vec![
            Series {
                name: "held-out error".into(),
                points: (0..30)
                    .map(|i| (10f64.powf(1.0 + i as f64 / 10.0), 5.0 - i as f64 * 0.1))
                    .collect(),
                color: Rgb::BLUE,
                style: Style::LineDots,
            },
            Series {
                name: "peer".into(),
                points: vec![(100.0, 3.0)],
                color: Rgb::ORANGE,
                style: Style::Dots,
            },
        ],
        markers: vec![Marker {
            name: "automatic stop".into(),
            x: 300.0,
            color: Rgb::RED,
        }],
        legend: LegendAt::UpperRight,
        size: (640, 420),
    };
    let svg = f.to_svg().unwrap();
    well_formed(&svg);
    let t = texts(&svg);
    for wanted in [
        "Held-out error against steps",
        "training steps (log scale)",
        "error (%)",
        "held-out error",
        "peer",
        "automatic stop",
    ] {
        assert!(has(&t, wanted), "{wanted:?} missing from {t:?}");
    }
    // The log axis is ticked at powers of ten, the linear one at several values.
    assert!(has(&t, "100") && has(&t, "1,000"), "{t:?}");
    assert!(numbers(&t).len() >= 6, "{t:?}");
}

#[test]
fn a_legend_beside_the_plot_widens_the_canvas_and_keeps_every_entry() {
    let inside = LineFigure {
        title: "t".into(),
        x: Axis::linear("x"),
        y: Axis::linear("y"),
        series: vec![Series {
            name: "a rather long series name".into(),
            points: vec![(0.0, 0.0), (1.0, 1.0)],
            color: Rgb::BLUE,
            style: Style::Dashed,
        }],
        markers: vec![Marker {
            name: "stop".into(),
            x: 0.5,
            color: Rgb::RED,
        }],
        legend: LegendAt::UpperLeft,
        size: (400, 300),
    };
    let beside = LineFigure {
        legend: LegendAt::Right,
        ..inside.clone()
    };
    let (a, b) = (inside.to_svg().unwrap(), beside.to_svg().unwrap());
    assert!(a.starts_with("<svg width=\"400\""), "{}", &a[..40]);
    assert!(!b.starts_with("<svg width=\"400\""), "the canvas widens");
    for svg in [&a, &b] {
        let t = texts(svg);
        assert!(
            has(&t, "a rather long series name") && has(&t, "stop"),
            "{t:?}"
        );
    }
}

#[test]
fn a_bar_figure_names_its_categories_and_groups() {
    let cats: Vec<String> = ["low", "middle", "high"].map(String::from).to_vec();
    let f = BarFigure {
        title: "income".into(),
        slots: BarSlots::Categories(cats.clone()),
        x_label: "income (category)".into(),
        y_label: "share of rows".into(),
        groups: vec![
            BarGroup {
                name: "real".into(),
                color: Rgb::BLUE,
                values: vec![0.2, 0.5, 0.3],
            },
            BarGroup {
                name: "synthetic".into(),
                color: Rgb::ORANGE,
                values: vec![0.25, 0.45, 0.3],
            },
        ],
        size: (460, 330),
    };
    let svg = f.to_svg().unwrap();
    well_formed(&svg);
    let t = texts(&svg);
    for wanted in [
        "income",
        "income (category)",
        "share of rows",
        "real",
        "synthetic",
    ] {
        assert!(has(&t, wanted), "{wanted:?} missing from {t:?}");
    }
    for c in &cats {
        assert!(has(&t, c), "{c} missing");
    }
    // Bins: numeric ticks on the x axis too.
    let f = BarFigure {
        slots: BarSlots::Bins {
            lo: 0.0,
            hi: 50_000.0,
        },
        ..f
    };
    let t = texts(&f.to_svg().unwrap());
    assert!(numbers(&t).iter().any(|&v| v >= 10_000.0), "{t:?}");
}

#[test]
fn a_heatmap_names_rows_and_columns_and_has_a_colour_bar_with_values() {
    let names: Vec<String> = ["a", "bb", "ccc"].map(String::from).to_vec();
    let f = Heatmap {
        title: "Pearson correlation, real".into(),
        names: names.clone(),
        cells: vec![
            vec![Some(1.0), Some(0.5), None],
            vec![Some(0.5), Some(1.0), Some(-0.2)],
            vec![None, Some(-0.2), Some(1.0)],
        ],
        scale: ColorScale::Diverging { limit: 1.0 },
        value_label: "Pearson r".into(),
    };
    let svg = f.to_svg().unwrap();
    well_formed(&svg);
    let t = texts(&svg);
    assert!(
        has(&t, "Pearson correlation, real") && has(&t, "Pearson r"),
        "{t:?}"
    );
    for n in &names {
        assert_eq!(
            t.iter().filter(|x| *x == n).count(),
            2,
            "{n}: row and column"
        );
    }
    let bar = numbers(&t);
    assert!(
        bar.contains(&-1.0) && bar.contains(&1.0) && bar.contains(&0.0),
        "{t:?}"
    );
}

#[test]
fn scatter_panels_title_each_panel_and_label_the_axes() {
    let f = ScatterPanels {
        title: "Samples".into(),
        panels: vec![
            Panel {
                title: "truth".into(),
                points: vec![(0.0, 0.0), (1.0, 1.0)],
                color: Rgb::GREY,
            },
            Panel {
                title: "model".into(),
                points: vec![(0.5, -0.5)],
                color: Rgb::BLUE,
            },
        ],
        range: (-3.0, 3.0),
        x_label: "x1".into(),
        y_label: "x2".into(),
    };
    let svg = f.to_svg().unwrap();
    well_formed(&svg);
    let t = texts(&svg);
    for wanted in ["Samples", "truth", "model", "x1", "x2"] {
        assert!(has(&t, wanted), "{wanted:?} missing from {t:?}");
    }
    assert!(numbers(&t).len() >= 8, "{t:?}");
}

#[test]
fn names_are_escaped_in_the_svg() {
    let f = BarFigure {
        title: "a < b & c".into(),
        slots: BarSlots::Categories(vec!["<x>".into()]),
        x_label: "x".into(),
        y_label: "y".into(),
        groups: vec![BarGroup {
            name: "real".into(),
            color: Rgb::BLUE,
            values: vec![1.0],
        }],
        size: (300, 300),
    };
    let svg = f.to_svg().unwrap();
    assert!(
        !svg.contains("a < b") && !svg.contains("<x>"),
        "unescaped text"
    );
}

#[test]
fn tick_texts_are_compact() {
    assert_eq!(tick_text(0.0), "0");
    assert_eq!(tick_text(0.25), "0.25");
    assert_eq!(tick_text(1.0), "1");
    assert_eq!(tick_text(1000.0), "1,000");
    assert_eq!(tick_text(999.5), "999.5");
    assert_eq!(tick_text(10_000.0), "10,000");
    assert_eq!(tick_text(-250_000.0), "-250,000");
    assert_eq!(tick_text(1e-4), "1e-4");
    assert_eq!(tick_text(2.5e9), "2.5e9");
}

proptest! {
    #[test]
    fn a_tick_text_reads_back_within_four_significant_digits(v in -1e12f64..1e12) {
        let t = tick_text(v);
        let back: f64 = t.replace(',', "").parse().unwrap();
        prop_assert!((back - v).abs() <= 5e-4 * v.abs().max(1e-3), "{v} -> {t}");
    }
}
