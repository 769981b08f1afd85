//! The native module of the `scorediff` Python package (`scorediff._native`), on the
//! recipe's library (`scorediff-synth`). The Python side (`python/scorediff/__init__.py`)
//! holds the user's API in the conventions of SDV and scikit-learn (`Synthesizer.fit`,
//! `sample`, `impute`, `save`, `load`; `evaluate`; `infer_schema`) and converts pandas and
//! polars frames to and from `pyarrow` tables; this module does the work:
//!
//! - tables cross as Arrow data ([`arrow`]), typed by the same inference and schema as the
//!   command line's CSV files;
//! - every long call releases the GIL and takes it back a few times a second to report
//!   progress and to let Ctrl-C raise `KeyboardInterrupt` ([`progress`]); an interrupted fit
//!   returns nothing, and nothing is written;
//! - errors are the command line's one-line messages, as `ValueError` (bad input, a condition
//!   the model cannot hold), `OSError` (files, model directories) or `RuntimeError`.

mod arrow;
mod progress;

use std::ops::ControlFlow;
use std::path::PathBuf;

use arrow_pyarrow::{PyArrowType, Table as ArrowTable};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};
use scorediff_synth::backend::Device;
use scorediff_synth::condition::{ColumnCondition, Requirement, Value, resolve, warnings};
use scorediff_synth::config_file::parse_fit_config;
use scorediff_synth::eval::Report;
use scorediff_synth::evaluate::evaluate_synthetic;
use scorediff_synth::faer::FaerBackend;
use scorediff_synth::impute::impute;
use scorediff_synth::pipeline::{FitConfig, Model, SamplerChoice, fit, sample_chunks};
use scorediff_synth::tabular::{InferOptions, Schema, Table, TabularError, TargetChoice};
use scorediff_synth::wgpu::WgpuBackend;
use scorediff_synth::{Error, net::ScoreNet};

use crate::progress::Reporter;

/// The Python exception of a library error (module documentation).
fn py_err(e: Error) -> PyErr {
    let text = e.to_string();
    match e {
        Error::Io { .. } | Error::Model { .. } => PyOSError::new_err(text),
        Error::Tabular(TabularError::Io { .. } | TabularError::Write { .. }) => {
            PyOSError::new_err(text)
        }
        Error::Usage(_) | Error::Tabular(_) | Error::Eval(_) => PyValueError::new_err(text),
        _ => PyRuntimeError::new_err(text),
    }
}

fn value_err(text: String) -> PyErr {
    PyValueError::new_err(text)
}

/// A fitted model on the backend it was fitted on or loaded with.
enum Fitted {
    Cpu(FaerBackend, Model<FaerBackend>),
    Wgpu(WgpuBackend, Model<WgpuBackend>),
}

/// Runs `$body` with `$be` and `$m` bound to the backend and model of a [`Fitted`].
macro_rules! on_model {
    ($fitted:expr, |$be:ident, $m:ident| $body:expr) => {
        match $fitted {
            Fitted::Cpu($be, $m) => $body,
            Fitted::Wgpu($be, $m) => $body,
        }
    };
}

/// The backend a user names.
enum BackendChoice {
    Cpu,
    Wgpu,
}

fn backend(name: &str) -> PyResult<BackendChoice> {
    match name {
        "cpu" => Ok(BackendChoice::Cpu),
        "wgpu" => Ok(BackendChoice::Wgpu),
        other => Err(value_err(format!(
            "backend `{other}` is not one of `cpu`, `wgpu`"
        ))),
    }
}

/// The record batches of a `pyarrow.Table`.
fn batches(t: PyArrowType<ArrowTable>) -> Vec<arrow_array::RecordBatch> {
    t.0.into_inner().0
}

