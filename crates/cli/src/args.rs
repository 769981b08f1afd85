//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use scorediff_synth::NetKind;
use std::path::PathBuf;

/// scorediff: synthetic copies of tables from a diffusion model whose score is learned by
/// gradient descent.
#[derive(Debug, Parser)]
#[command(name = "scorediff", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the inferred schema of a table as JSON (edit it and pass it to `fit --schema`).
    Schema(SchemaArgs),
    /// Train a model on a table and write the model directory.
    Fit(FitArgs),
    /// Generate synthetic rows from a model directory and write them as CSV.
    Sample(SampleArgs),
    /// Compare a synthetic table with the real one: fidelity, utility and privacy metrics.
    Eval(EvalArgs),
    /// Fill the missing cells of a table from a model directory, every other cell kept as
    /// read, and write it as CSV.
    Impute(ImputeArgs),
    /// Fit, sample and evaluate the default table in one go (Credit Default when
    /// ../shared/data/credit-default exists, else the red wine quality table).
    Quickstart(QuickstartArgs),
}

/// Options shared by every command.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Seed of every random draw: the same seed gives the same output on the same backend
    /// (default 0; `sample` defaults to the seed the model was fitted with).
    #[arg(long, global = true)]
    pub seed: Option<u64>,
    /// Compute backend.
    #[arg(long, value_enum, default_value_t = BackendChoice::Cpu, global = true)]
    pub backend: BackendChoice,
    /// Print a JSON summary on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress output (bars on a terminal, a line every few seconds otherwise).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// Which backend runs the numerical work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    /// faer on all CPU cores.
    Cpu,
    /// wgpu compute shaders (a GPU, or Mesa's lavapipe on the CPU).
    Wgpu,
}

/// How to read a file.
#[derive(Debug, Clone, Args)]
pub struct FileArgs {
    /// Field delimiter of a CSV file (detected when absent).
    #[arg(long)]
    pub delimiter: Option<char>,
    /// Sheet of an Excel file, by name or 0-based index (the first sheet when absent).
    #[arg(long)]
    pub sheet: Option<String>,
    /// 0-based row that holds the column names (detected when absent: the UCI Credit Default
    /// .xls has two header rows, the second one holds the names).
    #[arg(long)]
    pub header_row: Option<usize>,
    /// A cell text to read as a missing value, besides the empty cell, NA, NaN, N/A, null
    /// and ? (repeatable; compared ignoring case).
    #[arg(long, value_name = "TOKEN")]
    pub missing: Vec<String>,
    /// Text encoding of a CSV file (utf-8, utf-16le, windows-1252, latin1, shift_jis, ...;
    /// detected when absent).
    #[arg(long)]
    pub encoding: Option<String>,
}

/// How to read an input table and type its columns.
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Schema JSON to use instead of inferring one (see `scorediff schema`).
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// Name of the target column (default: the last column; applies on top of --schema).
    #[arg(long)]
    pub target: Option<String>,
}

/// A positive, finite number of seconds.
fn positive_seconds(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("`{text}` must be a positive number of seconds"))
    }
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The table (CSV, .xls or .xlsx).
    pub table: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Write the schema to this file instead of stdout.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

/// The network kinds `--net` takes (the library's spelling): `mlp`, the practical MLP
/// denoiser with time embedding and softmax heads (the default), or `two-layer`, the paper's
/// two-layer ReLU network trained by full-batch gradient descent.
fn net_kind(text: &str) -> Result<NetKind, String> {
    text.parse()
}

