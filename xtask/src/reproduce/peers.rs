//! The peers of `reproduce panel --peers ...`: the synthesizers a user would pick instead of
//! scorediff, run on the same table, machine and report (docs/panel.md, "The peers").
//!
//! Each peer runs in Python (`xtask/scripts/peers.sh` makes a virtual environment with
//! mostlyai-engine and SDV from PyPI once, then runs `peers.py`). The runner hands the
//! script scorediff's schema of the table, the modelled columns and which of them are
//! categorical, so that every synthesizer models the same columns the same way, and reads
//! the synthetic CSV back through that schema: the rows are scored by the same code as
//! scorediff's own. The script reports its fit and sample seconds, wall and CPU (its
//! process and children): a peer's CPU time is not in this process's counter.

use scorediff_synth::tabular::{ColumnKind, ReadOptions, Schema, Table, load_typed};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A peer synthesizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Peer {
    /// mostlyai-engine's TabularARGN at its defaults (its own early stopping).
    #[serde(rename = "tabularargn")]
    TabularArgn,
    /// SDV's GaussianCopulaSynthesizer at its defaults.
    GaussianCopula,
    /// SDV's CTGANSynthesizer, CPU, epochs capped on long tables.
    Ctgan,
}

impl Peer {
    /// Every peer, in the report's order.
    pub const ALL: [Peer; 3] = [Peer::TabularArgn, Peer::GaussianCopula, Peer::Ctgan];

    /// The name `peers.py --peer` and `--peers` take (the serde name too).
    pub fn key(self) -> &'static str {
        match self {
            Peer::TabularArgn => "tabularargn",
            Peer::GaussianCopula => "gaussian_copula",
            Peer::Ctgan => "ctgan",
        }
    }

    /// What ends the peer's fit, for the report's "stopped by" column.
    pub fn stop(self) -> &'static str {
        match self {
            Peer::TabularArgn => "its early stopping (validation loss) or 100 epochs",
            Peer::GaussianCopula => "one pass (fitted marginals and correlations)",
            Peer::Ctgan => "its epochs",
        }
    }

    /// Parses a comma-separated `--peers` list (`all` for every peer).
    pub fn parse_list(text: &str) -> Result<Vec<Peer>, String> {
        if text.trim() == "all" {
            return Ok(Peer::ALL.to_vec());
        }
        text.split(',')
            .map(|s| {
                let s = s.trim();
                Peer::ALL.into_iter().find(|p| p.key() == s).ok_or_else(|| {
                    let keys: Vec<&str> = Peer::ALL.iter().map(|p| p.key()).collect();
                    format!(
                        "--peers: no peer {s:?} (expected all or {})",
                        keys.join(", ")
                    )
                })
            })
            .collect()
    }
}

/// What `peers.py` printed of a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerFit {
    /// The peer that ran (`peers.py` prints the `--peer` it was given).
    pub key: Peer,
    /// The peer's display name.
    pub peer: String,
    /// Its library and the version that ran.
    pub library: String,
    pub version: String,
    /// The settings that differ from the library's defaults (epochs, time caps).
    pub settings: serde_json::Value,
    pub rows: usize,
    pub fit_s: f64,
    pub fit_cpu_s: f64,
    pub sample_s: f64,
    pub sample_cpu_s: f64,
}

impl PeerFit {
    /// The report's one-line name of the run, e.g. `CTGAN (sdv 2.0.0; epochs 300)`.
    pub fn describe(&self) -> String {
        let settings = match &self.settings {
            serde_json::Value::Object(m) if !m.is_empty() => {
                let kv: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
                format!("; {}", kv.join(", "))
            }
            _ => String::new(),
        };
        format!(
            "{} ({} {}{settings})",
            self.peer, self.library, self.version
        )
    }
}

/// Where the peers run: the virtual environment and a directory for their synthetic files.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerEnv {
    pub venv: PathBuf,
    pub work: PathBuf,
}

/// The schema's modelled columns and, of them, the categorical ones; an error for a kind
/// the runner does not hand over (datetimes: the peers would each parse them their way).
pub fn column_kinds(schema: &Schema) -> Result<(Vec<String>, Vec<String>), String> {
    let mut columns = Vec::new();
    let mut categorical = Vec::new();
    for c in schema.columns.iter().filter(|c| c.kind != ColumnKind::Id) {
        match c.kind {
            ColumnKind::Datetime => {
                return Err(format!(
                    "column {:?} is a datetime, which the peer runner does not pass on",
                    c.name
                ));
            }
            ColumnKind::Categorical => categorical.push(c.name.clone()),
            _ => {}
        }
        columns.push(c.name.clone());
    }
    Ok((columns, categorical))
}

