//! The model directory: everything `scorediff sample` needs, versioned.
//!
//! | file | what |
//! | --- | --- |
//! | `model.json` | [`ModelMeta`]: format version, the fit configuration (network, process, sampler), training summary, the memorisation guard's checks |
//! | `schema.json` | the table's schema (column names, order, kinds, formats) |
//! | `encoder.json` | the fitted encoder (quantiles, categories) |
//! | `weights.safetensors` | the network's parameters, `f32`, shape `[rows, cols]`, by name |
//!
//! The model directory is the only thing `fit` replaces ([`check_destination`]): it writes
//! into a path that does not exist, an empty directory, or a scorediff model directory
//! (recognised by its `model.json`, and holding none but these four files). Anything else,
//! a file, a directory with other contents, is refused before training starts. The model is
//! written to a temporary sibling (`NAME.partial-PID`, removed on failure and on SIGINT /
//! SIGTERM) and moved in only once complete, so a failed or interrupted fit leaves the
//! previous model intact.
//!
//! Loading checks the directory against itself: the encoder's blocks are recomputed from its
//! columns, the schema's modelled columns must be the encoder's, the network's input width
//! the encoder's width, and every tensor must have its parameter's shape.

use crate::guard::GuardReport;
use crate::length::LengthPlan;
use crate::pipeline::{FitConfig, Model};
use crate::{Error, Result};
use safetensors::SafeTensors;
use scorediff_backend::{Backend, DeviceMatrix};
use scorediff_net::{NetConfig, ScoreNet};
use scorediff_tabular::{Encoder, Schema};
use scorediff_train::{TrainReport, tensors};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the model directory layout this build writes. Format 2 stores the network as
/// one tagged member of the configuration (`"net": {"kind": "mlp", "width": ...}`); format 1
/// (flat `mlp_width`, `two_layer_width`, ...) is still read, through
/// [`crate::config_file::upgrade_flat_net`].
pub const MODEL_FORMAT_VERSION: u32 = 2;

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
    /// What the memorisation guard measured (absent in models written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<GuardReport>,
    /// What the length rule decided (absent for a fixed length and in older models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<LengthPlan>,
}

const META: &str = "model.json";
const SCHEMA: &str = "schema.json";
const ENCODER: &str = "encoder.json";
const WEIGHTS: &str = "weights.safetensors";

/// `model.json` of any supported format, upgraded to this build's.
fn parse_meta(text: &str) -> serde_json::Result<ModelMeta> {
    let mut value: serde_json::Value = serde_json::from_str(text)?;
    if value.get("format_version").and_then(|v| v.as_u64()) == Some(1) {
        crate::config_file::upgrade_flat_net(&mut value["config"]);
    }
    serde_json::from_value(value)
}

/// The files of a model directory, in the order they are moved into place (`model.json`
/// last: a directory interrupted mid-move fails the shape checks of [`Model::load`]).
const FILES: [&str; 4] = [WEIGHTS, ENCODER, SCHEMA, META];

/// Checks that `dir` may receive a model (see the module documentation).
pub fn check_destination(dir: &Path) -> Result<()> {
    let refuse = |detail: String| Error::Model {
        path: dir.display().to_string(),
        detail,
    };
    let meta = match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(dir, e)),
        Ok(m) => m,
    };
    if !meta.is_dir() {
        return Err(refuse(
            "exists and is not a directory: refusing to replace it; give --model a new path".into(),
        ));
    }
    let entries: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    if !entries.iter().any(|e| e == META) {
        return Err(refuse(format!(
            "exists and is not a scorediff model directory (no {META}; it holds {}): refusing to replace it; give --model a new path or an empty directory",
            preview(&entries)
        )));
    }
    let foreign: Vec<String> = entries
        .into_iter()
        .filter(|e| !FILES.contains(&e.as_str()))
        .collect();
    if !foreign.is_empty() {
        return Err(refuse(format!(
            "is a model directory but also holds {}, which is not part of a model: refusing to replace it; move those files or give --model a new path",
            preview(&foreign)
        )));
    }
    Ok(())
}

