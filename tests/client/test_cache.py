"""The token cache on disk and the cache > refresh > passkey order."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import PasskeyClient, Tokens
from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.client.errors import AuthenticationError, ConfigurationError
from cognito_passkey.client.session import obtain_tokens

from .conftest import CLIENT_ID, POOL_ID, closed_url
from .fake_cognito import ORIGIN, RP_ID, FakeCognito

KEY = CacheKey(profile="default", user_pool_id=POOL_ID, client_id=CLIENT_ID)


def tokens(expires_in: int = 3600, refresh: str | None = "rt") -> Tokens:
    return Tokens("id.x.y", "acc.x.y", refresh, int(time.time()) + expires_in)


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
    assert cache.latest(other_pool) is None


def test_latest_is_the_most_recent_user(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.save(KEY, "alice", tokens())
    cache.save(KEY, "bob", tokens())
    latest = cache.latest(KEY)
    assert latest is not None and latest.username == "bob"
    assert cache.delete(KEY, "bob")
    assert not cache.delete(KEY, "bob")
    again = cache.latest(KEY)
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


def offline_client(authenticator: Any) -> PasskeyClient:
    """A client whose endpoint is a closed port: any network use fails."""
    return PasskeyClient(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        authenticator=authenticator,
        endpoint_url=closed_url(),
        rp_id=RP_ID,
    )


def test_valid_cache_needs_no_network_and_no_key(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.save(KEY, "alice", tokens())
    key = NoKey()
    got = obtain_tokens(offline_client(key), cache, KEY, "alice")
    assert got.source == "cache" and got.tokens.id_token == "id.x.y"
    got = obtain_tokens(offline_client(key), cache, KEY, None)
    assert got.username == "alice"
    assert key.asked == 0


def test_token_inside_the_skew_margin_is_not_used(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.save(KEY, "alice", tokens(expires_in=30, refresh=None))
    with pytest.raises(AuthenticationError, match="sign in"):
        obtain_tokens(offline_client(NoKey()), cache, KEY, "alice", use_key=False)


def fake_client(fake: FakeCognito, authenticator: Any) -> PasskeyClient:
    return PasskeyClient(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        authenticator=authenticator,
        endpoint_url=fake.url,
        origin=ORIGIN,
        rp_id=RP_ID,
        client_secret=fake.client_secret,
    )


@pytest.mark.parametrize("secret", [None, "sekrit"])
def test_expired_token_is_refreshed_before_the_key(
    make_cognito: Any, tmp_path: Path, secret: str | None
) -> None:
    fake = make_cognito(client_secret=secret)
    user = fake.add_user("alice")
    issued = fake.issue(user, lifetime=-5)
    cache = TokenCache(tmp_path)
    stale = Tokens.from_authentication_result(issued)
    cache.save(KEY, "alice", stale)
    key = NoKey()
    got = obtain_tokens(fake_client(fake, key), cache, KEY, "alice")
    assert got.source == "refresh"
    assert key.asked == 0
    assert got.tokens.refresh_token == issued["RefreshToken"]
    assert fake.ops() == ["InitiateAuth"]
    assert fake.calls[0][1]["AuthFlow"] == "REFRESH_TOKEN_AUTH"
    saved = cache.load(KEY, "alice")
    assert saved is not None and saved.tokens.id_token == got.tokens.id_token
    assert json.loads(json.dumps(saved.tokens.to_dict()))["refresh_token"] == issued["RefreshToken"]


def test_failed_refresh_falls_back_to_the_key(make_cognito: Any, tmp_path: Path) -> None:
    fake = make_cognito()
    auth = SoftAuthenticator()
    client = fake_client(fake, auth)
    user = fake.add_user("alice")
    client.add_passkey("alice", fake.issue(user)["IdToken"])
    cache = TokenCache(tmp_path)
    cache.save(KEY, "alice", tokens(expires_in=-10, refresh="rt-revoked"))
    notes: list[str] = []
    got = obtain_tokens(client, cache, KEY, "alice", notify=notes.append)
    assert got.source == "passkey"
    assert notes and "refresh failed" in notes[0]
    assert client.verify_token(got.tokens.id_token)["cognito:username"] == "alice"


def test_no_username_and_no_cache(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no username"):
        obtain_tokens(offline_client(NoKey()), TokenCache(tmp_path), KEY, None)


def test_tokens_repr_hides_tokens() -> None:
    text = repr(tokens())
    assert (
        "id.x.y" not in text and "acc.x.y" not in text and "rt" not in text.replace("expires", "")
    )
