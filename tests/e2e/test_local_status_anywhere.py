"""``local status`` and ``local down`` find the running local AWS from any directory: ``up``
records its state directory, and the stop command it prints names it absolutely. Real
processes, each in a directory of its own, against a real started server."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.local import LocalAws

pytestmark = pytest.mark.e2e
PROGRAM = Path(sys.executable).parent / "cognito-passkey"


@pytest.fixture
def started(tmp_path: Path) -> Iterator[dict[str, Any]]:
    state = tmp_path / "repo" / ".local-aws"
    env = {k: v for k, v in os.environ.items() if k != "COGNITO_PASSKEY_LOCAL_DIR"}
    env |= {
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
        "COGNITO_PASSKEY_CONFIG": str(tmp_path / "conf" / "config.ini"),
    }
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "repo").mkdir()
    up = subprocess.run(
        [str(PROGRAM), "local", "up", "--no-profile"],
        cwd=tmp_path / "repo",
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    try:
        assert up.returncode == 0, up.stderr
        yield {"env": env, "elsewhere": elsewhere, "state": state, "up": up}
    finally:
        LocalAws(state).stop()


def _run(args: list[str], started: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=started["elsewhere"],
        env=started["env"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_status_and_down_from_another_directory(started: dict[str, Any]) -> None:
    status = _run([str(PROGRAM), "local", "status"], started)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["running"] is True
    assert report["state_dir"] == str(started["state"])
    assert str(started["state"]) in status.stderr  # says which one it picked
    # The stop command `up` printed works verbatim from here.
    hint = next(
        line.split(": ", 1)[1]
        for line in started["up"].stderr.splitlines()
        if line.startswith("stop it with: ")
    )
    assert f"--state-dir {started['state']}" in hint
    down = _run(shlex.split(hint), started)
    assert down.returncode == 0, down.stderr
    assert "stopped" in down.stderr
    assert LocalAws(started["state"]).info() is None
    after = _run([str(PROGRAM), "local", "status"], started)
    assert after.returncode == 3
    assert "--state-dir" in after.stderr  # says where to look
