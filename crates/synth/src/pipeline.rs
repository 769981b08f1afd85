//! The end-to-end pipeline: table -> encoder -> matrix -> training -> sampler -> decoder ->
//! table (DESIGN.md §2), shared by the binary, `cargo xtask reproduce` and the bindings.
//!
//! [`FitConfig::default`] is the theory-guided recipe (docs/recipe.md): the paper's
//! Ornstein-Uhlenbeck process, the parametric score form `s = (alpha_t f - x) / h_t`,
//! times uniform on `[T0, T]`, and training stopped by a rule rather than a per-data-set
//! search.

use crate::condition::Resolved;
pub use crate::guard::GuardConfig;
use crate::guard::{Guard, GuardAction, GuardCheck, GuardReport};
use crate::length::plan_length;
pub use crate::length::{LengthPlan, TheoryLength, TrainingLength};
use crate::{Error, Result};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, Layout};
use scorediff_net::{AnyNet, NetConfig, ScoreNet};
pub use scorediff_net::{NetKind, NetSpec};
use scorediff_process::{
    Condition, ConditionMethod, ProcessConfig, SampleProgress, SamplerConfig, SamplerKind,
    TimeGrid, TimeSampler, sample_conditioned, sample_with_progress,
};
use scorediff_tabular::{
    CellRequirement, ColumnCodec, ColumnData, Encoder, EncoderOptions, Matrix, RowSplit, Schema,
    Table, split_rows,
};
use scorediff_train::{
    Dataset, Decay, EarlyStop, LossWeighting, LrSchedule, NetDenoiser, NoiseMode, OptimizerConfig,
    PreconditionConfig, Preconditioned, TrainConfig, TrainReport, Trainer,
};
use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;
use std::time::Instant;

/// Everything a fit needs besides the table; stored in the model directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitConfig {
    /// The network and its sizes (`{"kind": "mlp", "width": 384, "depth": 3, "residual":
    /// true}`).
    pub net: NetSpec,
    /// Preconditioning of the denoiser (`f = c_skip x + c_out F(c_in x, t)`); `None` uses
    /// the network as the denoiser directly, as the theory does.
    pub precondition: Option<PreconditionConfig>,
    /// Encoding of the table.
    pub encoder: EncoderOptions,
    /// Training settings (process, times, optimizer, schedule, batch, steps, EMA, seed).
    pub train: TrainConfig,
    /// Share of the training rows held out for the validation loss.
    pub validation_fraction: f64,
    /// The stopping rule.
    pub stop: EarlyStop,
    /// Wall-clock budget of training in seconds (`None`: none).
    pub max_seconds: Option<f64>,
    /// The reverse sampler used by `sample`.
    pub sampler: SamplerConfig,
    /// The memorisation guard: DCR checks of samples during training (see [`crate::guard`]).
    #[serde(default)]
    pub guard: GuardConfig,
    /// How many steps to train: `train.max_steps` exactly, or the theory's stopping time for
    /// the table with `train.max_steps` as the cap (see [`crate::length`]). Absent in older
    /// configurations: fixed.
    #[serde(default)]
    pub length: TrainingLength,
}

/// The recipe's validation stop: the held-out loss `2%` above its best ends the fit
/// ([`EarlyStop::Rise`]).
pub const RECIPE_RISE: f64 = 0.02;

/// Lower end `T0` of the recipe's time range: training times and the sampler's last step.
pub const RECIPE_T0: f64 = 1e-3;

/// Upper end `T` of the recipe's time range. At `T = 3`, `alpha_T = e^{-3} = 0.050`, so the
/// law of `X_T` is within a 5% shrinkage of the sampler's start `N(0, I)`; a larger `T`
/// spends the uniform time draws where the denoiser has almost nothing to learn
/// (docs/recipe.md: `T = 5` gave Shape error 10.0 against 7.6 at `T = 3`).
pub const RECIPE_T: f64 = 3.0;

