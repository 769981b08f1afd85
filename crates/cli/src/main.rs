//! The `scorediff` command-line tool: a thin layer over the workspace's libraries.
//!
//! Every failure is printed as one line on stderr and exits with code 2; a panic is caught
//! and reported the same way (code 101), never as a backtrace. SIGINT and SIGTERM remove the
//! temporary files and directories in progress (nothing partial is left behind) and exit
//! with code 130.

mod args;
mod cmd;
mod progress;

use clap::Parser as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Training frees and reallocates the same large buffers every step: keep them in the
    // process rather than page-faulting them in again (scorediff_faer::retain_freed_memory).
    #[cfg(feature = "cpu")]
    scorediff_synth::faer::retain_freed_memory();
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
    // Ctrl-C or a kill mid-write: remove what is half written, then stop.
    let _ = ctrlc::set_handler(|| {
        scorediff_synth::tabular::write::remove_temporaries();
        eprintln!("scorediff: interrupted; no partial output left behind");
        std::process::exit(130);
    });
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // clap's report is several lines (usage, a tip); a user needs its first.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("bad arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("scorediff: error: {first} (see --help)");
            return ExitCode::from(2);
        }
    };
    match std::panic::catch_unwind(|| cmd::run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("scorediff: error: {e}");
            ExitCode::from(2)
        }
        Err(_) => ExitCode::from(101),
    }
}
