//! Writes `report.json` and a self-contained `report.html` (plots embedded as base64 PNG).

use std::fmt::Write as _;
use std::path::Path;

use base64::Engine;

use crate::diagnose::{DetectorAuc, Diagnostics};
use crate::error::{EvalError, Result};
use crate::plots::{Plot, Plots};
use crate::report::Report;

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes `bytes` to `dir/name` through a temporary file and a rename (the table crate's
/// safe writer, whose temporaries are removed on interruption).
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    scorediff_tabular::write::write_atomic(&path, |w| {
        use std::io::Write as _;
        w.write_all(bytes)
    })
    .map_err(|e| EvalError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    })
}

fn img(out: &mut String, p: &Plot) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(&p.png);
    let _ = write!(
        out,
        "<figure><figcaption><b>{}</b></figcaption><img alt=\"{}\" src=\"data:image/png;base64,{b64}\"><figcaption class=\"small\">{}</figcaption></figure>",
        esc(&p.title),
        esc(&p.title),
        esc(&p.caption)
    );
}

fn row(out: &mut String, k: &str, v: String) {
    let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
}

fn auc_table(o: &mut String, title: &str, rows: &[DetectorAuc]) {
    if rows.is_empty() {
        return;
    }
    let _ = write!(
        o,
        "<h3>{}</h3><table><tr><th>columns</th><th>detector AUC</th></tr>",
        esc(title)
    );
    for r in rows {
        let _ = write!(
            o,
            "<tr><td title=\"{}\">{}</td><td>{:.3}</td></tr>",
            esc(&r.columns.join(", ")),
            esc(&r.label),
            r.auc
        );
    }
    o.push_str("</table>");
}

/// The diagnostic section: where the boosted-tree detector sees the synthetic rows.
fn diagnostics_html(o: &mut String, d: &Diagnostics) {
    o.push_str(
        "<h2>Where the detector sees the difference</h2><p>The boosted-tree detector of the C2ST \
         (same settings and folds) on subsets of the columns: held-out ROC AUC, 0.5 when it \
         cannot tell real from synthetic rows, 1 when it always can. Single columns near 0.5 and \
         a group far above it: the marginals are right and the joint structure is not.</p>",
    );
    auc_table(o, "Column groups (name stems)", &d.groups);
    auc_table(o, "Pairs with the largest relation gaps", &d.pairs);
    auc_table(o, "Single columns", &d.columns);
    if !d.relations.is_empty() {
        let _ = write!(
            o,
            "<h3>Exact relations between numerical columns</h3><p>Share of rows that hold a \
             relation, real against synthetic, largest gaps first ({} of {} numerical columns \
             examined).</p><table><tr><th>relation</th><th>real</th><th>synthetic</th></tr>",
            d.relation_columns, d.numerical_columns
        );
        for r in &d.relations {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{:.1}%</td><td>{:.1}%</td></tr>",
                esc(&r.relation.describe(&r.a, &r.b)),
                100.0 * r.real_rate,
                100.0 * r.synthetic_rate
            );
        }
        o.push_str("</table>");
    }
    if !d.value_sets.is_empty() {
        o.push_str(
            "<h3>Values of numerical columns</h3><table><tr><th>column</th><th>distinct real</th>\
             <th>distinct synthetic</th><th>synthetic values no real row holds</th>\
             <th>zeros real</th><th>zeros synthetic</th></tr>",
        );
        for v in &d.value_sets {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td><td>{:.1}%</td><td>{:.1}%</td></tr>",
                esc(&v.column),
                v.distinct_real,
                v.distinct_synthetic,
                100.0 * v.unseen_share,
                100.0 * v.zero_real,
                100.0 * v.zero_synthetic
            );
        }
        o.push_str("</table>");
    }
}

/// The HTML page of a report (plots optional).
pub fn render_html(report: &Report, plots: Option<&Plots>) -> String {
    let mut o = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>scorediff evaluation</title><style>\
         body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}figure{display:inline-block;margin:6px;vertical-align:top;max-width:380px}\
         .small{font-size:75%;color:#555}.real{color:#1f77b4}.syn{color:#ff7f0e}</style></head><body>\
         <h1>scorediff evaluation</h1>",
    );
    let _ = write!(
        o,
        "<p>{} real rows, {} synthetic rows.</p>",
        report.n_real, report.n_synthetic
    );
    if let Some(n) = report.capped_rows {
        let _ = write!(
            o,
            "<p>alpha-precision, beta-recall, C2ST, the detector diagnostics and DCR used a seeded subsample of at most {n} rows of each table (the evaluation's row cap).</p>"
        );
    }
    o.push_str("<h2>Summary</h2><table>");
    for line in report.summary().lines() {
        let (k, v) = line.split_at(line.len().min(17));
        row(&mut o, k.trim(), v.trim().to_string());
    }
    o.push_str("</table>");
    if let Some(d) = &report.diagnostics {
        diagnostics_html(&mut o, d);
    }
    if let Some(s) = &report.shape {
        let _ = write!(
            o,
            "<h2>Shape (error {:.3})</h2><table><tr><th>column</th><th>metric</th><th>score</th></tr>",
            s.error
        );
        for c in &s.columns {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{:.4}</td></tr>",
                esc(&c.column),
                c.metric,
                c.score
            );
        }
        o.push_str("</table>");
    }
    if let Some(p) = plots {
        o.push_str("<h2>Marginals</h2><p><span class=\"real\">&#9632; real</span> <span class=\"syn\">&#9632; synthetic</span></p>");
        p.marginals.iter().for_each(|x| img(&mut o, x));
        o.push_str("<h2>Correlations</h2>");
        p.correlations.iter().for_each(|x| img(&mut o, x));
        if !p.curves.is_empty() {
            o.push_str("<h2>alpha-precision / beta-recall</h2>");
            p.curves.iter().for_each(|x| img(&mut o, x));
        }
    }
    if let Some(t) = &report.trend {
        let _ = write!(
            o,
            "<h2>Trend (error {:.3})</h2><p>On the real table's bin edges (a diagnostic, not the protocol): {:.3}.</p><table><tr><th>column a</th><th>column b</th><th>metric</th><th>score</th></tr>",
            t.error, t.error_real_bins
        );
        for p in &t.pairs {
            let s = p
                .score
                .map_or("undefined".to_string(), |s| format!("{s:.4}"));
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{s}</td></tr>",
                esc(&p.a),
                esc(&p.b),
                p.metric
            );
        }
        o.push_str("</table>");
    }
    o.push_str("<h2>Timings</h2><table>");
    for t in &report.timings {
        row(&mut o, &t.metric, format!("{:.2} s", t.seconds));
    }
    o.push_str("</table></body></html>\n");
    o
}

/// Writes `dir/report.json` and `dir/report.html` (creating `dir`), each atomically.
pub fn write_report(dir: &Path, report: &Report, plots: Option<&Plots>) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| EvalError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    write_atomic(
        dir,
        "report.json",
        serde_json::to_string_pretty(report)?.as_bytes(),
    )?;
    write_atomic(dir, "report.html", render_html(report, plots).as_bytes())
}