impl Default for FitConfig {
    /// The default recipe with the MLP (docs/recipe.md gives the evidence for each value).
    fn default() -> Self {
        let process = ProcessConfig::OrnsteinUhlenbeck;
        let train = TrainConfig {
            // The paper's uniform-time objective, estimated from log-uniform draws with
            // weights p_U / p_log: same expected loss, many more records at the small times
            // the sampler's last steps depend on (docs/recipe.md, runs M, P, Q').
            time_sampler: TimeSampler::ImportanceLogUniform {
                t0: RECIPE_T0,
                t_end: RECIPE_T,
            },
            process,
            optimizer: OptimizerConfig::adam(2e-3),
            schedule: LrSchedule {
                warmup_steps: 200,
                decay: Decay::Cosine,
                min_factor: 0.05,
            },
            batch_size: Some(1024),
            max_steps: 18_000,
            noise: NoiseMode::FreshEachEpoch,
            // w(t) = 1 / c_out(t)^2 with the preconditioner's sigma_d: unit-variance targets
            // for the network at every time (docs/recipe.md, runs G-H).
            loss_weighting: LossWeighting::UnitTarget {
                sigma_data: PreconditionConfig::default().sigma_data,
            },
            ema_decay: Some(0.999),
            seed: 0,
            eval_every: 250,
            // 4,096 fixed draws of the held-out rows (at least one per row): the rise stop
            // reads the loss's trend, which one draw per row leaves noisy on small tables.
            val_draws: 4096,
            log_every: 50,
            max_rows_per_pass: 8192,
            log_path: None,
            checkpoint: None,
        };
        Self {
            net: NetSpec::Mlp {
                width: 384,
                depth: 3,
                residual: true,
            },
            precondition: Some(PreconditionConfig::default()),
            encoder: EncoderOptions::default(),
            train,
            validation_fraction: 0.05,
            // Run the step budget unless the held-out loss turns up: a rise of 2% above its
            // best (at fixed draws) ends the fit on the best validated weights. A plateau
            // stop ended the importance-sampled fit at 8,500 of 18,000 steps while sample
            // quality still rose (docs/recipe.md, runs Q, Q'); a rise does not come on a
            // flat loss, and it is how a small table's fit that starts to copy its rows
            // shows (docs/panel.md).
            stop: EarlyStop::Rise { rise: RECIPE_RISE },
            max_seconds: None,
            // Heun on the probability-flow ODE, 25 quadratic steps (50 network passes, as
            // many as 50 exponential-integrator steps): Shape error 5.2 against 7.6 for the
            // stochastic sampler on the same model (docs/recipe.md, run C).
            sampler: SamplerConfig {
                kind: SamplerKind::Heun,
                steps: 25,
                grid: TimeGrid::Quadratic,
                t0: Some(RECIPE_T0),
                t_end: Some(RECIPE_T),
                ..SamplerConfig::default()
            },
            guard: GuardConfig::default(),
            // A fixed length: the theory's length (`TrainingLength::theory()`, crate::length)
            // is faster on small tables but lost Shape and beta-recall against 18,000 steps on
            // the 4,009-row panel table (docs/panel.md), so it is not yet the default.
            length: TrainingLength::Fixed,
        }
    }
}

impl FitConfig {
    /// The default recipe for a network kind. The two-layer network is the theory's
    /// setting: full-batch gradient descent on the fixed noisy triples.
    pub fn for_net(net: NetKind) -> Self {
        let mut cfg = Self::default();
        if net == NetKind::TwoLayer {
            cfg.precondition = None;
            cfg.train.optimizer = OptimizerConfig::Gd { lr: 1.0 };
            cfg.train.schedule = LrSchedule::default();
            cfg.train.batch_size = None;
            cfg.train.ema_decay = None;
            cfg.train.loss_weighting = LossWeighting::Plain;
            // The theory's setting: uniform times drawn as they are, the plain regression,
            // stopped on the held-out loss.
            cfg.train.time_sampler = TimeSampler::Uniform {
                t0: RECIPE_T0,
                t_end: RECIPE_T,
            };
            cfg.stop = EarlyStop::Validation {
                patience: 6,
                min_delta: 0.0,
            };
            // Full-batch steps cost O(N m d): width 1024 and 300 steps keep the fit within
            // the recipe's time budget on a 2-core CPU (docs/recipe.md).
            cfg.net = NetSpec::TwoLayer { width: 1024 };
            cfg.length = TrainingLength::Fixed;
            cfg.train.max_steps = 300;
            cfg.train.eval_every = 25;
            cfg.train.log_every = 10;
        }
        cfg
    }

