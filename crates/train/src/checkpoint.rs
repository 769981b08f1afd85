//! Checkpoints: safetensors weights plus a JSON description, written atomically.
//!
//! A checkpoint is a directory with two files:
//! - `model.safetensors`: named `f32` tensors of shape `[rows, cols]`:
//!   - `model.<param>`: the weights to use (the EMA when enabled, frozen parameters
//!     included): what sampling loads;
//!   - `param.<param>`: the live trainable weights, when they differ from `model.*` (EMA on);
//!   - `adam.m.<param>`, `adam.v.<param>`: Adam's moments;
//!   - `best.<param>`: the best validated weights (validation early stopping).
//!
//!   Its metadata holds `format = scorediff`, `format_version` and `step`.
//! - `checkpoint.json`: [`CheckpointMeta`].
//!
//! Each file is written to a temporary name in the same directory and renamed, so a crash
//! never leaves a half-written file; the step in both files must agree when loading.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::SafeTensors;
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_net::{AnyNet, NetConfig, ScoreNet};
use scorediff_process::ProcessConfig;
use serde::{Deserialize, Serialize};

use crate::config::{OptimizerConfig, TrainConfig};
use crate::error::{Result, TrainError};
use crate::trainer::{RunState, Trainer};

/// Version of the checkpoint layout; bumped on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;
/// File name of the weights inside a checkpoint directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the description inside a checkpoint directory.
pub const META_FILE: &str = "checkpoint.json";

/// How the run's random draws are reproduced (see the `rng` module): every stream is a
/// ChaCha8 generator keyed by `(seed, purpose, epoch, batch)`, so the seed and the position
/// `(epoch, batch_in_epoch)` are the whole RNG state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RngState {
    /// The run seed.
    pub seed: u64,
    /// The key scheme, for readers of the file.
    pub scheme: String,
}

/// Which tensor groups `model.safetensors` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TensorGroups {
    /// `param.*` (live weights, present when the EMA is on).
    pub live: bool,
    /// `adam.m.*` and `adam.v.*`.
    pub adam: bool,
    /// `best.*`.
    pub best: bool,
}

/// The JSON half of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The network architecture.
    pub net: NetConfig,
    /// The forward process the network was trained for.
    pub process: ProcessConfig,
    /// The training settings.
    pub train: TrainConfig,
    /// The early-stopping rule, described.
    pub early_stop: String,
    /// Optimizer steps done.
    pub step: u64,
    /// Current epoch.
    pub epoch: u64,
    /// Batches done in the current epoch.
    pub batch_in_epoch: u64,
    /// The RNG state.
    pub rng: RngState,
    /// EMA decay (`None`: no EMA; `model.*` are the live weights).
    pub ema_decay: Option<f64>,
    /// Tensor groups present.
    pub tensors: TensorGroups,
    /// Best validation loss and its step, loss curve and elapsed time.
    pub(crate) run: RunState,
}

impl CheckpointMeta {
    /// The loss curve up to the checkpoint.
    pub fn curve(&self) -> &[crate::LogEntry] {
        &self.run.curve
    }

    /// Best validation loss and its step.
    pub fn best_val(&self) -> Option<(f64, u64)> {
        self.run.plateau.best
    }
}

/// Reads `checkpoint.json` of a checkpoint directory.
pub fn read_meta(dir: &Path) -> Result<CheckpointMeta> {
    let path = dir.join(META_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| TrainError::io(&path, e))?;
    let meta: CheckpointMeta = serde_json::from_str(&text)
        .map_err(|e| TrainError::Checkpoint(format!("{}: {e}", path.display())))?;
    if meta.format_version != FORMAT_VERSION {
        return Err(TrainError::Checkpoint(format!(
            "format version {} is not supported (expected {FORMAT_VERSION})",
            meta.format_version
        )));
    }
    Ok(meta)
}

