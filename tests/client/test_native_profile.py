"""``flow = native`` in a profile: the real CLI, as a user runs it (no client handed in), signs
in, adds, lists and deletes passkeys on a native-passkey pool (the loopback pool, over boto3's
real HTTP stack), and refuses what a native pool cannot do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cognito_passkey.client import config, exit_codes
from cognito_passkey.client.cli import cli
from native_server import NativePool, native_server

from .native_support import PASSWORD, RP_ID, admin


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[NativePool]:
    with native_server() as server:
        api = admin(server)
        api.admin_create_user(
            UserPoolId=server.user_pool_id, Username="erin", MessageAction="SUPPRESS"
        )
        api.admin_set_user_password(
            UserPoolId=server.user_pool_id, Username="erin", Password=PASSWORD, Permanent=True
        )
        config.write_profile(
            "native",
            {
                "user_pool_id": server.user_pool_id,
                "client_id": server.client_id,
                "region": server.region,
                "endpoint_url": server.url,
                "rp_id": RP_ID,
                "authenticator": f"soft:{tmp_path / 'key.json'}",
                "flow": "native",
                "user": "erin",
            },
        )
        yield server


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--profile", "native"], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_a_native_profile_adds_signs_in_lists_and_deletes(pool: NativePool) -> None:
    code, _out, err = run(
        "add-passkey", "erin", "--password-stdin", "--create-store", stdin=PASSWORD
    )
    assert code == 0, err
    assert len(pool.users["erin"].credentials) == 1

    code, out, err = run("sign-in", "erin", "--force", "-o", "json")
    assert code == 0, err
    assert "passkey" in err
    assert json.loads(out)["refresh_token"]

    code, out, err = run("passkeys", "list", "-o", "json")
    assert code == 0, err
    listed = json.loads(out)
    assert [item["id"] for item in listed] == [c.id for c in pool.users["erin"].credentials]

    code, _out, err = run("passkeys", "delete", listed[0]["id"], "--yes")
    assert code == 0, err
    assert pool.users["erin"].credentials == []

    code, _out, err = run("sign-in", "erin", "--force")
    assert code != 0
    assert "add-passkey" in err


def test_the_token_cache_serves_a_native_pool_after_adding(pool: NativePool) -> None:
    assert run("add-passkey", "erin", "--password-stdin", "--create-store", stdin=PASSWORD)[0] == 0
    code, out, err = run("token", "--type", "all", "-o", "json")
    assert code == 0, err
    tokens = json.loads(out)
    assert tokens["refresh_token"]  # kept from the password sign-in: registration issues none
    assert "Token of erin" in err


def test_rename_and_naming_are_refused_on_a_native_pool(pool: NativePool) -> None:
    code, _out, err = run("passkeys", "rename", "some-id", "new name")
    assert code == exit_codes.USAGE
    assert "native pools cannot rename" in err
    code, _out, err = run(
        "add-passkey", "erin", "--password-stdin", "--name", "laptop", stdin=PASSWORD
    )
    assert code == exit_codes.USAGE
    assert "native pools cannot name" in err
    assert pool.users["erin"].credentials == []  # refused before any sign-in or touch


def test_a_flow_outside_the_two_is_a_configuration_error() -> None:
    with pytest.raises(config.ConfigurationError, match="flow must be custom or native"):
        config.write_profile("odd", {"flow": "passwordless"})