    /// Uses `seed` for every draw of the fit (weights, split, noise) and as the sampler's
    /// seed, so that a model samples with the seed it was fitted with unless told otherwise.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.train.seed = seed;
        self.sampler.seed = seed;
        self
    }

    /// Checks every setting before any work: the training settings, the network's sizes,
    /// the validation share, the time budget and the sampler (steps, grid, time range).
    pub fn validate(&self) -> Result<()> {
        self.train.validate()?;
        let bad = |m: String| Err(Error::Usage(format!("fit configuration: {m}")));
        if self.net.validate().is_err() {
            return bad("network widths and depth must be at least 1".into());
        }
        if self.train.max_steps == 0 {
            return bad("max_steps must be at least 1 (a model of 0 steps is untrained)".into());
        }
        if !(0.0..1.0).contains(&self.validation_fraction) {
            return bad(format!(
                "validation_fraction must lie in [0, 1), got {}",
                self.validation_fraction
            ));
        }
        if let Some(s) = self.max_seconds
            && !(s.is_finite() && s > 0.0)
        {
            return bad(format!("max_seconds must be a positive number, got {s}"));
        }
        if self.sampler.steps == 0 {
            return bad("sampler steps must be at least 1".into());
        }
        self.sampler
            .grid_times(&self.train.process)
            .map_err(|e| Error::Usage(format!("fit configuration: sampler: {e}")))?;
        self.guard.validate().or_else(bad)?;
        if let EarlyStop::Rise { rise } = self.stop
            && !(rise.is_finite() && rise >= 0.0)
        {
            return bad(format!("stop.rise must be a number >= 0, got {rise}"));
        }
        if let TrainingLength::Theory(rule) = &self.length {
            rule.validate().or_else(bad)?;
        }
        Ok(())
    }

    /// The denoiser around a network `F` for data of `layout` (see [`Preconditioned`]).
    pub fn wrap<N>(&self, net: N, layout: &Layout) -> Preconditioned<N> {
        Preconditioned::new(net, self.train.process, self.precondition, layout)
    }

    /// The network configuration for data of `layout` (softmax heads on its one-hot blocks).
    fn net_config(&self, layout: &Layout) -> NetConfig {
        self.net.config(layout, self.train.seed)
    }
}

/// A fitted model: what `sample` needs and nothing else.
#[derive(Debug)]
pub struct Model<B: Backend> {
    /// The schema of the training table.
    pub schema: Schema,
    /// The fitted encoder.
    pub encoder: Encoder,
    /// The trained denoiser (EMA or best weights).
    pub net: Preconditioned<AnyNet<B>>,
    /// The configuration of the fit.
    pub config: FitConfig,
    /// Rows of the training table.
    pub n_train_rows: usize,
    /// The training outcome.
    pub report: TrainReport,
    /// What the memorisation guard measured (`None`: the guard was off).
    pub guard: Option<GuardReport>,
    /// What the length rule decided (`None`: a fixed length).
    pub length: Option<LengthPlan>,
}

