"""Fixtures of the scorediff Python package's tests: a small mixed-type table and a fit
configuration small enough to train in a second (a narrow network, few steps)."""

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import scorediff


def small_frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """An id, an integer, a 2-decimal amount with gaps, a categorical, a text column, a
    boolean, a date and a binary label."""
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 70, n)
    amount = np.round(20 + 0.8 * age + rng.uniform(0, 30, n), 2)
    amount[::17] = np.nan
    city = np.where(age < 35, "north", np.where(age < 50, "south", "east"))
    return pd.DataFrame(
        {
            "customer": [f"C{1000 + i:05d}" for i in range(n)],
            "age": age.astype("int64"),
            "amount": amount,
            "city": pd.Categorical(city, categories=["east", "north", "south", "west"]),
            "plan": rng.choice(["basic", "plus"], n),
            "active": rng.random(n) < 0.7,
            "opened": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
            "label": (amount > 50).astype("int64"),
        }
    )


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    return small_frame()


@pytest.fixture(scope="session")
def tiny_config() -> dict:
    cfg = scorediff.default_config()
    cfg["net"]["width"] = 32
    cfg["net"]["depth"] = 1
    cfg["train"]["max_steps"] = 150
    cfg["train"]["batch_size"] = 64
    cfg["sampler"]["steps"] = 6
    cfg["guard"]["every"] = 0
    return cfg


@pytest.fixture(scope="session")
def fitted(frame, tiny_config) -> scorediff.Synthesizer:
    return scorediff.Synthesizer(seed=3, config=tiny_config, verbose=False).fit(frame, target="label")


def scorediff_binary():
    """The command-line binary built beside the package (``SCOREDIFF_BIN``, else the
    workspace's target directory), or ``None``."""
    env = os.environ.get("SCOREDIFF_BIN")
    if env:
        return env
    root = Path(__file__).resolve().parents[3]
    for profile in ("debug", "release"):
        p = root / "target" / profile / "scorediff"
        if p.exists():
            return str(p)
    return shutil.which("scorediff")
