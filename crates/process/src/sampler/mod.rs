//! Reverse samplers (DESIGN.md §1): from `N(0, I)` at `T` down to `T0` with a score model,
//! batched over rows.

mod dpm;
mod euler;
mod expint;
mod grid;
mod heun;

pub use grid::TimeGrid;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scorediff_backend::{Backend, DeviceMatrix};
use serde::{Deserialize, Serialize};

use crate::condition::{Condition, ConditionMethod, ConditionedDenoiser};
use crate::error::{Result, config_err};
use crate::noise::standard_normal;
use crate::process::{ForwardProcess, score_coefficients};
use crate::score::{Denoiser, DenoiserFromScore, ParametricScore, ScoreModel};

/// Which discretisation of the reverse dynamics to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamplerKind {
    /// Euler-Maruyama on the reverse SDE: first order, one score evaluation per step, needs
    /// many steps.
    EulerMaruyama,
    /// Exponential integrator on the reverse SDE: the linear part integrated exactly, the
    /// score held over the step; one score evaluation per step. The default.
    #[default]
    ExponentialIntegrator,
    /// Heun (second order) on the probability-flow ODE: deterministic given the start, two
    /// score evaluations per step, accurate with few steps.
    Heun,
    /// DPM-Solver++(2M) on the probability-flow ODE: a multistep exponential integrator in
    /// the denoiser (second order, the last two denoiser values reused), one score
    /// evaluation per step; deterministic given the start.
    #[serde(rename = "dpm_solver_2m")]
    DpmSolver2m,
}

/// Settings of a reverse sampler; serialisable for configs and model files.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SamplerConfig {
    /// The discretisation.
    pub kind: SamplerKind,
    /// Number of steps `N` from `T` to `T0`.
    pub steps: usize,
    /// Spacing of the time grid.
    pub grid: TimeGrid,
    /// End time `T0`; `None` takes the process's default.
    pub t0: Option<f64>,
    /// Start time `T`; `None` takes the process's default.
    pub t_end: Option<f64>,
    /// Whether to return the denoiser mean at `T0`, `(y + h_T0 s(y, T0)) / alpha_T0`
    /// (Tweedie's formula), instead of the last state `y`; costs one score evaluation.
    pub final_denoise: bool,
    /// Rows integrated together; bounds the memory of the score model's activations.
    pub batch_size: usize,
    /// Seed of [`sample_seeded`] (ignored by [`sample`], which takes an RNG).
    pub seed: u64,
    /// How [`sample_conditioned`] carries a condition to the coordinates it does not hold
    /// ([`crate::condition`]). Absent in older configurations: the default.
    pub condition: ConditionMethod,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            kind: SamplerKind::ExponentialIntegrator,
            steps: 200,
            grid: TimeGrid::LogSpaced,
            t0: None,
            t_end: None,
            final_denoise: true,
            batch_size: 4096,
            seed: 0,
            condition: ConditionMethod::default(),
        }
    }
}

impl SamplerConfig {
    /// `(T0, T)`: the configured values or the process's defaults.
    pub fn time_range<P: ForwardProcess + ?Sized>(&self, process: &P) -> (f64, f64) {
        let (t0, t_end) = process.default_time_range();
        (self.t0.unwrap_or(t0), self.t_end.unwrap_or(t_end))
    }

    /// Checks the settings against `process` and returns the time grid.
    pub fn grid_times<P: ForwardProcess + ?Sized>(&self, process: &P) -> Result<Vec<f64>> {
        if self.batch_size == 0 {
            return Err(config_err("sampler batch size must be at least 1"));
        }
        let (t0, t_end) = self.time_range(process);
        let times = self.grid.times(t0, t_end, self.steps)?;
        score_coefficients(process, t0)?;
        score_coefficients(process, t_end)?;
        Ok(times)
    }
}

/// Progress of a sampling run, reported after every step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleProgress {
    /// Steps done, over all batches (a final denoising counts as one step).
    pub steps_done: usize,
    /// Steps in the whole run.
    pub steps_total: usize,
    /// Rows finished.
    pub rows_done: usize,
    /// Rows requested.
    pub rows_total: usize,
}

