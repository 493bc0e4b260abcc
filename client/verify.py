"""Check a Cognito token of one app client, with the client's errors.

The checks and the JWKS cache are the shared
:class:`~cognito_passkey.protocol.tokens.CognitoTokenVerifier` (the trigger Lambdas use
the same one); this adapter only turns its refusals into :class:`TokenExpiredError`,
:class:`NetworkError` (the JWKS cannot be fetched), :class:`ConfigurationError` (the JWKS
is not there: no such pool) or :class:`TokenError`.
"""

from __future__ import annotations

from typing import Any

import jwt
from cognito_passkey.client.errors import (
    ConfigurationError,
    NetworkError,
    TokenError,
    TokenExpiredError,
)
from cognito_passkey.protocol import pools
from cognito_passkey.protocol import tokens as shared
from cognito_passkey.protocol.tokens import TokenUse

__all__ = ["TokenUse", "TokenVerifier"]


class TokenVerifier:
    """Verifies tokens of one app client of one user pool; keep it to reuse its JWKS cache."""

    def __init__(
        self,
        *,
        user_pool_id: str,
        client_id: str,
        endpoint_url: str | None = None,
        leeway: float = 0.0,
    ) -> None:
        self.client_id = client_id
        self.user_pool_id = user_pool_id
        self.endpoint_url = endpoint_url
        try:
            self.verifier = shared.CognitoTokenVerifier(
                user_pool_id, jwks_uri=pools.jwks_url(user_pool_id, endpoint_url), leeway=leeway
            )
        except (ValueError, jwt.PyJWKClientError) as exc:  # a malformed pool id or JWKS URL
            raise ConfigurationError(str(exc)) from exc

    def verify(
        self,
        token: str,
        *,
        token_use: TokenUse = "id",  # noqa: S107 - a token kind, not a secret
    ) -> dict[str, Any]:
        """The token's claims once every check passed; ``TokenError`` says which failed."""
        try:
            return self.verifier.verify(token, token_use=token_use, client_ids=(self.client_id,))
        except shared.TokenRejected as exc:
            if exc.reason == shared.EXPIRED:
                raise TokenExpiredError(exc.detail) from exc
            if exc.reason == shared.JWKS_UNAVAILABLE:
                if _http_status(exc) == 404:
                    where = self.endpoint_url or "AWS"
                    raise ConfigurationError(
                        f"no such user pool {self.user_pool_id} at {where} (its JWKS is "
                        "HTTP 404): check user_pool_id, region and endpoint_url"
                    ) from exc
                raise NetworkError(exc.detail) from exc
            raise TokenError(exc.detail) from exc


def _http_status(exc: BaseException) -> int | None:
    """The HTTP status behind a JWKS fetch failure (pyjwt chains urllib's ``HTTPError``)."""
    import urllib.error

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, urllib.error.HTTPError):
            return seen.code
        seen = seen.__cause__ or seen.__context__
    return None
