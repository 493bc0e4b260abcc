"""The Python environment the local AWS (ministack) runs in.

ministack pins its own botocore, so it never shares the client's virtual environment: it gets
one of its own, made once and kept in the user cache, keyed by the ministack version and the
interpreter. The trigger Lambdas run on this interpreter too (ministack starts them as
subprocesses of itself), which is why the layer is built for its Python version.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cognito_passkey.local.errors import LocalAwsError
from filelock import FileLock

MINISTACK_VERSION: Final = "1.5.33"
SERVER_REQUIREMENTS: Final = (f"ministack=={MINISTACK_VERSION}", "cryptography", "boto3")
"""ministack itself, real RS256 token signatures, and boto3 for the Lambdas it runs."""
ENV_PYTHON: Final = "COGNITO_PASSKEY_MINISTACK_PYTHON"
"""An interpreter that already has the server requirements; skips making the environment."""
_READY_MARKER: Final = ".cognito-passkey-ready"


@dataclass(frozen=True)
class ServerRuntime:
    """An interpreter able to run ministack, and the Python version it is."""

    python: Path
    python_version: str
    """``major.minor``; the Lambda layer must be built for it."""


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("cognito-passkey")) / "ministack"


def environment_dir(cache_dir: Path | None = None) -> Path:
    """Where ministack's environment for this interpreter lives (made or not)."""
    base = cache_dir if cache_dir is not None else default_cache_dir()
    return base / f"{MINISTACK_VERSION}-py{sys.version_info.major}.{sys.version_info.minor}"


def is_ready(cache_dir: Path | None = None) -> bool:
    """Whether the environment is made, so starting the server installs nothing."""
    if os.environ.get(ENV_PYTHON):
        return True
    env_dir = environment_dir(cache_dir)
    return (env_dir / _READY_MARKER).is_file() and (env_dir / "bin" / "python").exists()


def setup_message(cache_dir: Path | None = None) -> str:
    """The one line said before the environment is made (it takes about a minute)."""
    return (
        f"Setting up the local AWS's own environment in {environment_dir(cache_dir)}: installing "
        f"ministack {MINISTACK_VERSION} and boto3 from PyPI (first run only, about a minute)..."
    )


def ensure_runtime(cache_dir: Path | None = None, *, echo: bool = False) -> ServerRuntime:
    """Return ministack's interpreter, making its virtual environment on first use.

    ``$COGNITO_PASSKEY_MINISTACK_PYTHON`` names an existing interpreter instead. The environment
    is made under a lock (two callers at once wait for each other) and marked ready only when
    every requirement installed, so an interrupted install is redone, not half used.
    """
    override = os.environ.get(ENV_PYTHON)
    if override:
        return _describe(Path(override))
    env_dir = environment_dir(cache_dir)
    base, tag = env_dir.parent, env_dir.name
    python = env_dir / "bin" / "python"
    marker = env_dir / _READY_MARKER
    base.mkdir(parents=True, exist_ok=True)
    with FileLock(str(base / f"{tag}.lock"), timeout=600):
        if not (marker.is_file() and python.exists()):
            if env_dir.exists():
                shutil.rmtree(env_dir)
            if echo:
                print(setup_message(cache_dir), file=sys.stderr, flush=True)
            venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
            _pip_install(python, SERVER_REQUIREMENTS)
            marker.write_text(json.dumps({"requirements": SERVER_REQUIREMENTS}) + "\n")
    return _describe(python)


def _pip_install(python: Path, requirements: tuple[str, ...]) -> None:
    command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    result = subprocess.run([*command, *requirements], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LocalAwsError(
            "could not install ministack's environment:\n" + (result.stderr or result.stdout)
        )


def _describe(python: Path) -> ServerRuntime:
    probe = "import sys, ministack, cryptography, boto3; print('%d.%d' % sys.version_info[:2])"
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LocalAwsError(
            f"{python} cannot run ministack (it needs {', '.join(SERVER_REQUIREMENTS)}): "
            + (result.stderr.strip().splitlines() or ["no output"])[-1]
        )
    return ServerRuntime(python=python, python_version=result.stdout.strip())
