"""Headless runs of the real CLI: no prompt without a terminal, ``CI=true`` or
``--non-interactive``; ``exec`` hands the tokens to a child and returns its exit code."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.client.tokens import Tokens

from .conftest import CLIENT_ID, POOL_ID, SigningKey, closed_url, mint

ENTRY = "from cognito_passkey.client.cli import main; main()"
PASSKEY_ID = "AAAAAAAAAAAAAAAAAAAAAA"


def run(args: list[str], *, mode: str, env: dict[str, str] | None = None) -> Any:
    """The CLI in a child process: ``notty`` (stdin /dev/null), ``ci`` (a terminal on stdin
    and CI=true) or ``flag`` (a terminal and --non-interactive). A prompt that is shown
    anyway waits on the terminal until the timeout, failing the test."""
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    environ.update(
        COGNITO_PASSKEY_USER_POOL_ID=POOL_ID,
        COGNITO_PASSKEY_CLIENT_ID=CLIENT_ID,
        COGNITO_PASSKEY_ENDPOINT_URL=closed_url(),
        COGNITO_PASSKEY_RP_ID="example.com",
        COGNITO_PASSKEY_MANAGEMENT_URL="https://127.0.0.1:9/",
    )
    environ.update(env or {})
    command = [sys.executable, "-c", ENTRY]
    if mode == "flag":
        command.append("--non-interactive")
    command += args
    if mode == "ci":
        environ["CI"] = "true"
    if mode == "notty":
        stdin: Any = subprocess.DEVNULL
        primary = replica = None
    else:
        primary, replica = os.openpty()
        stdin = replica
    try:
        return subprocess.run(
            command, stdin=stdin, capture_output=True, text=True, env=environ, timeout=30
        )
    finally:
        for fd in (primary, replica):
            if fd is not None:
                os.close(fd)


def store_file(tmp_path: Path) -> Path:
    from cognito_passkey.authenticator.soft import FileCredentialStore

    path = tmp_path / "key.json"
    FileCredentialStore(path).set_builtin_uv(False)  # an empty store file
    return path


PROMPTS = {
    "password": (["add-passkey", "alice", "--with-password"], "--password-stdin"),
    "sign-up code": (["sign-up", "bob"], "--confirm admin"),
    "passkeys delete": (["passkeys", "delete", "--", PASSKEY_ID], "--yes"),
    "soft delete": (["soft", "delete", "{store}", PASSKEY_ID], "--yes"),
    "soft passphrase": (
        ["soft", "create", "--encrypt", "{new}"],
        "COGNITO_PASSKEY_SOFT_PASSPHRASE",
    ),
}


@pytest.mark.parametrize("mode", ["notty", "ci", "flag"])
@pytest.mark.parametrize("prompt", list(PROMPTS))
def test_a_prompt_fails_fast_naming_what_to_use(tmp_path: Path, prompt: str, mode: str) -> None:
    args, hint = PROMPTS[prompt]
    if prompt == "sign-up code" and mode == "notty":
        pytest.skip("a piped code is still read without a terminal (tested in test_cli.py)")
    store = store_file(tmp_path)
    args = [a.format(store=store, new=tmp_path / "new.json") for a in args]
    result = run(args, mode=mode)
    assert result.returncode == exit_codes.USAGE, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert hint in lines[0]
    assert "Aborted" not in result.stderr and "Warning" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "new.json").exists()


def test_without_a_terminal_a_piped_answer_is_still_read(tmp_path: Path) -> None:
    store = store_file(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", ENTRY, "soft", "delete", str(store), PASSKEY_ID],
        input="n\n",
        capture_output=True,
        text=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if k != "CI"},
    )
    assert result.returncode == 1 and "Aborted" in result.stderr  # declined, as before


CHILD = """
import hashlib, os, sys
for name in ("COGNITO_ID_TOKEN", "COGNITO_ACCESS_TOKEN", "COGNITO_TOKEN_EXPIRES_AT"):
    value = os.environ[name]
    print(name, len(value), hashlib.sha256(value.encode()).hexdigest())
print("refresh" if "COGNITO_REFRESH_TOKEN" in os.environ else "no refresh")
sys.exit(int(sys.argv[1]))
"""


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def cached(signing_key: SigningKey) -> tuple[Tokens, dict[str, str]]:
    """Valid tokens of alice in the cache of a profile whose endpoint is closed."""
    tokens = Tokens(
        id_token=mint(signing_key, username="alice"),
        access_token=mint(signing_key, token_use="access", username="alice"),
        refresh_token="refresh-secret",
        expires_at=int(time.time()) + 3600,
    )
    endpoint = closed_url()  # cached tokens need no network
    key = CacheKey(
        profile="default", user_pool_id=POOL_ID, client_id=CLIENT_ID, endpoint_url=endpoint
    )
    TokenCache().save(key, "alice", tokens)
    return tokens, {"COGNITO_PASSKEY_ENDPOINT_URL": endpoint}


@pytest.mark.parametrize("code", [0, 3, 42])
def test_exec_hands_cached_tokens_to_the_child(
    cached: tuple[Tokens, dict[str, str]], code: int
) -> None:
    tokens, env = cached
    result = run(
        ["exec", "alice", "--", sys.executable, "-c", CHILD, str(code)], mode="notty", env=env
    )
    assert result.returncode == code, result.stderr
    assert result.stdout.splitlines() == [
        f"COGNITO_ID_TOKEN {len(tokens.id_token)} {digest(tokens.id_token)}",
        f"COGNITO_ACCESS_TOKEN {len(tokens.access_token)} {digest(tokens.access_token)}",
        f"COGNITO_TOKEN_EXPIRES_AT {len(str(tokens.expires_at))} {digest(str(tokens.expires_at))}",
        "no refresh",
    ]
    for secret in (tokens.id_token, tokens.access_token, "refresh-secret"):
        assert secret not in result.stdout + result.stderr


def test_exec_without_a_runnable_command(cached: tuple[Tokens, dict[str, str]]) -> None:
    _tokens, env = cached
    nothing = run(["exec", "alice"], mode="notty", env=env)
    assert nothing.returncode == exit_codes.USAGE
    missing = run(["exec", "alice", "--", "no-such-command-here"], mode="notty", env=env)
    assert missing.returncode == 127
    assert missing.stderr.strip() == "error: no-such-command-here: command not found"


@pytest.mark.parametrize(
    ("ci", "flag", "expected"), [("", False, None), ("true", False, False), ("", True, False)]
)
def test_non_interactive_runs_never_ask_for_a_pin(
    monkeypatch: pytest.MonkeyPatch, ci: str, flag: bool, expected: bool | None
) -> None:
    """Under CI=true or --non-interactive the key's PIN comes from COGNITO_PASSKEY_PIN only,
    even with a terminal; otherwise the authenticator decides from the terminal (None)."""
    import click
    from cognito_passkey.client.cli import cli
    from cognito_passkey.client.cli_prompts import NON_INTERACTIVE_META
    from cognito_passkey.client.cli_support import build_client
    from cognito_passkey.client.config import resolve

    monkeypatch.setenv("CI", ci)
    settings = resolve({"user_pool_id": POOL_ID, "client_id": CLIENT_ID, "rp_id": "example.com"})
    with click.Context(cli) as ctx:
        if flag:
            ctx.meta[NON_INTERACTIVE_META] = True
        client = build_client(settings)
    assert client._authenticator.interactive is expected  # type: ignore[union-attr]
