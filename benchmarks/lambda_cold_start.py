"""Cold-start import time of each Lambda handler, each in a fresh interpreter, against
``python -c pass``: what a new Lambda container pays before its first event.

    python benchmarks/lambda_cold_start.py [--repeat 10]

Two figures per handler: the whole process (start, import, exit) and the import alone
(measured inside the process). The environment is what the self-hosted template sets.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

from _bench import header, row, run_process, summary

HANDLERS = (
    "define_auth_challenge",
    "create_auth_challenge",
    "verify_auth_challenge",
    "manage_passkeys",
)
ENVIRONMENT = {
    "PASSKEY_BACKEND": "selfhosted",
    "PASSKEY_TABLE_NAME": "bench-table",
    "PASSKEY_RP_ID": "example.com",
    "PASSKEY_ALLOWED_ORIGINS": "https://example.com",
    "PASSKEY_USER_POOL_ID": "us-east-1_Bench1234",
    "PASSKEY_CLIENT_IDS": "benchclient",
    "POWERTOOLS_SERVICE_NAME": "cognito-passkey",
    "AWS_DEFAULT_REGION": "us-east-1",
}
PROBE = (
    "import importlib, json, time; t = time.perf_counter(); "
    "m = importlib.import_module('cognito_passkey.lambdas.handlers.{name}'); "
    "assert callable(m.handler); print(json.dumps(time.perf_counter() - t))"
)


def import_times(name: str, repeat: int) -> list[float]:
    env = {**os.environ, **ENVIRONMENT}
    samples = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", PROBE.format(name=name)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        samples.append(float(json.loads(done.stdout)))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    header("Lambda handler cold start")
    baseline = summary(run_process([sys.executable, "-c", "pass"], repeat=args.repeat))
    print(row("python -c pass (baseline, whole process)", baseline))
    for name in HANDLERS:
        command = [sys.executable, "-c", PROBE.format(name=name)]
        whole = summary(run_process(command, env=ENVIRONMENT, repeat=args.repeat))
        print(row(f"{name} (whole process)", whole, baseline["median_ms"]))
        imported = import_times(name, args.repeat)
        print(f"{'':<4}import alone: median {statistics.median(imported) * 1000:6.1f} ms")
    print(f"({args.repeat} fresh interpreters each; ratio = median / baseline median)")


if __name__ == "__main__":
    main()
