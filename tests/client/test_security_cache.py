"""The token cache and the config file trust only what this user alone could have written.

Handler-level (no local AWS): planting a file in someone's cache directory is a local
attack on the disk, which the local AWS plays no part in; the pool here is the test
pool's JWKS on loopback, so ``token --verify`` would accept the planted tokens.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cognito_passkey.client import Tokens, config
from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.client.cli import cli
from cognito_passkey.client.errors import ConfigurationError

from .conftest import CLIENT_ID, ISSUER, POOL_ID, JwksServer, SigningKey, mint

NOBODY = 65534


def _tokens(key: SigningKey, username: str = "alice", **claims: Any) -> Tokens:
    """Tokens as the pool issues them to ``username``; ``claims`` override both tokens'."""
    access_claims = {k: v for k, v in claims.items() if k != "aud"}
    id_claims = {k: v for k, v in claims.items() if k != "client_id"}
    return Tokens(
        id_token=mint(key, username=username, **id_claims),
        access_token=mint(key, username=username, token_use="access", **access_claims),
        refresh_token="refresh",
        expires_at=int(time.time()) + 3600,
    )


@pytest.fixture
def profile(jwks_server: JwksServer, tmp_path: Path) -> CacheKey:
    """The default profile, its endpoint the test pool's JWKS (``--verify`` passes)."""
    config.write_profile(
        "default",
        {
            "user_pool_id": POOL_ID,
            "client_id": CLIENT_ID,
            "endpoint_url": jwks_server.url,
            "rp_id": "localhost",
            "authenticator": f"soft:{tmp_path / 'key.json'}",
        },
    )
    return CacheKey("default", POOL_ID, CLIENT_ID, jwks_server.url)


@pytest.fixture
def shared_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / "shared-cache"
    monkeypatch.setenv("COGNITO_PASSKEY_CACHE_DIR", str(directory))
    yield directory
    if directory.exists():
        os.chmod(directory, 0o700)


def _token_verify() -> Any:
    return CliRunner().invoke(cli, ["token", "alice", "--verify", "--cached-only"])


@pytest.mark.parametrize(
    ("mode", "owner", "problem"),
    [
        (0o777, None, "other users may write"),
        (0o1777, None, "other users may write"),  # sticky: still anyone may add a file
        (0o770, None, "group or other users may write"),
        (0o700, NOBODY, "owned by another user"),
    ],
    ids=["world-writable", "sticky", "group-writable", "other-owner"],
)
def test_token_planted_in_an_unsafe_cache_dir_is_refused(
    profile: CacheKey,
    shared_cache: Path,
    signing_key: SigningKey,
    mode: int,
    owner: int | None,
    problem: str,
) -> None:
    planted = _tokens(signing_key)
    TokenCache(shared_cache).save(profile, "alice", planted)  # as another user would plant it
    os.chmod(shared_cache, mode)
    if owner is not None:
        if os.geteuid() != 0:
            pytest.skip("only root can give a directory to another user")
        os.chown(shared_cache, owner, -1)

    result = _token_verify()

    assert result.exit_code == 5, result.stderr
    printed = planted.id_token in result.output or bool(result.stdout)
    assert not printed, "nothing may reach stdout (the token stays out of the report too)"
    assert str(shared_cache) in result.stderr and problem in result.stderr
    assert "chmod 700" in result.stderr
    with pytest.raises(ConfigurationError, match="chmod 700"):
        TokenCache(shared_cache).load(profile, "alice")
    with pytest.raises(ConfigurationError, match="chmod 700"):
        TokenCache(shared_cache).save(profile, "alice", planted)


def test_the_same_tokens_in_a_private_dir_are_printed(
    profile: CacheKey, shared_cache: Path, signing_key: SigningKey
) -> None:
    """The control for the test above: only the directory's mode differs."""
    saved = _tokens(signing_key)
    TokenCache(shared_cache).save(profile, "alice", saved)
    result = _token_verify()
    assert result.exit_code == 0, result.stderr
    printed = result.stdout.strip() == saved.id_token
    assert printed, "the cached ID token is printed"


