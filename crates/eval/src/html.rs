//! Writes `report.json` and a self-contained `report.html`: one file that opens offline,
//! figures inline as SVG (text rendered by the browser, no image files, no fonts, no
//! network), a summary in words at the top that gives every figure its range and what real
//! rows score, and per-column tables sortable by clicking a header (a few lines of inline
//! script; the page reads the same without it).

use std::fmt::Write as _;
use std::path::Path;

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

fn figure(out: &mut String, p: &Plot) {
    let _ = write!(
        out,
        "<figure>{}<figcaption class=\"small\">{}</figcaption></figure>",
        p.svg,
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
        "<h3>{}</h3><table class=\"sortable\"><thead><tr><th>columns</th><th>detector AUC</th></tr></thead><tbody>",
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
    o.push_str("</tbody></table>");
}

/// The diagnostic section: where the boosted-tree detector sees the synthetic rows.
fn diagnostics_html(o: &mut String, d: &Diagnostics) {
    o.push_str(
        "<h2 id=\"detector\">Where the detector sees the difference</h2><p>The boosted-tree detector of the C2ST \
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
             examined).</p><table class=\"sortable\"><thead><tr><th>relation</th><th>real</th><th>synthetic</th></tr></thead><tbody>",
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
        o.push_str("</tbody></table>");
    }
    if !d.value_sets.is_empty() {
        o.push_str(
            "<h3>Values of numerical columns</h3><table class=\"sortable\"><thead><tr><th>column</th><th>distinct real</th>\
             <th>distinct synthetic</th><th>synthetic values no real row holds</th>\
             <th>zeros real</th><th>zeros synthetic</th></tr></thead><tbody>",
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
        o.push_str("</tbody></table>");
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:1250px;color:#222}\
table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}\
th{background:#f3f3f3}table.sortable th{cursor:pointer}table.sortable th:after{content:' \\2195';color:#999}\
figure{display:inline-block;margin:8px;vertical-align:top;max-width:480px}figure svg{max-width:100%;height:auto}\
.small{font-size:80%;color:#555}.verdict{font-size:110%;background:#f7f7f2;padding:0.6em 1em;border-left:4px solid #1f77b4}";

/// Sorts a `table.sortable` by the clicked header: numbers by value (a trailing `%` and
/// thousands commas allowed), other cells as text; a second click reverses.
const SORT_SCRIPT: &str = "document.querySelectorAll('table.sortable').forEach(function(t){\
t.querySelectorAll('th').forEach(function(h,i){h.addEventListener('click',function(){\
var b=t.tBodies[0],rows=Array.from(b.rows),asc=h.dataset.asc!=='1';\
var v=function(r){var s=r.cells[i].textContent.replace(/[,%]/g,'').trim();var n=parseFloat(s);return isNaN(n)||!/^-?[0-9.e+-]+$/.test(s)?s:n;};\
rows.sort(function(x,y){var a=v(x),c=v(y);var d=(typeof a==='number'&&typeof c==='number')?a-c:String(a).localeCompare(String(c));return asc?d:-d;});\
rows.forEach(function(r){b.appendChild(r);});t.querySelectorAll('th').forEach(function(o){delete o.dataset.asc;});if(asc)h.dataset.asc='1';});});});";

/// One row of the summary table.
struct SummaryRow {
    metric: &'static str,
    value: String,
    range: &'static str,
    real_rows: String,
    reading: String,
}

/// The summary rows of the metrics the report holds.
fn summary_rows(r: &Report) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    let reference = r.reference.as_ref();
    let real =
        |x: Option<f64>, what: &str| x.map_or("-".to_string(), |v| format!("{v:.2} ({what})"));
    let test_rows = reference.map_or(String::new(), |t| format!("{} real test rows", t.n_rows));
    if let Some(x) = &r.shape {
        rows.push(SummaryRow {
            metric: "Shape error",
            value: format!("{:.2}", x.error),
            range: "0 to 100, lower is better",
            real_rows: real(reference.and_then(|t| t.shape_error), &test_rows),
            reading: format!(
                "Each column's distribution differs from the real one by {:.1}% on average (Kolmogorov-Smirnov distance for numbers, total variation for categories).",
                x.error
            ),
        });
    }
    if let Some(x) = &r.trend {
        let real_bins = reference.and_then(|t| t.trend_error_real_bins);
        let real_rows = match (reference.and_then(|t| t.trend_error), real_bins) {
            (Some(e), Some(b)) => format!("{e:.2} ({test_rows}; {b:.2} on the real bins)"),
            (e, _) => real(e, &test_rows),
        };
        rows.push(SummaryRow {
            metric: "Trend error",
            value: format!("{:.2} ({:.2} on the real bins)", x.error, x.error_real_bins),
            range: "0 to 100, lower is better",
            real_rows,
            reading: format!(
                "Each pair of columns' correlation or contingency table differs from the real pair's by {:.1}% on average. The protocol cuts numbers on each table's own range, so a table whose extremes differ (fewer rows) scores worse; the real-bins figure cuts both on the real edges.",
                x.error
            ),
        });
    }
    if let Some(x) = &r.alpha_beta {
        rows.push(SummaryRow {
            metric: "alpha-precision",
            value: format!("{:.1}", x.alpha_precision),
            range: "0 to 100, higher is better",
            real_rows: "near 100".into(),
            reading: "How well synthetic rows fall where real rows are, over every support size (100: as faithful as real rows).".into(),
        });
        rows.push(SummaryRow {
            metric: "beta-recall",
            value: format!("{:.1}", x.beta_recall),
            range: "0 to 100, higher is better",
            real_rows: "below 100: a finite sample covers part of another".into(),
            reading: "How much of the real rows' variety the synthetic rows cover (low: a narrower, more typical table).".into(),
        });
    }
    for (metric, c, strong) in [
        ("C2ST (logistic)", &r.c2st, false),
        ("C2ST (boosted trees)", &r.c2st_trees, true),
    ] {
        if let Some(x) = c {
            rows.push(SummaryRow {
                metric,
                value: format!("{:.3}", x.score),
                range: "0 to 1, higher is better",
                real_rows: "1 (cannot be told apart)".into(),
                reading: format!(
                    "A {} tells a real row from a synthetic one with held-out AUC {:.3} (0.5: chance){}.",
                    if strong { "boosted-tree classifier" } else { "logistic regression" },
                    x.auc,
                    if strong { "; the strong detector, see where it looks below" } else { "; it sees linear effects only" }
                ),
            });
        }
    }
    if let Some(x) = &r.mle {
        rows.push(SummaryRow {
            metric: "MLE AUC",
            value: format!("{:.3}", x.synthetic.test_auc),
            range: "0.5 to 1, higher is better",
            real_rows: x.real.as_ref().map_or("-".into(), |f| format!("{:.3} (model trained on the real rows)", f.test_auc)),
            reading: format!("A boosted-tree model of `{}` trained on the synthetic rows, scored on the real test rows.", r.config.target),
        });
    }
    if let Some(x) = &r.dcr {
        rows.push(SummaryRow {
            metric: "DCR",
            value: format!("{:.1}%", x.share_closer_to_train),
            range: "50% is best; above it, closer to copying",
            real_rows: "about 55% for a resample of the training rows".into(),
            reading:
                "Share of synthetic rows closer to a training row than to a held-out real row."
                    .into(),
        });
    }
    rows
}

/// The verdict in words: a sentence per aspect the report measured.
fn verdict(r: &Report) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(x) = &r.shape {
        let against = r.reference.as_ref().and_then(|t| t.shape_error);
        v.push(match against {
            Some(real) if real > 0.0 => format!(
                "Single columns: Shape error {:.2}, {:.1} times that of real test rows ({real:.2}).",
                x.error,
                x.error / real
            ),
            _ => format!("Single columns: Shape error {:.2} (0 is a perfect match).", x.error),
        });
    }
    if let Some(x) = &r.c2st_trees {
        let level = if x.score >= 0.6 {
            "a strong detector rarely tells a synthetic row from a real one"
        } else if x.score >= 0.3 {
            "a strong detector tells a synthetic row from a real one part of the time"
        } else {
            "a strong detector tells a synthetic row from a real one most of the time"
        };
        v.push(format!(
            "Whole rows: {level} (boosted-tree C2ST {:.3}; given a real and a synthetic row it says which is which with probability {:.3}, its AUC).",
            x.score, x.auc
        ));
    }
    if let Some(x) = &r.mle {
        let real = x.real.as_ref().map_or(String::new(), |f| {
            format!(" against {:.3} from real rows", f.test_auc)
        });
        v.push(format!(
            "Utility: a model trained on synthetic rows reaches AUC {:.3}{real}.",
            x.synthetic.test_auc
        ));
    }
    if let Some(x) = &r.dcr {
        let s = x.share_closer_to_train;
        let reading = if s <= 53.0 {
            "no sign of copied rows"
        } else {
            "closer to the training rows than to unseen ones: check for copying"
        };
        v.push(format!("Privacy: {s:.1}% of synthetic rows are closer to a training row (50% ideal): {reading}."));
    }
    v
}

fn summary_html(o: &mut String, r: &Report) {
    o.push_str("<h2 id=\"summary\">Summary</h2><div class=\"verdict\">");
    for line in verdict(r) {
        let _ = write!(o, "<p>{}</p>", esc(&line));
    }
    o.push_str("</div><table id=\"summary-table\"><thead><tr><th>metric</th><th>value</th><th>range</th><th>real rows score</th><th>what it says</th></tr></thead><tbody>");
    for row in summary_rows(r) {
        let _ = write!(
            o,
            "<tr><td>{}</td><td><b>{}</b></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(row.metric),
            esc(&row.value),
            esc(row.range),
            esc(&row.real_rows),
            esc(&row.reading)
        );
    }
    o.push_str("</tbody></table>");
}

/// A line of links to the page's sections.
fn contents(o: &mut String, r: &Report, plots: bool) {
    let sections = [
        ("summary", "Summary", true),
        ("detector", "Detector diagnostics", r.diagnostics.is_some()),
        ("shape", "Shape", r.shape.is_some()),
        ("marginals", "Marginals", plots),
        ("correlations", "Correlations", plots),
        (
            "alpha-beta",
            "alpha / beta curves",
            plots && r.alpha_beta.is_some(),
        ),
        ("trend", "Trend", r.trend.is_some()),
        ("timings", "Timings", true),
    ];
    let links: Vec<String> = sections
        .iter()
        .filter(|s| s.2)
        .map(|(id, name, _)| format!("<a href=\"#{id}\">{name}</a>"))
        .collect();
    let _ = write!(o, "<nav class=\"small\">{}</nav>", links.join(" &middot; "));
}

/// The HTML page of a report (plots optional).
pub fn render_html(report: &Report, plots: Option<&Plots>) -> String {
    let mut o = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>scorediff evaluation</title><style>{STYLE}</style></head><body><h1>scorediff evaluation</h1>"
    );
    let _ = write!(
        o,
        "<p>{} real training rows against {} synthetic rows{}.</p>",
        report.n_real,
        report.n_synthetic,
        report
            .n_test
            .map_or(String::new(), |n| format!("; {n} real test rows"))
    );
    if let Some(n) = report.capped_rows {
        let _ = write!(
            o,
            "<p class=\"small\">alpha-precision, beta-recall, C2ST, the detector diagnostics and DCR used a seeded subsample of at most {n} rows of each table (the evaluation's row cap).</p>"
        );
    }
    contents(&mut o, report, plots.is_some());
    summary_html(&mut o, report);
    if let Some(d) = &report.diagnostics {
        diagnostics_html(&mut o, d);
    }
    if let Some(s) = &report.shape {
        let _ = write!(
            o,
            "<h2 id=\"shape\">Single columns: Shape (error {:.3})</h2><table class=\"sortable\"><thead><tr><th>column</th><th>metric</th><th>score</th></tr></thead><tbody>",
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
        o.push_str("</tbody></table>");
    }
    if let Some(p) = plots {
        o.push_str("<h2 id=\"marginals\">Marginals</h2>");
        p.marginals.iter().for_each(|x| figure(&mut o, x));
        o.push_str("<h2 id=\"correlations\">Correlations</h2>");
        p.correlations.iter().for_each(|x| figure(&mut o, x));
        if !p.curves.is_empty() {
            o.push_str("<h2 id=\"alpha-beta\">alpha-precision / beta-recall</h2>");
            p.curves.iter().for_each(|x| figure(&mut o, x));
        }
    }
    if let Some(t) = &report.trend {
        let _ = write!(
            o,
            "<h2 id=\"trend\">Column pairs: Trend (error {:.3})</h2><p>On the real table's bin edges (a diagnostic, not the protocol): {:.3}.</p><table class=\"sortable\"><thead><tr><th>column a</th><th>column b</th><th>metric</th><th>score</th></tr></thead><tbody>",
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
        o.push_str("</tbody></table>");
    }
    o.push_str("<h2 id=\"timings\">Timings</h2><table>");
    for t in &report.timings {
        row(&mut o, &t.metric, format!("{:.2} s", t.seconds));
    }
    let _ = writeln!(o, "</table><script>{SORT_SCRIPT}</script></body></html>");
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