/// Fits `peer` on `train_csv`, samples `rows` rows and reads them back with `schema`.
pub fn run_peer(
    env: &PeerEnv,
    peer: Peer,
    table: &str,
    train_csv: &Path,
    schema: &Schema,
    rows: usize,
    seed: u64,
) -> Result<(PeerFit, Table), String> {
    let (columns, categorical) = column_kinds(schema)?;
    std::fs::create_dir_all(&env.work).map_err(|e| format!("{}: {e}", env.work.display()))?;
    let out = env
        .work
        .join(format!("{table}-{}-seed{seed}.csv", peer.key()));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/peers.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(&env.venv)
        .args(["--peer", peer.key()])
        .arg("--train")
        .arg(train_csv)
        .args(["--columns", &json_list(&columns)])
        .args(["--categorical", &json_list(&categorical)])
        .args(["--rows", &rows.to_string(), "--seed", &seed.to_string()])
        .arg("--out")
        .arg(&out)
        .output()
        .map_err(|e| format!("bash {}: {e}", script.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "{} exited with {}: {}",
            peer.key(),
            output.status,
            tail.join(" | ")
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let fit = parse_fit(&stdout)?;
    let syn = load_typed(&out, &ReadOptions::default(), schema)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    Ok((fit, syn))
}

/// Column names as a JSON list: a name may hold commas or quotes.
fn json_list(names: &[String]) -> String {
    serde_json::to_string(names).expect("a list of strings serialises")
}

/// The last line of the script's output that is a fit record (libraries may print before).
fn parse_fit(stdout: &str) -> Result<PeerFit, String> {
    stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<PeerFit>(l.trim()).ok())
        .ok_or_else(|| format!("peers.py printed no fit record: {:?}", stdout.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_peer_lists() {
        assert_eq!(Peer::parse_list("all").unwrap(), Peer::ALL.to_vec());
        assert_eq!(
            Peer::parse_list("ctgan, tabularargn").unwrap(),
            vec![Peer::Ctgan, Peer::TabularArgn]
        );
        for p in Peer::ALL {
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.key())
            );
        }
        let e = Peer::parse_list("ctgan,tvae").unwrap_err();
        assert!(
            e.contains("\"tvae\"") && e.contains("gaussian_copula"),
            "{e}"
        );
    }

    #[test]
    fn reads_the_fit_record_after_library_chatter() {
        let out = "epoch 1\n{\"not\": \"a fit\"}\n{\"key\": \"ctgan\", \"peer\": \"CTGAN\", \"library\": \"sdv\", \"version\": \"2.0.0\", \
                   \"settings\": {\"epochs\": 300}, \"rows\": 10, \"fit_s\": 1.5, \"fit_cpu_s\": 2.5, \
                   \"sample_s\": 0.1, \"sample_cpu_s\": 0.1}\n";
        let fit = parse_fit(out).unwrap();
        assert_eq!(fit.rows, 10);
        assert_eq!(fit.key, Peer::Ctgan);
        assert_eq!(fit.describe(), "CTGAN (sdv 2.0.0; epochs 300)");
        assert!(parse_fit("nothing here\n").is_err());
    }

    #[test]
    fn hands_over_modelled_columns_and_refuses_datetimes() {
        use scorediff_synth::tabular::{Column, InferOptions, RawTable};
        let table = Table::new(vec![
            Column::numerical("x", (0..40).map(|i| Some(i as f64 + 0.5)).collect()),
            Column::categorical(
                "c",
                (0..40).map(|i| Some(["a", "b"][i % 2].into())).collect(),
            ),
        ])
        .unwrap();
        let raw = RawTable::from_table("t.csv", &table);
        let mut schema = Schema::infer(&raw, &InferOptions::default()).unwrap();
        let mut id = schema.columns[0].clone();
        id.name = "id".into();
        id.kind = ColumnKind::Id;
        schema.columns.insert(0, id);
        let (columns, categorical) = column_kinds(&schema).unwrap();
        assert!(!columns.contains(&"id".to_string()), "{columns:?}");
        assert_eq!(categorical, vec!["c".to_string()]);
        let mut dated = schema.clone();
        dated
            .columns
            .iter_mut()
            .find(|c| c.name == "x")
            .unwrap()
            .kind = ColumnKind::Datetime;
        assert!(column_kinds(&dated).unwrap_err().contains("\"x\""));
    }
}
