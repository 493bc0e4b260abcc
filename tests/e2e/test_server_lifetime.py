"""A server started with ``stop_with_parent`` does not outlive a starter killed by SIGKILL
(an aborted test run leaves nothing behind); one started by ``local up`` does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cognito_passkey.local import LocalAws
from cognito_passkey.local.server import is_alive

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal"),
]

STARTER = """
import json, sys, time
from cognito_passkey.local import LocalAws
aws = LocalAws(sys.argv[1], stop_with_parent=sys.argv[2] == "1")
info = aws.start()
print(json.dumps({"pid": info.pid}), flush=True)
time.sleep(600)
"""


def start_and_kill_starter(state: Path, tied: bool) -> int:
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(state), "1" if tied else "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert starter.stdout is not None
        pid = int(json.loads(starter.stdout.readline())["pid"])
    finally:
        starter.send_signal(signal.SIGKILL)
        starter.wait(timeout=10)
    return pid


def wait_gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_tied_server_dies_with_its_starter(tmp_path: Path) -> None:
    pid = start_and_kill_starter(tmp_path / "tied", tied=True)
    try:
        assert wait_gone(pid)
    finally:
        LocalAws(tmp_path / "tied").stop()


def test_detached_server_outlives_its_starter(tmp_path: Path) -> None:
    pid = start_and_kill_starter(tmp_path / "detached", tied=False)
    try:
        time.sleep(0.3)
        assert is_alive(pid)
        assert LocalAws(tmp_path / "detached").info() is not None
    finally:
        assert LocalAws(tmp_path / "detached").stop()
    assert wait_gone(pid)
    assert os.path.exists(tmp_path / "detached" / "ministack.log")
