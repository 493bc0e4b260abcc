"""Checks of Cognito ID and access tokens, shared by the client and the trigger Lambdas.

RS256 signature by a key of the pool's JWKS (pyjwt's ``PyJWKClient`` fetches and caches the
set; a token naming an unknown key refetches it at most once per cooldown), ``iss`` (the
AWS form, even on a local AWS), ``exp``, ``iat``, ``token_use``, the app client (``aud`` for
ID tokens, ``client_id`` for access tokens) and, when asked, the user. Every failed check
raises :class:`TokenRejected` with a stable reason code; the token is never in a message.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final, Literal

import jwt
from cognito_passkey.protocol import pools
from cognito_passkey.protocol.claims import MAX_TOKEN_CHARS

TokenUse = Literal["id", "access"]

MALFORMED: Final = "token_malformed"
SIGNATURE: Final = "token_signature"
EXPIRED: Final = "token_expired"
ISSUER: Final = "token_issuer"
AUDIENCE: Final = "token_audience"
USE: Final = "token_use"
USER: Final = "token_user"
JWKS_UNAVAILABLE: Final = "jwks_unavailable"

JWKS_LIFESPAN_SECONDS: Final = 3600.0
REFETCH_COOLDOWN_SECONDS: Final = 60.0
"""An unknown key id refetches the JWKS at most this often (key rotation, not a flood)."""


class TokenRejected(Exception):
    """A token failed a check: ``reason`` is one of the codes above, ``detail`` says which."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class CognitoTokenVerifier:
    """Verifies the tokens of one user pool; keep one per pool so its JWKS cache is reused."""

    def __init__(
        self,
        user_pool_id: str,
        *,
        jwks_uri: str | None = None,
        leeway: float = 0.0,
        timeout: float = 10.0,
        cooldown: float = REFETCH_COOLDOWN_SECONDS,
    ) -> None:
        self.user_pool_id = user_pool_id
        self.issuer = pools.issuer(user_pool_id)
        self.leeway = leeway
        self.jwks = jwt.PyJWKClient(
            jwks_uri or pools.jwks_url(user_pool_id),
            cache_keys=True,
            lifespan=JWKS_LIFESPAN_SECONDS,
            timeout=timeout,
            cooldown_duration=cooldown,
        )

    def verify(
        self,
        token: Any,
        *,
        token_use: TokenUse,
        client_ids: Collection[str],
        username: str | None = None,
    ) -> dict[str, Any]:
        """The token's claims once every check passed, in this order: shape, key,
        signature and registered claims, ``token_use``, app client, user."""
        if token_use not in ("id", "access"):
            raise ValueError("token_use must be 'id' or 'access'")
        if isinstance(client_ids, str):  # "abc" in "xabcx" would be a substring match
            raise TypeError("client_ids must be a collection of app client ids")
        claims = self._decode(token)
        if claims.get("token_use") != token_use:
            raise TokenRejected(
                USE, f"the token is an {claims.get('token_use')!r} token, expected {token_use!r}"
            )
        if token_use == "id":  # noqa: S105 - a token kind, not a secret
            audience = claims.get("aud")
            if not isinstance(audience, str) or audience not in client_ids:
                raise TokenRejected(AUDIENCE, "the token is for another app client (aud)")
            user = claims.get("cognito:username")
        else:
            if claims.get("client_id") not in client_ids:
                raise TokenRejected(AUDIENCE, "the token is for another app client (client_id)")
            user = claims.get("username")
            if not isinstance(user, str) or not user:
                raise TokenRejected(MALFORMED, "the token names no user")
        if username is not None and user != username:
            raise TokenRejected(USER, "the token belongs to another user")
        return claims

    def _decode(self, token: Any) -> dict[str, Any]:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise TokenRejected(MALFORMED, "the token is missing or oversized")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRejected(MALFORMED, f"not a JWT: {exc}") from exc
        if header.get("alg") != "RS256":
            raise TokenRejected(
                SIGNATURE, f"the token is signed with {header.get('alg')!r}, not RS256"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected(SIGNATURE, "the token has no key id (kid)")
        try:
            key = self.jwks.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            raise TokenRejected(
                JWKS_UNAVAILABLE, f"cannot fetch the pool's JWKS from {self.jwks.uri}: {exc}"
            ) from exc
        except jwt.PyJWTError as exc:  # no such key, or not a JWK set
            raise TokenRejected(
                SIGNATURE, f"the token's key id {kid!r} is not in the pool's JWKS"
            ) from exc
        except ValueError as exc:  # pyjwt lets a body that is not JSON through as it is
            raise TokenRejected(
                SIGNATURE, f"the pool's JWKS at {self.jwks.uri} is not JSON"
            ) from exc
        options: jwt.types.Options = {
            "require": ["exp", "iat", "iss"],  # a missing token_use is a USE refusal
            "verify_aud": False,  # checked after token_use, so each mistake has its own reason
        }
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=self.leeway,
                options=options,
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRejected(EXPIRED, "the token has expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRejected(ISSUER, f"the token was not issued by {self.issuer}") from exc
        except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError) as exc:
            raise TokenRejected(SIGNATURE, "the token's signature does not verify") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise TokenRejected(MALFORMED, f"the token lacks {exc.claim}") from exc
        except jwt.PyJWTError as exc:
            raise TokenRejected(MALFORMED, f"the token is invalid: {exc}") from exc
        return claims
