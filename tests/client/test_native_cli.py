"""The CLI's commands on a native-passkey pool, with the client the CLI builds for
``flow = native`` (handed in through ``ctx.obj``, as ``build_client`` will choose it), against
the loopback pool over boto3's real HTTP stack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import config, exit_codes
from cognito_passkey.client.cli import cli
from cognito_passkey.client.cli_support import Library
from cognito_passkey.client.config import Settings
from cognito_passkey.client.native import NativePasskeyClient
from native_server import NativePool, native_server

from .native_support import PASSWORD, RP_ID, admin


@pytest.fixture
def pool() -> Iterator[NativePool]:
    with native_server() as server:
        yield server


@pytest.fixture
def library(pool: NativePool, tmp_path: Path) -> Library:
    config.write_profile(
        "default",
        {
            "user_pool_id": pool.user_pool_id,
            "client_id": pool.client_id,
            "region": pool.region,
            "endpoint_url": pool.url,
            "rp_id": RP_ID,
        },
    )
    key = SoftAuthenticator(tmp_path / "key.json")

    def build(settings: Settings) -> NativePasskeyClient:
        assert settings.user_pool_id and settings.client_id
        return NativePasskeyClient(
            user_pool_id=settings.user_pool_id,
            client_id=settings.client_id,
            region=settings.region,
            client_secret=settings.client_secret,
            authenticator=key,
            origin=settings.origin,
            rp_id=settings.rp_id,
            endpoint_url=settings.endpoint_url,
        )

    api = admin(pool)
    api.admin_create_user(UserPoolId=pool.user_pool_id, Username="dana", MessageAction="SUPPRESS")
    api.admin_set_user_password(
        UserPoolId=pool.user_pool_id, Username="dana", Password=PASSWORD, Permanent=True
    )
    return Library(client=build)


def test_add_passkey_then_sign_in_and_token(library: Library, pool: NativePool) -> None:
    runner = CliRunner()
    added = runner.invoke(
        cli,
        ["add-passkey", "dana", "--password-stdin"],
        input=PASSWORD + "\n",
        obj=library,
    )
    assert added.exit_code == 0, added.output
    assert len(pool.users["dana"].credentials) == 1
    signed = runner.invoke(cli, ["sign-in", "dana", "--force"], obj=library)
    assert signed.exit_code == 0, signed.output
    token = runner.invoke(cli, ["token", "dana", "--verify"], obj=library)
    assert token.exit_code == 0, token.output
    assert token.stdout.count(".") == 2  # one JWT on stdout


def test_unknown_user_exits_with_auth_failed(library: Library) -> None:
    result = CliRunner().invoke(cli, ["sign-in", "nobody", "--force"], obj=library)
    assert result.exit_code == exit_codes.AUTH_FAILED
    assert "no such user" in result.output
