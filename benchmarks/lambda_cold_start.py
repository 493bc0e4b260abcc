"""Cold-start import time of each Lambda handler, each in a fresh interpreter, against
``import boto3`` in a fresh interpreter (what every Python Lambda that calls AWS pays):
the import alone, measured inside the process, runs interleaved. Every child reads compiled
bytecode from a private cache filled by the untimed warm-up run
(:func:`benchmarks.cli_startup.bytecode_env`), as boto3's modules are read.

    python -m benchmarks.lambda_cold_start [--repeat 10]

One more row imports all four handlers from the built function and layer zips, unpacked into
read-only directories and run with ``-B`` (as on Lambda, where nothing can be written), with the
bytecode the zips ship against the same zips stripped of it (compiled on every cold start).

The environment is what the self-hosted template sets. The first *invocation* of Create
and Verify (which loads fido2, PyJWT and boto3 as well) needs the local AWS and is measured
by :mod:`benchmarks.signin` (``python -m benchmarks``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from cognito_passkey.local import build

from ._bench import Figure, header, not_run, ratio_figure, table
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
HANDLER_ROWS = tuple(f"`{name}` cold import" for name in HANDLERS)
ZIP_ROW = "handler import from the built zips, read-only"
ROWS = (*HANDLER_ROWS, ZIP_ROW)
RUNTIME_DISTRIBUTIONS = (
    *("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"),
)
"""What the Lambda runtime provides beside the layer."""
ZIP_PROBE = (
    "import importlib, json, sys, time; sys.path[:0] = sys.argv[1:]; t = time.perf_counter()\n"
    + "".join(
        f"importlib.import_module('cognito_passkey.lambdas.handlers.{h}')\n" for h in HANDLERS
    )
    + "print(json.dumps(time.perf_counter() - t))"
)


def import_seconds(module: str, env: Mapping[str, str] | None = None) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        env={**os.environ, **ENVIRONMENT, **(env or {})},
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(done.stdout))


def _runtime_dir(target: Path) -> Path:
    """Links to boto3 and its dependencies only, like the Lambda runtime's own packages."""
    target.mkdir()
    for name in RUNTIME_DISTRIBUTIONS:
        distribution = metadata.distribution(name)
        for top in {f.parts[0] for f in distribution.files or () if f.parts[0] != ".."}:
            source = Path(str(distribution.locate_file(top)))
            if not top.endswith(".dist-info") and source.exists():
                (target / top).unlink(missing_ok=True)
                (target / top).symlink_to(source)
    return target


def _read_only(root: Path) -> None:
    for path in (root, *root.rglob("*")):
        path.chmod(path.stat().st_mode & ~0o222)


def zip_import_seconds(paths: list[Path]) -> float:
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", ZIP_PROBE, *map(str, paths)],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **ENVIRONMENT},
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(done.stdout))


def zip_figure(repeat: int) -> Figure:
    """All four handlers from the unpacked zips, with their bytecode against without it."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    with tempfile.TemporaryDirectory(prefix="bench-zip-import-") as folder:
        root = Path(folder)
        try:
            function = build.build_function_zip(root / "dist", python_version=version)
            layer = build.build_layer_zip(
                root / "dist", python_version=version, arch=build.machine_arch()
            )
        except build.BuildError as error:
            return not_run(ZIP_ROW, f"cannot build the zips: {str(error).splitlines()[0]}")
        runtime = _runtime_dir(root / "runtime")
        trees: dict[str, list[Path]] = {}
        for kind in ("bytecode", "source"):
            task, opt = root / kind / "task", root / kind / "opt"
            zipfile.ZipFile(function.path).extractall(task)
            zipfile.ZipFile(layer.path).extractall(opt)
            if kind == "source":
                for cache in [*task.rglob("__pycache__"), *opt.rglob("__pycache__")]:
                    shutil.rmtree(cache)
            _read_only(root / kind)
            trees[kind] = [task, opt / "python", runtime]
        samples: dict[str, list[float]] = {kind: [] for kind in trees}
        for paths in trees.values():
            zip_import_seconds(paths)  # warm the page cache
        for _ in range(repeat):
            for kind, paths in trees.items():
                samples[kind].append(zip_import_seconds(paths))
        for kind in trees:  # let the temporary directory go
            for path in (root / kind, *(root / kind).rglob("*")):
                if not path.is_symlink():
                    path.chmod(path.stat().st_mode | 0o200)
    with_pycs, without = (statistics.median(samples[k]) * 1000 for k in ("bytecode", "source"))
    return ratio_figure(ZIP_ROW, with_pycs, without, "same zips without bytecode")


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
        *(
            ratio_figure(
                row, statistics.median(samples[name]) * 1000, boto3, "`import boto3`", limit=1.3
            )
            for row, name in zip(HANDLER_ROWS, HANDLERS, strict=True)
        ),
        zip_figure(repeat),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(table(figures(args.repeat)))


if __name__ == "__main__":
    main()