/// Loads a trained model for sampling: builds the network from the checkpoint's
/// configuration and loads the `model.*` weights.
pub fn load_model<B: Backend>(be: &B, dir: &Path) -> Result<(AnyNet<B>, CheckpointMeta)> {
    let meta = read_meta(dir)?;
    let mut net = meta.net.build(be)?;
    let weights = Weights::read(dir, meta.step)?;
    for p in net.params_mut() {
        p.value = weights.matrix(be, &format!("model.{}", p.name), p.value.shape())?;
    }
    Ok((net, meta))
}

impl<B: Backend, N: ScoreNet<B>> Trainer<B, N> {
    /// Writes a checkpoint of the current state into `dir` (created if needed).
    pub fn save_checkpoint(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
        let mut tensors: Vec<(String, &B::Matrix)> = Vec::new();
        for (i, p) in self.net.params().iter().enumerate() {
            let ema = self.ema.as_ref().and_then(|e| e[i].as_ref());
            tensors.push((format!("model.{}", p.name), ema.unwrap_or(&p.value)));
            if ema.is_some() {
                tensors.push((format!("param.{}", p.name), &p.value));
            }
            if let (Some(m), Some(v)) = (&self.opt.m[i], &self.opt.v[i]) {
                tensors.push((format!("adam.m.{}", p.name), m));
                tensors.push((format!("adam.v.{}", p.name), v));
            }
            if let Some(b) = self.best.as_ref().and_then(|b| b[i].as_ref()) {
                tensors.push((format!("best.{}", p.name), b));
            }
        }
        let info = HashMap::from([
            ("format".to_string(), "scorediff".to_string()),
            ("format_version".to_string(), FORMAT_VERSION.to_string()),
            ("step".to_string(), self.state.step.to_string()),
        ]);
        let bytes = crate::tensors::to_bytes(&self.be, &tensors, Some(info))
            .map_err(TrainError::Checkpoint)?;
        write_atomic(&dir.join(WEIGHTS_FILE), &bytes)?;
        let meta = self.meta();
        let json =
            serde_json::to_vec_pretty(&meta).map_err(|e| TrainError::Checkpoint(e.to_string()))?;
        write_atomic(&dir.join(META_FILE), &json)
    }

    fn meta(&self) -> CheckpointMeta {
        CheckpointMeta {
            format_version: FORMAT_VERSION,
            net: self.net.config(),
            process: self.config.process,
            train: self.config.clone(),
            early_stop: self.early_stop.describe(),
            step: self.state.step,
            epoch: self.state.epoch,
            batch_in_epoch: self.state.batch_in_epoch,
            rng: RngState {
                seed: self.config.seed,
                scheme: "chacha8 keyed by (seed, purpose, epoch, batch)".into(),
            },
            ema_decay: self.config.ema_decay,
            tensors: TensorGroups {
                live: self.ema.is_some(),
                adam: self.opt.m.iter().any(Option::is_some),
                best: self.best.is_some(),
            },
            run: self.state.clone(),
        }
    }

    /// Continues a run from a checkpoint: `net` must have the checkpoint's architecture
    /// (its weights are replaced), `config` gives the settings from now on (normally the
    /// checkpoint's own `train`; `max_steps` may be raised). The optimizer kind and the EMA
    /// setting must match the checkpoint. With the same settings, the resumed run ends with
    /// the same weights, bit for bit, as a run that was never interrupted.
    pub fn resume(be: B, mut net: N, config: TrainConfig, dir: &Path) -> Result<Self> {
        let meta = read_meta(dir)?;
        if net.config() != meta.net {
            return Err(TrainError::Checkpoint(
                "the network's architecture differs from the checkpoint's".into(),
            ));
        }
        let same_kind = matches!(
            (&config.optimizer, &meta.train.optimizer),
            (OptimizerConfig::Gd { .. }, OptimizerConfig::Gd { .. })
                | (OptimizerConfig::Adam { .. }, OptimizerConfig::Adam { .. })
        );
        if !same_kind || config.ema_decay.is_some() != meta.ema_decay.is_some() {
            return Err(TrainError::Checkpoint(
                "optimizer kind or EMA setting differs from the checkpoint's".into(),
            ));
        }
        let weights = Weights::read(dir, meta.step)?;
        let live_group = if meta.tensors.live { "param" } else { "model" };
        for p in net.params_mut() {
            let group = if p.trainable { live_group } else { "model" };
            p.value = weights.matrix(&be, &format!("{group}.{}", p.name), p.value.shape())?;
        }
        let mut trainer = Trainer::new(be, net, config)?;
        trainer.load_state(&weights, &meta)?;
        Ok(trainer)
    }

