#!/usr/bin/env bash
# Run every benchmark and print one table (see benchmarks/README.md). Arguments go to
# `python -m benchmarks` (--quick for a smoke run, --offline to skip the local AWS).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/bootstrap.sh
exec .venv/bin/python -m benchmarks "$@"
