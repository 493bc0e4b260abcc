"""Check a Cognito token against the user pool's JWKS.

Checks: RS256 signature by a key of the pool's JWKS, ``iss`` (always the AWS
form, even on a local AWS), ``token_use``, the app client (``aud`` for ID
tokens, ``client_id`` for access tokens) and ``exp``. The JWKS is cached; an
unknown ``kid`` refetches it, at most once a minute (key rotation).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Final, Literal

from cognito_passkey.client.errors import NetworkError, TokenError, TokenExpiredError

TokenUse = Literal["id", "access"]

JWKS_TTL_SECONDS: Final = 3600.0
REFETCH_INTERVAL_SECONDS: Final = 60.0
MAX_JWKS_BYTES: Final = 256 * 1024


def issuer(region: str, user_pool_id: str) -> str:
    """The ``iss`` of every token of the pool (the AWS URL, local AWS included)."""
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def jwks_url(region: str, user_pool_id: str, endpoint_url: str | None = None) -> str:
    """Where the pool's JWKS lives: on the endpoint when one is configured, else AWS."""
    if endpoint_url:
        return f"{endpoint_url.rstrip('/')}/{user_pool_id}/.well-known/jwks.json"
    return f"{issuer(region, user_pool_id)}/.well-known/jwks.json"


class JwksCache:
    """The pool's signing keys, fetched on first use and kept for an hour."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.fetch_count = 0
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def key(self, kid: str) -> Any:
        """The public key for ``kid``; refetches when stale or when ``kid`` is unknown."""
        with self._lock:
            now = time.monotonic()
            stale = not self._keys or now - self._fetched_at > JWKS_TTL_SECONDS
            unknown = kid not in self._keys and now - self._fetched_at > REFETCH_INTERVAL_SECONDS
            if stale or unknown:
                self._keys = self._fetch()
                self._fetched_at = now
            try:
                return self._keys[kid]
            except KeyError:
                raise TokenError(f"the token's key id {kid!r} is not in the pool's JWKS") from None

    def _fetch(self) -> dict[str, Any]:
        from jwt import PyJWK, PyJWKError

        request = urllib.request.Request(self.url, headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:  # noqa: S310
                body = reply.read(MAX_JWKS_BYTES + 1)
        except (urllib.error.URLError, OSError) as exc:
            raise NetworkError(f"cannot fetch the pool's JWKS from {self.url}: {exc}") from exc
        self.fetch_count += 1
        if len(body) > MAX_JWKS_BYTES:
            raise TokenError(f"the JWKS at {self.url} is too large")
        try:
            document = json.loads(body)
            entries = document["keys"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenError(f"the JWKS at {self.url} is not a JWK set") from exc
        keys: dict[str, Any] = {}
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or "kid" not in entry:
                continue
            try:
                keys[str(entry["kid"])] = PyJWK(entry, algorithm="RS256").key
            except PyJWKError:
                continue
        if not keys:
            raise TokenError(f"the JWKS at {self.url} holds no RSA key")
        return keys


class TokenVerifier:
    """Verifies tokens of one app client of one user pool."""

    def __init__(
        self,
        *,
        user_pool_id: str,
        client_id: str,
        region: str,
        endpoint_url: str | None = None,
        jwks: JwksCache | None = None,
        leeway: float = 0.0,
    ) -> None:
        self.issuer = issuer(region, user_pool_id)
        self.client_id = client_id
        self.leeway = leeway
        self.jwks = jwks or JwksCache(jwks_url(region, user_pool_id, endpoint_url))

    def verify(
        self,
        token: str,
        *,
        token_use: TokenUse = "id",  # noqa: S107 - a token kind, not a secret
    ) -> dict[str, Any]:
        """The token's claims once every check passed; ``TokenError`` says which failed."""
        import jwt

        wants_id = token_use == "id"  # noqa: S105 - a token kind, not a secret
        if token_use not in ("id", "access"):
            raise ValueError("token_use must be 'id' or 'access'")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError(f"not a JWT: {exc}") from exc
        if header.get("alg") != "RS256":
            raise TokenError(f"the token is signed with {header.get('alg')!r}, not RS256")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenError("the token has no key id (kid)")
        key = self.jwks.key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpiredError("the token has expired") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenError(f"the token was not issued by {self.issuer}") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenError("the token's signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise TokenError(f"the token is invalid: {exc}") from exc
        if claims.get("token_use") != token_use:
            raise TokenError(
                f"the token is an {claims.get('token_use')!r} token, expected {token_use!r}"
            )
        if wants_id:
            audience = claims.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if self.client_id not in audiences:
                raise TokenError("the token is for another app client (aud)")
        elif claims.get("client_id") != self.client_id:
            raise TokenError("the access token is for another app client (client_id)")
        return claims
