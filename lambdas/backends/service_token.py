"""The LoginID service credential: the tenant key from Secrets Manager, and service tokens.

The key is a PEM in a Secrets Manager ``SecretString`` whose newlines may be stored as the
two characters backslash-n (LoginID's guide says to paste it that way). Service tokens are
ES256 JWTs (header ``{"alg": "ES256", "typ": "JWT"}``; claims ``iss`` loginid.io, ``aud`` the
API host, ``iat``, a short ``exp`` and a random ``nonce``), reused until shortly before expiry.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.errors import Rejected

SERVICE_TOKEN_LIFETIME = 300
_TOKEN_REUSE_MARGIN = 60
_SECRET_MAX_AGE = 300


def normalize_pem(secret: str) -> str:
    """The tenant key as stored: newlines may be the two characters backslash-n."""
    text = secret.strip().strip('"')
    if "\\n" in text:
        text = text.replace("\\r\\n", "\n").replace("\\n", "\n")
    return text.strip() + "\n"


def fetch_secret(name: str) -> str:
    """The secret's string value, cached per container by powertools (max 5 minutes)."""
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_secret(name, max_age=_SECRET_MAX_AGE)
    except Exception as exc:  # missing secret, no permission, Secrets Manager unreachable
        reason = type(exc).__name__
        raise Rejected(errors.CONFIG, f"the LoginID secret cannot be read: {reason}") from exc
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise Rejected(errors.CONFIG, "the LoginID secret is not a string")
    return value


class ServiceTokens:
    """Signs and caches service tokens (ES256, ``iss`` loginid.io, ``aud`` the API host)."""

    def __init__(self, audience: str, load_pem: Callable[[], str]) -> None:
        self.audience = audience
        self._load_pem = load_pem
        self._lock = threading.Lock()
        self._key: Any = None
        self._key_bytes = b""
        self._token = ""
        self._token_expires = 0

    def _private_key(self) -> Any:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        pem = normalize_pem(self._load_pem()).encode()
        if self._key is not None and pem == self._key_bytes:
            return self._key
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise Rejected(errors.CONFIG, "the LoginID key is not a PEM private key") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise Rejected(errors.CONFIG, "the LoginID key is not a P-256 key")
        self._key, self._key_bytes, self._token_expires = key, pem, 0
        return key

    def key_material(self) -> bytes:
        """The PEM bytes (for deriving the decoy key); loads the key once."""
        with self._lock:
            if self._key is None:
                self._private_key()
            return self._key_bytes

    def token(self) -> str:
        """A valid service token: the cached one, or a fresh one signed with the current key."""
        with self._lock:
            now = int(time.time())
            if self._token and now < self._token_expires - _TOKEN_REUSE_MARGIN:
                return self._token
            key = self._private_key()  # re-read (powertools-cached) so a rotated key is seen
            claims = {
                "iss": "loginid.io",
                "aud": self.audience,
                "iat": now,
                "exp": now + SERVICE_TOKEN_LIFETIME,
                "nonce": secrets.token_urlsafe(16),
            }
            self._token = jwt.encode(claims, key, algorithm="ES256", headers={"typ": "JWT"})
            self._token_expires = now + SERVICE_TOKEN_LIFETIME
            return self._token


def basic_api_key(api_key_id: str) -> str:
    """The ``Authorization`` value of the api-key form: ``Basic base64url("<id>:")``."""
    return "Basic " + base64.urlsafe_b64encode(f"{api_key_id}:".encode()).decode().rstrip("=")
