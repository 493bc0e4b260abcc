"""Conventions users bring from other CLIs: --version, settings flags before the command, and
shell completion of profile names (click's own completion machinery, in a real subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from cognito_passkey.client import config, exit_codes

from .cli_offline import Offline, offline_setup, stubbed_cognito
from .conftest import SigningKey

PROGRAM = Path(sys.executable).parent / "cognito-passkey"


@pytest.fixture
def offline(signing_key: SigningKey, tmp_path: Path) -> Iterator[Offline]:
    with stubbed_cognito() as cognito:
        yield offline_setup(cognito, signing_key, tmp_path)


def test_version_comes_from_the_installed_distribution(offline: Offline) -> None:
    result = offline.run("--version")
    assert result.exit_code == 0, result.output
    assert version("cognito-passkey") in result.stdout


def test_a_profile_before_the_command_is_used(offline: Offline) -> None:
    offline.enrol()
    offline.signed_in()
    before = offline.run("--profile", "nosuch", "token", offline.username)
    assert before.exit_code == exit_codes.CONFIG, before.output
    assert "nosuch" in before.stderr
    # The command's own flag wins over the group's.
    both = offline.run("--profile", "nosuch", "token", offline.username, "--profile", "default")
    assert both.exit_code == 0, both.output
    entry = offline.cached()
    assert entry is not None and both.stdout.strip() == entry.tokens.id_token


def test_settings_precedence_command_flag_then_group_flag_then_env_then_profile(
    offline: Offline,
) -> None:
    env = {"COGNITO_PASSKEY_CLIENT_ID": "from-env", "COGNITO_PASSKEY_RP_ID": "env.example"}
    show = ["config", "show", "-o", "json"]
    group = offline.run("--client-id", "group", "--origin", "https://g.example", *show, env=env)
    assert group.exit_code == 0, group.output
    import json

    shown = json.loads(group.stdout)
    assert shown["client_id"] == "group" and shown["sources"]["client_id"] == "flag"
    assert shown["origin"] == "https://g.example"
    assert shown["rp_id"] == "env.example"
    assert shown["user_pool_id"] == offline.user_pool_id
    command = json.loads(
        offline.run("--client-id", "group", *show, "--client-id", "command", env=env).stdout
    )
    assert command["client_id"] == "command"


def _complete(words: str, cword: int, env_extra: dict[str, str]) -> list[str]:
    env = {
        **os.environ,
        **env_extra,
        "_COGNITO_PASSKEY_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }
    result = subprocess.run(
        [str(PROGRAM)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_profile_names_complete_in_bash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "conf" / "config.ini"
    monkeypatch.setenv("COGNITO_PASSKEY_CONFIG", str(path))
    for name in ("local", "lab", "prod"):
        config.write_profile(name, {"client_id": "x"})
    env = {"COGNITO_PASSKEY_CONFIG": str(path)}
    assert _complete("cognito-passkey token --profile l", 3, env) == ["plain,local", "plain,lab"]
    assert _complete("cognito-passkey --profile p", 2, env) == ["plain,prod"]
    assert "plain,prod" in _complete("cognito-passkey config set --profile ", 4, env)


def test_bash_completion_script_is_generated() -> None:
    env = {**os.environ, "_COGNITO_PASSKEY_COMPLETE": "bash_source"}
    result = subprocess.run(
        [str(PROGRAM)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "_cognito_passkey_completion" in result.stdout