/// A pyarrow table of one typed table.
fn to_arrow(table: &Table, schema: &Schema) -> PyResult<PyArrowType<ArrowTable>> {
    let batch = arrow::record_batch(table, schema).map_err(PyRuntimeError::new_err)?;
    let s = batch.schema();
    ArrowTable::try_new(vec![batch], s)
        .map(PyArrowType)
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// The typed table of a frame and its schema: inferred (merged with a user's partial
/// schema, with the target named), as `scorediff fit` does for a file.
fn typed(
    data: PyArrowType<ArrowTable>,
    target: Option<String>,
    schema_json: Option<&str>,
) -> PyResult<(Table, Schema, Vec<String>)> {
    let raw = arrow::raw_table("DataFrame", &batches(data)).map_err(value_err)?;
    let user = schema_json
        .map(|s| Schema::from_json_str("schema", s))
        .transpose()
        .map_err(|e| value_err(e.to_string()))?;
    let mut infer = InferOptions::default();
    if let Some(t) = target {
        infer.target = TargetChoice::Named(t);
    }
    let schema =
        Schema::infer_with(&raw, &infer, user.as_ref()).map_err(|e| value_err(e.to_string()))?;
    let table = schema.apply(&raw).map_err(|e| value_err(e.to_string()))?;
    let warnings = schema.warnings();
    Ok((table, schema, warnings))
}

/// Fits the recipe (or `config`) to `data` (a `pyarrow.Table`).
#[pyfunction]
#[pyo3(signature = (data, *, seed=0, config=None, max_steps=None, max_seconds=None, target=None, schema=None, backend="cpu", progress=None))]
#[allow(clippy::too_many_arguments)]
fn fit_table(
    py: Python<'_>,
    data: PyArrowType<ArrowTable>,
    seed: u64,
    config: Option<&str>,
    max_steps: Option<u64>,
    max_seconds: Option<f64>,
    target: Option<String>,
    schema: Option<&str>,
    backend: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<NativeModel> {
    let choice = self::backend(backend)?;
    let base = match config {
        Some(text) => parse_fit_config(text, "config").map_err(py_err)?,
        None => FitConfig::default(),
    };
    let mut cfg = base.with_seed(seed);
    if let Some(steps) = max_steps {
        cfg.train.max_steps = steps;
    }
    if max_seconds.is_some() {
        cfg.max_seconds = max_seconds;
    }
    cfg.validate().map_err(py_err)?;
    let (table, schema, schema_warnings) = typed(data, target, schema)?;
    let reporter = Reporter::new(progress);
    let fitted = py.detach(|| {
        let mut on_step = |p: &scorediff_synth::train::Progress| {
            if reporter.report("training", p.step, p.max_steps) {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        };
        match choice {
            BackendChoice::Cpu => {
                let be = FaerBackend::default();
                fit(&be, &table, &schema, &cfg, &mut on_step).map(|m| Fitted::Cpu(be, m))
            }
            BackendChoice::Wgpu => {
                let be = scorediff_synth::device::open_wgpu()?;
                fit(&be, &table, &schema, &cfg, &mut on_step).map(|m| Fitted::Wgpu(be, m))
            }
        }
    });
    if let Some(e) = reporter.take() {
        return Err(e);
    }
    Ok(NativeModel {
        fitted: fitted.map_err(py_err)?,
        warnings: schema_warnings,
    })
}

/// A value of a condition: text, a number or a boolean (as the reader's `True`/`False`).
fn condition_value(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if v.is_instance_of::<PyBool>() {
        let b: bool = v.extract()?;
        Ok(Value::Text(if b { "True" } else { "False" }.into()))
    } else if v.is_instance_of::<PyString>() {
        Ok(Value::Text(v.extract()?))
    } else if let Ok(x) = v.extract::<f64>() {
        Ok(Value::Number(x))
    } else {
        Err(value_err(format!(
            "condition value {v} is neither text nor a number"
        )))
    }
}

/// Conditions from the Python side: `(column, "eq" | "in" | "range", values)`; a range's
/// values are its two ends, `None` for an open one.
fn conditions(
    list: Vec<(String, String, Vec<Bound<'_, PyAny>>)>,
) -> PyResult<Vec<ColumnCondition>> {
    list.into_iter()
        .map(|(column, kind, values)| {
            let requirement = match (kind.as_str(), values.as_slice()) {
                ("eq", [v]) => Requirement::Equals(condition_value(v)?),
                ("in", vs) if !vs.is_empty() => Requirement::OneOf(
                    vs.iter().map(condition_value).collect::<PyResult<_>>()?,
                ),
                ("range", [lo, hi]) => {
                    let end = |v: &Bound<'_, PyAny>| {
                        if v.is_none() {
                            Ok(None)
                        } else {
                            condition_value(v).map(Some)
                        }
                    };
                    Requirement::Between {
                        lo: end(lo)?,
                        hi: end(hi)?,
                    }
                }
                _ => {
                    return Err(value_err(format!(
                        "condition on `{column}`: give a value, a list of categories or a (low, high) range"
                    )));
                }
            };
            Ok(ColumnCondition {
                column,
                requirement,
            })
        })
        .collect()
}

/// A fitted model: what `Synthesizer` holds.
#[pyclass(module = "scorediff._native", frozen)]
struct NativeModel {
    fitted: Fitted,
    /// What schema inference warned about (rare-value protection).
    warnings: Vec<String>,
}

impl NativeModel {
    fn schema(&self) -> &Schema {
        on_model!(&self.fitted, |_be, m| &m.schema)
    }
}

#[pymethods]
impl NativeModel {
    /// Loads a model directory written by `scorediff fit` or `save`.
    #[staticmethod]
    #[pyo3(signature = (path, backend="cpu"))]
    fn load(py: Python<'_>, path: PathBuf, backend: &str) -> PyResult<Self> {
        let choice = self::backend(backend)?;
        let fitted = py.detach(|| match choice {
            BackendChoice::Cpu => {
                let be = FaerBackend::default();
                Model::load(&be, &path).map(|m| Fitted::Cpu(be, m))
            }
            BackendChoice::Wgpu => {
                let be = scorediff_synth::device::open_wgpu()?;
                Model::load(&be, &path).map(|m| Fitted::Wgpu(be, m))
            }
        });
        Ok(Self {
            fitted: fitted.map_err(py_err)?,
            warnings: Vec::new(),
        })
    }

    /// Writes the model directory (the command line's: `scorediff sample DIR` reads it).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| on_model!(&self.fitted, |be, m| m.save(be, &path)))
            .map_err(py_err)
    }

    /// `n_rows` rows with fresh ids, meeting `conditions` (see `conditions`), as a pyarrow
    /// table; `seed` (none: the fit's) seeds the draws.
    #[pyo3(signature = (n_rows, conditions=Vec::new(), seed=None, progress=None))]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        n_rows: usize,
        conditions: Vec<(String, String, Vec<Bound<'py, PyAny>>)>,
        seed: Option<u64>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyArrowType<ArrowTable>> {
        let conditions = self::conditions(conditions)?;
        let reporter = Reporter::new(progress);
        let schema = self.schema().clone();
        let out = py.detach(|| {
            on_model!(&self.fitted, |be, m| {
                let resolved = resolve(&conditions, &m.schema, &m.encoder)?;
                let choice = SamplerChoice {
                    seed,
                    ..SamplerChoice::default()
                };
                let sampler = choice.apply(&m.config.sampler, !resolved.is_empty());
                // Each chunk becomes Arrow data as soon as it is decoded: memory holds the
                // output once, in Arrow's layout, not as decoded tables as well.
                let mut batches = Vec::new();
                let mut written = 0u64;
                let mut on_rows = |d: usize, t: usize| {
                    reporter.report("sampling", d as u64, t as u64);
                };
                sample_chunks(
                    be,
                    m,
                    n_rows,
                    &resolved,
                    &sampler,
                    &mut on_rows,
                    &mut |chunk| {
                        if reporter.stopped() {
                            return Err(Error::Usage("interrupted".into()));
                        }
                        let n = chunk.n_rows() as u64;
                        let chunk = m.schema.with_ids(chunk, written, sampler.seed);
                        let batch = arrow::record_batch(&chunk, &m.schema).map_err(Error::Usage)?;
                        batches.push(batch);
                        written += n;
                        Ok(())
                    },
                )?;
                Ok::<_, Error>((batches, warnings(&resolved, m.n_train_rows)))
            })
        });
        if let Some(e) = reporter.take() {
            return Err(e);
        }
        let (batches, rare) = out.map_err(py_err)?;
        warn_all(py, &rare)?;
        let arrow_schema = match batches.first() {
            Some(b) => b.schema(),
            None => {
                let empty = Table::new(Vec::new()).unwrap_or_default();
                arrow::record_batch(&empty, &schema)
                    .map_err(PyRuntimeError::new_err)?
                    .schema()
            }
        };
        ArrowTable::try_new(batches, arrow_schema)
            .map(PyArrowType)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// `data` (a pyarrow table with the model's columns) with its missing cells filled:
    /// `draws = 1` one draw each, more the point estimate over that many draws.
    #[pyo3(signature = (data, draws=30, seed=None, progress=None))]
    fn impute(
        &self,
        py: Python<'_>,
        data: PyArrowType<ArrowTable>,
        draws: usize,
        seed: Option<u64>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PyArrowType<ArrowTable>> {
        let raw = arrow::raw_table("DataFrame", &batches(data)).map_err(value_err)?;
        let schema = self.schema().clone();
        let typed = schema.apply(&raw).map_err(|e| value_err(e.to_string()))?;
        let reporter = Reporter::new(progress);
        let filled = py.detach(|| {
            on_model!(&self.fitted, |be, m| {
                let choice = SamplerChoice {
                    seed,
                    ..SamplerChoice::default()
                };
                let sampler = choice.apply(&m.config.sampler, true);
                impute(be, m, &typed, &sampler, draws, &mut |d, t| {
                    reporter.report("imputing", d as u64, t as u64);
                })
            })
        });
        if let Some(e) = reporter.take() {
            return Err(e);
        }
        let (filled, _) = filled.map_err(py_err)?;
        // The frame's own columns, in its order: modelled ones filled, the others as given.
        let out = Table {
            columns: raw
                .header
                .iter()
                .zip(&raw.columns)
                .map(|(name, cells)| match filled.column(name) {
                    Some(c) => c.clone(),
                    None => scorediff_synth::tabular::Column::categorical_cells(
                        name.clone(),
                        cells.iter().collect(),
                    ),
                })
                .collect(),
        };
        to_arrow(&out, &schema)
    }

    /// The schema as JSON (the command line's `schema.json`).
    fn schema_json(&self) -> String {
        self.schema().to_json_pretty()
    }

    /// The fit configuration as JSON (`--print-config`'s).
    fn config_json(&self) -> String {
        on_model!(&self.fitted, |_be, m| serde_json::to_string_pretty(
            &m.config
        ))
        .unwrap_or_default()
    }

    /// What the fit did, as JSON: the training report, the memorisation guard's checks, the
    /// length rule's plan, the number of parameters and training rows.
    fn fit_report_json(&self) -> String {
        on_model!(&self.fitted, |_be, m| serde_json::to_string_pretty(
            &serde_json::json!({
                "training": m.report,
                "guard": m.guard,
                "length": m.length,
                "parameters": m.net.n_trainable(),
                "n_train_rows": m.n_train_rows,
            })
        ))
        .unwrap_or_default()
    }

    /// Rows of the training table.
    #[getter]
    fn n_train_rows(&self) -> usize {
        on_model!(&self.fitted, |_be, m| m.n_train_rows)
    }

    /// The backend's description (`faer (2 threads)`, `wgpu: ...`).
    #[getter]
    fn backend(&self) -> String {
        on_model!(&self.fitted, |be, _m| be.name())
    }

    /// What schema inference warned about when the model was fitted.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// Issues each of `lines` as a Python `UserWarning`.
fn warn_all(py: Python<'_>, lines: &[String]) -> PyResult<()> {
    for line in lines {
        let w = py.get_type::<pyo3::exceptions::PyUserWarning>();
        PyErr::warn(
            py,
            &w,
            &std::ffi::CString::new(line.as_str()).unwrap_or_default(),
            1,
        )?;
    }
    Ok(())
}

/// The schema of `data` as JSON, as `scorediff schema` prints it for a file.
#[pyfunction]
#[pyo3(signature = (data, target=None))]
fn infer_schema(data: PyArrowType<ArrowTable>, target: Option<String>) -> PyResult<String> {
    let (_, schema, _) = typed(data, target, None)?;
    Ok(schema.to_json_pretty())
}

/// An evaluation: the report, and the tables its figures are drawn from.
#[pyclass(module = "scorediff._native", frozen)]
struct NativeReport {
    report: Report,
    real: Table,
    synthetic: Table,
}

#[pymethods]
impl NativeReport {
    /// The report as JSON (`scorediff eval --json`'s).
    fn json(&self) -> PyResult<String> {
        serde_json::to_string(&self.report).map_err(|e| PyRuntimeError::new_err(e.to_string()))
    }

    /// The summary lines `scorediff eval` prints.
    fn summary(&self) -> String {
        self.report.summary()
    }

    /// The self-contained HTML report (with the figures unless `plots` is false).
    #[pyo3(signature = (plots=true))]
    fn html(&self, py: Python<'_>, plots: bool) -> PyResult<String> {
        py.detach(|| {
            let figures = if plots {
                Some(scorediff_synth::eval::make_plots(
                    &self.real,
                    &self.synthetic,
                    &self.report,
                )?)
            } else {
                None
            };
            Ok::<_, scorediff_synth::eval::EvalError>(scorediff_synth::eval::html::render_html(
                &self.report,
                figures.as_ref(),
            ))
        })
        .map_err(|e| value_err(e.to_string()))
    }
}

/// Evaluates `synthetic` against `real` (and `test`, `holdout`) with the benchmark's protocol,
/// every table typed by `real`'s schema (inferred, or `schema`).
#[pyfunction]
#[pyo3(signature = (real, synthetic, *, test=None, holdout=None, target=None, schema=None, seed=0, progress=None))]
#[allow(clippy::too_many_arguments)]
fn evaluate(
    py: Python<'_>,
    real: PyArrowType<ArrowTable>,
    synthetic: PyArrowType<ArrowTable>,
    test: Option<PyArrowType<ArrowTable>>,
    holdout: Option<PyArrowType<ArrowTable>>,
    target: Option<String>,
    schema: Option<&str>,
    seed: u64,
    progress: Option<Py<PyAny>>,
) -> PyResult<NativeReport> {
    let (real, schema, _) = typed(real, target, schema)?;
    let apply = |t: PyArrowType<ArrowTable>, what: &str| -> PyResult<Table> {
        let raw = arrow::raw_table(what, &batches(t)).map_err(value_err)?;
        schema.apply(&raw).map_err(|e| value_err(e.to_string()))
    };
    let synthetic = apply(synthetic, "synthetic")?;
    let test = test.map(|t| apply(t, "test")).transpose()?;
    let holdout = holdout.map(|t| apply(t, "holdout")).transpose()?;
    let reporter = Reporter::new(progress);
    let report = py.detach(|| {
        let on = |stage: &str, done: usize, total: usize| {
            reporter.report(stage, done as u64, total as u64);
        };
        evaluate_synthetic(
            &schema,
            &real,
            test.as_ref(),
            &synthetic,
            holdout.as_ref(),
            seed,
            &on,
        )
    });
    if let Some(e) = reporter.take() {
        return Err(e);
    }
    Ok(NativeReport {
        report: report.map_err(py_err)?,
        real,
        synthetic,
    })
}

/// The default fit configuration as JSON (`scorediff fit --print-config`).
#[pyfunction]
fn default_config() -> String {
    serde_json::to_string_pretty(&FitConfig::default()).unwrap_or_default()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Training frees and reallocates the same large buffers every step: keep them in the
    // process, as the command line does (scorediff_faer::retain_freed_memory).
    scorediff_synth::faer::retain_freed_memory();
    m.add_class::<NativeModel>()?;
    m.add_class::<NativeReport>()?;
    m.add_function(wrap_pyfunction!(fit_table, m)?)?;
    m.add_function(wrap_pyfunction!(infer_schema, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(default_config, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
