"""The Synthesizer API: fit, sample (with and without conditions), impute, save and load,
dtypes, determinism, errors, and agreement with the command line."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import scorediff
from conftest import scorediff_binary, small_frame


def test_sample_returns_the_input_columns_and_dtypes(frame, fitted):
    syn = fitted.sample(100)
    assert isinstance(syn, pd.DataFrame)
    assert list(syn.columns) == list(frame.columns)
    assert len(syn) == 100
    for name in frame.columns:
        assert syn[name].dtype == frame[name].dtype, name
    assert list(syn["city"].cat.categories) == ["east", "north", "south", "west"]
    assert set(syn["plan"].dropna()) <= {"basic", "plus"}
    # Fresh ids in the real ids' shape, never a real one.
    assert not set(syn["customer"]) & set(frame["customer"])
    assert syn["customer"].str.match(r"C\d{5}").all()
    # Values of the training range, integers where the input had integers.
    assert syn["age"].between(20, 69).all()
    assert (syn["opened"] >= pd.Timestamp("2020-01-01")).all()


def test_the_same_seed_gives_the_same_rows(frame, fitted, tiny_config):
    again = scorediff.Synthesizer(seed=3, config=tiny_config, verbose=False).fit(frame, target="label")
    pd.testing.assert_frame_equal(fitted.sample(80), again.sample(80))
    pd.testing.assert_frame_equal(fitted.sample(80, seed=9), fitted.sample(80, seed=9))
    assert not fitted.sample(80, seed=9).equals(fitted.sample(80, seed=10))
    other = scorediff.Synthesizer(seed=4, config=tiny_config, verbose=False).fit(frame, target="label")
    assert not other.sample(80).equals(fitted.sample(80))


def test_conditions_hold_on_every_row(fitted):
    syn = fitted.sample(
        120,
        where={"city": ["north", "east"], "age": (30, 45), "active": True, "label": 1},
    )
    assert syn["city"].isin(["north", "east"]).all()
    assert syn["age"].between(30, 45).all()
    assert syn["active"].all()
    assert (syn["label"] == 1).all()
    older = fitted.sample(50, where={"opened": (pd.Timestamp("2021-06-01"), None)})
    assert (older["opened"] >= pd.Timestamp("2021-06-01")).all()


@pytest.mark.parametrize(
    "where, needle",
    [
        ({"town": "north"}, "no column `town`"),
        ({"city": "paris"}, "`paris` is not a category"),
        ({"age": (90, 99)}, "lie in"),
        ({"customer": "C01000"}, "id column"),
        ({"age": (1, 2, 3)}, "(low, high)"),
    ],
)
def test_bad_conditions_are_value_errors_with_the_cli_message(fitted, where, needle):
    with pytest.raises(ValueError, match=None) as err:
        fitted.sample(10, where=where)
    assert needle in str(err.value)


def test_a_rare_condition_warns(fitted):
    with pytest.warns(UserWarning, match="of the training rows"):
        fitted.sample(5, where={"amount": (50.0, 50.2)})


def test_impute_fills_only_the_missing_cells(frame, fitted):
    gaps = frame.head(60).copy()
    rng = np.random.default_rng(1)
    mask = rng.random(gaps.shape) < 0.25
    mask[:, 0] = False  # ids stay
    gaps = gaps.mask(mask)
    gaps["city"] = gaps["city"].astype(frame["city"].dtype)
    filled = fitted.impute(gaps, draws=3)
    assert list(filled.columns) == list(gaps.columns)
    assert len(filled) == len(gaps)
    modelled = [c for c in gaps.columns if c != "customer"]
    assert not filled[modelled].isna().any().any()
    known = gaps.notna()
    for name in gaps.columns:
        pd.testing.assert_series_equal(
            filled[name][known[name]], gaps[name][known[name]], check_dtype=False
        )
    # The input's dtypes (masking made `age` a float column), integral values all the same.
    for name in gaps.columns:
        assert filled[name].dtype == gaps[name].dtype, name
    assert (filled["age"] % 1 == 0).all()


def test_an_unknown_category_to_impute_names_its_row(frame, fitted):
    gaps = frame.head(10).copy()
    gaps["plan"] = gaps["plan"].astype(object)
    gaps.loc[4, "plan"] = "gold"
    gaps.loc[2, "age"] = None
    with pytest.raises(ValueError, match=r"row 5, column `plan`.*`gold`"):
        fitted.impute(gaps)


def test_save_and_load_give_the_same_rows(tmp_path, fitted):
    path = tmp_path / "model"
    fitted.save(path)
    assert sorted(p.name for p in path.iterdir()) == [
        "encoder.json",
        "model.json",
        "schema.json",
        "weights.safetensors",
    ]
    loaded = scorediff.Synthesizer.load(path, verbose=False)
    a, b = fitted.sample(60), loaded.sample(60)
    # The same rows; a loaded model types them by its schema (no frame to copy dtypes from).
    for name in a.columns:
        assert a[name].astype(str).tolist() == b[name].astype(str).tolist(), name
    assert loaded.schema == fitted.schema
    assert loaded.fit_report["n_train_rows"] == 240
    # A directory of the user's own files is never replaced.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(OSError, match="not a scorediff model directory"):
        fitted.save(mine)
    assert (mine / "notes.txt").read_text() == "keep me"


def test_errors_are_python_exceptions(tmp_path, frame, tiny_config):
    with pytest.raises(OSError, match="not a model directory"):
        scorediff.Synthesizer.load(tmp_path / "nowhere")
    with pytest.raises(TypeError, match="DataFrame"):
        scorediff.Synthesizer(verbose=False).fit([1, 2, 3])
    with pytest.raises(ValueError, match="not fitted"):
        scorediff.Synthesizer().sample(5)
    with pytest.raises(ValueError, match="no column `nope`"):
        scorediff.Synthesizer(config=tiny_config, verbose=False).fit(frame, target="nope")
    with pytest.raises(ValueError, match="backend"):
        scorediff.Synthesizer(backend="tpu", config=tiny_config, verbose=False).fit(frame)
    bad = frame.copy()
    bad["amount"] = bad["amount"].astype(object)
    bad.loc[3, "amount"] = "lots"
    with pytest.raises(ValueError):
        scorediff.evaluate(frame, bad, verbose=False)


def test_arrow_and_polars_inputs_come_back_in_their_kind(frame, tiny_config):
    table = pa.Table.from_pandas(frame, preserve_index=False)
    synth = scorediff.Synthesizer(seed=1, config=tiny_config, verbose=False).fit(table, target="label")
    out = synth.sample(20)
    assert isinstance(out, pa.Table)
    assert out.schema.field("age").type == pa.int64()
    assert out.schema.field("opened").type == table.schema.field("opened").type
    pl = pytest.importorskip("polars")
    synth = scorediff.Synthesizer(seed=1, config=tiny_config, verbose=False).fit(
        pl.from_pandas(frame), target="label"
    )
    out = synth.sample(20)
    assert isinstance(out, pl.DataFrame)
    assert out.schema["age"] == pl.Int64


def test_evaluate_reports_the_metrics_and_writes_html(tmp_path, frame, fitted):
    syn = fitted.sample(240)
    report = scorediff.evaluate(real=frame, synthetic=syn, test=small_frame(80, 5), verbose=False)
    assert isinstance(report, scorediff.Report)
    assert 0 <= report["shape"]["error"] <= 100
    assert report["n_synthetic"] == 240
    assert "Shape" in report.summary()
    path = tmp_path / "report.html"
    assert report.to_html(path) is None
    text = path.read_text()
    # Figures inline as SVG, the summary table at the top, the test rows' reference scores.
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "<img" not in text
    assert 'id="summary-table"' in text and "real test rows" in text
    assert report["reference"]["n_rows"] == 80


def test_infer_schema_is_the_cli_schema(tmp_path, frame):
    schema = scorediff.infer_schema(frame, target="label")
    kinds = {c["name"]: c["kind"] for c in schema["columns"]}
    assert kinds == {
        "customer": "id",
        "age": "integer",
        "amount": "continuous",
        "city": "categorical",
        "plan": "categorical",
        "active": "categorical",
        "opened": "datetime",
        "label": "categorical",
    }
    assert schema["target"] == "label"
    binary = scorediff_binary()
    if binary is None:
        pytest.skip("the scorediff binary is not built (cargo build -p scorediff)")
    csv = tmp_path / "table.csv"
    frame.to_csv(csv, index=False)
    out = subprocess.run(
        [binary, "schema", str(csv), "--target", "label"], capture_output=True, text=True, check=True
    )
    cli = json.loads(out.stdout)
    assert [(c["name"], c["kind"]) for c in cli["columns"]] == [
        (c["name"], c["kind"]) for c in schema["columns"]
    ]


def test_a_fit_gives_the_cli_s_digits(tmp_path, tiny_config):
    binary = scorediff_binary()
    if binary is None:
        pytest.skip("the scorediff binary is not built (cargo build -p scorediff)")
    frame = small_frame(200, 7).drop(columns=["opened", "active", "city"])
    csv = tmp_path / "train.csv"
    frame.to_csv(csv, index=False)
    cfg = tmp_path / "tiny.json"
    cfg.write_text(json.dumps(tiny_config))
    model = tmp_path / "model"
    subprocess.run(
        [binary, "fit", str(csv), "--model", str(model), "--config", str(cfg), "--seed", "2", "--quiet"],
        check=True,
    )
    out = tmp_path / "cli.csv"
    subprocess.run([binary, "sample", str(model), "--rows", "50", "--out", str(out), "--quiet"], check=True)
    ours = scorediff.Synthesizer(seed=2, config=tiny_config, verbose=False).fit(pd.read_csv(csv))
    mine = tmp_path / "py.csv"
    ours.sample(50).to_csv(mine, index=False)
    assert pd.read_csv(mine).equals(pd.read_csv(out))


LONG_FIT = """
import os, signal, sys, threading, time
sys.path.insert(0, TESTS)
from conftest import small_frame
import scorediff
cfg = scorediff.default_config()
cfg["train"]["max_steps"] = 1_000_000
threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
started = time.monotonic()
try:
    scorediff.Synthesizer(config=cfg, verbose=False).fit(small_frame())
