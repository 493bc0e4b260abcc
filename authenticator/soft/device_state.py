"""Persistent device state beside the credentials: the PIN and the retry counters.

A real key keeps LEFT(SHA-256(PIN), 16) in secure flash. We keep a salted
PBKDF2 of that value instead, so the store file alone does not reveal it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from fido2.utils import websafe_decode, websafe_encode

MAX_PIN_RETRIES: Final = 8
MAX_UV_RETRIES: Final = 8
PIN_KDF_ITERATIONS: Final = 20_000
_MAX_PIN_KDF_ITERATIONS: Final = 10_000_000


@dataclass(frozen=True)
class PinState:
    """A set PIN, kept as PBKDF2-HMAC-SHA256 of the 16-byte CTAP pinHash."""

    digest: bytes
    salt: bytes
    iterations: int = PIN_KDF_ITERATIONS

    def __repr__(self) -> str:
        return "PinState(<set>)"

    @classmethod
    def create(cls, pin_hash: bytes) -> PinState:
        """Remember ``pin_hash`` = LEFT(SHA-256(PIN), 16)."""
        salt = os.urandom(16)
        return cls(_derive(pin_hash, salt, PIN_KDF_ITERATIONS), salt, PIN_KDF_ITERATIONS)

    def matches(self, pin_hash: bytes) -> bool:
        """Constant-time check of a presented pinHash."""
        return hmac.compare_digest(self.digest, _derive(pin_hash, self.salt, self.iterations))

    def to_json(self) -> dict[str, Any]:
        return {
            "kdf": "pbkdf2-sha256",
            "iterations": self.iterations,
            "salt": websafe_encode(self.salt),
            "digest": websafe_encode(self.digest),
        }

    @classmethod
    def from_json(cls, data: Any) -> PinState:
        if not isinstance(data, Mapping) or data.get("kdf") != "pbkdf2-sha256":
            raise ValueError("PIN entry has an unknown format")
        iterations = data.get("iterations")
        if (
            not isinstance(iterations, int)
            or isinstance(iterations, bool)
            or not 1 <= iterations <= _MAX_PIN_KDF_ITERATIONS
        ):
            raise ValueError("PIN entry has a bad iteration count")
        try:
            salt = websafe_decode(data["salt"])
            digest = websafe_decode(data["digest"])
        except (KeyError, TypeError, ValueError):
            raise ValueError("PIN entry salt/digest is missing or not base64url") from None
        return cls(digest, salt, iterations)


@dataclass(frozen=True)
class DeviceState:
    """What survives a power cycle besides credentials.

    ``builtin_uv`` lets the built-in verification (which approves at once, in
    software) stand in for the PIN once a PIN is set; off, a set PIN is the only
    user verification. Without a PIN the built-in verification answers either way.

    ``counterless`` keeps every signature counter where it is (0 for a credential
    made under it): WebAuthn §6.1.1 lets an authenticator without a counter send 0,
    and a relying party skips the clone check when both counts are 0. A store that
    many CI jobs restore from one exported copy needs it: each job would otherwise
    send the same "next" count, and parallel jobs would race each other's writes.
    """

    pin: PinState | None = None
    pin_retries: int = MAX_PIN_RETRIES
    uv_retries: int = MAX_UV_RETRIES
    builtin_uv: bool = False
    counterless: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "pin": self.pin.to_json() if self.pin else None,
            "pin_retries": self.pin_retries,
            "uv_retries": self.uv_retries,
        }
        if self.builtin_uv:  # absent means off, as in files written before the setting
            data["builtin_uv"] = True
        if self.counterless:  # likewise
            data["counterless"] = True
        return data

    @classmethod
    def from_json(cls, data: Any) -> DeviceState:
        if not isinstance(data, Mapping):
            raise ValueError("device state is not an object")
        pin = data.get("pin")
        builtin_uv = data.get("builtin_uv", False)
        if not isinstance(builtin_uv, bool):
            raise ValueError("device state 'builtin_uv' is not true or false")
        counterless = data.get("counterless", False)
        if not isinstance(counterless, bool):
            raise ValueError("device state 'counterless' is not true or false")
        return cls(
            pin=PinState.from_json(pin) if pin is not None else None,
            pin_retries=_counter(data, "pin_retries", MAX_PIN_RETRIES),
            uv_retries=_counter(data, "uv_retries", MAX_UV_RETRIES),
            builtin_uv=builtin_uv,
            counterless=counterless,
        )


def _derive(pin_hash: bytes, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin_hash, salt, iterations)


def _counter(data: Mapping[str, Any], name: str, maximum: int) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise ValueError(f"device state {name!r} is missing or out of range")
    return value
