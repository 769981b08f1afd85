//! A progress hook for the slow parts of the evaluation (nearest-neighbour searches, model fits).

/// Receives progress reports: `stage` names the running step, `done` of `total` units are
/// finished. Implemented for every `Fn(&str, usize, usize) + Sync` closure, so a command line
/// can drive a progress bar with `&|stage, done, total| ...`.
pub trait Progress: Sync {
    /// Reports that `done` of `total` units of `stage` are finished.
    fn report(&self, stage: &str, done: usize, total: usize);
}

impl<F: Fn(&str, usize, usize) + Sync> Progress for F {
    fn report(&self, stage: &str, done: usize, total: usize) {
        self(stage, done, total)
    }
}

/// A progress hook that ignores every report.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn report(&self, _stage: &str, _done: usize, _total: usize) {}
}