/// Draws `n_rows` samples in `R^d` by running the configured reverse sampler with `score`
/// from `N(0, I)` at `T` down to `T0`. Random numbers come from `rng` in a fixed order
/// (per batch: the start, then each step's noise), so the output depends on the seed and
/// on `batch_size`, never on the backend.
pub fn sample<B, P, S, R>(
    backend: &B,
    process: &P,
    score: &S,
    n_rows: usize,
    d: usize,
    config: &SamplerConfig,
    rng: &mut R,
) -> Result<B::Matrix>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
    S: ScoreModel<B> + ?Sized,
    R: Rng + ?Sized,
{
    sample_with_progress(backend, process, score, n_rows, d, config, rng, &mut |_| {})
}

/// [`sample`] with an RNG `ChaCha8Rng::seed_from_u64(config.seed)`.
pub fn sample_seeded<B, P, S>(
    backend: &B,
    process: &P,
    score: &S,
    n_rows: usize,
    d: usize,
    config: &SamplerConfig,
) -> Result<B::Matrix>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
    S: ScoreModel<B> + ?Sized,
{
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    sample(backend, process, score, n_rows, d, config, &mut rng)
}

/// [`sample`], calling `progress` after every step (for progress bars).
#[allow(clippy::too_many_arguments)]
pub fn sample_with_progress<B, P, S, R>(
    backend: &B,
    process: &P,
    score: &S,
    n_rows: usize,
    d: usize,
    config: &SamplerConfig,
    rng: &mut R,
    progress: &mut dyn FnMut(SampleProgress),
) -> Result<B::Matrix>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
    S: ScoreModel<B> + ?Sized,
    R: Rng + ?Sized,
{
    let run = Batches::new(backend, process, config, d)?;
    run.sample(n_rows, rng, progress, &mut |_, rows, y, rng, on_step| {
        let final_denoiser = DenoiserFromScore::new(process, score);
        run.integrate(score, &final_denoiser, rows, y, rng, on_step)
    })
}

/// Draws one record for each row of `condition` from the law of the data conditioned on
/// that row's requirement (see [`crate::condition`]), with `denoiser` the unconditional
/// model's `E[X_0 | X_t = x]` and the configured reverse sampler. Random numbers come from
/// `rng` in the order of [`sample`], so a condition that requires nothing of any row draws
/// the same start as an unconditional run of the same seed.
pub fn sample_conditioned<B, P, D, R>(
    backend: &B,
    process: &P,
    denoiser: &D,
    condition: &Condition,
    config: &SamplerConfig,
    rng: &mut R,
    progress: &mut dyn FnMut(SampleProgress),
) -> Result<B::Matrix>
where
    B: Backend,
    P: ForwardProcess + ?Sized,
    D: Denoiser<B> + ?Sized,
    R: Rng + ?Sized,
{
    let run = Batches::new(backend, process, config, condition.width())?;
    run.sample(
        condition.n_rows(),
        rng,
        progress,
        &mut |start, rows, y, rng, on_step| {
            let rows_cond = condition.rows(start, rows);
            let conditioned =
                ConditionedDenoiser::new(process, denoiser, rows_cond, config.condition);
            let score = ParametricScore::new(process, &conditioned);
            run.integrate(&score, &conditioned, rows, y, rng, on_step)
        },
    )
}

/// One sampling run: the settings every batch shares.
struct Batches<'a, B, P: ?Sized> {
    backend: &'a B,
    process: &'a P,
    config: &'a SamplerConfig,
    d: usize,
    /// The time grid from `T` down to `T0`.
    times: Vec<f64>,
}

/// Integrates one batch: `(first row, rows, start state, rng, on_step)` to the records.
type BatchFn<'f, B, R> = dyn FnMut(
        usize,
        usize,
        <B as scorediff_backend::Device>::Matrix,
        &mut R,
        &mut dyn FnMut(usize),
    ) -> Result<<B as scorediff_backend::Device>::Matrix>
    + 'f;

impl<'a, B: Backend, P: ForwardProcess + ?Sized> Batches<'a, B, P> {
    /// Checks the settings and records of width `d`, and lays out the time grid.
    fn new(backend: &'a B, process: &'a P, config: &'a SamplerConfig, d: usize) -> Result<Self> {
        if d == 0 {
            return Err(config_err("cannot sample records of dimension 0"));
        }
        let times = config.grid_times(process)?;
        Ok(Self {
            backend,
            process,
            config,
            d,
            times,
        })
    }

