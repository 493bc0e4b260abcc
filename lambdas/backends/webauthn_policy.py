"""What the self-hosted backend asks of a WebAuthn response beyond ``Fido2Server``'s checks.

python-fido2's server checks type, origin, challenge, RP ID hash, UP, UV and the assertion
signature. It leaves to the relying party: the attestation statement (ignored unless a
verifier is given), whether the new key uses an algorithm the options offered, the backup
flags (BS without BE is invalid), and ``crossOrigin`` in the client data. Each failed check
is a :class:`Rejected` with its own reason code.

The attestation statement is verified with python-fido2's ``fido2.attestation`` classes
(``packed``, ``fido-u2f``, ``tpm``, ``android-key``, ``android-safetynet``, ``apple``); its
certificate chain is not traced to a vendor root (there is no metadata service here), so a
verified AAGUID means the statement is consistent and signed, not that a vendor vouches for
it. ``none`` must carry an empty statement and gives the zero AAGUID.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.errors import Rejected
from fido2.cose import CoseKey
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AuthenticatorData,
    CollectedClientData,
    PublicKeyCredentialParameters,
    PublicKeyCredentialType,
)

OFFERED_ALGORITHMS = (-7, -8, -35, -36, -37, -257)
"""COSE algorithms the creation options offer, in order of preference: ES256, EdDSA, ES384,
ES512, PS256, RS256. A key of any other algorithm (RS1, for one) is refused."""
_MIN_RSA_BITS = 2048
_RSA_KTY = 3


def offered_parameters() -> list[PublicKeyCredentialParameters]:
    """``pubKeyCredParams`` for ``Fido2Server.allowed_algorithms``."""
    return [
        PublicKeyCredentialParameters(type=PublicKeyCredentialType.PUBLIC_KEY, alg=alg)
        for alg in OFFERED_ALGORITHMS
    ]


def check_public_key(public_key: CoseKey) -> None:
    """The key's algorithm is one the options offered, and an RSA key is 2048 bits or more."""
    alg = public_key.get(3)
    if isinstance(alg, bool) or alg not in OFFERED_ALGORITHMS:
        raise Rejected(errors.ALGORITHM, f"COSE algorithm {alg!r} was not offered")
    if public_key.get(1) == _RSA_KTY:
        modulus = public_key.get(-1)
        if not isinstance(modulus, bytes) or len(modulus.lstrip(b"\0")) * 8 < _MIN_RSA_BITS:
            raise Rejected(errors.ALGORITHM, f"RSA keys must have at least {_MIN_RSA_BITS} bits")


def check_flags(auth_data: AuthenticatorData) -> None:
    """Backup state (BS) without backup eligibility (BE) is invalid authenticator data."""
    if auth_data.is_backed_up() and not auth_data.is_backup_eligible():
        raise Rejected(errors.BACKUP_FLAGS, "backup state is set without backup eligibility")


def check_cross_origin(client_data: CollectedClientData, *, allowed: bool) -> None:
    """Refuse ``crossOrigin`` (anything but absent or false) unless the deployment allows it."""
    if client_data.cross_origin is not False and not allowed:
        raise Rejected(errors.CROSS_ORIGIN, "the ceremony ran in a cross-origin frame")


def verified_aaguid(attestation_object: AttestationObject, client_data_hash: bytes) -> Aaguid:
    """Verify the attestation statement; the AAGUID it vouches for, or the zero AAGUID.

    ``none`` (an empty statement) vouches for nothing; any other format must verify, and a
    format python-fido2 does not know is refused. (Importing ``fido2.attestation.base`` loads
    the package, which registers every format it knows.)
    """
    from fido2.attestation.base import Attestation, AttestationType, UnsupportedType

    auth_data = attestation_object.auth_data
    statement: Any = attestation_object.att_stmt
    if attestation_object.fmt == "none":
        if statement != {}:
            raise Rejected(errors.ATTESTATION, "a none attestation carries a statement")
        return Aaguid.NONE
    verifier = Attestation.for_type(attestation_object.fmt)()
    try:
        result = verifier.verify(statement, auth_data, client_data_hash)
    except UnsupportedType as exc:
        raise Rejected(
            errors.ATTESTATION_FORMAT, "the attestation format is not supported"
        ) from exc
    except Exception as exc:  # any failure of untrusted input
        raise Rejected(
            errors.ATTESTATION, f"the attestation does not verify: {type(exc).__name__}"
        ) from exc
    credential = auth_data.credential_data
    if result.attestation_type == AttestationType.NONE or credential is None:
        return Aaguid.NONE
    return credential.aaguid


def check_aaguid(aaguid: Aaguid, allowed: Collection[str]) -> None:
    """With an allow-list, only a verified AAGUID on it may register."""
    if allowed and str(aaguid) not in allowed:
        detail = "no verified attestation" if not aaguid else f"AAGUID {aaguid} is not allowed"
        raise Rejected(errors.AAGUID_NOT_ALLOWED, detail)
