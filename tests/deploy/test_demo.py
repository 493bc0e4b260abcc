"""``cognito-passkey local demo`` against the session's local AWS: every step passes, the
dialects are told apart by the Cognito calls they make, and no password, token or private
key reaches stdout or stderr."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cognito_passkey.client import passwords
from cognito_passkey.client.config import load_profile
from cognito_passkey.client.passkey_client import PasskeyClient
from cognito_passkey.client.tokens import Tokens
from cognito_passkey.local import LocalAws
from cognito_passkey.local.cli import local, next_commands
from cognito_passkey.local.demo import (
    DemoStepError,
    StepResult,
    dialect_of,
    run_demo,
)

STACK = "passkey-demo"
STEPS = [
    "start the local AWS",
    "deploy the self-hosted stack",
    "write the client profile",
    "open the software authenticator",
    "create the user",
    "sign in with the password (SRP)",
    "add a passkey (software authenticator)",
    "sign in with the passkey",
    "sign in with the passkey (3-call, for comparison)",
    "verify the ID token (JWKS)",
    "refresh the tokens",
]


class Secrets:
    """Every password and token the demo handled, caught on their way out of the library."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def add_tokens(self, tokens: Tokens) -> Tokens:
        for token in (tokens.id_token, tokens.access_token, tokens.refresh_token):
            if token:
                self.values.append(token)
                self.values.extend(part for part in token.split(".")[1:] if len(part) > 20)
        return tokens

    def add_store_keys(self, store_file: Path) -> None:
        data = json.loads(store_file.read_text())
        for credential in data["data"]["credentials"]:
            self.values.append(credential["private_key"])

    def leaked(self, text: str) -> list[str]:
        return [value[:12] + "..." for value in self.values if value in text]


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Secrets:
    caught = Secrets()
    made = passwords.generate_password

    def generate_password(length: int = 32) -> str:
        value = made(length)
        caught.values.append(value)
        return value

    monkeypatch.setattr(passwords, "generate_password", generate_password)
    for method in ("sign_in_password", "sign_in_passkey", "add_passkey", "refresh"):
        original = getattr(PasskeyClient, method)

        def wrapped(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Tokens:
            return caught.add_tokens(__original(self, *args, **kwargs))

        monkeypatch.setattr(PasskeyClient, method, wrapped)
    return caught


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("COGNITO_PASSKEY_CONFIG", str(tmp_path / "config.ini"))
    monkeypatch.setenv("COGNITO_PASSKEY_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path


@pytest.mark.e2e
def test_the_demo_command_passes_every_step_and_prints_no_secret(
    local_aws: LocalAws, secrets: Secrets, workspace: Path
) -> None:
    args = ["demo", "--state-dir", str(local_aws.state_dir), "--stack-name", STACK, "-o", "json"]
    result = CliRunner().invoke(local, [*args, "--profile", "demo-test"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)

    assert summary["ok"] is True
    assert [step["step"] for step in summary["steps"]] == STEPS
    assert all(step["ok"] and step["ms"] >= 0 for step in summary["steps"])
    for step in STEPS:
        assert "[ok  ] " in result.stderr and f"ms  {step}" in result.stderr
    assert summary["cognito_calls"] == {
        "2-call": ["InitiateAuth", "RespondToAuthChallenge"],
        "3-call": ["InitiateAuth", "RespondToAuthChallenge", "RespondToAuthChallenge"],
    }
    assert "2-call dialect" in result.stderr and "3-call dialect" in result.stderr
    username = summary["username"]
    assert username.startswith("demo-")
    claims = summary["claims"]
    assert claims["cognito:username"] == username
    assert claims["aud"] == summary["client_id"]
    assert claims["iss"].endswith("/" + summary["user_pool_id"])
    assert set(claims) == {"sub", "cognito:username", "iss", "aud", "exp"}

    # The profile lets the CLI carry on by hand with the demo's software authenticator.
    profile = load_profile("demo-test")
    store_file = local_aws.state_dir / "authenticator.json"
    assert profile["user_pool_id"] == summary["user_pool_id"]
    assert profile["authenticator"] == f"soft:{store_file}"
    assert (store_file.stat().st_mode & 0o777) == 0o600
    assert any(username in command for command in summary["next_commands"]["try"])
    assert "local down" in summary["next_commands"]["stop"]
    # Every command the demo tells people to try works as printed (the user named in each).
    tried = summary["next_commands"]["try"]
    assert [shlex.split(c)[1] for c in tried] == ["sign-in", "token", "passkeys", "aws-credentials"]
    program = str(Path(sys.executable).parent / "cognito-passkey")
    for command in tried:
        words = shlex.split(command)
        assert words[0] == "cognito-passkey"
        done = subprocess.run(
            [program, *words[1:]], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, (command, done.stderr)

    secrets.add_store_keys(store_file)
    assert len(secrets.values) > 10  # the password, and tokens of five sign-ins
    assert secrets.leaked(result.stdout + result.stderr) == []


@pytest.mark.e2e
def test_a_second_run_for_the_same_user_keeps_its_passkey(
    local_aws: LocalAws, secrets: Secrets, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_file = tmp_path / "store.json"
    reported: list[StepResult] = []
    first = run_demo(
        local_aws,
        stack_name=STACK,
        profile=None,
        authenticator_file=store_file,
        report=reported.append,
    )
    again = run_demo(
        local_aws,
        username=first.username,
        stack_name=STACK,
        profile=None,
        authenticator_file=store_file,
        report=reported.append,
    )
    assert first.ok and again.ok
    assert again.server_reused
    assert again.claims["sub"] == first.claims["sub"]
    details = {step.name: step.detail for step in again.steps}
    assert "existed" in details["create the user"]
    assert "already registered; kept" in details["add a passkey (software authenticator)"]
    assert len(reported) == len(first.steps) + len(again.steps) == 2 * (len(STEPS) - 1)

    secrets.add_store_keys(store_file)
    shown = json.dumps([first.to_dict(), again.to_dict()]) + str(reported)
    captured = capsys.readouterr()
    assert secrets.leaked(shown + captured.out + captured.err) == []


@pytest.mark.e2e
def test_a_failing_step_stops_the_demo_with_its_name(local_aws: LocalAws, tmp_path: Path) -> None:
    store_file = tmp_path / "store.json"
    store_file.write_text("not a store")
    reported: list[StepResult] = []
    with pytest.raises(DemoStepError) as caught:
        run_demo(
            local_aws,
            stack_name=STACK,
            profile=None,
            authenticator_file=store_file,
            report=reported.append,
        )
    assert caught.value.step == "open the software authenticator"
    assert [step.ok for step in reported] == [True, True, False]
    assert store_file.read_text() == "not a store"  # nothing lost


@pytest.mark.e2e
def test_the_command_fails_with_one_line_and_a_nonzero_exit(
    local_aws: LocalAws, workspace: Path
) -> None:
    args = ["demo", "--state-dir", str(local_aws.state_dir), "--stack-name", "bad_name!"]
    result = CliRunner().invoke(local, args, catch_exceptions=False)
    assert result.exit_code != 0
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "deploy the self-hosted stack" in errors[0] and "bad_name!" in errors[0]
    assert "[FAIL]" in result.stderr


def test_the_dialect_is_read_from_the_calls_made() -> None:
    assert dialect_of(["InitiateAuth", "RespondToAuthChallenge"]) == "2-call"
    assert (
        dialect_of(["InitiateAuth", "RespondToAuthChallenge", "RespondToAuthChallenge"]) == "3-call"
    )
    assert dialect_of(["SignUp", "InitiateAuth"]).startswith("unknown")
    assert dialect_of([]).startswith("unknown")


def test_next_commands_name_the_state_dir_absolutely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COGNITO_PASSKEY_LOCAL_DIR", raising=False)
    here = next_commands("alice", "local", tmp_path / ".local-aws")
    # The stop hint names the state directory always, so it works from any directory.
    assert here["stop"].endswith(f"local down --state-dir {tmp_path / '.local-aws'}")
    assert here["try"][0].endswith("sign-in alice --profile local")
    assert here["try"][1].endswith("token alice --profile local")
    assert here["try"][2].endswith("passkeys list --user alice --profile local")
    elsewhere = next_commands("o'neil", "local", tmp_path / "other state")
    assert elsewhere["stop"].endswith(f"local down --state-dir '{tmp_path / 'other state'}'")
    assert "sign-in 'o'\"'\"'neil' --profile local" in elsewhere["try"][0]
    assert next_commands("alice", None, tmp_path)["try"] == []
