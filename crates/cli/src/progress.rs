//! Progress on stderr: a bar on a terminal (indicatif), else a plain line every few seconds
//! (`training: step 1200/18000 (6.7%) loss 0.4321 95 rows/s, 12.3 s elapsed, eta 2.9 min`),
//! so a run piped to a log still says where it is. `--quiet` silences both.
//! `SCOREDIFF_PROGRESS_SECONDS` sets the interval of the plain lines (default 5).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Seconds between plain progress lines unless `SCOREDIFF_PROGRESS_SECONDS` says otherwise.
const PLAIN_INTERVAL_S: f64 = 5.0;

enum Mode {
    Off,
    Terminal(ProgressBar),
    Plain {
        title: String,
        started: Instant,
        interval: Duration,
        last: Mutex<Option<Instant>>,
    },
}

/// Progress of one stage of work.
pub struct Bar {
    mode: Mode,
}

impl Bar {
    /// Progress of `total` units titled `title`; `enabled` false makes a silent one.
    pub fn new(enabled: bool, title: &str, total: u64) -> Self {
        if !enabled {
            return Self { mode: Mode::Off };
        }
        if !std::io::stderr().is_terminal() {
            let secs = std::env::var("SCOREDIFF_PROGRESS_SECONDS")
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .unwrap_or(PLAIN_INTERVAL_S);
            return Self {
                mode: Mode::Plain {
                    title: title.to_string(),
                    started: Instant::now(),
                    interval: Duration::from_secs_f64(secs),
                    last: Mutex::new(None),
                },
            };
        }
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(
            "{prefix:>10} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(title.to_string());
        Self {
            mode: Mode::Terminal(bar),
        }
    }

    /// Moves to `pos` of `total` with a message.
    pub fn update(&self, pos: u64, total: u64, msg: impl Into<String>) {
        match &self.mode {
            Mode::Off => {}
            Mode::Terminal(bar) => {
                bar.set_length(total);
                bar.set_position(pos);
                bar.set_message(msg.into());
            }
            Mode::Plain {
                title,
                started,
                interval,
                last,
            } => {
                let Ok(mut last) = last.lock() else { return };
                let now = Instant::now();
                // The first line waits one interval too: short runs print nothing.
                let since = now.duration_since(last.unwrap_or(*started));
                if since < *interval && pos < total {
                    return;
                }
                if pos >= total && last.is_none() && since < *interval {
                    return;
                }
                *last = Some(now);
                let elapsed = now.duration_since(*started).as_secs_f64();
                let share = pos as f64 / total.max(1) as f64;
                let eta = if share > 0.0 {
                    format!(", eta {}", human(elapsed * (1.0 - share) / share))
                } else {
                    String::new()
                };
                let msg = msg.into();
                let msg = if msg.is_empty() {
                    msg
                } else {
                    format!(" {msg}")
                };
                eprintln!(
                    "{title}: {pos}/{total} ({:.1}%){msg}, {} elapsed{eta}",
                    100.0 * share,
                    human(elapsed)
                );
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Mode::Terminal(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }
}

/// Seconds as `12.3 s`, `4.5 min` or `1.2 h`.
fn human(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// Adapts a bar to `scorediff_eval::Progress`, one bar per stage.
pub struct EvalBars {
    enabled: bool,
    current: Mutex<Option<(String, Bar)>>,
}

impl EvalBars {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            current: Mutex::new(None),
        }
    }

    pub fn finish(&self) {
        if let Ok(mut cur) = self.current.lock()
            && let Some((_, bar)) = cur.take()
        {
            bar.finish();
        }
    }
}

impl scorediff_synth::eval::Progress for EvalBars {
    fn report(&self, stage: &str, done: usize, total: usize) {
        let Ok(mut cur) = self.current.lock() else {
            return;
        };
        if cur.as_ref().is_none_or(|(s, _)| s != stage) {
            if let Some((_, old)) = cur.take() {
                old.finish();
            }
            *cur = Some((
                stage.to_string(),
                Bar::new(self.enabled, stage, total as u64),
            ));
        }
        if let Some((_, bar)) = cur.as_ref() {
            bar.update(done as u64, total as u64, "");
        }
    }
}