def test_a_token_file_others_may_write_is_refused(
    profile: CacheKey, shared_cache: Path, signing_key: SigningKey
) -> None:
    path = TokenCache(shared_cache).save(profile, "alice", _tokens(signing_key))
    os.chmod(path, 0o666)  # noqa: S103 - the unsafe file under test
    result = _token_verify()
    assert result.exit_code == 5, result.stderr
    assert str(path) in result.stderr and "chmod 600" in result.stderr


def test_an_unsafe_config_dir_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "shared-config"
    monkeypatch.setenv("COGNITO_PASSKEY_CONFIG", str(directory / "config.ini"))
    config.write_profile("default", {"user_pool_id": POOL_ID, "client_id": CLIENT_ID})
    os.chmod(directory, 0o777)  # noqa: S103 - the unsafe directory under test
    try:
        with pytest.raises(ConfigurationError, match=r"chmod 700") as caught:
            config.load_profile("default")
        assert str(directory) in str(caught.value)
        with pytest.raises(ConfigurationError, match=r"chmod 700"):
            config.write_profile("other", {"client_id": CLIENT_ID})
        result = CliRunner().invoke(cli, ["config", "show"])
        assert result.exit_code == 5 and "chmod 700" in result.stderr
    finally:
        os.chmod(directory, 0o700)


@pytest.fixture
def no_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("no_umask")
def test_missing_parents_are_made_0700_under_umask_000(
    tmp_path: Path, signing_key: SigningKey
) -> None:
    key = CacheKey("default", POOL_ID, CLIENT_ID)
    cache_dir = tmp_path / "a" / "b" / "tokens"
    path = TokenCache(cache_dir).save(key, "alice", _tokens(signing_key))
    config_file = tmp_path / "c" / "d" / "config.ini"
    config.write_profile("default", {"client_id": CLIENT_ID}, path=config_file)
    made = [
        tmp_path / "a",
        tmp_path / "a" / "b",
        cache_dir,
        tmp_path / "c",
        tmp_path / "c" / "d",
    ]
    assert {str(d): stat.S_IMODE(d.stat().st_mode) for d in made} == {str(d): 0o700 for d in made}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("username", "claims"),
    [
        ("bob", {}),  # Bob's tokens filed under Alice's name
        ("alice", {"iss": ISSUER.replace("TestPool1", "OtherPool9")}),
        ("alice", {"aud": "anotherclient"}),
        ("alice", {"client_id": "anotherclient"}),
        ("alice", {"aud": "anotherclient", "client_id": "anotherclient"}),
    ],
    ids=[
        "other-user",
        "other-pool",
        "other-client-id-token",
        "other-client-access",
        "other-client",
    ],
)
def test_an_entry_whose_tokens_name_someone_else_is_not_used(
    tmp_path: Path, signing_key: SigningKey, username: str, claims: dict[str, Any]
) -> None:
    cache = TokenCache(tmp_path / "cache")
    key = CacheKey("default", POOL_ID, CLIENT_ID)
    path = cache.save(key, "alice", _tokens(signing_key, username, **claims))
    assert cache.load(key, "alice") is None
    assert path.exists()  # not used, not destroyed: the next sign-in replaces it


def test_swapped_tokens_and_non_jwts_are_not_used(tmp_path: Path, signing_key: SigningKey) -> None:
    cache = TokenCache(tmp_path / "cache", warn=lambda _message: None)
    key = CacheKey("default", POOL_ID, CLIENT_ID)
    good = _tokens(signing_key)
    swapped = Tokens(good.access_token, good.id_token, "r", good.expires_at)
    cache.save(key, "alice", swapped)
    assert cache.load(key, "alice") is None
    cache.save(key, "alice", Tokens("id.x.y", "acc.x.y", "r", good.expires_at))
    assert cache.load(key, "alice") is None


def test_an_alias_of_the_user_is_the_user(tmp_path: Path, signing_key: SigningKey) -> None:
    """Signed in by email (an alias pool): the token's cognito:username is the internal name."""
    cache = TokenCache(tmp_path / "cache")
    key = CacheKey("default", POOL_ID, CLIENT_ID)
    internal = "7d8c6c1e-0000-4000-8000-00000000a11c"
    saved = _tokens(signing_key, internal, email="Alice@Example.com")
    cache.save(key, "alice@example.com", saved)
    entry = cache.load(key, "alice@example.com")
    assert entry is not None and entry.tokens == saved
