"""Credit Default from a notebook: fit the default recipe, sample as many rows as the
training table, evaluate them against train.csv and test.csv, save the model, the rows and
the report. Usage: python credit_default.py [DATA_DIR [OUT_DIR]] (defaults:
../shared/data/credit-default and out/python). The same seed gives the digits of
`scorediff fit` + `scorediff sample` on the same file."""

import sys
from pathlib import Path

import pandas as pd

import scorediff

data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/credit-default")
out = Path(sys.argv[2] if len(sys.argv) > 2 else "out/python")
out.mkdir(parents=True, exist_ok=True)
train, test = pd.read_csv(data / "train.csv"), pd.read_csv(data / "test.csv")
synth = scorediff.Synthesizer(seed=0).fit(train, target="default payment next month")
synthetic = synth.sample(len(train))
report = scorediff.evaluate(real=train, synthetic=synthetic, test=test)
print(report.summary())
synth.save(out / "model")
synthetic.to_csv(out / "synthetic.csv", index=False)
report.to_html(out / "report.html")
