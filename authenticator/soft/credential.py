"""The stored credential: what the software authenticator keeps per passkey."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from fido2.cose import CoseKey
from fido2.utils import websafe_decode, websafe_encode

from .keys import (
    SUPPORTED_ALGORITHMS,
    PrivateKey,
    cose_public_key,
    generate_private_key,
    private_key_from_der,
    private_key_to_der,
)

CREDENTIAL_ID_LENGTH = 32
MAX_USER_ID_LENGTH = 64


@dataclass(frozen=True)
class StoredCredential:
    """One credential: its key pair, who it belongs to, and its signature counter.

    ``private_key`` is PKCS#8 DER; it is left out of ``repr`` so a log line or a
    traceback never shows it.
    """

    credential_id: bytes
    rp_id: str
    user_id: bytes
    algorithm: int
    private_key: bytes = field(repr=False)
    sign_count: int = 0
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    discoverable: bool = False
    user_name: str | None = None
    user_display_name: str | None = None
    rp_name: str | None = None

    @classmethod
    def generate(
        cls,
        *,
        rp_id: str,
        user_id: bytes,
        algorithm: int,
        discoverable: bool,
        user_name: str | None = None,
        user_display_name: str | None = None,
        rp_name: str | None = None,
    ) -> StoredCredential:
        """A new credential with a fresh key pair and a random 32-byte ID."""
        key = generate_private_key(algorithm)
        return cls(
            credential_id=os.urandom(CREDENTIAL_ID_LENGTH),
            rp_id=rp_id,
            user_id=user_id,
            algorithm=algorithm,
            private_key=private_key_to_der(key),
            discoverable=discoverable,
            user_name=user_name,
            user_display_name=user_display_name,
            rp_name=rp_name,
        )

    def load_private_key(self) -> PrivateKey:
        """The private key object (for signing)."""
        return private_key_from_der(self.private_key, self.algorithm)

    def public_key(self) -> CoseKey:
        """The COSE public key a relying party registers."""
        return cose_public_key(self.load_private_key())

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (binary fields base64url without padding)."""
        return {
            "id": websafe_encode(self.credential_id),
            "rp_id": self.rp_id,
            "rp_name": self.rp_name,
            "user_id": websafe_encode(self.user_id),
            "user_name": self.user_name,
            "user_display_name": self.user_display_name,
            "alg": self.algorithm,
            "private_key": websafe_encode(self.private_key),
            "sign_count": self.sign_count,
            "created_at": self.created_at.isoformat(),
            "discoverable": self.discoverable,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoredCredential:
        """Parse :meth:`to_json` output; ValueError names the first bad field."""
        if not isinstance(data, Mapping):
            raise ValueError("credential entry is not an object")
        algorithm = _field(data, "alg", int)
        if algorithm not in SUPPORTED_ALGORITHMS:
            raise ValueError(f"credential has unsupported algorithm {algorithm}")
        sign_count = _field(data, "sign_count", int)
        if not 0 <= sign_count <= 0xFFFFFFFF:
            raise ValueError("credential sign_count out of range")
        try:
            created_at = datetime.fromisoformat(_field(data, "created_at", str))
        except ValueError:
            raise ValueError("credential created_at is not an ISO 8601 time") from None
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=timezone.utc)
        credential = cls(
            credential_id=_b64_field(data, "id"),
            rp_id=_field(data, "rp_id", str),
            rp_name=_optional_field(data, "rp_name", str),
            user_id=_b64_field(data, "user_id"),
            user_name=_optional_field(data, "user_name", str),
            user_display_name=_optional_field(data, "user_display_name", str),
            algorithm=algorithm,
            private_key=_b64_field(data, "private_key"),
            sign_count=sign_count,
            created_at=created_at,
            discoverable=_field(data, "discoverable", bool),
        )
        if not credential.credential_id or not credential.rp_id:
            raise ValueError("credential id and rp_id must not be empty")
        return credential


def _field(data: Mapping[str, Any], name: str, kind: type[Any]) -> Any:
    value = data.get(name)
    # bool is an int in Python; an integer field must not accept true/false.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"credential field {name!r} is missing or not a {kind.__name__}")
    return value


def _optional_field(data: Mapping[str, Any], name: str, kind: type[Any]) -> Any:
    if data.get(name) is None:
        return None
    return _field(data, name, kind)


def _b64_field(data: Mapping[str, Any], name: str) -> bytes:
    try:
        return websafe_decode(_field(data, name, str))
    except (ValueError, TypeError):
        raise ValueError(f"credential field {name!r} is not base64url") from None