    /// Runs `n_rows` rows in batches of `config.batch_size`: per batch, the start drawn from
    /// `N(0, I)` with `rng`, then `batch` integrates it; progress after every step.
    fn sample<R: Rng + ?Sized>(
        &self,
        n_rows: usize,
        rng: &mut R,
        progress: &mut dyn FnMut(SampleProgress),
        batch: &mut BatchFn<'_, B, R>,
    ) -> Result<B::Matrix> {
        let (config, d) = (self.config, self.d);
        if n_rows == 0 {
            return Ok(self.backend.zeros(0, d)?);
        }
        let n_batches = n_rows.div_ceil(config.batch_size);
        let steps_per_batch = config.steps + usize::from(config.final_denoise);
        let mut report = SampleProgress {
            steps_done: 0,
            steps_total: n_batches * steps_per_batch,
            rows_done: 0,
            rows_total: n_rows,
        };
        let mut batches = Vec::with_capacity(n_batches);
        for start in (0..n_rows).step_by(config.batch_size) {
            let rows = config.batch_size.min(n_rows - start);
            let mut on_step = |done: usize| {
                report.steps_done += done;
                progress(report);
            };
            // Start from the stationary law N(0, I) of OU and VP processes.
            let y = self
                .backend
                .from_host(rows, d, &standard_normal(rng, rows * d))?;
            let out = batch(start, rows, y, rng, &mut on_step)?;
            report.rows_done += rows;
            progress(report);
            batches.push(out);
        }
        let parts: Vec<&B::Matrix> = batches.iter().collect();
        Ok(self.backend.concat_rows(&parts)?)
    }

    /// Integrates one batch of `rows` trajectories from `y` at `T` along the grid with
    /// `score`, and returns `final_denoiser`'s records at `T0` when the configuration asks
    /// for the final denoising (the state otherwise).
    fn integrate<S, F, R>(
        &self,
        score: &S,
        final_denoiser: &F,
        rows: usize,
        mut y: B::Matrix,
        rng: &mut R,
        on_step: &mut dyn FnMut(usize),
    ) -> Result<B::Matrix>
    where
        S: ScoreModel<B> + ?Sized,
        F: Denoiser<B> + ?Sized,
        R: Rng + ?Sized,
    {
        let (backend, process, config, times) =
            (self.backend, self.process, self.config, &self.times);
        debug_assert_eq!(y.rows(), rows);
        match config.kind {
            // Multistep: the solver carries its previous denoiser value across steps.
            SamplerKind::DpmSolver2m => {
                y = dpm::integrate(backend, process, score, y, times, on_step)?;
            }
            kind => {
                for pair in times.windows(2) {
                    let ts = (pair[0], pair[1]);
                    y = match kind {
                        SamplerKind::EulerMaruyama => {
                            euler::step(backend, process, score, &y, ts, rng)?
                        }
                        SamplerKind::ExponentialIntegrator => {
                            expint::step(backend, process, score, &y, ts, rng)?
                        }
                        // Heun (DpmSolver2m is handled above).
                        _ => heun::step(backend, process, score, &y, ts)?,
                    };
                    on_step(1);
                }
            }
        }
        if config.final_denoise {
            let t0 = times[times.len() - 1];
            y = final_denoiser.denoise_at(backend, &y, t0)?;
            on_step(1);
        }
        Ok(y)
    }
}

#[cfg(test)]
mod tests {
    use super::SamplerKind;

    #[test]
    fn sampler_kinds_have_the_documented_names() {
        for (kind, name) in [
            (SamplerKind::EulerMaruyama, "euler_maruyama"),
            (SamplerKind::ExponentialIntegrator, "exponential_integrator"),
            (SamplerKind::Heun, "heun"),
            (SamplerKind::DpmSolver2m, "dpm_solver_2m"),
        ] {
            let text = serde_json::to_string(&kind).unwrap();
            assert_eq!(text, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<SamplerKind>(&text).unwrap(), kind);
        }
    }
}