/// Fits a model to `table` (typed by `schema`). `progress` sees every training step and may
/// stop the run early by returning `Break`.
pub fn fit<B: Backend>(
    be: &B,
    table: &Table,
    schema: &Schema,
    cfg: &FitConfig,
    progress: &mut dyn FnMut(&scorediff_train::Progress) -> ControlFlow<()>,
) -> Result<Model<B>> {
    let user_cfg = cfg;
    let encoder = Encoder::fit(table, schema, &cfg.encoder)?;
    let x = encoder.encode(table)?;
    let layout = encoder.layout();
    let split = validation_split(x.rows, cfg)?;
    let make = |rows: &[usize]| dataset(&x, &layout, rows);
    let (train, val) = match &split {
        Some(s) => (make(&s.train)?, Some(make(&s.holdout)?)),
        None => (make(&(0..x.rows).collect::<Vec<_>>())?, None),
    };
    // The datasets hold every row; the whole matrix would be a third copy during training.
    drop(x);
    let length = match &cfg.length {
        TrainingLength::Fixed => None,
        TrainingLength::Theory(rule) => Some(plan_length(
            be,
            &train,
            &layout,
            &cfg.train,
            rule,
            cfg.train.max_steps,
        )?),
    };
    // The run's own settings: the planned length in place of the cap.
    let mut run_cfg = cfg.clone();
    if let Some(plan) = &length {
        run_cfg.train.max_steps = plan.steps;
    }
    let cfg = &run_cfg;
    let net = cfg.net_config(&layout).build(be)?;
    let net = cfg.wrap(net, &layout);
    // A validation stop needs held-out rows; without them (validation_fraction 0) the rise
    // stop is off and the fit runs its length.
    let stop = match (cfg.stop, &val) {
        (EarlyStop::Rise { .. }, None) => EarlyStop::None,
        (stop, _) => stop,
    };
    let mut trainer = Trainer::new(be.clone(), net, cfg.train.clone())?.with_early_stop(stop);
    let guard = cfg.guard.is_on().then(|| match &split {
        Some(s) => Guard::new(
            cfg.guard,
            table,
            schema,
            &s.train,
            &s.holdout,
            cfg.train.seed,
        ),
        None => Err(GuardReport::skipped(
            cfg.guard,
            "no held-out rows (validation_fraction is 0)".into(),
        )),
    });
    let (report, guard) = match guard {
        Some(Ok(guard)) => {
            let run = GuardedRun {
                be,
                encoder: &encoder,
                cfg,
                guard: &guard,
            };
            let (report, guard_report) = run.train(&mut trainer, &train, val.as_ref(), progress)?;
            (report, Some(guard_report))
        }
        // Off, or skipped with its reason: one segment to the end.
        not_run => {
            let report = train_segment(&mut trainer, &train, val.as_ref(), cfg, None, progress)?.0;
            (report, not_run.and_then(|r| r.err()))
        }
    };
    Ok(Model {
        schema: schema.clone(),
        encoder,
        net: trainer.into_model(),
        config: user_cfg.clone(),
        n_train_rows: table.n_rows(),
        report,
        guard,
        length,
    })
}

/// The training of a fit with its memorisation guard: segments of training between checks.
struct GuardedRun<'a, B: Backend> {
    be: &'a B,
    encoder: &'a Encoder,
    cfg: &'a FitConfig,
    guard: &'a Guard,
}