/// The first few names of a listing, for a message.
fn preview(names: &[String]) -> String {
    let mut sorted = names.to_vec();
    sorted.sort();
    let shown: Vec<&str> = sorted.iter().take(3).map(String::as_str).collect();
    let more = sorted.len().saturating_sub(3);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

impl<B: Backend> Model<B> {
    /// Writes the model directory `dir` (replacing an existing one only once the new one is
    /// complete).
    pub fn save(&self, be: &B, dir: &Path) -> Result<()> {
        check_destination(dir)?;
        // `.` and `..` name no sibling: work on the directory's real path.
        let real;
        let dir = match std::fs::canonicalize(dir) {
            Ok(p) => {
                real = p;
                real.as_path()
            }
            Err(_) => dir,
        };
        let staging = sibling(dir, "partial")?;
        if let Some(parent) = staging.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
        scorediff_tabular::write::register_temporary(&staging);
        let result = self
            .write_files(be, &staging)
            .and_then(|()| move_in(&staging, dir));
        if result.is_err() {
            let _ = remove_model_files(&staging);
        }
        scorediff_tabular::write::unregister_temporary(&staging);
        result
    }

    fn write_files(&self, be: &B, staging: &Path) -> Result<()> {
        let meta = ModelMeta {
            format_version: MODEL_FORMAT_VERSION,
            scorediff_version: env!("CARGO_PKG_VERSION").to_string(),
            config: self.config.clone(),
            net: ScoreNet::<B>::config(&self.net),
            n_train_rows: self.n_train_rows,
            report: self.report.clone(),
            guard: self.guard.clone(),
            length: self.length.clone(),
        };
        // Plain data with string keys: serialising cannot fail.
        let json = serde_json::to_string_pretty(&meta).unwrap_or_default();
        std::fs::write(staging.join(META), json).map_err(|e| Error::io(staging.join(META), e))?;
        self.schema.save(staging.join(SCHEMA))?;
        self.encoder.save(staging.join(ENCODER))?;
        write_weights(be, &self.net, &staging.join(WEIGHTS))
    }

    /// Reads a model directory written by [`Model::save`].
    pub fn load(be: &B, dir: &Path) -> Result<Self> {
        let meta_path = dir.join(META);
        let text = std::fs::read_to_string(&meta_path).map_err(|e| Error::Model {
            path: dir.display().to_string(),
            detail: format!("not a model directory ({META}: {e}); write one with `scorediff fit`"),
        })?;
        let meta = parse_meta(&text).map_err(|e| Error::Model {
            path: meta_path.display().to_string(),
            detail: e.to_string(),
        })?;
        if !(1..=MODEL_FORMAT_VERSION).contains(&meta.format_version) {
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
        check_consistent(dir, &schema, &encoder, &meta)?;
        let weights =
            std::fs::read(dir.join(WEIGHTS)).map_err(|e| Error::io(dir.join(WEIGHTS), e))?;
        check_parameter_count(dir, &meta, &weights)?;
        let net = meta.net.build(be)?;
        let mut net = meta.config.wrap(net, &encoder.layout());
        read_weights(be, &mut net, &dir.join(WEIGHTS), &weights)?;
        Ok(Model {
            schema,
            encoder,
            net,
            config: meta.config,
            n_train_rows: meta.n_train_rows,
            report: meta.report,
            guard: meta.guard,
            length: meta.length,
        })
    }
}

fn write_weights<B: Backend, N: ScoreNet<B>>(be: &B, net: &N, path: &Path) -> Result<()> {
    let tensors: Vec<(String, &B::Matrix)> = net
        .params()
        .iter()
        .map(|p| (p.name.clone(), &p.value))
        .collect();
    let bytes = tensors::to_bytes(be, &tensors, None).map_err(|e| model_error(path, e))?;
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

fn model_error(path: &Path, detail: impl std::fmt::Display) -> Error {
    Error::Model {
        path: path.display().to_string(),
        detail: detail.to_string(),
    }
}

fn read_weights<B: Backend, N: ScoreNet<B>>(
    be: &B,
    net: &mut N,
    path: &Path,
    bytes: &[u8],
) -> Result<()> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| model_error(path, e))?;
    for p in net.params_mut() {
        p.value =
            tensors::matrix(be, &st, &p.name, p.value.shape()).map_err(|e| model_error(path, e))?;
    }
    Ok(())
}

/// The schema, the encoder and the network configuration of a model directory agree: the
/// schema's modelled columns are the encoder's, in order, and the network reads and writes
/// rows of the encoder's width.
fn check_consistent(
    dir: &Path,
    schema: &Schema,
    encoder: &Encoder,
    meta: &ModelMeta,
) -> Result<()> {
    let bad = |detail: String| Error::Model {
        path: dir.display().to_string(),
        detail: format!(
            "{detail}; the directory was changed after `scorediff fit` wrote it: refit the model"
        ),
    };
    let modelled: Vec<&str> = schema.modelled().map(|c| c.name.as_str()).collect();
    let encoded: Vec<&str> = encoder.columns.iter().map(|c| c.name.as_str()).collect();
    if modelled != encoded {
        return Err(bad(format!(
            "{SCHEMA} models columns {modelled:?} but {ENCODER} encodes {encoded:?}"
        )));
    }
    if let scorediff_net::NetConfig::Mlp(c) = &meta.net {
        let heads = &c.categorical_blocks;
        if *heads != encoder.categorical_blocks() {
            return Err(bad(format!(
                "the network's softmax heads {heads:?} are not the encoder's one-hot blocks {:?}",
                encoder.categorical_blocks()
            )));
        }
    }
    let d = meta.net.data_dim();
    if d != encoder.width() {
        return Err(bad(format!(
            "the network reads rows of width {d} but the encoder writes width {}",
            encoder.width()
        )));
    }
    Ok(())
}

/// The network configuration asks for as many parameters as the weights file stores, so
/// that a damaged `model.json` (a width of 10^9) is an error before anything is allocated.
fn check_parameter_count(dir: &Path, meta: &ModelMeta, weights: &[u8]) -> Result<()> {
    let path = dir.join(WEIGHTS);
    let st = SafeTensors::deserialize(weights).map_err(|e| model_error(&path, e))?;
    let stored = tensors::element_count(&st);
    let wanted = meta.net.n_params();
    if wanted != Some(stored) {
        return Err(Error::Model {
            path: dir.display().to_string(),
            detail: format!(
                "{META} describes a network of {} parameters but {WEIGHTS} stores {stored}; the directory was changed after `scorediff fit` wrote it: refit the model",
                wanted.map_or_else(|| "too many".to_string(), |n| n.to_string())
            ),
        });
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

/// Moves the finished `staging` directory to `dest`: renamed to it when `dest` does not
/// exist; else (an empty or a model directory, checked again) each file is renamed into it,
/// replacing the old one, and `staging` is removed. `dest` itself is never deleted.
fn move_in(staging: &Path, dest: &Path) -> Result<()> {
    if !dest.exists() {
        return std::fs::rename(staging, dest).map_err(|e| Error::io(dest, e));
    }
    check_destination(dest)?;
    for f in FILES {
        std::fs::rename(staging.join(f), dest.join(f)).map_err(|e| Error::io(dest.join(f), e))?;
    }
    std::fs::remove_dir(staging).map_err(|e| Error::io(staging, e))
}

/// Removes a staging directory: its model files, then the directory if it is empty.
fn remove_model_files(dir: &Path) -> std::io::Result<()> {
    for f in FILES {
        let _ = std::fs::remove_file(dir.join(f));
    }
    std::fs::remove_dir(dir)
}
