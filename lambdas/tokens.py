"""Cognito ID and access token checks for the triggers, on the shared verifier.

The checks themselves are :class:`cognito_passkey.protocol.tokens.CognitoTokenVerifier`'s
(the client runs the same ones); this module keeps one verifier per pool and JWKS address for
the whole container, so the JWKS is fetched once and refreshed only when a token names an
unknown key, and turns its ``TokenRejected`` into :class:`Rejected` with the same reason
code. The token itself is never logged.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any, Final

from cognito_passkey.lambdas.config import jwks_url
from cognito_passkey.lambdas.errors import Rejected
from cognito_passkey.protocol import tokens

LEEWAY_SECONDS: Final = 5.0
"""Clock skew allowed on ``exp`` and ``iat`` between Cognito and the Lambda."""
JWKS_TIMEOUT_SECONDS: Final = 5.0
"""A JWKS fetch must leave the trigger time to answer within Cognito's 5 s budget."""


class PoolTokens:
    """The token checks of one user pool, refusing with :class:`Rejected`."""

    def __init__(self, verifier: tokens.CognitoTokenVerifier) -> None:
        self.verifier = verifier

    def verify_id_token(self, token: Any, *, client_id: str, username: str) -> dict[str, Any]:
        """Check an ID token of ``username`` issued to ``client_id``; returns its claims."""
        return self._verify(
            token,
            token_use="id",  # noqa: S106 - a token kind, not a secret
            client_ids=(client_id,),
            username=username,
        )

    def verify_access_token(self, token: Any, *, client_ids: Collection[str]) -> dict[str, Any]:
        """Check an access token issued to one of ``client_ids``; returns its claims."""
        return self._verify(
            token,
            token_use="access",  # noqa: S106 - a token kind, not a secret
            client_ids=tuple(client_ids),
        )

    def _verify(
        self,
        token: Any,
        *,
        token_use: tokens.TokenUse,
        client_ids: Collection[str],
        username: str | None = None,
    ) -> dict[str, Any]:
        try:
            return self.verifier.verify(
                token, token_use=token_use, client_ids=client_ids, username=username
            )
        except tokens.TokenRejected as exc:
            raise Rejected(exc.reason, exc.detail) from exc


def verifier_for(user_pool_id: str) -> PoolTokens:
    """The container-wide checks of a pool (its JWKS cache survives warm invocations)."""
    return _pool_tokens(user_pool_id, jwks_url(user_pool_id))


@functools.cache
def _pool_tokens(user_pool_id: str, jwks_uri: str) -> PoolTokens:
    # Keyed by the JWKS address too: the endpoint comes from the environment.
    return PoolTokens(
        tokens.CognitoTokenVerifier(
            user_pool_id, jwks_uri=jwks_uri, leeway=LEEWAY_SECONDS, timeout=JWKS_TIMEOUT_SECONDS
        )
    )


def reset_verifiers() -> None:
    """Forget cached verifiers (tests switch pools and endpoints)."""
    _pool_tokens.cache_clear()
