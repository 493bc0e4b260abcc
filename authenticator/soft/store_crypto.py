"""Passphrase encryption of the store payload: scrypt -> AES-256-GCM.

The KDF parameters and salt live in the file next to the ciphertext, and the
file header is bound to the ciphertext as associated data, so a header edited
by hand fails the tag check instead of silently changing meaning.

The work factor follows current guidance for scrypt (N=2^17, r=8, p=1: 128 MiB
and about a second per derivation); a file written with less is read as it is
and upgraded on its next write.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from fido2.utils import websafe_decode, websafe_encode

KDF_NAME: Final = "scrypt"
CIPHER_NAME: Final = "AES-256-GCM"
DEFAULT_SCRYPT_N: Final = 2**17
MIN_SCRYPT_N: Final = DEFAULT_SCRYPT_N
"""The least work factor written to a file, unless a test asks for less explicitly."""
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
MIN_PASSPHRASE_LENGTH: Final = 8
# Bounds on parameters read from a file, so a hostile file cannot make us
# allocate gigabytes before the tag check fails.
_MAX_SCRYPT_N: Final = 2**20
_MAX_SCRYPT_R: Final = 32
_MAX_SCRYPT_P: Final = 16


class DecryptionError(Exception):
    """Wrong passphrase, or the ciphertext was changed."""


@dataclass(frozen=True)
class KdfParams:
    """scrypt parameters; ``salt`` is random per store file."""

    salt: bytes
    n: int = DEFAULT_SCRYPT_N
    r: int = SCRYPT_R
    p: int = SCRYPT_P

    def __repr__(self) -> str:
        return f"KdfParams(n={self.n}, r={self.r}, p={self.p})"

    @classmethod
    def fresh(cls, n: int = DEFAULT_SCRYPT_N) -> KdfParams:
        return cls(salt=os.urandom(16), n=n)

    def weaker_than(self, n: int) -> bool:
        """Whether these parameters cost less than a fresh set with work factor ``n``."""
        return self.n < n or self.r < SCRYPT_R

    def to_json(self) -> dict[str, Any]:
        salt = websafe_encode(self.salt)
        return {"name": KDF_NAME, "salt": salt, "n": self.n, "r": self.r, "p": self.p}

    @classmethod
    def from_json(cls, data: Any) -> KdfParams:
        if not isinstance(data, Mapping) or data.get("name") != KDF_NAME:
            raise ValueError("unknown key derivation function")
        n = _int_in(data.get("n"), 2, _MAX_SCRYPT_N)
        r = _int_in(data.get("r"), 1, _MAX_SCRYPT_R)
        p = _int_in(data.get("p"), 1, _MAX_SCRYPT_P)
        if n & (n - 1):
            raise ValueError("scrypt n must be a power of two")
        try:
            salt = websafe_decode(data["salt"])
        except (KeyError, TypeError, ValueError):
            raise ValueError("scrypt salt is missing or not base64url") from None
        if len(salt) < 16:
            raise ValueError("scrypt salt is too short")
        return cls(salt=salt, n=n, r=r, p=p)


def check_new_passphrase(passphrase: str) -> None:
    """ValueError when ``passphrase`` is too short to protect a new store file."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise ValueError(f"the passphrase must have at least {MIN_PASSPHRASE_LENGTH} characters")


def derive_key(passphrase: str, params: KdfParams) -> bytes:
    """The 256-bit AES key for ``passphrase`` (slow on purpose)."""
    kdf = Scrypt(salt=params.salt, length=32, n=params.n, r=params.r, p=params.p)
    return kdf.derive(passphrase.encode("utf-8"))


def encrypt(key: bytes, plaintext: bytes, associated_data: bytes) -> dict[str, str]:
    """Seal ``plaintext``; returns the JSON fields ``cipher``, ``nonce``, ``ciphertext``."""
    nonce = os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, associated_data)
    return {
        "cipher": CIPHER_NAME,
        "nonce": websafe_encode(nonce),
        "ciphertext": websafe_encode(ciphertext),
    }


def decrypt(key: bytes, sealed: Mapping[str, Any], associated_data: bytes) -> bytes:
    """Open what :func:`encrypt` sealed.

    ValueError: the fields are malformed. DecryptionError: wrong key or tampering.
    """
    if sealed.get("cipher") != CIPHER_NAME:
        raise ValueError("unknown cipher")
    try:
        nonce = websafe_decode(sealed["nonce"])
        ciphertext = websafe_decode(sealed["ciphertext"])
    except (KeyError, TypeError, ValueError):
        raise ValueError("nonce or ciphertext missing or not base64url") from None
    if len(nonce) != 12:
        raise ValueError("nonce has the wrong length")
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, associated_data)
    except InvalidTag:
        raise DecryptionError("wrong passphrase, or the store was modified") from None


def _int_in(value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError("scrypt parameters missing or out of range")
    return value
