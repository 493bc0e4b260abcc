"""Cognito ID and access token checks (RS256 against the pool's JWKS).

One :class:`CognitoTokenVerifier` per user pool lives for the whole container, so the
JWKS is fetched once and refreshed only when a token names an unknown key. Every failed
check raises :class:`Rejected` with its own reason; the token itself is never logged.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from typing import Any

import jwt
from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.config import jwks_url, pool_issuer
from cognito_passkey.lambdas.errors import Rejected

_LEEWAY_SECONDS = 5
_MAX_TOKEN_CHARS = 8192


class CognitoTokenVerifier:
    """Verifies tokens issued by one user pool."""

    def __init__(self, user_pool_id: str, *, jwks_uri: str | None = None) -> None:
        self.user_pool_id = user_pool_id
        self.issuer = pool_issuer(user_pool_id)
        self._jwks = jwt.PyJWKClient(
            jwks_uri or jwks_url(user_pool_id), cache_keys=True, lifespan=3600, timeout=5
        )

    def _decode(self, token: Any) -> dict[str, Any]:
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_CHARS:
            raise Rejected(errors.TOKEN_MALFORMED, "the token is missing or oversized")
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise Rejected(errors.JWKS_UNAVAILABLE, "the pool's JWKS cannot be fetched") from exc
        except jwt.PyJWKClientError as exc:
            raise Rejected(errors.TOKEN_SIGNATURE, "the token's key is not the pool's") from exc
        except jwt.PyJWTError as exc:
            raise Rejected(errors.TOKEN_MALFORMED, "the token cannot be parsed") from exc
        # The audience is checked after token_use, so that each mistake gets its own reason.
        options: jwt.types.Options = {"require": ["exp", "iat", "iss"], "verify_aud": False}
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=_LEEWAY_SECONDS,
                options=options,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Rejected(errors.TOKEN_EXPIRED, "the token has expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise Rejected(errors.TOKEN_ISSUER, "the token is from another issuer") from exc
        except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError) as exc:
            raise Rejected(errors.TOKEN_SIGNATURE, "the token's signature is invalid") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise Rejected(errors.TOKEN_MALFORMED, f"the token lacks {exc.claim}") from exc
        except jwt.PyJWTError as exc:
            raise Rejected(errors.TOKEN_MALFORMED, "the token is invalid") from exc
        return claims

    def verify_id_token(self, token: Any, *, client_id: str, username: str) -> dict[str, Any]:
        """Check an ID token of ``username`` issued to ``client_id``; returns its claims."""
        claims = self._decode(token)
        if claims.get("token_use") != "id":
            raise Rejected(errors.TOKEN_USE, "the token is not an ID token")
        if claims.get("aud") != client_id:
            raise Rejected(errors.TOKEN_AUDIENCE, "the token is for another client")
        if claims.get("cognito:username") != username:
            raise Rejected(errors.TOKEN_USER, "the token belongs to another user")
        return claims

    def verify_access_token(self, token: Any, *, client_ids: Collection[str]) -> dict[str, Any]:
        """Check an access token issued to one of ``client_ids``; returns its claims."""
        claims = self._decode(token)
        if claims.get("token_use") != "access":
            raise Rejected(errors.TOKEN_USE, "the token is not an access token")
        if claims.get("client_id") not in client_ids:
            raise Rejected(errors.TOKEN_AUDIENCE, "the token is for another client")
        username = claims.get("username")
        if not isinstance(username, str) or not username:
            raise Rejected(errors.TOKEN_MALFORMED, "the token names no user")
        return claims


_verifiers: dict[str, CognitoTokenVerifier] = {}
_lock = threading.Lock()


def verifier_for(user_pool_id: str) -> CognitoTokenVerifier:
    """The container-wide verifier of a pool (its JWKS cache survives warm invocations)."""
    url = jwks_url(user_pool_id)
    with _lock:
        verifier = _verifiers.get(url)
        if verifier is None:
            verifier = _verifiers[url] = CognitoTokenVerifier(user_pool_id, jwks_uri=url)
        return verifier


def reset_verifiers() -> None:
    """Forget cached verifiers (tests switch pools and endpoints)."""
    with _lock:
        _verifiers.clear()
