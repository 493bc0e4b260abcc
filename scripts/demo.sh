#!/usr/bin/env bash
# The main job end to end on the local default, no AWS account needed: set up .venv, start
# the local AWS (state in <repo>/.local-aws), deploy the self-hosted stack and run a passkey's
# whole life through it (`cognito-passkey local demo`). Works from any directory; extra
# arguments go to the demo (for example --username alice or -o json).
# The stack stays up afterwards; the demo prints the `local down` command that stops it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# bootstrap.sh says what it installs when it installs anything (the first run: about a minute).
bash "$root/scripts/bootstrap.sh"
exec "$root/.venv/bin/cognito-passkey" local demo --state-dir "$root/.local-aws" "$@"
