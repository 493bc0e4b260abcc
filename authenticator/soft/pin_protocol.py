"""PIN/UV auth protocols 1 and 2, authenticator side (CTAP 2.1 section 6.5.6/6.5.7).

The platform side lives in ``fido2.ctap2.pin``; this is its mirror image: the
authenticator owns a P-256 key agreement key, derives the shared secret from
the platform's ephemeral key, and decrypts/verifies what the platform sends.
"""

from __future__ import annotations

import abc
import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any, ClassVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_COSE_KTY = 1
_COSE_ALG = 3
_COSE_CRV = -1
_COSE_X = -2
_COSE_Y = -3


class AuthenticatorPinProtocol(abc.ABC):
    """One PIN/UV auth protocol: key agreement, encryption and MACs."""

    VERSION: ClassVar[int]

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())

    def regenerate(self) -> None:
        """New key agreement key (at power-up and after a wrong PIN)."""
        self._key = ec.generate_private_key(ec.SECP256R1())

    def key_agreement(self) -> dict[int, Any]:
        """The public key agreement key as a COSE_Key (alg -25, ECDH-ES+HKDF-256)."""
        numbers = self._key.public_key().public_numbers()
        return {
            _COSE_KTY: 2,
            _COSE_ALG: -25,
            _COSE_CRV: 1,
            _COSE_X: numbers.x.to_bytes(32, "big"),
            _COSE_Y: numbers.y.to_bytes(32, "big"),
        }

    def decapsulate(self, peer: Mapping[int, Any]) -> bytes:
        """Shared secret with the platform's COSE key; ValueError if the key is bad."""
        x, y = peer.get(_COSE_X), peer.get(_COSE_Y)
        if (
            peer.get(_COSE_KTY) != 2
            or peer.get(_COSE_CRV) != 1
            or not isinstance(x, bytes)
            or not isinstance(y, bytes)
            or len(x) != 32
            or len(y) != 32
        ):
            raise ValueError("key agreement key is not a P-256 COSE key")
        # Raises ValueError when the point is not on the curve.
        public_key = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
        return self.kdf(self._key.exchange(ec.ECDH(), public_key))

    @abc.abstractmethod
    def kdf(self, z: bytes) -> bytes: ...

    @abc.abstractmethod
    def encrypt(self, key: bytes, plaintext: bytes) -> bytes: ...

    @abc.abstractmethod
    def decrypt(self, key: bytes, ciphertext: bytes) -> bytes:
        """ValueError when the ciphertext length is wrong."""

    @abc.abstractmethod
    def authenticate(self, key: bytes, message: bytes) -> bytes: ...

    def verify(self, key: bytes, message: bytes, signature: bytes) -> bool:
        """Constant-time check of a pinUvAuthParam."""
        return hmac.compare_digest(self.authenticate(key, message), signature)


def _aes_cbc(key: bytes, iv: bytes) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def _hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


class PinProtocolOne(AuthenticatorPinProtocol):
    """Protocol 1: SHA-256 KDF, AES-256-CBC with a zero IV, HMAC truncated to 16 bytes."""

    VERSION = 1

    def kdf(self, z: bytes) -> bytes:
        return hashlib.sha256(z).digest()

    def encrypt(self, key: bytes, plaintext: bytes) -> bytes:
        encryptor = _aes_cbc(key, bytes(16)).encryptor()
        return encryptor.update(plaintext) + encryptor.finalize()

    def decrypt(self, key: bytes, ciphertext: bytes) -> bytes:
        if not ciphertext or len(ciphertext) % 16:
            raise ValueError("ciphertext length is not a multiple of 16")
        decryptor = _aes_cbc(key, bytes(16)).decryptor()
        return decryptor.update(ciphertext) + decryptor.finalize()

    def authenticate(self, key: bytes, message: bytes) -> bytes:
        return _hmac_sha256(key, message)[:16]


class PinProtocolTwo(AuthenticatorPinProtocol):
    """Protocol 2: HKDF-SHA-256 into an HMAC key and an AES key, random IVs, full HMAC."""

    VERSION = 2

    def kdf(self, z: bytes) -> bytes:
        def hkdf(info: bytes) -> bytes:
            return HKDF(algorithm=hashes.SHA256(), length=32, salt=bytes(32), info=info).derive(z)

        return hkdf(b"CTAP2 HMAC key") + hkdf(b"CTAP2 AES key")

    def encrypt(self, key: bytes, plaintext: bytes) -> bytes:
        iv = os.urandom(16)
        encryptor = _aes_cbc(key[32:], iv).encryptor()
        return iv + encryptor.update(plaintext) + encryptor.finalize()

    def decrypt(self, key: bytes, ciphertext: bytes) -> bytes:
        if len(ciphertext) < 32 or len(ciphertext) % 16:
            raise ValueError("ciphertext too short or not a multiple of 16")
        iv, body = ciphertext[:16], ciphertext[16:]
        decryptor = _aes_cbc(key[32:], iv).decryptor()
        return decryptor.update(body) + decryptor.finalize()

    def authenticate(self, key: bytes, message: bytes) -> bytes:
        # Shared secrets are 64 bytes (HMAC key first); tokens are 32 bytes.
        return _hmac_sha256(key[:32], message)


PROTOCOLS: dict[int, type[AuthenticatorPinProtocol]] = {
    PinProtocolTwo.VERSION: PinProtocolTwo,
    PinProtocolOne.VERSION: PinProtocolOne,
}
