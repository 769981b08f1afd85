"""Peak memory of `Synthesizer.sample` into a DataFrame against the number of rows: each
size runs in a fresh process, which fits a small model (Credit Default's columns when
TRAIN.csv is given, else a generated 24-column table; a narrow network, few steps: the
memory of sampling does not depend on the network's quality) and samples N rows.

Usage: python sample_memory.py [TRAIN.csv] [--rows 100000,300000,1000000]

Prints, per size, the process's peak resident memory (getrusage) after the model is
fitted and after sampling, the DataFrame's own size (memory_usage(deep=True)) and the
seconds; then the least-squares slope of the peak against the rows, in bytes per row,
beside the DataFrame's bytes per row. Memory proportional to the output means a slope of a
small multiple of the frame's bytes per row and no other growth.
"""

import argparse
import json
import resource
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
import scorediff

path, rows = sys.argv[1], int(sys.argv[2])
if path:
    frame = pd.read_csv(path)
else:
    rng = np.random.default_rng(0)
    n = 5000
    frame = pd.DataFrame({f"x{j}": rng.normal(size=n).round(3) for j in range(14)})
    for j in range(10):
        frame[f"c{j}"] = rng.choice(["a", "b", "c", "d"], n)
cfg = scorediff.default_config()
cfg["net"]["width"] = 64
cfg["net"]["depth"] = 1
cfg["train"]["max_steps"] = 100
cfg["sampler"]["steps"] = 4
cfg["guard"]["every"] = 0
synth = scorediff.Synthesizer(seed=0, config=cfg, verbose=False).fit(frame)
del frame
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
fitted = peak()
started = time.monotonic()
syn = synth.sample(rows)
seconds = time.monotonic() - started
print(json.dumps({"rows": rows, "peak_fitted": fitted, "peak": peak(),
                  "frame_bytes": int(syn.memory_usage(deep=True).sum()), "seconds": seconds}))
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("train", nargs="?", default="")
    p.add_argument("--rows", default="100000,300000,1000000")
    a = p.parse_args()
    results = []
    for rows in [int(r) for r in a.rows.split(",")]:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, a.train, str(rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        mib = 1024 * 1024
        print(
            f"{r['rows']:>9} rows: peak {r['peak'] / mib:8.1f} MiB (after the fit "
            f"{r['peak_fitted'] / mib:6.1f}), frame {r['frame_bytes'] / mib:7.1f} MiB, "
            f"{r['seconds']:6.1f} s"
        )
    if len(results) >= 2:
        xs = [r["rows"] for r in results]
        ys = [r["peak"] for r in results]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        frame = sum(r["frame_bytes"] / r["rows"] for r in results) / len(results)
        print(f"peak memory grows by {slope:.0f} bytes per row; the DataFrame holds {frame:.0f}")
        print(json.dumps({"slope_bytes_per_row": slope, "frame_bytes_per_row": frame, "runs": results}))


if __name__ == "__main__":
    main()
