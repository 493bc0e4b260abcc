"""Credential key pairs: generation, signing and COSE encoding per algorithm.

Only the algorithms a real security key commonly offers are here. Private keys
travel as PKCS#8 DER so the store can keep them without knowing their type.
"""

from __future__ import annotations

import functools
from typing import Any, Final, TypeAlias

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from fido2.cose import ES256, RS256, CoseKey, EdDSA

ALG_ES256: Final = ES256.ALGORITHM
ALG_EDDSA: Final = EdDSA.ALGORITHM
ALG_RS256: Final = RS256.ALGORITHM

SUPPORTED_ALGORITHMS: Final = (ALG_ES256, ALG_EDDSA, ALG_RS256)
"""COSE algorithm identifiers this authenticator can create credentials for."""

PrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


def generate_private_key(algorithm: int) -> PrivateKey:
    """A fresh private key for ``algorithm`` (a COSE identifier)."""
    if algorithm == ALG_ES256:
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == ALG_EDDSA:
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == ALG_RS256:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unsupported COSE algorithm {algorithm}")


def private_key_to_der(key: PrivateKey) -> bytes:
    """PKCS#8 DER, unencrypted (the store encrypts the whole file when asked)."""
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_der(data: bytes, algorithm: int) -> PrivateKey:
    """Load a PKCS#8 key and check it fits ``algorithm``; ValueError otherwise."""
    key = _load_der(bytes(data))
    if algorithm == ALG_ES256 and isinstance(key, ec.EllipticCurvePrivateKey):
        if isinstance(key.curve, ec.SECP256R1):
            return key
    elif (algorithm == ALG_EDDSA and isinstance(key, ed25519.Ed25519PrivateKey)) or (
        algorithm == ALG_RS256 and isinstance(key, rsa.RSAPrivateKey)
    ):
        return key
    raise ValueError(f"private key does not match COSE algorithm {algorithm}")


@functools.lru_cache(maxsize=16)
def _load_der(data: bytes) -> Any:
    """Parsing (and OpenSSL's check of) a key costs about a signature; a key signs twice per
    assertion (pre-flight and real), so the last few keys stay loaded (they are immutable)."""
    return serialization.load_der_private_key(data, password=None)


def sign(key: PrivateKey, message: bytes) -> bytes:
    """Sign as WebAuthn expects for the key's algorithm (DER ECDSA, raw EdDSA, PKCS#1 v1.5)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def cose_public_key(key: PrivateKey) -> CoseKey:
    """The public half in COSE form (RFC 9053), as it goes into attested credential data."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = ALG_ES256
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm = ALG_EDDSA
    else:
        algorithm = ALG_RS256
    return CoseKey.for_alg(algorithm).from_cryptography_key(key.public_key())
