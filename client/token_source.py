"""Getting valid tokens the cheapest way: cache, then refresh, then the passkey.

A cached token still valid (beyond a clock-skew margin) is returned without any
network call or touch of the key. An expired one is refreshed with its refresh
token first; only when that fails is the authenticator asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.client.errors import (
    AuthenticationError,
    ConfigurationError,
    PasskeyClientError,
)
from cognito_passkey.client.tokens import Tokens, internal_username

if TYPE_CHECKING:
    from cognito_passkey.client.passkey_client import PasskeyClient

ClientSource: TypeAlias = "PasskeyClient | Callable[[], PasskeyClient]"
"""A client, or how to make one: a cache hit never needs one, so the CLI passes a factory
and the run never imports the exchange, boto3 or the authenticator."""

CLOCK_SKEW_SECONDS: Final = 60.0

Source = Literal["cache", "refresh", "passkey"]


@dataclass(frozen=True)
class Obtained:
    """Tokens and where they came from."""

    username: str
    tokens: Tokens
    source: Source


def obtain_tokens(
    client: ClientSource,
    cache: TokenCache,
    key: CacheKey,
    username: str,
    *,
    use_key: bool = True,
    force_key: bool = False,
    margin: float = CLOCK_SKEW_SECONDS,
    notify: Callable[[str], None] = lambda _message: None,
) -> Obtained:
    """Valid tokens for ``username``: never anyone else's (an empty name is refused).

    ``client`` may be a factory, called only when the cache cannot answer alone.
    """
    if not username or not username.strip():
        raise ConfigurationError("no username given")
    name = username
    entry = None if force_key else cache.load(key, name)
    if entry is not None:
        if not entry.tokens.expires_within(margin):
            return Obtained(name, entry.tokens, "cache")
        if entry.tokens.refresh_token:
            try:
                refreshed = _made(client).refresh(
                    entry.tokens.refresh_token, username=_internal_name(entry.tokens, name)
                )
            except PasskeyClientError as exc:
                notify(f"refresh failed ({exc}); using the passkey")
            else:
                cache.save(key, name, refreshed)
                return Obtained(name, refreshed, "refresh")
    if not use_key:
        raise AuthenticationError(
            f"no valid cached token for {name!r} in profile {key.profile!r}: sign in first"
        )
    tokens = _made(client).sign_in_passkey(name)
    cache.save(key, name, tokens)
    return Obtained(name, tokens, "passkey")


def _made(client: ClientSource) -> PasskeyClient:
    from cognito_passkey.client.passkey_client import PasskeyClient

    return client if isinstance(client, PasskeyClient) else client()


def _internal_name(tokens: Tokens, fallback: str) -> str:
    """``cognito:username`` of the ID token (what a refresh names), else ``fallback``."""
    try:
        return internal_username(tokens)
    except PasskeyClientError:
        return fallback