impl<B: Backend> GuardedRun<'_, B> {
    /// Trains to the end, checking every `guard.every` steps and once at the end; with
    /// [`GuardAction::Stop`] a check over the limit ends the run on the last passing weights.
    fn train(
        &self,
        trainer: &mut Trainer<B, Preconditioned<AnyNet<B>>>,
        train: &Dataset,
        val: Option<&Dataset>,
        progress: &mut dyn FnMut(&scorediff_train::Progress) -> ControlFlow<()>,
    ) -> Result<(TrainReport, GuardReport)> {
        let max_steps = self.cfg.train.max_steps;
        let mut checks = Vec::new();
        let mut passed: Option<(u64, Vec<Option<B::Matrix>>)> = None;
        let stop = self.cfg.guard.action == GuardAction::Stop;
        let mut report = loop {
            let next = self.guard.next_due(trainer.step());
            let pause = (next < max_steps).then_some(next);
            let (report, paused) = train_segment(trainer, train, val, self.cfg, pause, progress)?;
            let step = trainer.step();
            let check = self.check(trainer, step)?;
            let exceeded = check.exceeded;
            checks.push(check);
            if exceeded && stop {
                break report;
            }
            // A pause is only ever at a due check below max_steps.
            if !paused {
                break report;
            }
            if stop && !exceeded {
                passed = Some((step, trainer.eval_weights()?));
            }
        };
        let mut kept_step = None;
        if stop && checks.last().is_some_and(|c| c.exceeded) {
            report.stop_reason = scorediff_train::StopReason::MemorisationGuard;
            if let Some((step, weights)) = &passed {
                trainer.keep_weights(weights)?;
                kept_step = Some(*step);
            }
        }
        let guard_report = GuardReport {
            config: self.cfg.guard,
            n_reference: self.guard.n_reference(),
            checks,
            kept_step,
            skipped: None,
        };
        Ok((report, guard_report))
    }

    fn check(
        &self,
        trainer: &mut Trainer<B, Preconditioned<AnyNet<B>>>,
        step: u64,
    ) -> Result<GuardCheck> {
        let process = self.cfg.train.process;
        trainer.with_eval_weights(|t| {
            self.guard.check(
                self.be,
                t.net(),
                self.encoder,
                process,
                &self.cfg.sampler,
                step,
            )
        })
    }
}

/// Trains until `pause_at` (when given) or the end of the run: the step budget, an early
/// stop, the time budget or the caller's `Break`. Returns the report and whether the run
/// paused at `pause_at` (and may be continued by another call).
fn train_segment<B: Backend>(
    trainer: &mut Trainer<B, Preconditioned<AnyNet<B>>>,
    train: &Dataset,
    val: Option<&Dataset>,
    cfg: &FitConfig,
    pause_at: Option<u64>,
    progress: &mut dyn FnMut(&scorediff_train::Progress) -> ControlFlow<()>,
) -> Result<(TrainReport, bool)> {
    let started = Instant::now();
    // The time budget counts the whole fit: the time of earlier segments is in the trainer.
    let spent = trainer.elapsed_s();
    let budget = cfg.max_seconds;
    let mut paused = false;
    let mut on_step = |p: &scorediff_train::Progress| {
        if budget.is_some_and(|b| spent + started.elapsed().as_secs_f64() > b) {
            return ControlFlow::Break(());
        }
        let flow = progress(p);
        if flow.is_continue() && pause_at == Some(p.step) {
            paused = true;
            return ControlFlow::Break(());
        }
        flow
    };
    let report = trainer.fit(train, val, &mut on_step)?;
    // A stop of the trainer's own at the pause step ends the run.
    let paused = paused && report.stop_reason == scorediff_train::StopReason::Callback;
    Ok((report, paused))
}

/// The seeded split of `n_rows` encoded rows into training and validation rows (`None` when
/// the validation share leaves no row).
fn validation_split(n_rows: usize, cfg: &FitConfig) -> Result<Option<RowSplit>> {
    let n_val = (n_rows as f64 * cfg.validation_fraction).round() as usize;
    if n_val == 0 {
        return Ok(None);
    }
    Ok(Some(split_rows(
        n_rows,
        cfg.validation_fraction,
        cfg.train.seed,
    )?))
}

/// The encoded rows `rows` of `x` as a dataset with its one-hot blocks.
fn dataset(x: &Matrix, layout: &Layout, rows: &[usize]) -> Result<Dataset> {
    let mut data = Vec::with_capacity(rows.len() * x.cols);
    for &i in rows {
        data.extend_from_slice(x.row(i));
    }
    Ok(Dataset::new(data, rows.len(), x.cols)
        .and_then(|d| d.with_blocks(layout.one_hot.clone()))?)
}

/// Rows generated and decoded together by [`sample_chunks`]: memory is bounded by one chunk
/// whatever the number of rows asked for. 16 sampler batches of 4,096 rows; a request of at
/// most this many rows is one chunk, drawn exactly as an unchunked run would be.
pub const SAMPLE_CHUNK_ROWS: usize = 65_536;

