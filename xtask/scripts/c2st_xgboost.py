"""The boosted-tree C2ST computed with XGBoost itself, to check scorediff-eval's detector.

Usage: python c2st_xgboost.py REAL.csv SYNTHETIC.csv [--categorical A,B,...] [--drop ID,...]
       [--seed N]

The protocol of DESIGN.md §3: real rows labelled 0, synthetic rows 1, stratified 3-fold
cross-validation (shuffled, seeded), `XGBClassifier` at its default settings with
categorical columns as pandas categoricals (`enable_categorical=True`); each fold scores
`max(0.5, AUC) * 2 - 1` and the C2ST is `1 - mean`. A second line codes the categories as
ordinal integers, as scorediff-eval does, so the effect of the coding is visible on its own.
Prints one JSON object per coding.

Needs xgboost, scikit-learn and pandas (PyPI).
"""

import argparse
import json

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from xgboost import XGBClassifier


def features(real, syn, categorical, as_category):
    both = pd.concat([real, syn], axis=0, ignore_index=True)
    for col in both.columns:
        if col in categorical:
            codes = both[col].astype(str)
            if as_category:
                both[col] = codes.astype("category")
            else:
                levels = sorted(codes.unique(), key=_order_key)
                both[col] = codes.map({v: i for i, v in enumerate(levels)}).astype(float)
        else:
            both[col] = pd.to_numeric(both[col], errors="coerce").astype(float)
    return both


def _order_key(label):
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def c2st(x, y, seed, as_category):
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    aucs = []
    for train, test in folds.split(x, y):
        model = XGBClassifier(
            eval_metric="logloss", enable_categorical=as_category, random_state=0
        )
        model.fit(x.iloc[train], y[train])
        p = model.predict_proba(x.iloc[test])[:, 1]
        aucs.append(float(roc_auc_score(y[test], p)))
    score = 1.0 - float(np.mean([max(a, 0.5) * 2.0 - 1.0 for a in aucs]))
    return {"fold_auc": aucs, "auc": float(np.mean(aucs)), "score": score}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("real")
    ap.add_argument("synthetic")
    ap.add_argument("--categorical", default="")
    ap.add_argument("--drop", default="", help="columns that are not features (row ids)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    real = pd.read_csv(a.real)
    real = real.drop(columns=[c for c in a.drop.split(",") if c])
    syn = pd.read_csv(a.synthetic)[real.columns]
    categorical = {c for c in a.categorical.split(",") if c}
    y = np.r_[np.zeros(len(real), dtype=int), np.ones(len(syn), dtype=int)]
    for as_category in (True, False):
        x = features(real, syn, categorical, as_category)
        r = c2st(x, y, a.seed, as_category)
        r["coding"] = "pandas categorical" if as_category else "ordinal codes"
        print(json.dumps(r))


if __name__ == "__main__":
    main()
