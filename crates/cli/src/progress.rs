//! Progress bars on stderr (hidden with `--quiet` and `--json`, and when stderr is no terminal).

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;

/// A progress bar for one stage of work, or nothing when bars are off.
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    /// A bar of `total` units titled `title`; `enabled` false makes a silent one.
    pub fn new(enabled: bool, title: &str, total: u64) -> Self {
        if !enabled {
            return Self { bar: None };
        }
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(
            "{prefix:>10} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(title.to_string());
        Self { bar: Some(bar) }
    }

    /// Moves the bar to `pos` of `total` with a message.
    pub fn update(&self, pos: u64, total: u64, msg: impl Into<String>) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(pos);
            bar.set_message(msg.into());
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
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

impl scorediff_eval::Progress for EvalBars {
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
