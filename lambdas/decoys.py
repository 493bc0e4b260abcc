"""Believable stand-ins for users who do not exist or hold no passkey.

A probe must not learn whether a user exists: the fake challenge has the same shape as a
real one, and its ``allowCredentials`` are derived by HMAC from the user name with a
per-deployment key, so asking twice for the same name shows the same credentials (a random
list each time would give the game away). No answer to a decoy is ever accepted.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from fido2.utils import websafe_encode

_ID_LENGTHS = (32, 48, 64, 64)
_TRANSPORTS = (["usb"], ["usb", "nfc"], ["internal", "hybrid"], ["hybrid", "internal"])


def _stream(key: bytes, label: str, username: str, size: int) -> bytes:
    """``size`` pseudo-random bytes bound to (key, label, username)."""
    out = b""
    counter = 0
    while len(out) < size:
        message = f"{label}\x00{counter}\x00{username}".encode()
        out += hmac.new(key, message, hashlib.sha256).digest()
        counter += 1
    return out[:size]


def decoy_descriptors(key: bytes, username: str) -> list[dict[str, Any]]:
    """One or two credential descriptors (WebAuthn JSON) that are stable per user name."""
    seed = _stream(key, "decoy-shape", username, 4)
    count = 1 + seed[0] % 2
    descriptors = []
    for index in range(count):
        length = _ID_LENGTHS[seed[1 + index] % len(_ID_LENGTHS)]
        credential_id = _stream(key, f"decoy-credential-{index}", username, length)
        descriptors.append(
            {
                "type": "public-key",
                "id": websafe_encode(credential_id),
                "transports": list(_TRANSPORTS[seed[3] % len(_TRANSPORTS)]),
            }
        )
    return descriptors


def user_handle(key: bytes, username: str) -> bytes:
    """A stable, opaque WebAuthn user handle for a decoy (no personal data in it)."""
    return _stream(key, "user-handle", username, 32)


def account_handle(key: bytes, sub: str) -> bytes:
    """The WebAuthn user handle of a real user: bound to the Cognito ``sub``, which is never
    reused, so a new user given a deleted user's name gets another handle."""
    return _stream(key, "account-handle", sub, 32)


def random_challenge() -> str:
    """A fresh 32-byte challenge, base64url like every real one."""
    import os

    return websafe_encode(os.urandom(32))
