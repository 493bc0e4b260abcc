"""The first run of the demo and test commands says what it installs, once.

``bootstrap.sh`` runs for real in a copy of the project, with an interpreter that makes a
``.venv`` whose Python accepts every pip call at once, so nothing is downloaded."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from cognito_passkey.local import runtime

ROOT = Path(__file__).resolve().parents[2]
FAKE_PYTHON = """#!/bin/sh
# python3 -m venv DIR: a venv whose python says yes to everything (pip installs nothing).
mkdir -p "$3/bin"
printf '#!/bin/sh\\nexit 0\\n' > "$3/bin/python"
chmod +x "$3/bin/python"
"""


def _bootstrap(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": str(project / "fake-python")}
    return subprocess.run(
        ["bash", "scripts/bootstrap.sh"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bootstrap_says_what_it_installs_on_the_first_run_only(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "bootstrap.sh", project / "scripts")
    shutil.copy(ROOT / "pyproject.toml", project)
    for folder in ("protocol", "client", "authenticator", "lambdas", "local", "testing"):
        (project / folder).mkdir()
    fake = project / "fake-python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    first = _bootstrap(project)
    assert first.returncode == 0, first.stderr
    assert "Setting up .venv: installing cognito-passkey and its test tools from PyPI" in (
        first.stderr
    )
    assert "first run only" in first.stderr
    again = _bootstrap(project)
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""


def test_the_local_aws_environment_is_announced_until_it_is_made(tmp_path: Path) -> None:
    cache = tmp_path / "ministack-cache"
    assert not runtime.is_ready(cache) or os.environ.get(runtime.ENV_PYTHON)
    message = runtime.setup_message(cache)
    assert str(runtime.environment_dir(cache)) in message
    assert f"ministack {runtime.MINISTACK_VERSION}" in message and "first run only" in message
    test_sh = (ROOT / "scripts" / "test.sh").read_text()
    assert "runtime.setup_message()" in test_sh
