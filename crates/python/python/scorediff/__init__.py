"""scorediff: synthetic copies of tables from a diffusion model whose score is learned by
gradient descent, in the conventions of SDV and scikit-learn.

    import scorediff
    synth = scorediff.Synthesizer(seed=0)                 # the default recipe
    synth.fit(df, target="default payment next month")   # pandas, polars or pyarrow
    syn = synth.sample(27_000)                            # a DataFrame, dtypes as the input
    syn = synth.sample(5_000, where={"default payment next month": 1, "AGE": (60, 70)})
    filled = synth.impute(df_with_gaps)                   # only the missing cells filled
    synth.save("model/")                                  # the command line's model directory
    synth = scorediff.Synthesizer.load("model/")
    report = scorediff.evaluate(real=train, synthetic=syn, test=test)
    report["shape"]["error"]; report.to_html("report.html")
    scorediff.infer_schema(df)                            # `scorediff schema`'s JSON, as a dict

The work is done by the Rust library behind the `scorediff` command line (`scorediff._native`):
the same inference, model, sampler and metrics, the same digits for the same seed. Frames
cross as Arrow data, never as CSV text. Long calls release the GIL, show progress (tqdm when
it is installed, a plain line on stderr otherwise; ``verbose=False`` silences both) and stop
on Ctrl-C with ``KeyboardInterrupt``. Errors carry the command line's one-line messages:
``ValueError`` for bad input or a condition the model cannot hold, ``OSError`` for files and
model directories.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Union

import pyarrow as pa
import pyarrow.compute as pc

from . import _native

__version__ = _native.__version__
__all__ = ["Synthesizer", "Report", "evaluate", "infer_schema", "default_config", "__version__"]


# ---------------------------------------------------------------------------------------
# Frames in and out


def _frame_kind(data: Any) -> str:
    if isinstance(data, pa.Table):
        return "arrow"
    module = type(data).__module__
    if module.startswith("pandas") and hasattr(data, "columns"):
        return "pandas"
    if module.startswith("polars") and hasattr(data, "to_arrow"):
        return "polars"
    raise TypeError(
        f"expected a pandas or polars DataFrame or a pyarrow Table, got {type(data).__name__}"
    )


def _to_arrow(data: Any) -> pa.Table:
    kind = _frame_kind(data)
    if kind == "arrow":
        return data
    if kind == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    return data.to_arrow()


class _Like:
    """What a frame was, so that generated frames come back in its kind and column types."""

    def __init__(self, kind: str, schema: pa.Schema, pandas_dtypes: Optional[Dict[str, Any]]):
        self.kind = kind
        self.schema = schema
        self.pandas_dtypes = pandas_dtypes

    @classmethod
    def of(cls, data: Any) -> "_Like":
        kind = _frame_kind(data)
        table = _to_arrow(data)
        dtypes = dict(data.dtypes.items()) if kind == "pandas" else None
        return cls(kind, table.schema, dtypes)

    @classmethod
    def of_schema(cls, schema: Mapping[str, Any]) -> "_Like":
        """The types a model's schema implies (a loaded model has no frame to copy)."""
        fields = []
        for c in schema["columns"]:
            fields.append(pa.field(c["name"], _schema_type(c)))
        return cls("pandas", pa.schema(fields), None)


def _schema_type(column: Mapping[str, Any]) -> pa.DataType:
    kind = column["kind"]
    if kind == "integer":
        return pa.int64()
    if kind == "continuous":
        return pa.float64()
    if kind == "datetime":
        return pa.timestamp("us")
    if kind == "categorical" and column.get("numeric_codes"):
        cats = column.get("categories", [])
        if cats and all(_is_int_text(c) for c in cats):
            return pa.int64()
        return pa.float64()
    return pa.string()


def _is_int_text(text: str) -> bool:
    try:
        int(text)
        return True
    except ValueError:
        return False


