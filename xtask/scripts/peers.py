"""The peers of the panel: fits one synthesizer a user would pick instead of scorediff on a
table and writes as many synthetic rows as asked (docs/panel.md, "The peers").

Usage: python peers.py --peer tabularargn|gaussian_copula|ctgan --train TRAIN.csv
       --columns '["A","B",...]' --categorical '["A",...]' --rows N --seed S --out SYN.csv
       [--ctgan-rows-per-fit R] [--max-seconds T]

The columns (JSON lists of names, so that a name may hold any character) and their kinds
come from scorediff's schema of the table, so that every
synthesizer models the same columns the same way: categorical columns are read as text
(missing cells stay missing), the others as numbers. Each peer runs at its library's
defaults but for what is named here:

- tabularargn: mostlyai-engine's `TabularARGN` (its defaults: up to 100 epochs with its own
  early stopping on a 10% validation split, value protection on), `max_training_time`
  capped at T seconds (default 900) so that the largest tables end.
- gaussian_copula: SDV's `GaussianCopulaSynthesizer` at its defaults.
- ctgan: SDV's `CTGANSynthesizer`, CPU; its default 300 epochs capped so that an epoch count
  times the rows is at most R (default 3,000,000): 300 epochs up to 10,000 rows, fewer
  beyond (SDV's own guidance is to lower epochs on large tables).

Prints one JSON object: the peer, its library and version, the settings, fit and sample
wall seconds and the CPU seconds (user + system) of each, this process and its children.
The synthetic rows go to OUT through a temporary file and a rename.
"""

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd


def cpu_seconds():
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def read_train(path, columns, categorical):
    df = pd.read_csv(path, dtype={c: str for c in categorical}, keep_default_na=True)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        sys.exit(f"{path}: no column {missing[0]!r} (the schema's columns must be in the file)")
    df = df[columns]
    for c in columns:
        if c not in categorical:
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    import torch

    torch.manual_seed(seed)


def sdv_metadata(columns, categorical):
    from sdv.metadata import Metadata

    kinds = {
        c: {"sdtype": "categorical"} if c in categorical else {"sdtype": "numerical"}
        for c in columns
    }
    return Metadata.load_from_dict({"tables": {"table": {"columns": kinds}}})


def fit_tabularargn(df, categorical, seed, args):
    from mostlyai.engine import TabularARGN, __version__

    types = {
        c: "TABULAR_CATEGORICAL" if c in categorical else "TABULAR_NUMERIC_AUTO"
        for c in df.columns
    }
    settings = {"max_training_time_s": args.max_seconds, "max_epochs": 100.0}
    workspace = tempfile.mkdtemp(prefix="peers-tabularargn-")
    model = TabularARGN(
        max_training_time=args.max_seconds / 60.0,  # the engine counts minutes
        tgt_encoding_types=types,
        workspace_dir=workspace,
        random_state=seed,
        device="cpu",
    )
    model.fit(df)
    return model, ("mostlyai-engine", __version__), settings, lambda n: model.sample(n_samples=n)


def _one_table(sampled):
    # SDV 2 takes and returns a dictionary of tables even for one table.
    return sampled["table"] if isinstance(sampled, dict) else sampled


def fit_gaussian_copula(df, categorical, seed, args):
    from sdv import __version__
    from sdv.single_table import GaussianCopulaSynthesizer

    model = GaussianCopulaSynthesizer(sdv_metadata(list(df.columns), categorical))
    model.fit({"table": df})
    return model, ("sdv", __version__), {}, lambda n: _one_table(model.sample(num_rows=n))


def fit_ctgan(df, categorical, seed, args):
    from sdv import __version__
    from sdv.single_table import CTGANSynthesizer

    epochs = int(max(1, min(300, args.ctgan_rows_per_fit // max(1, len(df)))))
    model = CTGANSynthesizer(
        sdv_metadata(list(df.columns), categorical), epochs=epochs, enable_gpu=False
    )
    model.fit({"table": df})
    settings = {"epochs": epochs}
    return model, ("sdv", __version__), settings, lambda n: _one_table(model.sample(num_rows=n))


PEERS = {
    "tabularargn": ("TabularARGN", fit_tabularargn),
    "gaussian_copula": ("GaussianCopula", fit_gaussian_copula),
    "ctgan": ("CTGAN", fit_ctgan),
}


def write_atomically(df, out):
    folder = os.path.dirname(os.path.abspath(out))
    fd, tmp = tempfile.mkstemp(prefix=".peers-", suffix=".csv", dir=folder)
    os.close(fd)
    try:
        df.to_csv(tmp, index=False, na_rep="")
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--peer", required=True, choices=sorted(PEERS))
    p.add_argument("--train", required=True)
    p.add_argument("--columns", required=True)
    p.add_argument("--categorical", default="[]")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--ctgan-rows-per-fit", type=int, default=3_000_000)
    p.add_argument("--max-seconds", type=float, default=900.0)
    args = p.parse_args()
    columns = json.loads(args.columns)
    categorical = set(json.loads(args.categorical))
    warnings.filterwarnings("ignore")
    df = read_train(args.train, columns, categorical)
    seed_everything(args.seed)
    label, fit = PEERS[args.peer]
    t0, c0 = time.perf_counter(), cpu_seconds()
    _, (library, version), settings, sample = fit(df, categorical, args.seed, args)
    t1, c1 = time.perf_counter(), cpu_seconds()
    syn = sample(args.rows)
    t2, c2 = time.perf_counter(), cpu_seconds()
    syn = syn[columns]
    write_atomically(syn, args.out)
    print(
        json.dumps(
            {
                "key": args.peer,
                "peer": label,
                "library": library,
                "version": version,
                "settings": settings,
                "rows": len(syn),
                "fit_s": t1 - t0,
                "fit_cpu_s": c1 - c0,
                "sample_s": t2 - t1,
                "sample_cpu_s": c2 - c1,
            }
        )
    )


if __name__ == "__main__":
    main()