#[derive(Debug, Args)]
pub struct FitArgs {
    /// The training table (CSV, .xls or .xlsx).
    pub table: PathBuf,
    /// The model directory to write.
    #[arg(long, short)]
    pub model: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Score network.
    #[arg(long, value_parser = net_kind, default_value = "mlp")]
    pub net: NetKind,
    /// Upper bound on training steps (at least 1); the length rule decides below it.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_steps: Option<u64>,
    /// Train exactly this many steps (at least 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), conflicts_with_all = ["max_steps", "length"])]
    pub steps: Option<u64>,
    /// How long to train: `fixed` (the configuration's max_steps, 18,000 by default) or
    /// `theory` (the theory's stopping time for this table, converted by a power law
    /// referenced to Credit Default; at most 54,000 steps, or --max-steps).
    #[arg(long, value_enum)]
    pub length: Option<LengthChoice>,
    /// Upper bound on training time in seconds (positive).
    #[arg(long, value_parser = positive_seconds, allow_negative_numbers = true)]
    pub max_seconds: Option<f64>,
    /// Rows per training step (at least 1; the recipe's 1,024 when absent). A step's cost
    /// follows its rows: 256 fits about 3 times faster and, on the panel's 1,800- and
    /// 4,000-row tables, matched 1,024 on the held-out detector, Shape, Trend, MLE and DCR
    /// while losing 2-8 points of beta-recall (docs/panel.md).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch: Option<u64>,
    /// A fit configuration (JSON: the output of --print-config, or a model's model.json, whose
    /// `config` is used) instead of the default recipe; --seed, --max-steps, --steps,
    /// --batch and --max-seconds still apply on top of it.
    #[arg(long, conflicts_with = "net")]
    pub config: Option<PathBuf>,
    /// The memorisation guard: every 3,000 steps, samples checked against the training and
    /// the held-out rows (DCR); `stop` ends the fit on the last weights that passed when
    /// samples sit closer to the training rows than the limit allows (the default), `warn`
    /// only reports it, `off` skips the checks.
    #[arg(long, value_enum)]
    pub guard: Option<GuardChoice>,
    /// Print the fit configuration that would be used (JSON) and exit.
    #[arg(long)]
    pub print_config: bool,
    #[command(flatten)]
    pub common: Common,
}

/// What `--length` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LengthChoice {
    /// The configuration's max_steps.
    Fixed,
    /// The theory's stopping time for the table.
    Theory,
}

/// What `--guard` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GuardChoice {
    /// Stop the fit on the last weights that passed.
    Stop,
    /// Report and train on.
    Warn,
    /// No checks.
    Off,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The model directory written by `scorediff fit`.
    pub model: PathBuf,
    /// Number of rows to generate (default: as many as the training table had); any number,
    /// in memory independent of it (rows are generated and written in chunks).
    #[arg(long, short, value_parser = clap::value_parser!(u64).range(1..))]
    pub rows: Option<u64>,
    /// Output CSV file; `-` writes to standard output.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Number of sampler steps (default: the model's; at least 1). Fewer Heun steps trade
    /// precision for coverage: on Credit Default's model 16 instead of 25 raised beta-recall
    /// and the boosted-tree C2ST and lowered alpha a little; below 12 the samples break
    /// (docs/recipe.md).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: Option<u64>,
    /// Reverse sampler (default: the model's). heun and dpm-solver-2m integrate the
    /// probability-flow ODE (2 and 1 network passes per step); exponential-integrator and
    /// euler-maruyama the reverse SDE (1 pass per step).
    #[arg(long, value_enum)]
    pub sampler: Option<SamplerArg>,
    /// Spacing of the sampler's time grid (default: the model's).
    #[arg(long, value_enum)]
    pub grid: Option<GridArg>,
    /// Generate only rows meeting a condition (repeatable; all must hold): `NAME=VALUE`,
    /// `NAME=A|B` (categories), `NAME=LO..HI` (a range, ends included; `LO..` and `..HI`
    /// open). Conditioned columns hold exactly; the rest is drawn from the model given them,
    /// with no rejection.
    #[arg(long = "where", value_name = "CONDITION")]
    pub conditions: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct ImputeArgs {
    /// The model directory written by `scorediff fit`.
    pub model: PathBuf,
    /// The table with missing cells (CSV, .xls or .xlsx), typed by the model's schema: it
    /// needs every column the model was fitted on; other columns are kept as they are.
    pub table: PathBuf,
    /// Output CSV file (`-` writes to standard output): the table with the missing cells of
    /// the model's columns filled, every other cell as read.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Draws per missing cell: 1 fills each with one draw of the model's law given the row's
    /// known cells (run seeds 0, 1, ... for multiple imputation); more fill it with the point
    /// estimate over that many draws (the mean of a numerical cell, the most probable
    /// category), as scikit-learn's imputers do [default: 30].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub draws: Option<u64>,
    /// Number of sampler steps (default: as many network passes as the model's sampler).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: Option<u64>,
    /// Reverse sampler (default: dpm-solver-2m; see `sample --sampler`).
    #[arg(long, value_enum)]
    pub sampler: Option<SamplerArg>,
    #[command(flatten)]
    pub file: FileArgs,
    #[command(flatten)]
    pub common: Common,
}

