"""One output vocabulary: ``-o text`` (a table with a header row; ``table`` still accepted),
``-o json``, and for tokens ``env`` and ``token``; an empty list is ``[]`` in JSON and, in
text, nothing on stdout with a ``No ...`` line on stderr."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli import cli
from cognito_passkey.client.cli_output import OUTPUT_HELP, emit_rows

from .cli_offline import Offline, offline_setup, stubbed_cognito
from .conftest import SigningKey


@pytest.fixture
def offline(signing_key: SigningKey, tmp_path: Path) -> Iterator[Offline]:
    with stubbed_cognito() as cognito:
        setup = offline_setup(cognito, signing_key, tmp_path)
        setup.signed_in()
        yield setup


def test_one_token_with_type_all_is_a_usage_error(offline: Offline) -> None:
    result = offline.run("token", offline.username, "-o", "token", "--type", "all")
    assert result.exit_code == exit_codes.USAGE
    assert result.stdout == ""
    assert result.stderr == "error: -o token prints one token: use --type id or --type access\n"


def test_env_always_carries_the_expiry(offline: Offline) -> None:
    entry = offline.cached()
    assert entry is not None
    for which, name in (("access", "COGNITO_ACCESS_TOKEN"), ("id", "COGNITO_ID_TOKEN")):
        result = offline.run("token", offline.username, "-o", "env", "--type", which)
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == [
            f"export {name}={getattr(entry.tokens, which + '_token')}",
            f"export COGNITO_TOKEN_EXPIRES_AT={entry.tokens.expires_at}",
        ]


def test_tokens_as_text_are_a_field_value_table(offline: Offline) -> None:
    entry = offline.cached()
    assert entry is not None
    result = offline.run("token", offline.username, "-o", "text", "--type", "access")
    assert result.stdout.splitlines() == [
        "field\tvalue",
        f"access_token\t{entry.tokens.access_token}",
    ]
    as_json = offline.run("token", offline.username, "-o", "json", "--type", "access")
    assert json.loads(as_json.stdout) == {"access_token": entry.tokens.access_token}


def _no_usb_key() -> bool:
    from fido2.hid import list_descriptors

    return not list(list_descriptors())  # type: ignore[no-untyped-call]


@pytest.mark.skipif(not _no_usb_key(), reason="a FIDO key is plugged in")
def test_devices_without_a_key_print_an_empty_list_and_exit_4() -> None:
    runner = CliRunner()
    as_json = runner.invoke(cli, ["devices", "-o", "json"])
    assert as_json.exit_code == exit_codes.NO_AUTHENTICATOR
    assert json.loads(as_json.stdout) == []
    assert as_json.stderr.startswith("error: ")
    text = runner.invoke(cli, ["devices"])
    assert text.exit_code == exit_codes.NO_AUTHENTICATOR
    assert text.stdout == ""  # the error line says there is none
    table = runner.invoke(cli, ["devices", "-o", "table"])  # the old spelling still works
    assert table.exit_code == exit_codes.NO_AUTHENTICATOR and table.stdout == text.stdout


def test_soft_list_and_info_have_headers(offline: Offline) -> None:
    runner = CliRunner()
    store = offline.store
    assert runner.invoke(cli, ["soft", "create", str(store)]).exit_code == 0
    empty = runner.invoke(cli, ["soft", "list", str(store)])
    assert empty.exit_code == 0, empty.output
    assert (empty.stdout, empty.stderr) == ("", "No credentials.\n")  # every list's rule
    assert runner.invoke(cli, ["soft", "list", str(store), "-o", "json"]).stdout == "[]\n"
    offline.enrol()
    listed = runner.invoke(cli, ["soft", "list", str(store)]).stdout.splitlines()
    assert listed[0] == "credential_id\trp_id\tuser_name\tcreated_at\tsign_count"
    assert len(listed) == 2 and listed[1].split("\t")[1:3] == ["localhost", offline.username]
    info = runner.invoke(cli, ["soft", "info", str(store), "-o", "table"])
    assert info.exit_code == 0, info.output
    lines = info.stdout.splitlines()
    assert lines[0] == "field\tvalue"
    assert "pin_set\tfalse" in lines and "credentials\t1" in lines
    as_json = runner.invoke(cli, ["soft", "info", str(store), "-o", "json"])
    assert json.loads(as_json.stdout)["credentials"] == 1


def test_rows_are_one_line_each_with_a_header(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"id": "a", "name": "tab\there", "last": None, "ok": True, "t": ("x", "y")}]
    emit_rows(rows, ("id", "name", "last", "ok", "t"), "text")
    assert capsys.readouterr().out == "id\tname\tlast\tok\tt\na\ttab here\t-\ttrue\tx,y\n"


@pytest.mark.parametrize(
    "command",
    [["token"], ["sign-in"], ["devices"], ["soft", "list"], ["soft", "info"], ["passkeys", "list"]],
)
def test_every_output_option_tells_the_same_vocabulary(command: list[str]) -> None:
    shown = CliRunner().invoke(cli, [*command, "--help"], terminal_width=400)
    assert shown.exit_code == 0
    assert " ".join(OUTPUT_HELP.split()) in " ".join(shown.stdout.split())
    assert "[table" not in shown.stdout  # the alias is accepted, never advertised
