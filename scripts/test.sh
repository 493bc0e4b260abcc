#!/usr/bin/env bash
# The test command: set up .venv, lint (ruff), type-check (mypy), then the suite in two lanes:
# the offline lane (no server, no network), then the end-to-end lane (marker e2e: a local AWS
# on 127.0.0.1 that the run starts and stops, and the package index for the Lambda layer).
# Extra arguments go to pytest in both lanes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

# pytest exits 5 when nothing is left to run, as in a lane none of the named tests belong to;
# that is a failure only when it happens in both lanes.
empty=0
lane() {
    local status=0
    .venv/bin/python -m pytest "$@" || status=$?
    if [ "$status" -eq 5 ]; then
        empty=$((empty + 1))
        return 0
    fi
    return "$status"
}
# Two workers halve both lanes on two cores; in the e2e lane each worker starts its own local
# AWS, which costs less than the time its Lambdas spend waiting.
lane -m "not e2e" -n 2 "$@"
# The e2e lane's local AWS needs an environment of its own, made on its first start; say so
# here, since pytest keeps the workers' stderr to itself.
.venv/bin/python -c 'from cognito_passkey.local import runtime
if not runtime.is_ready(): print(runtime.setup_message(), flush=True)' >&2
lane -m e2e -n 2 "$@"
if [ "$empty" -eq 2 ]; then
    echo "no test was collected" >&2
    exit 5
fi
