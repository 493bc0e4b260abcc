"""PIN/UV auth protocols 1 and 2, authenticator side (CTAP 2.1 section 6.5.6/6.5.7).

The maths (KDF, AES-CBC, HMAC) is python-fido2's own ``PinProtocolV1/V2``, the
platform side; what fido2 lacks is the authenticator's half kept here: a P-256
key agreement key that it regenerates, decapsulating the platform's ephemeral
key, and checking what the platform sends before trusting it.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec
from fido2.ctap2.pin import PinProtocol, PinProtocolV1, PinProtocolV2

_COSE_KTY = 1
_COSE_ALG = 3
_COSE_CRV = -1
_COSE_X = -2
_COSE_Y = -3
_ECDH_ES_HKDF_256 = -25  # what CTAP puts in the key agreement key (not the algorithm used)


class AuthenticatorPinProtocol:
    """One PIN/UV auth protocol as the authenticator runs it."""

    def __init__(self, maths: PinProtocolV1) -> None:
        self._maths = maths
        self._cipher: PinProtocol = maths  # fido2 types encrypt/decrypt/authenticate here
        self.version: int = maths.VERSION
        self.regenerate()

    def regenerate(self) -> None:
        """New key agreement key (at power-up and after a wrong PIN)."""
        self._key = ec.generate_private_key(ec.SECP256R1())
        numbers = self._key.public_key().public_numbers()
        # Its COSE form, read by every getKeyAgreement until the next regeneration.
        self._cose = {
            _COSE_KTY: 2,
            _COSE_ALG: _ECDH_ES_HKDF_256,
            _COSE_CRV: 1,
            _COSE_X: numbers.x.to_bytes(32, "big"),
            _COSE_Y: numbers.y.to_bytes(32, "big"),
        }

    def key_agreement(self) -> dict[int, Any]:
        """The public key agreement key as a COSE_Key (alg -25, ECDH-ES+HKDF-256)."""
        return dict(self._cose)

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
        return self._maths.kdf(self._key.exchange(ec.ECDH(), public_key))

    def encrypt(self, key: bytes, plaintext: bytes) -> bytes:
        return self._cipher.encrypt(key, plaintext)

    def decrypt(self, key: bytes, ciphertext: bytes) -> bytes:
        """ValueError when the ciphertext length is wrong.

        fido2 decrypts only what an authenticator sent, so it leaves this check to us.
        """
        iv_length = 16 if self.version == 2 else 0
        if len(ciphertext) <= iv_length or len(ciphertext) % 16:
            raise ValueError("ciphertext too short or not a multiple of 16")
        return self._cipher.decrypt(key, ciphertext)

    def authenticate(self, key: bytes, message: bytes) -> bytes:
        return self._cipher.authenticate(key, message)

    def verify(self, key: bytes, message: bytes, signature: bytes) -> bool:
        """Constant-time check of a pinUvAuthParam."""
        return hmac.compare_digest(self.authenticate(key, message), signature)


_SUPPORTED = (PinProtocolV2, PinProtocolV1)
VERSIONS: Final = tuple(protocol.VERSION for protocol in _SUPPORTED)
"""The PIN/UV protocol versions offered in getInfo, most preferred first."""


def new_protocols() -> dict[int, AuthenticatorPinProtocol]:
    """One authenticator-side protocol per supported version, each with its own key."""
    return {protocol.VERSION: AuthenticatorPinProtocol(protocol()) for protocol in _SUPPORTED}
