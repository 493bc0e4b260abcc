"""Check a Cognito token of one app client, with the client's errors.

The checks and the JWKS cache are the shared
:class:`~cognito_passkey.protocol.tokens.CognitoTokenVerifier` (the trigger Lambdas use
the same one); this adapter only turns its refusals into :class:`TokenExpiredError`,
:class:`NetworkError` (the JWKS cannot be fetched) or :class:`TokenError`.
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
                raise NetworkError(exc.detail) from exc
            raise TokenError(exc.detail) from exc
