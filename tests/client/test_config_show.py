"""``config show`` says where each setting came from, like ``aws configure list``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cognito_passkey.client import config, setting_names

from .cli_offline import Offline, offline_setup, stubbed_cognito
from .conftest import SigningKey


@pytest.fixture
def offline(signing_key: SigningKey, tmp_path: Path) -> Iterator[Offline]:
    with stubbed_cognito() as cognito:
        yield offline_setup(cognito, signing_key, tmp_path)


def _rows(text: str) -> dict[str, tuple[str, str]]:
    lines = text.splitlines()
    assert lines[0].split() == ["NAME", "VALUE", "SOURCE"]
    rows = {}
    for line in lines[1:]:
        name, value, *source = re.split(r"\s{2,}", line, maxsplit=2)
        rows[name] = (value, source[0] if source else "")
    return rows


def test_text_table_names_the_source_of_each_value(offline: Offline) -> None:
    config.write_profile("ci", {"user_pool_id": "us-east-1_Prof1", "client_secret": "abc"})
    env = {"COGNITO_PASSKEY_CLIENT_ID": "from-env"}
    result = offline.run(
        "config", "show", "-o", "text", "--profile", "ci", "--rp-id", "r.example", env=env
    )
    assert result.exit_code == 0, result.output
    assert "abc" not in result.stdout
    rows = _rows(result.stdout)
    where = f"profile ci in {config.config_path()}"
    assert rows["profile"] == ("ci", "flag")
    assert rows["user_pool_id"] == ("us-east-1_Prof1", where)
    assert rows["client_id"] == ("from-env", "environment COGNITO_PASSKEY_CLIENT_ID")
    assert rows["rp_id"] == ("r.example", "flag")
    assert rows["region"] == ("us-east-1", "derived from user_pool_id")
    assert rows["client_secret"] == ("********", where)
    assert rows["authenticator"] == ("usb", "default")
    assert rows["origin"] == ("<not set>", "-")


def test_json_keeps_its_keys_and_adds_sources_and_the_authenticator(offline: Offline) -> None:
    result = offline.run("config", "show", "-o", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["user_pool_id"] == offline.user_pool_id
    assert shown["authenticator"] == f"soft:{offline.store}"
    assert shown["effective_authenticator"] == f"soft:{offline.store}"
    assert shown["config_file"] == str(config.config_path())
    assert shown["sources"]["user_pool_id"] == f"profile default in {config.config_path()}"
    assert shown["sources"]["profile"] == "default"
    for key in setting_names.PROFILE_KEYS:
        assert key in shown


def test_piped_output_defaults_to_json(offline: Offline) -> None:
    # CliRunner's stdout is no terminal: scripts that parse the JSON keep working.
    shown = json.loads(offline.run("config", "show").stdout)
    assert shown["sources"]["profile"] == "default"
