"""Cold-start import time of each Lambda handler, each in a fresh interpreter, against
``import boto3`` in a fresh interpreter (what every Python Lambda that calls AWS pays):
the import alone, measured inside the process, runs interleaved. Every child reads compiled
bytecode from a private cache filled by the untimed warm-up run
(:func:`benchmarks.cli_startup.bytecode_env`), as boto3's modules are read.

    python -m benchmarks.lambda_cold_start [--repeat 10]

The environment is what the self-hosted template sets. The first *invocation* of Create
and Verify (which loads fido2, PyJWT and boto3 as well) needs the local AWS and is measured
by :mod:`benchmarks.signin` (``python -m benchmarks``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ._bench import Figure, header, ratio_figure, table
from .cli_startup import bytecode_env

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
    "m = importlib.import_module({module!r}); "
    "print(json.dumps(time.perf_counter() - t))"
)
ROWS = tuple(f"`{name}` cold import" for name in HANDLERS)


def import_seconds(module: str, env: Mapping[str, str] | None = None) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        env={**os.environ, **ENVIRONMENT, **(env or {})},
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(done.stdout))


def figures(repeat: int) -> list[Figure]:
    header("Lambda handler cold import")
    modules = {"boto3": "boto3"} | {
        name: f"cognito_passkey.lambdas.handlers.{name}" for name in HANDLERS
    }
    samples: dict[str, list[float]] = {name: [] for name in modules}
    with tempfile.TemporaryDirectory(prefix="bench-cold-import-") as folder:
        env = bytecode_env(Path(folder))
        for module in modules.values():
            import_seconds(module, env)  # warm the page cache and fill the bytecode cache
        for _ in range(repeat):
            for name, module in modules.items():
                samples[name].append(import_seconds(module, env))
    boto3 = statistics.median(samples["boto3"]) * 1000
    return [
        ratio_figure(
            row, statistics.median(samples[name]) * 1000, boto3, "`import boto3`", limit=1.3
        )
        for row, name in zip(ROWS, HANDLERS, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(table(figures(args.repeat)))


if __name__ == "__main__":
    main()
