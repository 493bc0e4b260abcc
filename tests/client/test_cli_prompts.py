"""Prompts without a terminal fail in one line naming what to use instead (exit 2), whatever
stdin is: /dev/null, a closed descriptor, an empty pipe. An encrypted store's passphrase is
asked at a terminal, hidden, and named as COGNITO_PASSKEY_SOFT_PASSPHRASE otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.client import exit_codes

from .conftest import CLIENT_ID, POOL_ID, closed_url
from .terminal import ENTRY, TerminalRun

PASSKEY_ID = "AAAAAAAAAAAAAAAAAAAAAA"
PASSPHRASE = "correct horse battery"
MESSY = ("Warning", "echoed", "Aborted", "RuntimeError", "Traceback", "unexpected")


def pool_env() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    environ.update(
        COGNITO_PASSKEY_USER_POOL_ID=POOL_ID,
        COGNITO_PASSKEY_CLIENT_ID=CLIENT_ID,
        COGNITO_PASSKEY_ENDPOINT_URL=closed_url(),
    )
    return environ


def run_without_terminal(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    """``stdin``: ``devnull``, ``closed`` (no descriptor 0 at all) or ``pipe`` (empty)."""
    options: dict[str, Any] = {}
    if stdin == "devnull":
        options["stdin"] = subprocess.DEVNULL
    elif stdin == "pipe":
        options["input"] = ""
    else:
        options["stdin"] = subprocess.DEVNULL
        options["preexec_fn"] = lambda: os.close(0)
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        capture_output=True,
        text=True,
        env=pool_env(),
        timeout=60,
        check=False,
        start_new_session=True,  # no controlling terminal for getpass to fall back on
        **options,
    )


def plain_store(tmp_path: Path) -> Path:
    from cognito_passkey.authenticator.soft import FileCredentialStore

    path = tmp_path / "key.json"
    FileCredentialStore(path).set_builtin_uv(False)
    return path


def encrypted_store(tmp_path: Path) -> Path:
    from cognito_passkey.authenticator.soft import FileCredentialStore

    path = tmp_path / "locked.json"
    FileCredentialStore(
        path, passphrase=PASSPHRASE, scrypt_n=2**10, allow_weak_scrypt_for_tests=True
    ).set_builtin_uv(False)
    return path


PROMPTS = {
    "password": (["add-passkey", "alice", "--with-password"], "--password-stdin"),
    "password-stdin": (["add-passkey", "alice", "--password-stdin"], "stdin"),
    "soft delete": (["soft", "delete", "{store}", PASSKEY_ID], "--yes"),
    "new passphrase": (["soft", "create", "--encrypt", "{new}"], "COGNITO_PASSKEY_SOFT_PASSPHRASE"),
    "store passphrase": (["soft", "info", "{locked}"], "COGNITO_PASSKEY_SOFT_PASSPHRASE"),
    "store passphrase (list)": (["soft", "list", "{locked}"], "COGNITO_PASSKEY_SOFT_PASSPHRASE"),
}


@pytest.mark.parametrize("stdin", ["devnull", "closed", "pipe"])
@pytest.mark.parametrize("prompt", list(PROMPTS))
def test_no_terminal_one_line_naming_what_to_use(tmp_path: Path, prompt: str, stdin: str) -> None:
    args, hint = PROMPTS[prompt]
    names = {
        "store": plain_store(tmp_path),
        "new": tmp_path / "new.json",
        "locked": encrypted_store(tmp_path),
    }
    result = run_without_terminal([a.format(**names) for a in args], stdin)
    assert result.returncode == exit_codes.USAGE, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert hint in lines[0]
    assert not [word for word in MESSY if word in result.stderr], result.stderr
    assert PASSPHRASE not in result.stderr and result.stdout == ""
    assert not (tmp_path / "new.json").exists()


def test_the_pin_reader_never_falls_back_to_an_echoing_stdin() -> None:
    """Without a terminal getpass would read the PIN from stdin, warning it may be echoed."""
    code = (
        "from cognito_passkey.authenticator.interaction import _read_pin_from_tty\n"
        "try:\n"
        "    _read_pin_from_tty('PIN: ')\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        input="1234\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        start_new_session=True,
    )
    assert result.stdout.startswith("PinRequiredError"), result
    assert "COGNITO_PASSKEY_PIN" in result.stdout
    assert "GetPassWarning" not in result.stderr and "1234" not in result.stdout + result.stderr


def test_an_encrypted_store_asks_its_passphrase_at_a_terminal(tmp_path: Path) -> None:
    locked = encrypted_store(tmp_path)
    run = TerminalRun(["soft", "info", str(locked)], pool_env())
    run.wait_for("Passphrase for")
    run.type(PASSPHRASE + "\n")
    code, screen, stdout = run.finish()
    assert code == 0, screen
    assert "encrypted\ttrue" in stdout
    assert PASSPHRASE not in screen  # typed without echo
    assert screen.count("Passphrase for") == 1


def test_a_wrong_passphrase_at_the_terminal_is_one_line(tmp_path: Path) -> None:
    locked = encrypted_store(tmp_path)
    run = TerminalRun(["soft", "list", str(locked)], pool_env())
    run.wait_for("Passphrase for")
    run.type("not the passphrase\n")
    code, screen, stdout = run.finish()
    assert code == exit_codes.CONFIG, screen
    assert "wrong passphrase" in screen and stdout == ""
