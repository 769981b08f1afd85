//! The subcommands.

mod eval;
mod fit;
mod impute;
mod quickstart;
mod sample;
mod schema;

use crate::args::{BackendChoice, Cli, Command, FileArgs, ReadArgs};
use scorediff_synth::device::{BackendKind, OnBackend, run_on};
use scorediff_synth::tabular::{InferOptions, ReadOptions, Schema, TargetChoice};
use scorediff_synth::{Error, Result};

/// The library's backend kind for the user's choice.
pub fn backend_kind(choice: BackendChoice) -> BackendKind {
    match choice {
        BackendChoice::Cpu => BackendKind::Cpu,
        BackendChoice::Wgpu => BackendKind::Wgpu,
    }
}

/// Runs `job` on the backend the user chose.
pub fn dispatch<J: OnBackend>(choice: BackendChoice, job: J) -> Result<J::Output> {
    run_on(backend_kind(choice), job)
}

/// Runs one command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Schema(a) => schema::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Fit(a) => fit::run(a),
        Command::Sample(a) => sample::run(a),
        Command::Impute(a) => impute::run(a),
        Command::Quickstart(a) => quickstart::run(a),
    }
}

/// The reader options a user gave.
pub fn read_options(a: &FileArgs) -> Result<ReadOptions> {
    let mut opts = ReadOptions::default();
    if let Some(d) = a.delimiter {
        let byte = u8::try_from(u32::from(d)).map_err(|_| {
            Error::Usage(format!("--delimiter `{d}` is not a single-byte character"))
        })?;
        opts.delimiter = Some(byte);
    }
    opts.sheet = a.sheet.clone();
    opts.header_row = a.header_row;
    opts.missing = a.missing.clone();
    opts.encoding = a.encoding.clone();
    Ok(opts)
}

/// The inference options a user gave.
pub fn infer_options(a: &ReadArgs) -> InferOptions {
    let mut opts = InferOptions::default();
    if let Some(t) = &a.target {
        opts.target = TargetChoice::Named(t.clone());
    }
    opts
}

/// The user's schema file, if any.
pub fn user_schema(a: &ReadArgs) -> Result<Option<Schema>> {
    a.schema
        .as_ref()
        .map(Schema::load)
        .transpose()
        .map_err(Error::from)
}

/// Refuses an output path that is one of the inputs (`schema data.csv --out data.csv`).
pub fn check_not_input(
    out: &std::path::Path,
    inputs: &[&std::path::Path],
    flag: &str,
) -> Result<()> {
    let Ok(o) = std::fs::canonicalize(out) else {
        return Ok(());
    };
    for i in inputs {
        if std::fs::canonicalize(i).is_ok_and(|c| c == o) {
            return Err(Error::Usage(format!(
                "{flag} {} is an input of this command: refusing to overwrite it; give another path",
                out.display()
            )));
        }
    }
    Ok(())
}

/// Reports a command that wrote a table: its JSON summary with `--json`, else its one-line
/// summary on stdout, or on stderr (unless `--quiet`) when the table itself went to stdout.
pub fn report_written(
    common: &crate::args::Common,
    to_stdout: bool,
    summary: &impl serde::Serialize,
    line: &str,
) -> Result<()> {
    if common.json {
        print_json(summary)
    } else if to_stdout {
        if !common.quiet {
            eprintln!("{line}");
        }
        Ok(())
    } else {
        println!("{line}");
        Ok(())
    }
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| Error::Usage(format!("JSON: {e}")))?;
    println!("{text}");
    Ok(())
}