    fn load_state(&mut self, weights: &Weights, meta: &CheckpointMeta) -> Result<()> {
        let names: Vec<(String, (usize, usize))> = self
            .net
            .params()
            .iter()
            .map(|p| (p.name.clone(), p.value.shape()))
            .collect();
        for (i, (name, shape)) in names.iter().enumerate() {
            if let Some(e) = self.ema.as_mut().and_then(|e| e[i].as_mut()) {
                *e = weights.matrix(&self.be, &format!("model.{name}"), *shape)?;
            }
            if let (Some(m), Some(v)) = (self.opt.m[i].as_mut(), self.opt.v[i].as_mut()) {
                *m = weights.matrix(&self.be, &format!("adam.m.{name}"), *shape)?;
                *v = weights.matrix(&self.be, &format!("adam.v.{name}"), *shape)?;
            }
        }
        if meta.tensors.best {
            let params = self.net.params();
            let best = params
                .iter()
                .map(|p| {
                    p.trainable
                        .then(|| weights.matrix(&self.be, &format!("best.{}", p.name), p.shape()))
                        .transpose()
                })
                .collect::<Result<Vec<_>>>()?;
            self.best = Some(best);
        }
        self.state = meta.run.clone();
        self.state.step = meta.step;
        self.state.epoch = meta.epoch;
        self.state.batch_in_epoch = meta.batch_in_epoch;
        Ok(())
    }
}

/// The bytes of a `model.safetensors`.
struct Weights {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl Weights {
    /// Reads the weights and checks their step against the JSON's.
    fn read(dir: &Path, step: u64) -> Result<Self> {
        let path = dir.join(WEIGHTS_FILE);
        let bytes = std::fs::read(&path).map_err(|e| TrainError::io(&path, e))?;
        let weights = Self { path, bytes };
        let (_, metadata) =
            SafeTensors::read_metadata(&weights.bytes).map_err(|e| weights.err(e))?;
        let file_step = metadata
            .metadata()
            .as_ref()
            .and_then(|m| m.get("step"))
            .and_then(|s| s.parse::<u64>().ok());
        if file_step != Some(step) {
            return Err(TrainError::Checkpoint(format!(
                "{} is at step {file_step:?}, checkpoint.json at step {step}",
                weights.path.display()
            )));
        }
        Ok(weights)
    }

    fn err(&self, e: impl std::fmt::Display) -> TrainError {
        TrainError::Checkpoint(format!("{}: {e}", self.path.display()))
    }

    /// Tensor `name` as a device matrix of `shape`.
    fn matrix<B: Backend>(&self, be: &B, name: &str, shape: (usize, usize)) -> Result<B::Matrix> {
        let st = SafeTensors::deserialize(&self.bytes).map_err(|e| self.err(e))?;
        crate::tensors::matrix(be, &st, name, shape).map_err(|e| self.err(e))
    }
}

/// Writes `bytes` to `path` through the workspace's one atomic writer
/// (`scorediff_tabular::write::write_atomic`: a temporary file beside `path`, synced,
/// renamed over it, and removed if the process is interrupted first).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    scorediff_tabular::write::write_atomic(path, |w| w.write_all(bytes))
        .map_err(|e| TrainError::io(path, std::io::Error::other(e.to_string())))
}
