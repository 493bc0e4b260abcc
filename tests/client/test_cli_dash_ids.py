"""Passkey and credential ids are base64url, and 1 in 64 starts with "-": the commands that
take one read it as an argument, not as an option (``-h...`` does not print the help,
``-q...`` is no "No such option"), with or without ``--`` before it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cognito_passkey.authenticator.soft import FileCredentialStore
from cognito_passkey.authenticator.soft.credential import StoredCredential
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli import cli
from cognito_passkey.client.commands import passkeys as passkeys_commands
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode


def dash_id(prefix: str) -> str:
    """A real 32-byte credential id whose base64url text starts with ``prefix``."""
    text = prefix + "A" * (43 - len(prefix))
    assert websafe_encode(websafe_decode(text)) == text
    return text


IDS = [dash_id(p) for p in ("-qXYZ", "--XYZ", "-hXYZ", "-oXYZ", "-Zh3y", "--help", "-y")]
ID_NAMES = ["dash-q", "dash-dash", "dash-h", "dash-o", "h-inside", "dash-dash-help", "dash-y"]


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


class RecordingManager:
    """Stands in for the management API: records what the commands ask of it."""

    def __init__(self) -> None:
        self.users: list[str | None] = []  # the --user of each command
        self.renamed: list[tuple[str, str]] = []
        self.deleted: list[str] = []

    def rename(self, passkey_id: str, name: str) -> Any:
        self.renamed.append((passkey_id, name))
        return type("Renamed", (), {"id": passkey_id, "name": name})()

    def delete(self, passkey_id: str) -> None:
        self.deleted.append(passkey_id)

    def find(self, passkey_id: str) -> Any:
        return type("Found", (), {"id": passkey_id, "name": "Laptop"})()


@pytest.fixture
def manager(monkeypatch: pytest.MonkeyPatch) -> RecordingManager:
    recording = RecordingManager()

    def fake_manager(library: Any, settings: Any, username: str | None) -> RecordingManager:
        recording.users.append(username)
        return recording

    monkeypatch.setattr(passkeys_commands, "_manager", fake_manager)
    return recording


@pytest.mark.parametrize("passkey_id", IDS, ids=ID_NAMES)
def test_passkeys_rename_takes_an_id_starting_with_a_dash(
    manager: RecordingManager, passkey_id: str
) -> None:
    plain = run("passkeys", "rename", passkey_id, "Laptop")
    assert plain.exit_code == 0, plain.output
    options_after = run("passkeys", "rename", passkey_id, "Phone", "--user", "alice")
    assert options_after.exit_code == 0, options_after.output
    options_before = run("passkeys", "rename", "--user", "bob", "--debug", passkey_id, "Key")
    assert options_before.exit_code == 0, options_before.output
    separated = run("passkeys", "rename", "--user", "carol", "--", passkey_id, "-Odd name")
    assert separated.exit_code == 0, separated.output

    assert manager.renamed == [
        (passkey_id, "Laptop"),
        (passkey_id, "Phone"),
        (passkey_id, "Key"),
        (passkey_id, "-Odd name"),
    ]
    assert manager.users == [None, "alice", "bob", "carol"]
    assert f"Renamed {passkey_id} to 'Laptop'." in plain.stderr


@pytest.mark.parametrize("passkey_id", IDS, ids=ID_NAMES)
def test_passkeys_delete_takes_an_id_starting_with_a_dash(
    manager: RecordingManager, passkey_id: str
) -> None:
    asked = run("passkeys", "delete", passkey_id, input="y\n")
    assert asked.exit_code == 0, asked.output
    assert f"Delete passkey 'Laptop' ({passkey_id})?" in asked.stderr
    declined = run("passkeys", "delete", passkey_id, input="n\n")
    assert declined.exit_code == 1
    assert run("passkeys", "delete", passkey_id, "--yes").exit_code == 0
    assert run("passkeys", "delete", "--yes", "--", passkey_id).exit_code == 0
    assert manager.deleted == [passkey_id] * 3


def store_with(path: Path, credential_ids: list[str]) -> FileCredentialStore:
    store = FileCredentialStore(path)
    template = StoredCredential.generate(
        rp_id="localhost", user_id=b"user", algorithm=ES256.ALGORITHM, discoverable=False
    )
    for text in credential_ids:
        store.add_credential(dataclasses.replace(template, credential_id=websafe_decode(text)))
    return store


def listed(path: Path) -> list[str]:
    shown = run("soft", "list", str(path), "-o", "json")
    assert shown.exit_code == 0, shown.output
    return [row["credential_id"] for row in json.loads(shown.stdout)]


def test_soft_delete_takes_ids_starting_with_a_dash(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    store_with(path, IDS)
    assert sorted(listed(path)) == sorted(IDS)

    for number, credential_id in enumerate(IDS):
        if number % 3 == 0:
            result = run("soft", "delete", str(path), credential_id, "--yes")
        elif number % 3 == 1:
            result = run("soft", "delete", "--yes", str(path), credential_id)
        else:
            result = run("soft", "delete", "--yes", "--", str(path), credential_id)
        assert result.exit_code == 0, result.output
        assert f"Deleted credential {credential_id}." in result.stderr
        assert credential_id not in listed(path)
    assert listed(path) == []


def test_soft_delete_asks_about_the_dash_id_it_was_given(tmp_path: Path) -> None:
    path = tmp_path / "key.json"
    store_with(path, [IDS[2]])
    declined = run("soft", "delete", str(path), IDS[2], input="n\n")
    assert declined.exit_code == 1
    assert f"Delete credential {IDS[2]}?" in declined.stderr
    assert listed(path) == [IDS[2]]
    missing = run("soft", "delete", str(path), IDS[0], "--yes")
    assert missing.exit_code == exit_codes.FAILURE
    assert f"no credential {IDS[0]}" in missing.output
    assert listed(path) == [IDS[2]]


@pytest.mark.parametrize(
    "command", [["passkeys", "rename"], ["passkeys", "delete"], ["soft", "delete"]]
)
def test_help_still_works_and_mentions_the_separator(command: list[str]) -> None:
    for flag in ("-h", "--help"):
        shown = run(*command, flag)
        assert shown.exit_code == 0, shown.output
        assert shown.stdout.startswith("Usage:")
        assert "may start with '-'" in shown.stdout
        assert "`--`" in shown.stdout


def test_a_mistyped_option_is_reported_as_an_argument(manager: RecordingManager) -> None:
    result = run("passkeys", "delete", "--yse", IDS[0])
    assert result.exit_code == exit_codes.USAGE
    assert "unexpected extra argument" in result.output
    assert "'--yse'" in result.output and "not an option of this command" in result.output
    assert manager.deleted == []


def test_options_that_take_a_value_take_the_next_word(manager: RecordingManager) -> None:
    """``--user -abc`` is the user ``-abc``; the id after it is still the id."""
    result = run("passkeys", "rename", "--user", "-abc", IDS[0], "Laptop")
    assert result.exit_code == 0, result.output
    assert manager.users == ["-abc"]
    assert manager.renamed == [(IDS[0], "Laptop")]
    assert run("passkeys", "rename", "--user=-abc", IDS[1], "Phone").exit_code == 0
    assert manager.renamed[-1] == (IDS[1], "Phone")
