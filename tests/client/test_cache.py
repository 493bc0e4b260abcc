"""The token cache on disk, and the cache > refresh > passkey order against the real local
user pool (a cache hit with the pool unreachable, a refresh before the key)."""

from __future__ import annotations

import json
import stat
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.client import PasskeyClient, Tokens
from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.client.errors import AuthenticationError, ConfigurationError
from cognito_passkey.client.token_source import obtain_tokens
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import PASSWORD, SecretClient, new_user, passkey_client

from .conftest import CLIENT_ID, ISSUER, POOL_ID, closed_url
from .pools import enrol
from .wire import Wire

KEY = CacheKey(profile="default", user_pool_id=POOL_ID, client_id=CLIENT_ID)


def unsigned_token(*, username: str, token_use: str = "id") -> str:  # noqa: S107 - a kind
    """A Cognito-shaped token nobody signed: the cache reads claims, it never verifies."""
    import jwt

    audience = {"aud": CLIENT_ID} if token_use == "id" else {"client_id": CLIENT_ID}
    user = {"cognito:username": username} if token_use == "id" else {"username": username}
    claims = {"iss": ISSUER, "token_use": token_use, **audience, **user}
    return jwt.encode(claims, None, algorithm="none")


def tokens(expires_in: int = 3600, refresh: str | None = "rt", username: str = "alice") -> Tokens:
    """Tokens shaped like the pool's for ``username`` (the cache reads whose they are)."""
    return Tokens(
        unsigned_token(username=username),
        unsigned_token(username=username, token_use="access"),
        refresh,
        int(time.time()) + expires_in,
    )


