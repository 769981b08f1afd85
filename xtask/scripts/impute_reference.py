"""Reference imputers for `cargo xtask reproduce conditional`: scikit-learn's
IterativeImputer (MICE-style chained regressions) and KNNImputer on the same masked table.

Usage: python impute_reference.py TRAIN.csv MASKED.csv --categorical '["A", "B"]' --out DIR

Both imputers are fitted on the complete training rows and fill the masked table, on the
features scorediff-eval's k-NN baseline uses: numerical columns standardised by the
training mean and standard deviation, categorical columns one-hot (scaled by 1/sqrt(2) so
that a mismatch costs 1 in squared distance). A categorical cell takes the category of the
largest imputed one-hot entry. IterativeImputer runs at its defaults (BayesianRidge, 10
rounds, random_state 0); KNNImputer with k = 5, uniform weights. Writes DIR/iterative.csv and
DIR/knn.csv in the masked table's columns and number formats.

Needs scikit-learn and pandas (PyPI).
"""

import argparse
import json
import os

import numpy as np
import pandas as pd
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer

SCALE = 1.0 / np.sqrt(2.0)


def encode(frame, numerical, categories, mean, sd):
    parts = []
    for col in frame.columns:
        if col in categories:
            cells = frame[col]
            block = np.stack(
                [np.where(cells.isna(), np.nan, (cells == c).astype(float) * SCALE)
                 for c in categories[col]],
                axis=1,
            )
            parts.append(block)
        else:
            parts.append(((frame[col].astype(float) - mean[col]) / sd[col]).to_numpy()[:, None])
    return np.concatenate(parts, axis=1)


def decode(matrix, like, categories, mean, sd):
    out = like.copy()
    k = 0
    for col in like.columns:
        if col in categories:
            width = len(categories[col])
            block = matrix[:, k:k + width]
            picked = [categories[col][i] for i in np.argmax(block, axis=1)]
            out[col] = np.where(like[col].isna(), picked, like[col])
            k += width
        else:
            values = matrix[:, k] * sd[col] + mean[col]
            out[col] = np.where(like[col].isna(), values, like[col].astype(float))
            k += 1
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("train")
    p.add_argument("masked")
    p.add_argument("--categorical", required=True, help="JSON list of categorical columns")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    categorical = json.loads(a.categorical)
    dtype = {c: str for c in categorical}
    train = pd.read_csv(a.train, dtype=dtype, keep_default_na=False, na_values=[""])
    masked = pd.read_csv(a.masked, dtype=dtype, keep_default_na=False, na_values=[""])
    masked = masked[train.columns]
    categories = {c: sorted(train[c].dropna().unique()) for c in categorical}
    numerical = [c for c in train.columns if c not in categorical]
    mean = {c: train[c].astype(float).mean() for c in numerical}
    sd = {c: (train[c].astype(float).std(ddof=0) or 1.0) for c in numerical}
    x_train = encode(train, numerical, categories, mean, sd)
    x_masked = encode(masked, numerical, categories, mean, sd)
    imputers = {
        "iterative.csv": IterativeImputer(max_iter=10, random_state=0),
        "knn.csv": KNNImputer(n_neighbors=5),
    }
    for name, imputer in imputers.items():
        imputer.fit(x_train)
        filled = decode(imputer.transform(x_masked), masked, categories, mean, sd)
        path = os.path.join(a.out, name)
        tmp = path + ".tmp"
        filled.to_csv(tmp, index=False)
        os.replace(tmp, path)


if __name__ == "__main__":
    main()
