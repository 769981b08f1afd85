#!/usr/bin/env bash
# The Python package's tests: builds scorediff into a virtual environment (target/python-venv,
# made once; PyPI for maturin, pyarrow, pandas, polars, tqdm, pytest) and runs its pytest
# suite. Run from anywhere; CI runs it through the README's test command. pytest's exit code
# 5 (no test collected) is a failure here: the suite must run.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/target/python-venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "maturin>=1.9,<2" pyarrow pandas numpy polars tqdm pytest
# maturin builds with the workspace's dev profile: what `cargo build` compiled is reused.
"$venv/bin/python" -m pip install -q --force-reinstall --no-deps "$root/crates/python"

set +e
(cd "$root/crates/python" && "$venv/bin/python" -m pytest -q tests "$@")
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no test: the Python suite did not run" >&2
    exit 1
fi
exit "$status"