class NoKey:
    """An authenticator that fails the test if it is ever asked."""

    def __init__(self) -> None:
        self.asked = 0

    def get(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
        self.asked += 1
        raise AssertionError("the key must not be asked")

    def create(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
        raise AssertionError("the key must not be asked")


def test_save_and_load_private_atomic(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "c")
    saved = tokens()
    path = cache.save(KEY, "alice", saved)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    entry = cache.load(KEY, "alice")
    assert entry is not None and entry.tokens == saved
    assert entry.username == "alice"
    assert "alice" not in path.name  # usernames are hashed into names
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


def test_scope_separates_pools_and_users(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.save(KEY, "alice", tokens())
    other_pool = CacheKey("default", "eu-west-1_Other", CLIENT_ID)
    assert cache.load(other_pool, "alice") is None
    assert cache.load(KEY, "bob") is None


def test_delete_forgets_one_user(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.save(KEY, "alice", tokens())
    cache.save(KEY, "bob", tokens(username="bob"))
    assert cache.delete(KEY, "bob")
    assert not cache.delete(KEY, "bob")
    assert cache.load(KEY, "bob") is None
    again = cache.load(KEY, "alice")
    assert again is not None and again.username == "alice"


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"version": 99}', b'{"version": 1, "tokens": {}}', b"\xff\xfe"],
)
def test_damaged_file_is_ignored_with_a_warning(tmp_path: Path, content: bytes) -> None:
    warnings: list[str] = []
    cache = TokenCache(tmp_path, warn=warnings.append)
    path = cache.save(KEY, "alice", tokens())
    path.write_bytes(content)
    assert cache.load(KEY, "alice") is None
    assert len(warnings) == 1 and "damaged" in warnings[0] and str(path) in warnings[0]
    cache.save(KEY, "alice", tokens())  # disposable: the next sign-in replaces it
    assert cache.load(KEY, "alice") is not None


def test_default_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COGNITO_PASSKEY_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert TokenCache().directory == tmp_path / "elsewhere"


def offline_client(authenticator: Any, deployment: Deployment | None = None) -> PasskeyClient:
    """A client whose endpoint is a closed port: any network use fails."""
    return PasskeyClient(
        user_pool_id=deployment.user_pool_id if deployment else POOL_ID,
        client_id=deployment.client_id if deployment else CLIENT_ID,
        authenticator=authenticator,
        endpoint_url=closed_url(),
        rp_id="localhost",
    )


def key_for(deployment: Deployment, client_id: str | None = None) -> CacheKey:
    return CacheKey("default", deployment.user_pool_id, client_id or deployment.client_id)


def test_valid_cache_needs_no_network_and_no_key(
    tmp_path: Path, selfhosted: Deployment, password_user: str
) -> None:
    issued = passkey_client(selfhosted).sign_in_password(password_user, PASSWORD)
    cache = TokenCache(tmp_path)
    key = key_for(selfhosted)
    cache.save(key, password_user, issued)
    no_key = NoKey()
    offline = offline_client(no_key, selfhosted)  # the pool is unreachable from here on
    got = obtain_tokens(offline, cache, key, password_user)
    assert got.source == "cache" and got.tokens == issued
    assert got.username == password_user
    with pytest.raises(ConfigurationError, match="no username"):
        obtain_tokens(offline, cache, key, "")  # never "whoever signed in last"
    assert no_key.asked == 0
    claims = passkey_client(selfhosted).verify_token(got.tokens.id_token)
    assert claims["cognito:username"] == password_user


def test_token_inside_the_skew_margin_is_not_used(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.save(KEY, "alice", tokens(expires_in=30, refresh=None))
    with pytest.raises(AuthenticationError, match="sign in"):
        obtain_tokens(offline_client(NoKey()), cache, KEY, "alice", use_key=False)


@pytest.mark.parametrize("with_secret", [False, True], ids=["public", "secret"])
def test_expired_token_is_refreshed_before_the_key(
    selfhosted_secret_client: SecretClient, idp: Any, tmp_path: Path, with_secret: bool
) -> None:
    app = selfhosted_secret_client
    deployment = app.deployment
    options = app.options(with_secret)
    username = new_user(idp, deployment, "refresh-")
    issued = passkey_client(deployment, **options).sign_in_password(username, PASSWORD)
    stale = replace(issued, expires_at=int(time.time()) - 5)
    cache = TokenCache(tmp_path)
    key = key_for(deployment, options.get("client_id"))
    cache.save(key, username, stale)

    no_key = NoKey()
    client = passkey_client(deployment, no_key, **options)
    wire = Wire(client.api.client)
    got = obtain_tokens(client, cache, key, username)
    assert got.source == "refresh"
    assert no_key.asked == 0
    assert got.tokens.refresh_token == issued.refresh_token
    assert got.tokens.expires_at > time.time() + 60
    assert client.verify_token(got.tokens.id_token)["cognito:username"] == username
    assert wire.ops() == ["InitiateAuth"]
    assert wire.calls[0].request["AuthFlow"] == "REFRESH_TOKEN_AUTH"
    assert ("SECRET_HASH" in wire.calls[0].request["AuthParameters"]) is with_secret
    saved = cache.load(key, username)
    assert saved is not None and saved.tokens.id_token == got.tokens.id_token
    assert json.loads(json.dumps(saved.tokens.to_dict()))["refresh_token"] == issued.refresh_token


def test_failed_refresh_falls_back_to_the_key(
    selfhosted: Deployment, idp: Any, tmp_path: Path
) -> None:
    client = passkey_client(selfhosted)
    username, added = enrol(client, idp, selfhosted)
    client.sign_out(added.access_token, refresh_token=added.refresh_token)  # revoked for real
    cache = TokenCache(tmp_path)
    key = key_for(selfhosted)
    cache.save(key, username, replace(added, expires_at=int(time.time()) - 10))
    notes: list[str] = []
    wire = Wire(client.api.client)
    got = obtain_tokens(client, cache, key, username, notify=notes.append)
    assert got.source == "passkey"
    assert notes and "refresh failed" in notes[0]
    assert wire.calls[0].request["AuthFlow"] == "REFRESH_TOKEN_AUTH"
    assert wire.calls[1].request["AuthFlow"] == "CUSTOM_AUTH"
    assert client.verify_token(got.tokens.id_token)["cognito:username"] == username
    saved = cache.load(key, username)
    assert saved is not None and saved.tokens == got.tokens


def test_no_username_and_no_cache(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no username"):
        obtain_tokens(offline_client(NoKey()), TokenCache(tmp_path), KEY, None)


def test_tokens_repr_hides_tokens() -> None:
    text = repr(tokens())
    assert (
        "id.x.y" not in text and "acc.x.y" not in text and "rt" not in text.replace("expires", "")
    )