/// `--sampler` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplerArg {
    Heun,
    #[value(name = "dpm-solver-2m")]
    DpmSolver2m,
    ExponentialIntegrator,
    EulerMaruyama,
}

impl From<SamplerArg> for scorediff_synth::process::SamplerKind {
    fn from(a: SamplerArg) -> Self {
        use scorediff_synth::process::SamplerKind as K;
        match a {
            SamplerArg::Heun => K::Heun,
            SamplerArg::DpmSolver2m => K::DpmSolver2m,
            SamplerArg::ExponentialIntegrator => K::ExponentialIntegrator,
            SamplerArg::EulerMaruyama => K::EulerMaruyama,
        }
    }
}

/// `--grid` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GridArg {
    Quadratic,
    LogSpaced,
    Uniform,
}

impl From<GridArg> for scorediff_synth::process::TimeGrid {
    fn from(a: GridArg) -> Self {
        use scorediff_synth::process::TimeGrid as G;
        match a {
            GridArg::Quadratic => G::Quadratic,
            GridArg::LogSpaced => G::LogSpaced,
            GridArg::Uniform => G::Uniform,
        }
    }
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The real training table.
    #[arg(long)]
    pub real: PathBuf,
    /// The real test table (for the machine-learning-efficiency test).
    #[arg(long)]
    pub test: Option<PathBuf>,
    /// The synthetic table.
    #[arg(long)]
    pub syn: PathBuf,
    /// Real rows never shown to the model (for the DCR test; default: the test table).
    #[arg(long)]
    pub holdout: Option<PathBuf>,
    /// Directory for report.json and report.html.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Skip the plots of the HTML report.
    #[arg(long)]
    pub no_plots: bool,
    /// Compare only the rows meeting a condition, in every table (repeatable; the syntax of
    /// `sample --where`): the fidelity of a conditioned sample against the real rows of its
    /// condition. The utility test is skipped when the target keeps one class.
    #[arg(long = "where", value_name = "CONDITION")]
    pub conditions: Vec<String>,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct QuickstartArgs {
    /// Output directory: model/, synthetic.csv and report/.
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,
    /// Score network.
    #[arg(long, value_parser = net_kind, default_value = "mlp")]
    pub net: NetKind,
    /// Upper bound on training time in seconds (positive).
    #[arg(long, value_parser = positive_seconds, allow_negative_numbers = true)]
    pub max_seconds: Option<f64>,
    /// Which table to use.
    #[arg(long, value_enum, default_value_t = Dataset::Auto)]
    pub dataset: Dataset,
    #[command(flatten)]
    pub common: Common,
}

/// The table of the main job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dataset {
    /// Credit Default when ../shared/data/credit-default exists, else wine quality.
    Auto,
    /// The Credit Default benchmark split (train.csv, test.csv) from ../shared/data or
    /// $SCOREDIFF_DATA/credit-default.
    CreditDefault,
    /// The red wine quality table shipped inside the linfa-datasets crate.
    WineQuality,
}

impl Common {
    /// The seed given, or 0.
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or(0)
    }
}
