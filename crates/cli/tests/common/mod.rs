//! Running the `scorediff` binary from the integration tests.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, with a private runtime directory for Mesa and no progress interval set.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scorediff"));
    c.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    c.env_remove("SCOREDIFF_PROGRESS_SECONDS");
    c
}

/// Runs the binary with `args` in `dir` (or the test's directory).
pub fn run_in(dir: Option<&Path>, args: &[&str]) -> Output {
    let mut c = bin();
    if let Some(d) = dir {
        c.current_dir(d);
    }
    c.args(args).output().expect("the binary runs")
}

/// Runs the binary with `args`.
pub fn run(args: &[&str]) -> Output {
    run_in(None, args)
}

/// Its stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit code 2 with one line on stderr containing every `needle`.
pub fn assert_refused(o: &Output, needles: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "exit code; stderr: {e}");
    assert_eq!(e.trim_end().lines().count(), 1, "one line: {e}");
    for n in needles {
        assert!(e.contains(n), "`{n}` in: {e}");
    }
}

/// Writes `bytes` to `dir/name`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `fit DATA --model MODEL EXTRA...`.
pub fn fit_with(data: &Path, model: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "fit",
        data.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}
