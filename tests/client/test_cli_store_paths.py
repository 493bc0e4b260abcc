"""A mistyped ``soft:PATH`` is reported as a missing store (exit 5), a directory as not a
store, and ``add-passkey``/``sign-up`` make a store only with ``--create-store``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli import cli
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import PASSWORD, new_user

from .cli_offline import Offline, offline_setup, stubbed_cognito
from .conftest import SigningKey
from .pools import write_soft_profile

PASSKEY_ID = "AAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def offline(signing_key: SigningKey, tmp_path: Path) -> Iterator[Offline]:
    with stubbed_cognito() as cognito:
        yield offline_setup(cognito, signing_key, tmp_path)


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "unexpected" not in lines[0] and "Traceback" not in stderr
    return lines[0]


def test_sign_in_with_a_mistyped_store_says_it_does_not_exist(offline: Offline) -> None:
    missing = offline.store.parent / "no" / "such" / "file.json"
    offline.cognito.challenge()
    result = offline.run("sign-in", offline.username, "--authenticator", f"soft:{missing}")
    assert result.exit_code == exit_codes.CONFIG, result.output
    line = one_error_line(result.stderr)
    assert str(missing) in line and f"soft create {missing}" in line
    assert "passkey" not in line.replace("cognito-passkey", "")  # not "no passkey"
    assert not missing.parent.exists()


def test_sign_in_with_a_directory_says_it_is_not_a_store(offline: Offline) -> None:
    home = offline.store.parent
    offline.cognito.challenge()
    result = offline.run("sign-in", offline.username, "--authenticator", f"soft:{home}")
    assert result.exit_code == exit_codes.CONFIG, result.output
    assert "is a directory, not a store" in one_error_line(result.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["soft", "create", "{dir}"],
        ["soft", "info", "{dir}"],
        ["soft", "list", "{dir}"],
        ["soft", "export", "{dir}"],
        ["soft", "delete", "--yes", "{dir}", PASSKEY_ID],
    ],
)
def test_soft_commands_refuse_a_directory(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, [a.format(dir=tmp_path) for a in args])
    assert result.exit_code == exit_codes.USAGE, result.output
    assert "is a directory" in result.stderr
    assert "unexpected" not in result.stderr and sorted(tmp_path.iterdir()) == []


def test_add_passkey_does_not_make_a_store_unless_told(
    selfhosted: Deployment, idp: Any, tmp_path: Path
) -> None:
    username = new_user(idp, selfhosted, "store-")
    store = tmp_path / "typo.json"
    write_soft_profile(selfhosted, store)
    runner = CliRunner()
    args = ["add-passkey", username, "--password-stdin"]

    refused = runner.invoke(cli, args, input=PASSWORD + "\n")
    assert refused.exit_code == exit_codes.CONFIG, refused.output
    assert "soft create" in one_error_line(refused.stderr)
    assert not store.exists()

    added = runner.invoke(cli, [*args, "--create-store"], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert store.is_file()
    signed_in = runner.invoke(cli, ["sign-in", username, "--no-cache"])
    assert signed_in.exit_code == 0, signed_in.output
