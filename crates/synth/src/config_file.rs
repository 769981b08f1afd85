//! Fit configurations as JSON files: what `scorediff fit --config` reads and
//! `--print-config` writes.
//!
//! A file is either a bare [`FitConfig`] or a model's `model.json` (its `config` member is
//! used, as `--config model/model.json` reuses a fit's settings). Keys serde would ignore are
//! errors, naming the key, so a misspelt setting cannot silently fall back to the default.
//! Files written before the network became one tagged member (model format 1 and the
//! `--print-config` output of that time: `"net": "mlp"`, `"mlp_width": 384`, ...) are read by
//! [`upgrade_flat_net`].

use crate::pipeline::FitConfig;
use crate::{Error, Result};
use serde_json::{Value, json};

/// A fit configuration from a JSON file: [`parse_fit_config`] of its text, named by its path.
pub fn read_fit_config(path: &std::path::Path) -> Result<FitConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_fit_config(&text, &path.display().to_string())
}

/// Parses a fit configuration from the text of a file named `origin` (for messages).
pub fn parse_fit_config(text: &str, origin: &str) -> Result<FitConfig> {
    let bad = |e: serde_json::Error| {
        // serde_json's message ends with the line and column.
        Error::Usage(format!(
            "{origin}: not a fit configuration: {e}; write one with `scorediff fit --print-config`"
        ))
    };
    let value: Value = serde_json::from_str(text).map_err(bad)?;
    let (mut given, member) = match value.get("format_version") {
        // A model's model.json: its `config` member (positions are lost in the member).
        Some(_) => (value["config"].clone(), true),
        None => (value, false),
    };
    let upgraded = upgrade_flat_net(&mut given);
    let cfg: FitConfig = if member || upgraded {
        serde_json::from_value(given.clone()).map_err(|e| {
            Error::Usage(format!(
                "{origin}: {} is not a fit configuration ({e})",
                if member { "its `config`" } else { "it" }
            ))
        })?
    } else {
        serde_json::from_str(text).map_err(bad)?
    };
    let known = serde_json::to_value(&cfg).map_err(|e| Error::Usage(e.to_string()))?;
    if let Some(key) = unknown_keys(&given, &known, "").into_iter().next() {
        return Err(Error::Usage(format!(
            "{origin}: unknown key `{key}` in the fit configuration; write one with `scorediff fit --print-config`"
        )));
    }
    Ok(cfg)
}

/// Rewrites the flat network settings of earlier files (`"net": "mlp"`, `mlp_width`,
/// `mlp_depth`, `mlp_residual`, `two_layer_width`) into the tagged `net` member; returns
/// whether it changed anything. Sizes a file leaves out take the default recipe's values.
pub fn upgrade_flat_net(config: &mut Value) -> bool {
    let Some(obj) = config.as_object_mut() else {
        return false;
    };
    let Some(kind) = obj.get("net").and_then(Value::as_str).map(str::to_string) else {
        return false;
    };
    let mut take = |key: &str, default: Value| obj.remove(key).unwrap_or(default);
    let mlp = (
        take("mlp_width", json!(384)),
        take("mlp_depth", json!(3)),
        take("mlp_residual", json!(true)),
    );
    let two_layer_width = take("two_layer_width", json!(1024));
    let net = match kind.as_str() {
        "mlp" => json!({"kind": "mlp", "width": mlp.0, "depth": mlp.1, "residual": mlp.2}),
        // An unknown kind is left for serde to report.
        other => json!({"kind": other, "width": two_layer_width}),
    };
    obj.insert("net".into(), net);
    true
}

/// The keys of `given` (JSON objects, recursively) that `known`, the parsed configuration
/// written back, does not have: keys serde ignored.
fn unknown_keys(given: &Value, known: &Value, at: &str) -> Vec<String> {
    let (Some(g), Some(k)) = (given.as_object(), known.as_object()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, v) in g {
        let path = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        match k.get(key) {
            None => out.push(path),
            Some(kv) => out.extend(unknown_keys(v, kv, &path)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::NetSpec;

    #[test]
    fn printed_configurations_read_back_and_flat_ones_are_upgraded() {
        let cfg = FitConfig::default();
        let text = serde_json::to_string_pretty(&cfg).unwrap();
        assert_eq!(parse_fit_config(&text, "f.json").unwrap(), cfg);
        // The flat form of earlier files.
        let mut flat = serde_json::to_value(&cfg).unwrap();
        let obj = flat.as_object_mut().unwrap();
        obj.insert("net".into(), json!("mlp"));
        obj.insert("mlp_width".into(), json!(24));
        obj.insert("mlp_depth".into(), json!(1));
        obj.insert("mlp_residual".into(), json!(false));
        obj.insert("two_layer_width".into(), json!(1024));
        let old = parse_fit_config(&flat.to_string(), "old.json").unwrap();
        assert_eq!(
            old.net,
            NetSpec::Mlp {
                width: 24,
                depth: 1,
                residual: false
            }
        );
        let model_json = json!({"format_version": 1, "config": flat}).to_string();
        assert_eq!(parse_fit_config(&model_json, "model.json").unwrap(), old);
    }

    #[test]
    fn unknown_and_misspelt_keys_are_errors_naming_the_key() {
        let mut v = serde_json::to_value(FitConfig::default()).unwrap();
        v["train"]["max_stpes"] = json!(3);
        let e = parse_fit_config(&v.to_string(), "f.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("train.max_stpes") && e.contains("f.json"), "{e}");
        let e = parse_fit_config("{\n  \"net\": 3\n}", "g.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("g.json"), "{e}");
    }
}