def _cast_column(col: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    """One generated column (float64, timestamp[us] or string) as the input's type."""
    source = col.type
    if source == target:
        return col
    if pa.types.is_dictionary(target):
        return pc.dictionary_encode(_cast_column(col, target.value_type))
    if pa.types.is_boolean(target):
        if pa.types.is_string(source):
            return pc.equal(col, "True")
        return pc.cast(col, target)
    if pa.types.is_integer(target) or pa.types.is_floating(target):
        if pa.types.is_string(source):
            col = pc.cast(col, pa.float64())
        return pc.cast(col, target, safe=False)
    if pa.types.is_date(target) and pa.types.is_timestamp(source):
        return pc.cast(col, target, safe=False)
    if pa.types.is_timestamp(target) and pa.types.is_timestamp(source):
        # Generated instants are UTC; an aware type reads its values as UTC too.
        return pc.cast(col, target, safe=False)
    try:
        return pc.cast(col, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return col


def _from_arrow(table: pa.Table, like: _Like) -> Any:
    """A generated table in ``like``'s kind and column types. The caller passes its only
    reference: each column is replaced as it is cast, and pandas takes the buffers over
    (``self_destruct``), so that a large sample is held about twice, not four times."""
    types = {f.name: f.type for f in like.schema}
    names = table.column_names
    for i, name in enumerate(names):
        if name in types:
            table = table.set_column(i, name, _cast_column(table.column(i), types[name]))
    if like.kind == "arrow":
        return table
    if like.kind == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return _to_pandas([table], like)


def _to_pandas(holder: list, like: _Like) -> Any:
    import pandas as pd

    frame = holder.pop().to_pandas(self_destruct=True, split_blocks=True)
    for name, dtype in (like.pandas_dtypes or {}).items():
        if name not in frame.columns:
            continue
        col = frame[name]
        if isinstance(dtype, pd.CategoricalDtype):
            frame[name] = pd.Categorical(col.astype(object), dtype=dtype)
        elif str(dtype) != str(col.dtype):
            try:
                if pd.api.types.is_integer_dtype(dtype) and col.isna().any():
                    frame[name] = col.astype(str(dtype).capitalize())
                else:
                    frame[name] = col.astype(dtype)
            except (TypeError, ValueError):
                pass
    return frame


# ---------------------------------------------------------------------------------------
# Progress


class _Progress:
    """A tqdm bar per stage when tqdm is installed, else a line on stderr every few seconds."""

    def __init__(self, verbose: bool):
        self.verbose = verbose
        self.bars: Dict[str, Any] = {}
        self.last = 0.0
        try:
            from tqdm.auto import tqdm

            self.tqdm = tqdm
        except ImportError:
            self.tqdm = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.verbose:
            return
        if self.tqdm is not None:
            bar = self.bars.get(stage)
            if bar is None:
                bar = self.bars[stage] = self.tqdm(total=total, desc=stage, leave=False)
            bar.total = total
            bar.update(done - bar.n)
            return
        now = time.monotonic()
        if now - self.last >= 5.0 or done >= total:
            self.last = now
            pct = 100.0 * done / total if total else 100.0
            print(f"{stage}: {done}/{total} ({pct:.1f}%)", file=sys.stderr, flush=True)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()


# ---------------------------------------------------------------------------------------
# Conditions


Condition = Union[Any, Tuple[Any, Any], Iterable[Any]]


def _value(v: Any) -> Any:
    """A condition value for the native side: text, number or boolean; datetimes as seconds."""
    if v is None or isinstance(v, (str, bool, int, float)):
        return v
    if hasattr(v, "item") and not hasattr(v, "__len__"):  # numpy scalars
        return v.item()
    if hasattr(v, "timestamp"):  # datetime.datetime, pandas.Timestamp: naive read as UTC
        import datetime as _dt

        if isinstance(v, _dt.datetime) and v.tzinfo is None:
            v = v.replace(tzinfo=_dt.timezone.utc)
        return float(v.timestamp())
    if hasattr(v, "toordinal"):  # datetime.date
        import datetime as _dt

        return float((v - _dt.date(1970, 1, 1)).days * 86400)
    return str(v)


def _conditions(where: Optional[Mapping[str, Condition]]):
    """`where` as the native side takes it: a value means equal, a list or set one of several
    categories, a 2-tuple a range with its ends included (``None``: open)."""
    out = []
    for column, spec in (where or {}).items():
        if isinstance(spec, tuple):
            if len(spec) != 2:
                raise ValueError(
                    f"condition on `{column}`: a range is a (low, high) pair, got {spec!r}"
                )
            out.append((column, "range", [_value(spec[0]), _value(spec[1])]))
        elif isinstance(spec, (list, set, frozenset)):
            out.append((column, "in", [_value(v) for v in spec]))
        else:
            out.append((column, "eq", [_value(spec)]))
    return out


# ---------------------------------------------------------------------------------------
# The synthesizer


class Synthesizer:
    """The diffusion synthesizer: ``fit`` a table, then ``sample``, ``impute``, ``save``.

    ``Synthesizer()`` is the default recipe (the command line's ``scorediff fit``); the
    keywords override it: ``seed`` (every draw of the fit, and the default seed of
    ``sample``), ``max_steps`` (training steps), ``max_seconds`` (a time budget),
    ``backend`` (``"cpu"`` or ``"wgpu"``), ``config`` (a dict of the command line's
    ``--print-config`` JSON; the other keywords apply on top of it), ``verbose`` (progress).
    """

    def __init__(
        self,
        seed: int = 0,
        max_steps: Optional[int] = None,
        max_seconds: Optional[float] = None,
        backend: str = "cpu",
        config: Optional[Mapping[str, Any]] = None,
        verbose: bool = True,
    ):
        self.seed = int(seed)
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.backend = backend
        self.config = dict(config) if config is not None else None
        self.verbose = verbose
        self._model: Optional[_native.NativeModel] = None
        self._like: Optional[_Like] = None

    def __repr__(self) -> str:
        state = "fitted" if self._model is not None else "not fitted"
        return f"Synthesizer(seed={self.seed}, backend={self.backend!r}; {state})"

    def _fitted(self) -> "_native.NativeModel":
        if self._model is None:
            raise ValueError("this Synthesizer is not fitted: call fit(data) or Synthesizer.load(path)")
        return self._model

    def _run(self, call):
        progress = _Progress(self.verbose)
        try:
            return call(progress)
        finally:
            progress.close()

    def fit(
        self,
        data: Any,
        target: Optional[str] = None,
        schema: Optional[Mapping[str, Any]] = None,
    ) -> "Synthesizer":
        """Fits the model to ``data`` (pandas or polars DataFrame, pyarrow Table).

        ``target`` names the target column (default: the last), ``schema`` a partial schema
        (``{"columns": [{"name": ..., "kind": ...}]}``) merged with inference, as the command
        line's ``--target`` and ``--schema``. Returns ``self``.
        """
        like = _Like.of(data)
        table = _to_arrow(data)
        schema_text = json.dumps(_with_version(schema)) if schema is not None else None
        config_text = json.dumps(self.config) if self.config is not None else None
        model = self._run(
            lambda progress: _native.fit_table(
                table,
                seed=self.seed,
                config=config_text,
                max_steps=self.max_steps,
                max_seconds=self.max_seconds,
                target=target,
                schema=schema_text,
                backend=self.backend,
                progress=progress,
            )
        )
        for w in model.warnings:
            warnings.warn(w, UserWarning, stacklevel=2)
        self._model, self._like = model, like
        return self

    def sample(
        self,
        num_rows: Optional[int] = None,
        where: Optional[Mapping[str, Condition]] = None,
        seed: Optional[int] = None,
    ) -> Any:
        """``num_rows`` synthetic rows (default: as many as the training table had), in the
        input's frame kind and column types, with fresh ids.

        ``where`` fixes columns: ``{"col": value}`` equal, ``{"col": [a, b]}`` one of several
        categories, ``{"col": (low, high)}`` a range with its ends included (``None`` for an
        open end). Every row meets every condition; the other columns are drawn from the
        model given them, with no rejection. ``seed`` defaults to the fit's.
        """
        model = self._fitted()
        n = model.n_train_rows if num_rows is None else int(num_rows)
        if n < 1:
            raise ValueError("num_rows must be at least 1")
        return _from_arrow(
            self._run(lambda progress: model.sample(n, _conditions(where), seed, progress)),
            self._like_or_schema(),
        )

    def impute(self, data: Any, draws: int = 30, seed: Optional[int] = None) -> Any:
        """``data`` with its missing cells filled from the model given each row's known
        cells, every other cell as given, rows in order.

        ``draws > 1`` (default 30) fills the point estimate over that many draws (the mean of
        a numerical cell, the most probable category), as scikit-learn's imputers do;
        ``draws=1`` one draw of the conditional law (repeat with seeds for multiple
        imputation).
        """
        model = self._fitted()
        if int(draws) < 1:
            raise ValueError("draws must be at least 1")
        like = _Like.of(data)
        table = _to_arrow(data)
        return _from_arrow(
            self._run(lambda progress: model.impute(table, int(draws), seed, progress)), like
        )

    def save(self, path: Any) -> None:
        """Writes the model directory (the one ``scorediff fit`` writes; ``scorediff sample``
        reads it). Replaces only a scorediff model directory; written whole or not at all."""
        self._fitted().save(str(path))

    @classmethod
    def load(cls, path: Any, backend: str = "cpu", verbose: bool = True) -> "Synthesizer":
        """A synthesizer of the model directory at ``path`` (from ``save`` or ``scorediff
        fit``). Generated frames are pandas, with types from the model's schema."""
        synth = cls(backend=backend, verbose=verbose)
        synth._model = _native.NativeModel.load(str(path), backend)
        synth.seed = int(json.loads(synth._model.config_json())["sampler"]["seed"])
        return synth

    def _like_or_schema(self) -> _Like:
        if self._like is None:
            self._like = _Like.of_schema(self.schema)
        return self._like

    @property
    def schema(self) -> Dict[str, Any]:
        """The model's schema (``scorediff schema``'s JSON)."""
        return json.loads(self._fitted().schema_json())

    @property
    def fit_config(self) -> Dict[str, Any]:
        """The fit configuration used (``--print-config``'s JSON)."""
        return json.loads(self._fitted().config_json())

    @property
    def fit_report(self) -> Dict[str, Any]:
        """What the fit did: training steps and stop reason, the memorisation guard's checks,
        the length rule's plan, parameters and training rows."""
        return json.loads(self._fitted().fit_report_json())


def _with_version(schema: Mapping[str, Any]) -> Dict[str, Any]:
    out = dict(schema)
    out.setdefault("format_version", 1)
    return out


# ---------------------------------------------------------------------------------------
# Evaluation and schemas


class Report(dict):
    """An evaluation report: a dict of every figure (``scorediff eval --json``'s), with the
    summary lines and the HTML report."""

    def __init__(self, native: "_native.NativeReport"):
        super().__init__(json.loads(native.json()))
        self._native = native

    def summary(self) -> str:
        """The summary ``scorediff eval`` prints."""
        return self._native.summary()

    def to_html(self, path: Any = None, plots: bool = True) -> Optional[str]:
        """The self-contained HTML report; written to ``path`` when given (through a
        temporary file and a rename), else returned."""
        html = self._native.html(plots)
        if path is None:
            return html
        import os
        import tempfile

        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".report.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(html)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        return None


def evaluate(
    real: Any,
    synthetic: Any,
    test: Any = None,
    holdout: Any = None,
    target: Optional[str] = None,
    schema: Optional[Mapping[str, Any]] = None,
    seed: int = 0,
    verbose: bool = True,
) -> Report:
    """Compares ``synthetic`` with ``real`` by the benchmark's metrics (Shape, Trend,
    alpha-precision, beta-recall, both C2ST detectors, MLE on ``test``, DCR against
    ``holdout`` or ``test``), every table typed by ``real``'s schema."""
    progress = _Progress(verbose)
    try:
        native = _native.evaluate(
            _to_arrow(real),
            _to_arrow(synthetic),
            test=_to_arrow(test) if test is not None else None,
            holdout=_to_arrow(holdout) if holdout is not None else None,
            target=target,
            schema=json.dumps(_with_version(schema)) if schema is not None else None,
            seed=int(seed),
            progress=progress,
        )
    finally:
        progress.close()
    return Report(native)


def infer_schema(data: Any, target: Optional[str] = None) -> Dict[str, Any]:
    """The inferred schema of ``data``: the JSON ``scorediff schema`` prints for a file."""
    return json.loads(_native.infer_schema(_to_arrow(data), target))


def default_config() -> Dict[str, Any]:
    """The default recipe's fit configuration (``scorediff fit --print-config``)."""
    return json.loads(_native.default_config())
