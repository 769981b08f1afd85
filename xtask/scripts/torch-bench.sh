#!/usr/bin/env bash
# The PyTorch side of `cargo xtask bench --only training`: makes (once) a virtual
# environment VENV with torch from PyPI, then runs torch_step.py with the remaining
# arguments. Exits non-zero, with the reason on stderr, when python3, venv or PyPI is
# unavailable; the benchmark then prints that the comparison was skipped.
set -euo pipefail
venv=$1
shift
if ! "$venv/bin/python" -c 'import torch' >/dev/null 2>&1; then
    command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 3; }
    python3 -m venv "$venv" || { echo "python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 3; }
    echo "installing torch from PyPI into $venv (once; about 5 GB with its CUDA libraries, which the CPU build also loads) ..." >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check torch numpy \
        || { echo "pip install torch failed (is PyPI reachable?)" >&2; exit 3; }
fi
exec "$venv/bin/python" "$(dirname "$0")/torch_step.py" "$@"
