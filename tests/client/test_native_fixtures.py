"""The pytest plugin's fixtures on a native-passkey pool: an inner pytest run whose profile
points at the loopback pool (tests/native_server.py) with ``--passkey-flow native``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cognito_passkey.client.config import write_profile
from cognito_passkey.client.errors import ConfigurationError
from cognito_passkey.testing.target import PoolTarget
from cognito_passkey.testing.users import UserPool
from native_server import NativePool, native_server

from .native_support import RP_ID

INNER_TESTS = """
from cognito_passkey.client.native import NativePasskeyClient


def test_a_signed_in_native_user(passkey_user, passkey_tokens):
    assert isinstance(passkey_user.client, NativePasskeyClient)
    claims = passkey_user.client.verify_token(passkey_tokens.id_token)
    assert claims["cognito:username"] == passkey_user.username
    [passkey] = passkey_user.passkeys()
    assert passkey.id


def test_session_tokens(passkey_session_user, passkey_session_tokens):
    assert passkey_session_user.tokens() is passkey_session_tokens
"""


@pytest.fixture
def pool() -> Iterator[NativePool]:
    with native_server() as server:
        yield server


@pytest.fixture
def profile(pool: NativePool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    config = tmp_path / "cfg" / "config.ini"
    monkeypatch.setenv("COGNITO_PASSKEY_CONFIG", str(config))
    monkeypatch.delenv("COGNITO_PASSKEY_PROFILE", raising=False)
    settings = {
        "user_pool_id": pool.user_pool_id,
        "client_id": pool.client_id,
        "region": pool.region,
        "endpoint_url": pool.url,
        "rp_id": RP_ID,
    }
    write_profile("native", settings, path=config)
    return "native"


def test_the_fixtures_give_a_signed_in_native_user(
    pytester: pytest.Pytester, pool: NativePool, profile: str
) -> None:
    pytester.makepyfile(test_native=INNER_TESTS)
    result = pytester.runpytest(
        "--passkey-profile", profile, "--passkey-flow", "native", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2)
    assert pool.users == {}  # every user the fixtures made is deleted again
    assert "AdminDeleteUser" in pool.calls and "CompleteWebAuthnRegistration" in pool.calls


def test_without_the_native_flow_the_fixtures_use_the_custom_flow(
    pytester: pytest.Pytester, pool: NativePool, profile: str
) -> None:
    pytester.makepyfile(test_native=INNER_TESTS)
    result = pytester.runpytest("--passkey-profile", profile, "-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    assert "USER_SRP_AUTH" in result.stdout.str()  # SRP is refused: this pool is native


def test_a_native_flow_with_the_local_aws_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--passkey-local", "--passkey-flow", "native")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*native passkeys need a profile*"])


def test_a_native_target_builds_native_users(pool: NativePool, tmp_path: Path) -> None:
    target = PoolTarget(
        user_pool_id=pool.user_pool_id,
        client_id=pool.client_id,
        region=pool.region,
        rp_id=RP_ID,
        endpoint_url=pool.url,
        flow="native",
    )
    assert PoolTarget.from_json(target.to_json()).flow == "native"
    users = UserPool(target, worker="gw0", tmp_dir=tmp_path)
    user = users.user()
    assert user.sign_in().id_token and len(user.passkeys()) == 1
    users.delete(user)
    assert pool.users == {}


def test_an_unknown_flow_is_a_configuration_error() -> None:
    from cognito_passkey.testing.target import check_flow

    with pytest.raises(ConfigurationError, match="flow must be custom or native"):
        check_flow("webauthn", source="profile x")
