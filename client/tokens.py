"""The tokens a sign-in returns, and the unverified peek the client needs.

``Tokens`` never shows a token in its ``repr``: printing a ``Tokens`` by mistake
(in a log line, a traceback) leaks nothing but its expiry.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cognito_passkey.client.errors import AuthenticationError, ProtocolError, TokenError


@dataclass(frozen=True)
class Tokens:
    """Cognito's tokens; ``expires_at`` is the access/ID tokens' expiry, Unix seconds (UTC)."""

    id_token: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: int = 0
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret

    @classmethod
    def from_authentication_result(
        cls,
        result: Mapping[str, Any],
        *,
        refresh_token: str | None = None,
        now: float | None = None,
    ) -> Tokens:
        """Build from Cognito's ``AuthenticationResult``; a refresh keeps the old refresh token."""
        try:
            id_token = str(result["IdToken"])
            access_token = str(result["AccessToken"])
            expires_in = int(result.get("ExpiresIn", 3600))
        except (KeyError, TypeError, ValueError) as exc:
            raise ProtocolError("Cognito's AuthenticationResult lacks the tokens") from exc
        started = time.time() if now is None else now
        return cls(
            id_token=id_token,
            access_token=access_token,
            refresh_token=result.get("RefreshToken") or refresh_token,
            expires_at=int(started) + expires_in,
            token_type=str(result.get("TokenType") or "Bearer"),
        )

    def expires_within(self, seconds: float, *, now: float | None = None) -> bool:
        """True when the tokens expire within ``seconds`` (the clock-skew margin)."""
        current = time.time() if now is None else now
        return self.expires_at - seconds <= current

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by the token cache and ``--output json``."""
        return {
            "id_token": self.id_token,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "token_type": self.token_type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tokens:
        """Inverse of :meth:`to_dict`; raises ``TokenError`` on anything malformed."""
        try:
            id_token = data["id_token"]
            access_token = data["access_token"]
            refresh_token = data.get("refresh_token")
            expires_at = data["expires_at"]
            token_type = data.get("token_type", "Bearer")
        except (KeyError, TypeError, AttributeError) as exc:
            raise TokenError("token data lacks a field") from exc
        if not (isinstance(id_token, str) and isinstance(access_token, str)):
            raise TokenError("token data holds non-string tokens")
        if refresh_token is not None and not isinstance(refresh_token, str):
            raise TokenError("token data holds a non-string refresh token")
        if isinstance(expires_at, bool) or not isinstance(expires_at, int):
            raise TokenError("token data holds a non-integer expiry")
        return cls(id_token, access_token, refresh_token, expires_at, str(token_type))


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT without checking its signature.

    Only for routing decisions (which username a refresh needs, when a cached
    token expires); anything trusted goes through ``verify_token``.
    """
    from cognito_passkey.protocol.claims import unverified_claims as read

    try:
        return read(token)
    except ValueError as exc:
        raise TokenError(str(exc)) from exc


def internal_username(tokens: Tokens) -> str:
    """The internal username (``cognito:username``) in the tokens, read unverified: what a
    refresh must name on a pool whose app client has a secret."""
    claims = unverified_claims(tokens.id_token)
    name = claims.get("cognito:username") or claims.get("username") or claims.get("sub")
    if not isinstance(name, str):
        raise AuthenticationError("the ID token names no user")
    return name
