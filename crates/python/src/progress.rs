//! Progress and Ctrl-C while the GIL is released: long calls run without the GIL, and every
//! few tenths of a second take it back to hand the Python progress callback
//! `(stage, done, total)` and to let Python run its signal handlers, so that Ctrl-C raises
//! `KeyboardInterrupt` instead of waiting for the call to end.

use pyo3::prelude::*;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Seconds between two calls into Python (the last report of a stage always goes through).
const INTERVAL: Duration = Duration::from_millis(200);

/// The progress of one native call, shared by the threads that report it.
pub struct Reporter {
    callback: Option<Py<PyAny>>,
    state: Mutex<State>,
}

struct State {
    last: Option<Instant>,
    /// The exception to raise when the call returns (Ctrl-C, or the callback's own error).
    raised: Option<PyErr>,
}

impl Reporter {
    /// A reporter calling `callback(stage, done, total)` (none: only signals are checked).
    pub fn new(callback: Option<Py<PyAny>>) -> Self {
        Self {
            callback,
            state: Mutex::new(State {
                last: None,
                raised: None,
            }),
        }
    }

    /// Reports `done` of `total` units of `stage`; returns `false` once the call should stop
    /// (Ctrl-C was pressed, or the callback raised).
    pub fn report(&self, stage: &str, done: u64, total: u64) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return true;
        };
        if state.raised.is_some() {
            return false;
        }
        let due = state.last.is_none_or(|t| t.elapsed() >= INTERVAL) || done >= total;
        if !due {
            return true;
        }
        state.last = Some(Instant::now());
        let outcome = Python::attach(|py| {
            py.check_signals()?;
            if let Some(cb) = &self.callback {
                cb.call1(py, (stage, done, total))?;
            }
            Ok::<(), PyErr>(())
        });
        match outcome {
            Ok(()) => true,
            Err(e) => {
                state.raised = Some(e);
                false
            }
        }
    }

    /// Whether the call should stop.
    pub fn stopped(&self) -> bool {
        self.state.lock().is_ok_and(|s| s.raised.is_some())
    }

    /// The exception to raise instead of the call's result, if any.
    pub fn take(&self) -> Option<PyErr> {
        self.state.lock().ok().and_then(|mut s| s.raised.take())
    }
}
