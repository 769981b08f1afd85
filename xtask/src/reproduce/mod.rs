//! `cargo xtask reproduce theory [--full] [--out DIR] [--only a,b,c,d]`: the paper's
//! theoretical claims as figures (PNG) and tables (Markdown + JSON), written to
//! `docs/results/theory/` (see docs/theory.md for what each experiment shows).

mod common;
mod conditional;
mod credit;
mod panel;
mod peers;
mod plot;
mod scale;
mod sweep;
mod theory;

/// Runs the experiment named `name` with its command-line options.
pub fn run(name: &str, args: &[String]) -> Result<(), String> {
    match name {
        "theory" => run_theory(args),
        "credit" => credit::run_credit(args),
        "panel" => panel::run_panel(args),
        "conditional" => conditional::run_conditional(args),
        "scale" => scale::run_scale(args),
        other => Err(format!(
            "unknown experiment `{other}`: expected `theory`, `credit`, `panel`, `conditional` or `scale`"
        )),
    }
}

use std::path::PathBuf;

/// Settings of `reproduce theory`, parsed from the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct TheoryArgs {
    /// The larger sizes (a bigger machine: tens of minutes on 2 cores).
    pub full: bool,
    /// Output directory.
    pub out: PathBuf,
    /// Experiments to run (`a`..`d`); all when empty.
    pub only: Vec<char>,
}

impl TheoryArgs {
    /// Parses `--full`, `--out DIR`, `--only a,b`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut out = Self {
            full: false,
            out: default_out_dir(),
            only: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--full" => out.full = true,
                "--out" => {
                    let dir = it.next().ok_or("--out needs a directory")?;
                    out.out = PathBuf::from(dir);
                }
                "--only" => {
                    let list = it.next().ok_or("--only needs a list such as a,c")?;
                    for part in list.split(',') {
                        match part.trim() {
                            p @ ("a" | "b" | "c" | "d") => out.only.push(p.as_bytes()[0] as char),
                            p => return Err(format!("unknown experiment {p:?} (a, b, c, d)")),
                        }
                    }
                }
                other => {
                    return Err(format!(
                        "unknown argument {other:?}; usage: reproduce theory [--full] [--out DIR] [--only a,b,c,d]"
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Whether experiment `e` is selected.
    pub fn wants(&self, e: char) -> bool {
        self.only.is_empty() || self.only.contains(&e)
    }
}

/// `<workspace>/docs/results/theory`.
fn default_out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("docs")
        .join("results")
        .join("theory")
}

/// Entry point of `cargo xtask reproduce theory [--full]`: runs the selected experiments
/// and writes their figures and tables.
pub fn run_theory(args: &[String]) -> Result<(), String> {
    let args = TheoryArgs::parse(args)?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    theory::run(&args)
}
