"""Whose tokens a command uses: the USER typed, else the profile's `user`, never "whoever
signed in last"; an empty name is a usage error, and a default is named on stderr."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from cognito_passkey.client import config, exit_codes
from cognito_passkey.client.errors import ConfigurationError

from .cli_offline import Offline, offline_setup, stubbed_cognito
from .conftest import SigningKey, closed_url


@pytest.fixture
def two_users(signing_key: SigningKey, tmp_path: Path) -> Iterator[Offline]:
    """qa1 and ivan both signed in on the default profile; ivan last."""
    with stubbed_cognito() as cognito:
        setup = offline_setup(cognito, signing_key, tmp_path)
        setup.signed_in("qa1")
        setup.signed_in("ivan")
        yield setup


def one_usage_line(result: Result, *words: str) -> None:
    assert result.exit_code == exit_codes.USAGE, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for word in words:
        assert word in lines[0]


def test_sign_in_with_an_empty_name_is_a_usage_error(two_users: Offline) -> None:
    result = two_users.run("sign-in", "")
    one_usage_line(result, "empty")
    assert "ivan" not in result.output


def test_sign_out_with_an_empty_name_forgets_nobody(two_users: Offline) -> None:
    for args in (["sign-out", ""], ["sign-out", "  ", "--local-only"]):
        one_usage_line(two_users.run(*args), "empty")
        assert two_users.cached("ivan") is not None
        assert two_users.cached("qa1") is not None


def test_bare_token_never_prints_another_users_token(two_users: Offline) -> None:
    forgot = two_users.run("sign-out", "qa1", "--local-only")
    assert forgot.exit_code == 0, forgot.output
    assert two_users.cached("qa1") is None
    result = two_users.run("token")
    one_usage_line(result, "USERNAME", "config set user=NAME")
    ivan = two_users.cached("ivan")
    assert ivan is not None and ivan.tokens.id_token not in result.output


def test_every_user_argument_refuses_an_empty_name(two_users: Offline) -> None:
    one_usage_line(two_users.run("token", ""), "empty")
    one_usage_line(two_users.run("exec", "", "--", sys.executable, "-c", "pass"), "empty")
    one_usage_line(two_users.run("add-passkey", ""), "empty")
    url = closed_url()
    one_usage_line(two_users.run("passkeys", "list", "--user", "", "--management-url", url))
    one_usage_line(two_users.run("sign-out", "--local-only"), "USERNAME", "config set user")


def test_the_profile_user_is_the_default_and_is_named(two_users: Offline) -> None:
    two_users.write_profile(user="qa1")
    qa1 = two_users.cached("qa1")
    assert qa1 is not None
    result = two_users.run("token")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == qa1.tokens.id_token
    assert result.stderr.strip() == "Token of qa1 (profile default)"

    typed = two_users.run("token", "ivan")
    assert typed.exit_code == 0 and typed.stderr == ""  # typed: nothing to say

    from_env = two_users.run("token", env={"COGNITO_PASSKEY_USER": "ivan"})
    ivan = two_users.cached("ivan")
    assert ivan is not None and from_env.stdout.strip() == ivan.tokens.id_token
    assert "Token of ivan (COGNITO_PASSKEY_USER)" in from_env.stderr


def test_exec_without_user_takes_the_profile_user(two_users: Offline) -> None:
    two_users.write_profile(user="qa1")
    qa1 = two_users.cached("qa1")
    assert qa1 is not None
    check = f"import os, sys; sys.exit(os.environ['COGNITO_ID_TOKEN'] != {qa1.tokens.id_token!r})"
    result = two_users.run("exec", "--", sys.executable, "-c", check)
    assert result.exit_code == 0, result.output
    assert "Tokens of qa1 (profile default)" in result.stderr
    named = two_users.run("exec", "qa1", "--", sys.executable, "-c", check)
    assert named.exit_code == 0 and "Tokens of" not in named.stderr


def test_sign_out_without_user_signs_out_the_profile_user(two_users: Offline) -> None:
    two_users.write_profile(user="qa1")
    result = two_users.run("sign-out", "--local-only")
    assert result.exit_code == 0, result.output
    assert "qa1 (profile default)" in result.stderr
    assert two_users.cached("qa1") is None
    assert two_users.cached("ivan") is not None


def test_the_profile_user_is_validated() -> None:
    for bad in ("qa1\nroot", "qa\x1b[2J"):
        with pytest.raises(ConfigurationError):
            config.write_profile("default", {"user": bad})
    config.write_profile("default", {"user": " qa1 "})
    assert config.resolve().user == "qa1"
    from cognito_passkey.client.commands.tokens import token

    assert not any("--user" in param.opts for param in token.params)  # USER is the argument
