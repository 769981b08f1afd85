//! The `scorediff` command-line tool: a thin layer over the workspace's libraries.
//!
//! Every failure is printed as one line on stderr and exits with code 2; a panic is caught
//! and reported the same way (code 101), never as a backtrace.

mod args;
mod cmd;
mod progress;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // One line for a bug too: the default hook's multi-line report is not for users.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("scorediff: internal error: {msg}{at} (please report it)");
    }));
    let cli = args::Cli::parse();
    match std::panic::catch_unwind(|| cmd::run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("scorediff: error: {e}");
            ExitCode::from(2)
        }
        Err(_) => ExitCode::from(101),
    }
}