/// Generates `n_rows` synthetic rows with `sampler` (seeded by its `seed`) and returns them
/// as one table (the schema's modelled columns; see [`sample_chunks`] for ids and bounded
/// memory). `progress(done, total)` reports rows.
pub fn sample<B: Backend>(
    be: &B,
    model: &Model<B>,
    n_rows: usize,
    sampler: &SamplerConfig,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Table> {
    sample_where(be, model, n_rows, &[], sampler, progress)
}

/// [`sample`] with every row meeting `conditions` (checked against the model by
/// [`crate::condition::resolve`]): the conditioned columns hold exactly, the others are
/// drawn from the model's law given them ([`scorediff_process::condition`]; no rejection).
pub fn sample_where<B: Backend>(
    be: &B,
    model: &Model<B>,
    n_rows: usize,
    conditions: &[Resolved],
    sampler: &SamplerConfig,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Table> {
    let mut parts = Vec::new();
    sample_chunks(be, model, n_rows, conditions, sampler, progress, &mut |t| {
        parts.push(t);
        Ok(())
    })?;
    Ok(concat_tables(parts))
}

/// The sampler of conditioned draws when the user picks none: the posterior method
/// ([`scorediff_process::condition`]) makes two network passes per denoiser evaluation, so
/// the model's sampler is replaced by DPM-Solver++(2M), one evaluation per step, with as
/// many network passes in all as the model's sampler makes (25 steps for the recipe's Heun
/// 25); grid, time range, seed and batch are the model's. On Credit Default this draws 5,000
/// defaulters in the time of 5,000 unconditioned rows, with the Shape error of Heun 25
/// (docs/conditional.md). Under the replacement method the model's sampler is kept.
pub fn conditioned_sampler(sampler: &SamplerConfig) -> SamplerConfig {
    if sampler.condition == ConditionMethod::Replacement {
        return *sampler;
    }
    let passes = match sampler.kind {
        SamplerKind::Heun => 2 * sampler.steps,
        _ => sampler.steps,
    };
    SamplerConfig {
        kind: SamplerKind::DpmSolver2m,
        steps: (passes / 2).max(1),
        ..*sampler
    }
}

/// A user's sampler choices for one sampling or imputation run, each `None` where the
/// model's stands (the CLI's `--sampler`, `--steps`, `--grid`, `--seed`; the Python
/// package's `seed=`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SamplerChoice {
    /// The sampler.
    pub kind: Option<SamplerKind>,
    /// Its steps.
    pub steps: Option<usize>,
    /// Its time grid.
    pub grid: Option<TimeGrid>,
    /// Its seed.
    pub seed: Option<u64>,
}

impl SamplerChoice {
    /// The sampler of a run from a model whose sampler is `model`: a conditioned run starts
    /// from [`conditioned_sampler`] unless the user names a sampler or its steps; then every
    /// choice given replaces the model's.
    pub fn apply(&self, model: &SamplerConfig, conditioned: bool) -> SamplerConfig {
        let mut sampler = if !conditioned || self.kind.is_some() || self.steps.is_some() {
            *model
        } else {
            conditioned_sampler(model)
        };
        if let Some(kind) = self.kind {
            sampler.kind = kind;
        }
        if let Some(steps) = self.steps {
            sampler.steps = steps;
        }
        if let Some(grid) = self.grid {
            sampler.grid = grid;
        }
        if let Some(seed) = self.seed {
            sampler.seed = seed;
        }
        sampler
    }
}

/// Generates `n_rows` synthetic rows meeting `conditions` (none: unconditional) chunk by
/// chunk ([`SAMPLE_CHUNK_ROWS`] at a time) and hands each chunk to `sink` as soon as it is
/// decoded: the schema's modelled columns, in schema order (add ids with
/// [`Schema::with_ids`]). One RNG seeded by `sampler.seed` draws every chunk's noise and
/// categories in turn, so the output depends only on that seed (the one seed of a sampling
/// run; a fit's [`FitConfig::with_seed`] sets it to the fit's seed).
pub fn sample_chunks<B: Backend>(
    be: &B,
    model: &Model<B>,
    n_rows: usize,
    conditions: &[Resolved],
    sampler: &SamplerConfig,
    progress: &mut dyn FnMut(usize, usize),
    sink: &mut dyn FnMut(Table) -> Result<()>,
) -> Result<()> {
    let requirement = if conditions.is_empty() {
        None
    } else {
        let cells: Vec<_> = conditions
            .iter()
            .map(|c| (c.position, c.requirement.clone()))
            .collect();
        Some(model.encoder.row_condition(&cells)?)
    };
    let layout = model.encoder.layout();
    let mut rng = ChaCha8Rng::seed_from_u64(sampler.seed);
    let mut done = 0;
    while done < n_rows {
        let rows = SAMPLE_CHUNK_ROWS.min(n_rows - done);
        let mut on_rows = |d: usize, _: usize| progress(done + d, n_rows);
        let condition = requirement
            .as_ref()
            .map(|r| Condition::same(&layout, rows, r.clone()))
            .transpose()?;
        let mut table = sample_table(
            be,
            &model.net,
            &model.encoder,
            model.config.train.process,
            rows,
            condition.as_ref(),
            sampler,
            &mut rng,
            &mut on_rows,
        )?;
        hold_conditions(&mut table, conditions, &model.encoder);
        sink(table)?;
        done += rows;
    }
    Ok(())
}

/// Generates `rows` rows from the denoiser `net` in one sampler run, each meeting its row of
/// `condition` when one is given, and decodes them with `encoder` (the categories drawn from
/// the denoiser's class probabilities with `rng`, which also draws the starting noise).
/// `progress(done, rows)` reports rows.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sample_table<B: Backend>(
    be: &B,
    net: &Preconditioned<AnyNet<B>>,
    encoder: &Encoder,
    process: ProcessConfig,
    rows: usize,
    condition: Option<&Condition>,
    sampler: &SamplerConfig,
    rng: &mut ChaCha8Rng,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Table> {
    let m = sample_matrix(
        be, net, encoder, process, rows, condition, sampler, rng, progress,
    )?;
    // Categorical blocks hold the denoiser's class probabilities: draw from them.
    Ok(encoder.decode_sampled(&m, rng)?)
}

/// The encoded records of [`sample_table`], before decoding.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sample_matrix<B: Backend>(
    be: &B,
    net: &Preconditioned<AnyNet<B>>,
    encoder: &Encoder,
    process: ProcessConfig,
    rows: usize,
    condition: Option<&Condition>,
    sampler: &SamplerConfig,
    rng: &mut ChaCha8Rng,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Matrix> {
    let d = encoder.width();
    let denoiser = NetDenoiser::new(net);
    let mut on_step = |p: SampleProgress| progress(p.rows_done, rows);
    let x = match condition {
        None => {
            let score = denoiser.score_model(process);
            sample_with_progress(be, &process, &score, rows, d, sampler, rng, &mut on_step)?
        }
        Some(c) => sample_conditioned(be, &process, &denoiser, c, sampler, rng, &mut on_step)?,
    };
    Ok(Matrix::new(rows, d, be.to_host(&x)?)?)
}

/// Makes every row of `table` (decoded from conditioned records) meet `conditions` to the
/// last digit: a numerical value that rounding to the column's resolution, or snapping to a
/// discrete column's values, moved out of its range is moved to the nearest value inside
/// it. The conditioned sampler already holds categories exactly.
fn hold_conditions(table: &mut Table, conditions: &[Resolved], encoder: &Encoder) {
    for c in conditions {
        let (Some(col), ColumnCodec::Numerical(e)) = (
            table.columns.get_mut(c.position),
            &encoder.columns[c.position].codec,
        ) else {
            continue;
        };
        let (CellRequirement::Between { lo, hi }, ColumnData::Numerical(values)) =
            (&c.requirement, &mut col.data)
        else {
            continue;
        };
        for v in values.iter_mut() {
            let x = v.unwrap_or(*lo);
            if v.is_none() || x < *lo || x > *hi {
                *v = e.value_within(x, *lo, *hi).or(*v);
            }
        }
    }
}

/// Generates `n_rows` rows meeting `conditions` (none: unconditional) with fresh ids
/// ([`Schema::with_ids`], seeded by the sampler's seed) and writes them as CSV to `path`
/// (`-` for standard output; through a temporary file and a rename otherwise), chunk by
/// chunk; `each` receives every chunk once written.
#[allow(clippy::too_many_arguments)]
pub fn sample_to_csv<B: Backend>(
    be: &B,
    model: &Model<B>,
    n_rows: usize,
    conditions: &[Resolved],
    sampler: &SamplerConfig,
    path: &std::path::Path,
    progress: &mut dyn FnMut(usize, usize),
    each: &mut dyn FnMut(Table),
) -> Result<()> {
    let mut out = scorediff_tabular::write::CsvWriter::create(path, Some(&model.schema))?;
    let mut written = 0u64;
    let mut sink = |chunk: Table| -> Result<()> {
        let n = chunk.n_rows() as u64;
        let chunk = model.schema.with_ids(chunk, written, sampler.seed);
        out.write(&chunk)?;
        each(chunk);
        written += n;
        Ok(())
    };
    sample_chunks(be, model, n_rows, conditions, sampler, progress, &mut sink)?;
    out.finish()?;
    Ok(())
}

/// The rows of `parts` one after another (the same columns in each).
pub(crate) fn concat_tables(parts: Vec<Table>) -> Table {
    let mut iter = parts.into_iter();
    let Some(mut first) = iter.next() else {
        return Table::default();
    };
    for part in iter {
        for (a, b) in first.columns.iter_mut().zip(part.columns) {
            match (&mut a.data, b.data) {
                (ColumnData::Numerical(x), ColumnData::Numerical(y)) => x.extend(y),
                (ColumnData::Categorical(x), ColumnData::Categorical(y)) => x.extend(&y),
                _ => {}
            }
        }
    }
    first
}

impl<B: Backend> Model<B> {
    /// Number of trainable parameters.
    pub fn n_params(&self) -> usize {
        self.net.n_trainable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conditioned_run_takes_its_own_default_unless_the_user_names_a_sampler() {
        let model = SamplerConfig::default();
        let none = SamplerChoice::default();
        assert_eq!(none.apply(&model, false), model);
        assert_eq!(none.apply(&model, true), conditioned_sampler(&model));
        let steps = SamplerChoice {
            steps: Some(7),
            seed: Some(3),
            ..SamplerChoice::default()
        };
        let chosen = steps.apply(&model, true);
        assert_eq!((chosen.kind, chosen.steps, chosen.seed), (model.kind, 7, 3));
        let seed_only = SamplerChoice {
            seed: Some(9),
            ..SamplerChoice::default()
        };
        let conditioned = seed_only.apply(&model, true);
        assert_eq!(conditioned.seed, 9);
        assert_eq!(conditioned.kind, conditioned_sampler(&model).kind);
    }

    #[test]
    fn sampler_runs_over_the_training_time_range() {
        for net in [NetKind::Mlp, NetKind::TwoLayer] {
            let c = FitConfig::for_net(net);
            let (t0, t_end) = c.train.time_sampler.range();
            assert_eq!(
                (c.sampler.t0, c.sampler.t_end),
                (Some(t0), Some(t_end)),
                "{net:?}"
            );
            assert_eq!(c.net.kind(), net);
            assert!(0.0 < t0 && t0 < t_end);
        }
    }

    #[test]
    fn seed_reaches_training_and_sampler() {
        let c = FitConfig::default().with_seed(7);
        assert_eq!((c.train.seed, c.sampler.seed), (7, 7));
    }

    #[test]
    fn config_survives_json() {
        for net in [NetKind::Mlp, NetKind::TwoLayer] {
            let c = FitConfig::for_net(net);
            let back: FitConfig =
                serde_json::from_str(&serde_json::to_string(&c).expect("serialise"))
                    .expect("parse");
            assert_eq!(back, c);
        }
    }
}
