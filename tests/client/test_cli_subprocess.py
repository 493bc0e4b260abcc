"""The CLI as a real process: no terminal, lazy imports, no tracebacks, the cache offline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import PasskeyClient, config, exit_codes

from .conftest import CLIENT_ID, POOL_ID, closed_url
from .fake_cognito import ORIGIN, RP_ID, FakeCognito

ENTRY = "from cognito_passkey.client.cli import main; main()"
HEAVY = ("boto3", "botocore", "fido2", "pycognito", "jwt", "cryptography")


def run(*args: str, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable]
    if importtime:
        command += ["-X", "importtime"]
    command += ["-c", ENTRY, *args]
    return subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False
    )


def imported_modules(stderr: str) -> set[str]:
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["sign-in", "--help"],
        ["token", "--help"],
        ["passkeys", "--help"],
        ["soft", "--help"],
        ["config", "--help"],
    ],
)
def test_help_imports_neither_boto3_nor_fido2(args: list[str]) -> None:
    result = run(*args, importtime=True)
    assert result.returncode == 0, result.stderr
    modules = imported_modules(result.stderr)
    assert "cognito_passkey.client.cli" in modules  # the probe sees our own imports
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == []
    assert "Usage:" in result.stdout


@pytest.fixture
def enrolled(make_cognito: Any, tmp_path: Path) -> FakeCognito:
    fake: FakeCognito = make_cognito(fast_signin=True)
    store = tmp_path / "soft.json"
    client = PasskeyClient(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        endpoint_url=fake.url,
        authenticator=SoftAuthenticator(store),
        origin=ORIGIN,
        rp_id=RP_ID,
    )
    user = fake.add_user("alice")
    client.add_passkey("alice", fake.issue(user)["IdToken"])
    config.write_profile(
        "default",
        {
            "user_pool_id": POOL_ID,
            "client_id": CLIENT_ID,
            "endpoint_url": fake.url,
            "authenticator": f"soft:{store}",
            "origin": ORIGIN,
            "rp_id": RP_ID,
        },
    )
    return fake


def test_sign_in_without_a_terminal_then_token_offline(enrolled: FakeCognito) -> None:
    signed = run("sign-in", "alice")
    assert signed.returncode == 0, signed.stderr
    assert signed.stdout == ""
    assert "Signed in as alice (passkey)" in signed.stderr

    enrolled.stop()  # from here on the endpoint is a closed port
    printed = run("token", "alice", "-o", "json", "--type", "all")
    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert document["username"] == "alice"
    checker = PasskeyClient(user_pool_id=POOL_ID, client_id=CLIENT_ID)
    assert (
        checker.username_of(
            type("T", (), {"id_token": document["id_token"]})()  # type: ignore[arg-type]
        )
        == "alice"
    )

    forced = run("sign-in", "alice", "--force")
    assert forced.returncode == exit_codes.NETWORK
    assert forced.stderr.startswith("error: cannot reach")
    assert "Traceback" not in forced.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["sign-in", "ghost"], exit_codes.AUTH_FAILED),
        (["sign-in", "alice", "--client-id", "nope"], exit_codes.CONFIG),
        (["devices"], exit_codes.NO_AUTHENTICATOR),
        (["token", "alice", "--bogus"], exit_codes.USAGE),
    ],
)
def test_errors_are_one_line_without_traceback(
    enrolled: FakeCognito, args: list[str], code: int
) -> None:
    result = run(*args)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    if code != exit_codes.USAGE:
        assert result.stderr.startswith("error: ")
        assert len(result.stderr.strip().splitlines()) == 1


def test_closed_endpoint_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COGNITO_PASSKEY_USER_POOL_ID", POOL_ID)
    monkeypatch.setenv("COGNITO_PASSKEY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("COGNITO_PASSKEY_ENDPOINT_URL", closed_url())
    result = run("sign-in", "alice")
    assert result.returncode == exit_codes.NETWORK
    debug = run("sign-in", "alice", "--debug")
    assert "Traceback" in debug.stderr
