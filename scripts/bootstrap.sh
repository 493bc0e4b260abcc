#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment in .venv: the package installed
# editable (a strict link tree, so type checkers follow it) with the test, dev and lambda
# extras. Idempotent and quick when nothing changed; re-links when modules are added.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "Setting up .venv: installing cognito-passkey and its test tools from PyPI (first run only, about a minute)..." >&2
    "$py" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip >.venv/install.log 2>&1
fi
deps_stamp=.venv/.deps-$(sha256sum pyproject.toml | cut -c1-16)
tree_stamp=.venv/.tree-$( (cat pyproject.toml; find protocol client authenticator lambdas local testing -type f \( -name '*.py' -o -name '*.yaml' -o -name '*.json' -o -name 'py.typed' \) | sort) | sha256sum | cut -c1-16)
if [ ! -f "$deps_stamp" ]; then
    if [ -n "$(ls .venv/.deps-* 2>/dev/null)" ]; then
        echo "Updating .venv: pyproject.toml changed, installing its packages from PyPI..." >&2
    fi
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check \
            -e ".[test,dev,lambda]" --config-settings editable_mode=strict >.venv/install.log 2>&1; then
        cat .venv/install.log >&2
        exit 1
    fi
    rm -f .venv/.deps-* .venv/.tree-*
    touch "$deps_stamp" "$tree_stamp"
elif [ ! -f "$tree_stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e . --config-settings editable_mode=strict >.venv/install.log 2>&1 \
        || { cat .venv/install.log >&2; exit 1; }
    rm -f .venv/.tree-*
    touch "$tree_stamp"
fi
