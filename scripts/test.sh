#!/usr/bin/env bash
# The test command: set up .venv, lint (ruff), type-check (mypy), then run every test,
# end-to-end ones included (they start and stop their own local AWS on 127.0.0.1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
