"""The CLI as a real process against the local user pool: no terminal, lazy imports, no
tracebacks, the token cache used while the pool is unreachable."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import config, exit_codes
from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import passkey_client, unique_username

from .conftest import CLIENT_ID, POOL_ID, closed_url
from .pools import enrol, write_soft_profile

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


MODULES_AT_EXIT = (
    "import atexit, sys\n"
    "atexit.register(lambda: print(*sorted(sys.modules), sep='\\n', file=sys.stderr))\n" + ENTRY
)


@pytest.mark.parametrize(
    "args", [["local", "--help"], ["local", "up", "--help"], ["local", "status", "--help"]]
)
def test_local_help_imports_neither_boto3_nor_fido2(args: list[str]) -> None:
    """The local group loads its deployer (boto3, the layer builder) only to run a command.

    The modules are read from ``sys.modules`` at exit: the group is loaded through
    ``importlib.import_module``, which ``-X importtime`` does not report.
    """
    result = subprocess.run(
        [sys.executable, "-c", MODULES_AT_EXIT, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    modules = set(result.stderr.split())
    assert "cognito_passkey.local.cli" in modules  # the lazy group was loaded
    heavy = sorted(
        m
        for m in modules
        if m.split(".")[0] in HEAVY
        or m.startswith(("cognito_passkey.local.build", "cognito_passkey.local.deploy"))
    )
    assert heavy == []
    assert "Usage: cognito-passkey local" in result.stdout


@dataclass
class Enrolled:
    deployment: Deployment
    username: str

    def key(self, endpoint: str) -> CacheKey:
        pool = self.deployment
        return CacheKey("default", pool.user_pool_id, pool.client_id, endpoint)

    def go_offline(self) -> str:
        """Point the profile at a closed port, keeping its cached sign-in; the closed URL."""
        closed = closed_url()
        entry = TokenCache().load(self.key(self.deployment.endpoint), self.username)
        assert entry is not None, "the sign-in was cached"
        config.write_profile("default", {"endpoint_url": closed}, merge=True)
        TokenCache().save(self.key(closed), self.username, entry.tokens)
        return closed


@pytest.fixture
def profile(selfhosted: Deployment, tmp_path: Path) -> Path:
    """The default profile for the self-hosted pool with a software key; the key's file."""
    store = tmp_path / "soft.json"
    write_soft_profile(selfhosted, store)
    return store


@pytest.fixture
def enrolled(selfhosted: Deployment, idp: Any, profile: Path) -> Enrolled:
    client = passkey_client(selfhosted, SoftAuthenticator(profile))
    username, _tokens = enrol(client, idp, selfhosted, "sub-")
    return Enrolled(selfhosted, username)


def test_sign_in_without_a_terminal_then_token_offline(enrolled: Enrolled) -> None:
    name = enrolled.username
    signed = run("sign-in", name)
    assert signed.returncode == 0, signed.stderr
    assert signed.stdout == ""
    assert f"Signed in as {name} (passkey)" in signed.stderr

    enrolled.go_offline()  # from here on the endpoint is a closed port
    printed = run("token", name, "-o", "json", "--type", "all")
    assert printed.returncode == 0, printed.stderr
    document = json.loads(printed.stdout)
    assert document["username"] == name
    checker = passkey_client(enrolled.deployment)
    assert checker.verify_token(document["id_token"])["cognito:username"] == name
    checker.verify_token(document["access_token"], token_use="access")

    forced = run("sign-in", name, "--force")
    assert forced.returncode == exit_codes.NETWORK
    assert forced.stderr.startswith("error: cannot reach")
    assert "Traceback" not in forced.stderr


def check_one_line_without_traceback(user: str, args: list[str], code: int) -> None:
    ghost = unique_username("ghost-")
    result = run(*(a.format(user=user, ghost=ghost) for a in args))
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    if code != exit_codes.USAGE:
        assert result.stderr.startswith("error: ")
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["sign-in", "{ghost}"], exit_codes.AUTH_FAILED),
        (["sign-in", "{user}", "--client-id", "nope"], exit_codes.CONFIG),
    ],
)
def test_errors_are_one_line_without_traceback(
    profile: Path, password_user: str, args: list[str], code: int
) -> None:
    check_one_line_without_traceback(password_user, args, code)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["devices"], exit_codes.NO_AUTHENTICATOR),
        (["token", "{user}", "--bogus"], exit_codes.USAGE),
    ],
)
def test_errors_without_a_pool_are_one_line_without_traceback(args: list[str], code: int) -> None:
    """No pool is asked: these fail before any call, so no server runs for them."""
    check_one_line_without_traceback("carol", args, code)


def test_closed_endpoint_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COGNITO_PASSKEY_USER_POOL_ID", POOL_ID)
    monkeypatch.setenv("COGNITO_PASSKEY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("COGNITO_PASSKEY_ENDPOINT_URL", closed_url())
    result = run("sign-in", "alice")
    assert result.returncode == exit_codes.NETWORK
    debug = run("sign-in", "alice", "--debug")
    assert "Traceback" in debug.stderr
