//! The training loop: noisy-label regression of DESIGN.md §1.
//!
//! Each step draws a batch of `B` records with their times and noise
//! (`x_t = alpha_t x_0 + sqrt(h_t) eps`), evaluates
//! `L = 1/(2B) sum_j w(t_j) ||f(x_tj, t_j) - x_0j||^2` (`w = 1` unless a [`crate::LossWeighting`]
//! is set), back-propagates `dL/df = w (f - x_0) / B` through the network and updates the
//! weights (the loss itself is in the `loss` module).

use std::io::Write;
use std::ops::ControlFlow;
use std::time::Instant;

use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_net::ScoreNet;
use scorediff_process::{NoiseDraw, apply_noise, noise_in_blocks};
use serde::{Deserialize, Serialize};

use crate::config::{NoiseMode, TrainConfig};
use crate::data::Dataset;
use crate::error::{Result, TrainError};
use crate::loss::Batch;
use crate::optim::{OptState, ema_decay_at, swap_weights, trainable_copies};
use crate::rng::{Purpose, permutation, stream};
use crate::stop::{EarlyStop, Plateau, StopInfo, StopReason, StoppingRule};

/// What the progress callback receives after every step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Steps done.
    pub step: u64,
    /// Steps of the run.
    pub max_steps: u64,
    /// Current epoch (0-based).
    pub epoch: u64,
    /// Loss of this step's batch.
    pub loss: f64,
    /// Validation loss, when this step was validated.
    pub val_loss: Option<f64>,
    /// Learning rate of this step.
    pub lr: f64,
    /// Training throughput since `fit` started, records per second.
    pub rows_per_sec: f64,
}

/// One line of the training log (also a point of the loss curve).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Steps done.
    pub step: u64,
    /// Epoch (0-based) the step belongs to.
    pub epoch: u64,
    /// Mean batch loss over the steps since the previous entry (`None` at step 0).
    pub train_loss: Option<f64>,
    /// Validation loss at the fixed draws, when validated.
    pub val_loss: Option<f64>,
    /// Learning rate of the last step.
    pub lr: f64,
    /// Records per second since the previous entry.
    pub rows_per_sec: f64,
    /// Seconds since the run started (over resumptions).
    pub elapsed_s: f64,
}

/// The outcome of [`Trainer::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// Steps done in total.
    pub steps: u64,
    /// Epochs started.
    pub epochs: u64,
    /// Why the run ended.
    pub stop_reason: StopReason,
    /// The best validation loss and its step, when validated.
    pub best_val: Option<(f64, u64)>,
    /// The loss curve (the training log's entries).
    pub curve: Vec<LogEntry>,
    /// Seconds spent training (over resumptions).
    pub elapsed_s: f64,
    /// Mean throughput of this call, records per second.
    pub rows_per_sec: f64,
}

/// Position and history of a run; saved in checkpoints.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct RunState {
    pub step: u64,
    pub epoch: u64,
    pub batch_in_epoch: u64,
    pub plateau: Plateau,
    pub curve: Vec<LogEntry>,
    pub elapsed_s: f64,
}

/// Rows of an epoch's noisy records drawn at a time ([`noise_in_blocks`]): bounds the
/// temporaries of drawing an epoch at one block of noise, whatever the rows.
const NOISE_BLOCK_ROWS: usize = 65_536;

/// One epoch's order and noised records (all `N` rows, on the device).
struct EpochData<B: Backend> {
    epoch: u64,
    perm: Vec<usize>,
    t: B::Matrix,
    /// The times on the host, as drawn (the per-record coefficients are computed from them).
    t_host: Vec<f32>,
    x_t: B::Matrix,
}

/// Validation records at fixed draws.
struct ValSet<B: Backend> {
    x0: B::Matrix,
    t: B::Matrix,
    t_host: Vec<f32>,
    x_t: B::Matrix,
}

/// Trains a [`ScoreNet`] on a backend.
#[derive(Debug)]
pub struct Trainer<B: Backend, N: ScoreNet<B>> {
    pub(crate) be: B,
    pub(crate) net: N,
    pub(crate) config: TrainConfig,
    pub(crate) early_stop: EarlyStop,
    pub(crate) rule: Option<Box<dyn StoppingRule>>,
    pub(crate) opt: OptState<B>,
    pub(crate) ema: Option<Vec<Option<B::Matrix>>>,
    pub(crate) best: Option<Vec<Option<B::Matrix>>>,
    pub(crate) state: RunState,
}

