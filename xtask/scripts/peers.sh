#!/usr/bin/env bash
# The peers of `cargo xtask reproduce panel --peers ...`: makes (once) a virtual environment
# VENV with the peers' libraries from PyPI at the versions the panel was measured with, then
# runs peers.py with the remaining arguments. Exits 3, with the reason on stderr, when
# python3, venv or PyPI is unavailable; the panel then reports the peer's run as failed.
set -euo pipefail
venv=$1
shift
pins=(mostlyai-engine==2.7.3 sdv==2.0.0)
if ! "$venv/bin/python" -c 'import mostlyai.engine, sdv' >/dev/null 2>&1; then
    command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 3; }
    python3 -m venv "$venv" || { echo "python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 3; }
    echo "installing ${pins[*]} from PyPI into $venv (once; about 6 GB with torch and its CUDA libraries) ..." >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" \
        || { echo "pip install ${pins[*]} failed (is PyPI reachable?)" >&2; exit 3; }
fi
exec "$venv/bin/python" "$(dirname "$0")/peers.py" "$@"
