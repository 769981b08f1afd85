//! The HTML report in a real browser: headless Chromium opens a generated report, a check run
//! inside the page confirms that it renders (the summary table present, no broken image,
//! every figure of non-zero size with its text laid out), and a screenshot is taken and
//! checked not to be blank.
//!
//! Chromium is the system's package (`.ci/setup` installs it). Where none is found the test
//! says so and skips, unless `SCOREDIFF_REQUIRE_BROWSER=1` (set by `.ci/run`), where a
//! missing browser is a failure. `SCOREDIFF_CHROMIUM` names a browser binary explicitly.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scorediff_eval::gbdt::GbdtParams;
use scorediff_eval::{EvalConfig, NoProgress, evaluate, make_plots, write_report};
use scorediff_tabular::{Column, Table};

fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SCOREDIFF_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
    .find(|p| p.is_file())
}

/// A real-looking pair: a numerical column, a skewed one, a category and a binary target;
/// the synthetic rows are the real ones shifted and with categories reshuffled.
fn table(n: usize, shift: usize) -> Table {
    let num = |k: usize, i: usize| (((i + shift) * k) % 97) as f64 + 0.5 * shift as f64;
    Table::new(vec![
        Column::numerical("LIMIT", (0..n).map(|i| Some(1000.0 * num(7, i))).collect()),
        Column::numerical(
            "AGE",
            (0..n).map(|i| Some(20.0 + num(13, i) / 2.0)).collect(),
        ),
        Column::categorical(
            "EDUCATION",
            (0..n)
                .map(|i| Some(["school", "university", "other"][(i * (shift + 1)) % 3].to_string()))
                .collect(),
        ),
        Column::categorical(
            "y",
            (0..n)
                .map(|i| Some(((num(7, i) > 48.0) as u8).to_string()))
                .collect(),
        ),
    ])
    .unwrap()
}

fn report_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scorediff-browser-{}", std::process::id()));
    let (real, syn, test) = (table(400, 0), table(400, 3), table(200, 1));
    let mut cfg = EvalConfig::new("y");
    cfg.mle_grid = vec![GbdtParams {
        n_trees: 20,
        max_depth: 3,
        ..GbdtParams::default()
    }];
    let report = evaluate(&real, Some(&test), &syn, Some(&test), &cfg, &NoProgress).unwrap();
    let plots = make_plots(&real, &syn, &report).unwrap();
    write_report(&dir, &report, Some(&plots)).unwrap();
    dir
}

/// Runs the browser with `args` on `page`, at most two minutes; its standard output.
fn run_browser(browser: &Path, profile: &Path, args: &[&str], page: &Path) -> String {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", browser.display()));
    // Read while it runs: a page's DOM is larger than a pipe's buffer.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("{} did not finish in 120 s", browser.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap().unwrap()
}

/// Checks the page from inside: its findings are written into `<pre id="render-check">`,
/// which `--dump-dom` prints once the scripts have run.
const CHECK: &str = r#"<script>
window.addEventListener('load', function () {
  var out = [];
  var summary = document.getElementById('summary-table');
  out.push('summary_rows=' + (summary ? summary.tBodies[0].rows.length : -1));
  var imgs = Array.from(document.images);
  out.push('broken_images=' + imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; }).length);
  var svgs = Array.from(document.querySelectorAll('figure svg'));
  out.push('figures=' + svgs.length);
  out.push('empty_figures=' + svgs.filter(function (s) { var r = s.getBoundingClientRect(); return r.width < 50 || r.height < 50; }).length);
  out.push('figures_without_text=' + svgs.filter(function (s) {
    return Array.from(s.querySelectorAll('text')).filter(function (t) {
      var b = t.getBBox(); return t.textContent.trim().length > 0 && b.width > 0 && b.height > 0;
    }).length < 4;
  }).length);
  var pre = document.createElement('pre'); pre.id = 'render-check'; pre.textContent = out.join(';');
  document.body.appendChild(pre);
});
</script>"#;

fn finding(dom: &str, key: &str) -> i64 {
    let start = dom.find("id=\"render-check\">").unwrap_or_else(|| {
        panic!(
            "no check output in the page:\n{}",
            &dom[..dom.len().min(2000)]
        )
    });
    let text = &dom[start..];
    let at = text
        .find(&format!("{key}="))
        .unwrap_or_else(|| panic!("{key} missing"));
    text[at + key.len() + 1..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect::<String>()
        .parse()
        .unwrap()
}

#[test]
fn the_report_renders_in_a_headless_browser() {
    let Some(browser) = chromium() else {
        if std::env::var("SCOREDIFF_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "SCOREDIFF_REQUIRE_BROWSER=1 but no Chromium found (install the `chromium` package, or set SCOREDIFF_CHROMIUM)"
            );
        }
        eprintln!(
            "skipped: no Chromium on PATH (install the `chromium` package, or set SCOREDIFF_CHROMIUM to a browser binary)"
        );
        return;
    };
    let dir = report_dir();
    let profile = dir.join("profile");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    // Nothing loaded from elsewhere (the SVG namespace URI is a name, not a load).
    for load in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(load), "the report must open offline: {load}");
    }
    let checked = dir.join("checked.html");
    std::fs::write(
        &checked,
        html.replace("</body>", &format!("{CHECK}</body>")),
    )
    .unwrap();
    let dom = run_browser(
        &browser,
        &profile,
        &["--dump-dom", "--virtual-time-budget=10000"],
        &checked,
    );
    assert!(finding(&dom, "summary_rows") >= 7, "summary table");
    assert_eq!(finding(&dom, "broken_images"), 0);
    let figures = finding(&dom, "figures");
    // One marginal per column (4), three correlation heatmaps and the Trend one, alpha/beta.
    assert_eq!(figures, 9, "figures");
    assert_eq!(finding(&dom, "empty_figures"), 0);
    assert_eq!(finding(&dom, "figures_without_text"), 0);

    let shot = dir.join("report.png");
    run_browser(
        &browser,
        &profile,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1800",
        ],
        &dir.join("report.html"),
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1280, 1800));
    let pixels = &buf[..info.buffer_size()];
    let step = info.line_size / info.width as usize;
    let non_white = pixels
        .chunks(step)
        .filter(|p| p.iter().take(3).any(|&v| v < 200))
        .count();
    // Text, tables and figures: far more than a blank page, far less than a black one.
    let share = non_white as f64 / (info.width * info.height) as f64;
    assert!((0.01..0.6).contains(&share), "non-white share {share}");
    if let Ok(keep) = std::env::var("SCOREDIFF_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
