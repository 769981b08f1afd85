//! The model directory: everything `scorediff sample` needs, versioned.
//!
//! | file | what |
//! | --- | --- |
//! | `model.json` | [`ModelMeta`]: format version, the fit configuration (network, process, sampler), training summary |
//! | `schema.json` | the table's schema (column names, order, kinds, formats) |
//! | `encoder.json` | the fitted encoder (quantiles, categories) |
//! | `weights.safetensors` | the network's parameters, `f32`, shape `[rows, cols]`, by name |
//!
//! A directory is written next to its destination under a temporary name and renamed into
//! place, so an interrupted `fit` never leaves a half-written model.

use crate::pipeline::{FitConfig, Model, model_err};
use crate::{Error, Result};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_net::{NetConfig, ScoreNet};
use scorediff_tabular::{Encoder, Schema};
use scorediff_train::TrainReport;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the model directory layout this build writes and reads.
pub const MODEL_FORMAT_VERSION: u32 = 1;

/// Contents of `model.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Layout version ([`MODEL_FORMAT_VERSION`]).
    pub format_version: u32,
    /// Version of scorediff that wrote the model.
    pub scorediff_version: String,
    /// The fit configuration.
    pub config: FitConfig,
    /// The network's configuration (rebuilds it before the weights are loaded).
    pub net: NetConfig,
    /// Rows of the training table (the default number of rows to sample).
    pub n_train_rows: usize,
    /// The training outcome.
    pub report: TrainReport,
}

const META: &str = "model.json";
const SCHEMA: &str = "schema.json";
const ENCODER: &str = "encoder.json";
const WEIGHTS: &str = "weights.safetensors";

impl<B: Backend> Model<B> {
    /// Writes the model directory `dir` (replacing an existing one only once the new one is
    /// complete).
    pub fn save(&self, be: &B, dir: &Path) -> Result<()> {
        let staging = sibling(dir, "partial")?;
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        let meta = ModelMeta {
            format_version: MODEL_FORMAT_VERSION,
            scorediff_version: env!("CARGO_PKG_VERSION").to_string(),
            config: self.config.clone(),
            net: ScoreNet::<B>::config(&self.net),
            n_train_rows: self.n_train_rows,
            report: self.report.clone(),
        };
        let json = serde_json::to_string_pretty(&meta).map_err(model_err)?;
        std::fs::write(staging.join(META), json).map_err(|e| Error::io(staging.join(META), e))?;
        self.schema.save(staging.join(SCHEMA))?;
        self.encoder.save(staging.join(ENCODER))?;
        write_weights(be, &self.net, &staging.join(WEIGHTS))?;
        replace_dir(&staging, dir)
    }

    /// Reads a model directory written by [`Model::save`].
    pub fn load(be: &B, dir: &Path) -> Result<Self> {
        let meta_path = dir.join(META);
        let text = std::fs::read_to_string(&meta_path).map_err(|e| Error::Model {
            path: dir.display().to_string(),
            detail: format!("not a model directory ({META}: {e}); write one with `scorediff fit`"),
        })?;
        let meta: ModelMeta = serde_json::from_str(&text).map_err(|e| Error::Model {
            path: meta_path.display().to_string(),
            detail: e.to_string(),
        })?;
        if meta.format_version != MODEL_FORMAT_VERSION {
            return Err(Error::Model {
                path: meta_path.display().to_string(),
                detail: format!(
                    "model format {} is not supported by this build (format {MODEL_FORMAT_VERSION}): refit the model",
                    meta.format_version
                ),
            });
        }
        let schema = Schema::load(dir.join(SCHEMA))?;
        let encoder = Encoder::load(dir.join(ENCODER))?;
        let net = meta.net.build(be).map_err(model_err)?;
        let mut net = meta
            .config
            .wrap(net, encoder.width(), &encoder.categorical_blocks());
        read_weights(be, &mut net, &dir.join(WEIGHTS))?;
        Ok(Model {
            schema,
            encoder,
            net,
            config: meta.config,
            n_train_rows: meta.n_train_rows,
            report: meta.report,
        })
    }
}

fn write_weights<B: Backend, N: ScoreNet<B>>(be: &B, net: &N, path: &Path) -> Result<()> {
    let mut host = Vec::new();
    for p in net.params() {
        let bytes: Vec<u8> = be
            .to_host(&p.value)?
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        host.push((p.name.clone(), p.value.shape(), bytes));
    }
    let views = host
        .iter()
        .map(|(name, (r, c), bytes)| {
            TensorView::new(Dtype::F32, vec![*r, *c], bytes).map(|v| (name.clone(), v))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(model_err)?;
    safetensors::serialize_to_file(views, None, path).map_err(model_err)
}

fn read_weights<B: Backend, N: ScoreNet<B>>(be: &B, net: &mut N, path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bad = |detail: String| Error::Model {
        path: path.display().to_string(),
        detail,
    };
    let tensors = SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
    for p in net.params_mut() {
        let (rows, cols) = p.value.shape();
        let t = tensors
            .tensor(&p.name)
            .map_err(|e| bad(format!("tensor `{}`: {e}", p.name)))?;
        if t.dtype() != Dtype::F32 || t.shape() != [rows, cols] {
            return Err(bad(format!(
                "tensor `{}` is not f32 of shape [{rows}, {cols}]",
                p.name
            )));
        }
        let values: Vec<f32> = t
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        p.value = be.from_host(rows, cols, &values)?;
    }
    Ok(())
}

/// `<dir>.<tag>-<pid>` beside `dir`.
fn sibling(dir: &Path, tag: &str) -> Result<PathBuf> {
    let name = dir
        .file_name()
        .ok_or_else(|| Error::Usage(format!("{}: not a directory name", dir.display())))?;
    let mut s = name.to_os_string();
    s.push(format!(".{tag}-{}", std::process::id()));
    Ok(dir.with_file_name(s))
}

/// Moves the finished `staging` directory to `dest`, replacing what was there.
fn replace_dir(staging: &Path, dest: &Path) -> Result<()> {
    if dest.exists() {
        let old = sibling(dest, "old")?;
        std::fs::rename(dest, &old).map_err(|e| Error::io(dest, e))?;
        std::fs::rename(staging, dest).map_err(|e| Error::io(dest, e))?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(staging, dest).map_err(|e| Error::io(dest, e))?;
    }
    Ok(())
}