impl<B: Backend, N: ScoreNet<B>> Trainer<B, N> {
    /// A trainer at step 0 for `net` (its current weights are the starting point).
    pub fn new(be: B, net: N, config: TrainConfig) -> Result<Self> {
        config.validate()?;
        let opt = OptState::new(&be, net.params(), &config.optimizer)?;
        let ema = match config.ema_decay {
            Some(_) => Some(trainable_copies(&be, net.params())?),
            None => None,
        };
        Ok(Self {
            be,
            net,
            config,
            early_stop: EarlyStop::None,
            rule: None,
            opt,
            ema,
            best: None,
            state: RunState::default(),
        })
    }

    /// Sets the early-stopping rule.
    pub fn with_early_stop(mut self, early_stop: EarlyStop) -> Self {
        self.early_stop = early_stop;
        self
    }

    /// Adds a rule consulted after every step (it ends the run with
    /// [`StopReason::Theory`]).
    pub fn with_stopping_rule(mut self, rule: Box<dyn StoppingRule>) -> Self {
        self.rule = Some(rule);
        self
    }

    /// The network with its live (raw, non-averaged) weights.
    pub fn net(&self) -> &N {
        &self.net
    }

    /// The settings.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.be
    }

    /// Steps done so far.
    pub fn step(&self) -> u64 {
        self.state.step
    }

    /// Seconds spent training so far (over resumptions and earlier calls of `fit`).
    pub fn elapsed_s(&self) -> f64 {
        self.state.elapsed_s
    }

    /// The loss curve so far.
    pub fn curve(&self) -> &[LogEntry] {
        &self.state.curve
    }

    /// The trained model: the network carrying the evaluation weights (the EMA when
    /// enabled; the best validated weights after validation early stopping).
    pub fn into_model(mut self) -> N {
        if let Some(ema) = self.ema.as_mut() {
            swap_weights(self.net.params_mut(), ema);
        }
        self.net
    }

    /// Runs `f` on the trainer with the evaluation weights in its network (the EMA when
    /// enabled, as [`Trainer::into_model`] would return them; [`Trainer::net`] reaches it)
    /// and puts the live weights back.
    pub fn with_eval_weights<R>(&mut self, f: impl FnOnce(&Self) -> R) -> R {
        if let Some(ema) = self.ema.as_mut() {
            swap_weights(self.net.params_mut(), ema);
        }
        let out = f(self);
        if let Some(ema) = self.ema.as_mut() {
            swap_weights(self.net.params_mut(), ema);
        }
        out
    }

    /// A copy of the evaluation weights (the EMA when enabled, the live weights otherwise),
    /// one entry per parameter (`None` for frozen ones), for [`Trainer::keep_weights`].
    pub fn eval_weights(&mut self) -> Result<Vec<Option<B::Matrix>>> {
        self.with_eval_weights(|t| trainable_copies(&t.be, t.net.params()))
    }

    /// Makes `weights` (from [`Trainer::eval_weights`]) both the live and the averaged
    /// weights: the model the run returns, e.g. an earlier state that passed a check.
    pub fn keep_weights(&mut self, weights: &[Option<B::Matrix>]) -> Result<()> {
        let params = self.net.params_mut();
        if weights.len() != params.len() {
            return Err(TrainError::InvalidConfig(format!(
                "keep_weights: {} tensors for a network of {}",
                weights.len(),
                params.len()
            )));
        }
        for (p, w) in params.iter_mut().zip(weights) {
            if let Some(w) = w {
                p.value = self.be.copy(w)?;
            }
        }
        if self.ema.is_some() {
            self.ema = Some(trainable_copies(&self.be, self.net.params())?);
        }
        Ok(())
    }

    /// Trains on `data` until `max_steps`, an early stop, or the callback's `Break`.
    ///
    /// `val` (held-out records) is evaluated at fixed times and noise, drawn once from the
    /// run's validation stream, every `eval_every` steps, at step 0 and at the end. The call
    /// continues a run where it stopped (after a resume, or a previous `fit`).
    pub fn fit(
        &mut self,
        data: &Dataset,
        val: Option<&Dataset>,
        progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
    ) -> Result<TrainReport> {
        self.check_data(data, val)?;
        let started = Instant::now();
        let elapsed_before = self.state.elapsed_s;
        let x0 = self.be.from_host(data.rows(), data.dim(), data.data())?;
        let val_set = val.map(|v| self.validation_set(v)).transpose()?;
        let mut log = LogWindow::new(started);
        let mut rows_done = 0usize;
        if self.state.step == 0 && self.state.curve.is_empty() {
            let val_loss = self.maybe_validate(val_set.as_ref(), true)?;
            let lr = self.lr_at(0);
            self.push_log(&mut log, val_loss, lr, elapsed_before)?;
        }
        let mut epoch_data: Option<EpochData<B>> = None;
        let mut reason = StopReason::MaxSteps;
        while self.state.step < self.config.max_steps {
            if let EarlyStop::Theory { at_step } = self.early_stop
                && self.state.step >= at_step
            {
                reason = StopReason::Theory;
                break;
            }
            if epoch_data.as_ref().map(|e| e.epoch) != Some(self.state.epoch) {
                // The finished epoch's records go before the next are drawn: two epochs'
                // noisy copies of the data are never held at once.
                drop(epoch_data.take());
                epoch_data = Some(self.epoch_data(&x0, self.state.epoch)?);
            }
            let epoch = epoch_data
                .as_ref()
                .ok_or_else(|| TrainError::InvalidConfig("no epoch data".into()))?;
            let (loss, rows, lr) = self.train_step(&x0, epoch, data.rows())?;
            rows_done += rows;
            log.add(loss, rows);
            let last = self.state.step == self.config.max_steps;
            let val_loss = self.maybe_validate(val_set.as_ref(), last)?;
            let plateau_stop = self.track_plateau(val_loss)?;
            let elapsed = elapsed_before + started.elapsed().as_secs_f64();
            if val_loss.is_some()
                || self.state.step.is_multiple_of(self.config.log_every.max(1))
                || last
            {
                self.push_log(&mut log, val_loss, lr, elapsed)?;
            }
            let info = StopInfo {
                step: self.state.step,
                epoch: self.state.epoch,
                train_loss: loss,
                val_loss,
                lr,
            };
            let report = Progress {
                step: self.state.step,
                max_steps: self.config.max_steps,
                epoch: self.state.epoch,
                loss,
                val_loss,
                lr,
                rows_per_sec: rows_done as f64 / started.elapsed().as_secs_f64().max(1e-9),
            };
            let wants_stop = progress(&report).is_break();
            self.maybe_checkpoint()?;
            if plateau_stop {
                reason = match self.early_stop {
                    EarlyStop::Rise { .. } => StopReason::ValidationRise,
                    _ => StopReason::ValidationPlateau,
                };
            } else if self.theory_fires(&info) {
                reason = StopReason::Theory;
            } else if wants_stop {
                reason = StopReason::Callback;
            } else {
                continue;
            }
            if !log.is_empty() {
                self.push_log(&mut log, val_loss, lr, elapsed)?;
            }
            break;
        }
        self.state.elapsed_s = elapsed_before + started.elapsed().as_secs_f64();
        // A plateau stop keeps its best weights however the run ended (Keras'
        // `restore_best_weights`); a rise stop only when it fired, so that a run it does not
        // stop ends on its last, fully annealed, weights.
        let restore = match self.early_stop {
            EarlyStop::Rise { .. } => reason == StopReason::ValidationRise,
            _ => reason != StopReason::Callback,
        };
        if restore {
            self.restore_best()?;
        }
        if let Some(policy) = &self.config.checkpoint {
            self.save_checkpoint(&policy.dir)?;
        }
        Ok(TrainReport {
            steps: self.state.step,
            epochs: self.state.epoch + u64::from(self.state.batch_in_epoch > 0),
            stop_reason: reason,
            best_val: self.state.plateau.best,
            curve: self.state.curve.clone(),
            elapsed_s: self.state.elapsed_s,
            rows_per_sec: rows_done as f64 / started.elapsed().as_secs_f64().max(1e-9),
        })
    }

    /// The objective `1/(2n) sum ||f(x_t, t) - x_0||^2` of the current evaluation weights
    /// (EMA when enabled) on `n` records at fixed draws.
    pub fn evaluate(&mut self, x0: &B::Matrix, t: &B::Matrix, x_t: &B::Matrix) -> Result<f64> {
        let t_host = self.be.to_host(t)?;
        self.evaluate_batch(&Batch {
            x0,
            t,
            t_host: &t_host,
            x_t,
        })
    }

    /// [`Trainer::evaluate`] with the times also on the host.
    fn evaluate_batch(&mut self, batch: &Batch<'_, B>) -> Result<f64> {
        self.with_eval_weights(|t| t.loss_only(batch))
    }

    /// Whether the theory's step is reached or the stopping rule fires after this step.
    fn theory_fires(&mut self, info: &StopInfo) -> bool {
        let at_step =
            matches!(self.early_stop, EarlyStop::Theory { at_step } if info.step >= at_step);
        let rule = self.rule.as_mut().is_some_and(|r| r.should_stop(info));
        at_step || rule
    }

    fn check_data(&self, data: &Dataset, val: Option<&Dataset>) -> Result<()> {
        let d = self.net.data_dim();
        for (what, set) in [("training", Some(data)), ("validation", val)] {
            let Some(set) = set else { continue };
            if set.dim() != d {
                return Err(TrainError::Data(format!(
                    "{what} data have {} columns, the network expects {d}",
                    set.dim()
                )));
            }
            if set.rows() == 0 {
                return Err(TrainError::Data(format!("{what} data are empty")));
            }
        }
        if matches!(
            self.early_stop,
            EarlyStop::Validation { .. } | EarlyStop::Rise { .. }
        ) && (val.is_none() || self.config.eval_every == 0)
        {
            return Err(TrainError::InvalidConfig(
                "validation early stopping needs validation data and eval_every > 0".into(),
            ));
        }
        Ok(())
    }

    fn lr_at(&self, step: u64) -> f64 {
        self.config.optimizer.lr() * self.config.schedule.factor(step, self.config.max_steps)
    }

    fn batch_size(&self, n: usize) -> usize {
        self.config.batch_size.unwrap_or(n).min(n)
    }

    /// The epoch's record order (identity for full batches) and noised records.
    fn epoch_data(&self, x0: &B::Matrix, epoch: u64) -> Result<EpochData<B>> {
        let n = x0.rows();
        let perm = if self.batch_size(n) >= n {
            (0..n).collect()
        } else {
            permutation(&mut stream(self.config.seed, Purpose::Shuffle, epoch, 0), n)
        };
        let noise_epoch = match self.config.noise {
            NoiseMode::FreshEachEpoch => epoch,
            NoiseMode::Fixed => 0,
        };
        let mut rng = stream(self.config.seed, Purpose::TrainNoise, noise_epoch, 0);
        let noised = noise_in_blocks(
            &self.be,
            &self.config.process,
            x0,
            &self.config.time_sampler,
            &mut rng,
            NOISE_BLOCK_ROWS,
        )?;
        Ok(EpochData {
            epoch,
            perm,
            t: noised.t,
            t_host: noised.t_host,
            x_t: noised.x_t,
        })
    }

    fn validation_set(&self, val: &Dataset) -> Result<ValSet<B>> {
        // Each record `repeats` times, each copy with its own draw of (t, noise).
        let repeats = self.config.val_draws.div_ceil(val.rows().max(1)).max(1);
        let rows = val.rows() * repeats;
        let x0 = self
            .be
            .from_host_vec(rows, val.dim(), val.data().repeat(repeats))?;
        let mut rng = stream(self.config.seed, Purpose::Validation, 0, 0);
        let draw = NoiseDraw::draw(rows, val.dim(), &self.config.time_sampler, &mut rng)?;
        let noised = apply_noise(&self.be, &self.config.process, &x0, &draw)?;
        Ok(ValSet {
            x0,
            t: noised.t,
            t_host: draw.t,
            x_t: noised.x_t,
        })
    }

    /// One optimizer step on the next batch; returns `(batch loss, rows, lr)`.
    fn train_step(
        &mut self,
        x0: &B::Matrix,
        epoch: &EpochData<B>,
        n: usize,
    ) -> Result<(f64, usize, f64)> {
        let bs = self.batch_size(n);
        let start = self.state.batch_in_epoch as usize * bs;
        let idx = &epoch.perm[start..(start + bs).min(n)];
        let (loss, grads) = if idx.len() == n && bs == n {
            self.loss_and_grads(&Batch {
                x0,
                t: &epoch.t,
                t_host: &epoch.t_host,
                x_t: &epoch.x_t,
            })?
        } else {
            let xb = self.be.gather_rows(x0, idx)?;
            let tb = self.be.gather_rows(&epoch.t, idx)?;
            let t_host: Vec<f32> = idx.iter().map(|&i| epoch.t_host[i]).collect();
            let xtb = self.be.gather_rows(&epoch.x_t, idx)?;
            self.loss_and_grads(&Batch {
                x0: &xb,
                t: &tb,
                t_host: &t_host,
                x_t: &xtb,
            })?
        };
        if !loss.is_finite() {
            return Err(TrainError::Diverged {
                step: self.state.step,
                loss,
            });
        }
        let lr = self.lr_at(self.state.step);
        let step = self.state.step + 1;
        let ema = match (self.ema.as_mut(), self.config.ema_decay) {
            (Some(ema), Some(decay)) => Some((&mut ema[..], ema_decay_at(decay, step))),
            _ => None,
        };
        self.opt.apply(
            &self.be,
            self.net.params_mut(),
            &grads,
            &self.config.optimizer,
            lr,
            step,
            ema,
        )?;
        self.state.step = step;
        self.state.batch_in_epoch += 1;
        if self.state.batch_in_epoch as usize * bs >= n {
            self.state.epoch += 1;
            self.state.batch_in_epoch = 0;
        }
        Ok((loss, idx.len(), lr))
    }

    fn maybe_validate(&mut self, val: Option<&ValSet<B>>, force: bool) -> Result<Option<f64>> {
        let Some(v) = val else { return Ok(None) };
        let every = self.config.eval_every;
        if every == 0 || !(force || self.state.step.is_multiple_of(every)) {
            return Ok(None);
        }
        Ok(Some(self.evaluate_batch(&Batch {
            x0: &v.x0,
            t: &v.t,
            t_host: &v.t_host,
            x_t: &v.x_t,
        })?))
    }

    /// Updates the best-loss tracker of a validation stop; keeps the best evaluation weights;
    /// returns whether the stop fires.
    fn track_plateau(&mut self, val_loss: Option<f64>) -> Result<bool> {
        let Some(loss) = val_loss else {
            return Ok(false);
        };
        let min_delta = match self.early_stop {
            EarlyStop::Validation { min_delta, .. } => min_delta,
            EarlyStop::Rise { .. } => 0.0,
            EarlyStop::None | EarlyStop::Theory { .. } => return Ok(false),
        };
        if self.state.plateau.observe(loss, self.state.step, min_delta) {
            let source = match self.ema.as_ref() {
                Some(ema) => ema
                    .iter()
                    .map(|e| e.as_ref().map(|m| self.be.copy(m)).transpose())
                    .collect::<std::result::Result<Vec<_>, _>>()?,
                None => trainable_copies(&self.be, self.net.params())?,
            };
            self.best = Some(source);
        }
        Ok(match self.early_stop {
            EarlyStop::Validation { patience, .. } => {
                self.state.plateau.since_best >= patience.max(1)
            }
            EarlyStop::Rise { rise } => self
                .state
                .plateau
                .best
                .is_some_and(|(best, _)| loss > best * (1.0 + rise)),
            EarlyStop::None | EarlyStop::Theory { .. } => false,
        })
    }

    /// After validation early stopping, the best evaluation weights become both the live
    /// weights and the EMA.
    fn restore_best(&mut self) -> Result<()> {
        let Some(best) = self.best.take() else {
            return Ok(());
        };
        let kept = self.keep_weights(&best);
        self.best = Some(best);
        kept
    }

    fn push_log(
        &mut self,
        log: &mut LogWindow,
        val_loss: Option<f64>,
        lr: f64,
        elapsed_s: f64,
    ) -> Result<()> {
        let (train_loss, rows_per_sec) = log.take();
        let entry = LogEntry {
            step: self.state.step,
            epoch: self.state.epoch,
            train_loss,
            val_loss,
            lr,
            rows_per_sec,
            elapsed_s,
        };
        if let Some(path) = &self.config.log_path {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| TrainError::io(path, e))?;
            let line = serde_json::to_string(&entry)
                .map_err(|e| TrainError::InvalidConfig(e.to_string()))?;
            writeln!(file, "{line}").map_err(|e| TrainError::io(path, e))?;
        }
        self.state.curve.push(entry);
        Ok(())
    }

    fn maybe_checkpoint(&self) -> Result<()> {
        let Some(policy) = &self.config.checkpoint else {
            return Ok(());
        };
        let done = self.state.step == self.config.max_steps;
        if !done && self.state.step.is_multiple_of(policy.every_steps) {
            self.save_checkpoint(&policy.dir)?;
        }
        Ok(())
    }
}

/// Accumulates the batch losses and rows between two log entries.
struct LogWindow {
    since: Instant,
    loss_sum: f64,
    steps: u64,
    rows: usize,
}

impl LogWindow {
    fn new(since: Instant) -> Self {
        Self {
            since,
            loss_sum: 0.0,
            steps: 0,
            rows: 0,
        }
    }

    fn add(&mut self, loss: f64, rows: usize) {
        self.loss_sum += loss;
        self.steps += 1;
        self.rows += rows;
    }

    fn is_empty(&self) -> bool {
        self.steps == 0
    }

    /// `(mean loss, rows per second)` since the last call; resets the window.
    fn take(&mut self) -> (Option<f64>, f64) {
        let secs = self.since.elapsed().as_secs_f64().max(1e-9);
        let mean = (self.steps > 0).then(|| self.loss_sum / self.steps as f64);
        let rate = self.rows as f64 / secs;
        *self = LogWindow::new(Instant::now());
        (mean, rate)
    }
}