except KeyboardInterrupt:
    print("interrupted after", round(time.monotonic() - started, 1), "s")
    sys.exit(0)
print("not interrupted")
sys.exit(1)
"""


def test_ctrl_c_stops_a_fit_with_keyboard_interrupt(tmp_path):
    script = tmp_path / "long_fit.py"
    tests = str(__import__("pathlib").Path(__file__).parent)
    script.write_text(f"TESTS = {tests!r}\n" + LONG_FIT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    seconds = float(done.stdout.split()[2])
    assert seconds < 20, done.stdout


def test_a_fit_releases_the_gil_and_reports_progress(frame, tiny_config, capsys):
    import threading
    import time

    cfg = dict(tiny_config, train=dict(tiny_config["train"], max_steps=3000))
    stamps = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            time.sleep(0.01)
            stamps.append(time.monotonic())

    ticker = threading.Thread(target=tick)
    ticker.start()
    started = time.monotonic()
    try:
        scorediff.Synthesizer(seed=1, config=cfg, verbose=True).fit(frame, target="label")
    finally:
        ended = time.monotonic()
        done.set()
        ticker.join()
    # Python ran beside the fit, every 10 ms or so: the GIL was released. Holding it would
    # leave no tick inside the fit.
    inside = [t for t in stamps if started + 0.05 < t < ended - 0.05]
    expected = (ended - started - 0.1) / 0.01
    assert ended - started > 0.5, "the fit was too short to tell"
    assert len(inside) > 0.5 * expected, (len(inside), expected)
    err = capsys.readouterr().err
    assert "training" in err, err


def test_pandas_extension_dtypes_round_trip(tiny_config):
    rng = np.random.default_rng(2)
    n = 200
    counts = pd.array(rng.integers(0, 50, n), dtype="Int64")
    counts[::9] = pd.NA
    frame = pd.DataFrame(
        {
            "count": counts,
            "ratio": rng.random(n).astype("float32"),
            "tier": pd.array(rng.choice(["gold", "silver"], n), dtype="string"),
            "seen": pd.to_datetime("2024-03-01", utc=True)
            + pd.to_timedelta(rng.integers(0, 3600 * 24 * 30, n), unit="s"),
            "flag": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        }
    )
    synth = scorediff.Synthesizer(seed=0, config=tiny_config, verbose=False).fit(frame)
    syn = synth.sample(50)
    for name in frame.columns:
        assert syn[name].dtype == frame[name].dtype, (name, syn[name].dtype, frame[name].dtype)
    assert str(syn["seen"].dt.tz) == "UTC"
    assert syn["seen"].between(frame["seen"].min(), frame["seen"].max()).all()
    assert set(syn["tier"].dropna()) <= {"gold", "silver"}
