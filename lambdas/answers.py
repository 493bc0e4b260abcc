"""Challenge answers: size-capped, parsed and checked before any verifier sees them.

Answers follow docs/protocol.md, "The custom-auth dialects": the literal ``AUTH_PARAMS``, or
JSON holding an ``assertion_response`` (sign-in) or an ``attestation_response`` plus
``id_token`` (add a passkey). Binary fields are base64url. Every malformed input raises
:class:`Rejected` with its own reason code; a good one becomes python-fido2's
``AuthenticationResponse`` or ``RegistrationResponse``, built once and handed to
``Fido2Server`` as is.

The fields are read one by one rather than through ``from_dict``: python-fido2 decodes
base64url leniently and reports any bad field as one ``ValueError``, while each malformed
field here has its own reason code.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.errors import Rejected
from cognito_passkey.protocol import dialect
from fido2.webauthn import (
    AttestationObject,
    AuthenticationResponse,
    AuthenticatorAssertionResponse,
    AuthenticatorAttestationResponse,
    AuthenticatorData,
    CollectedClientData,
    RegistrationResponse,
)

_B64URL = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")
_MAX_TRANSPORTS = 8
_MAX_ID_BYTES = 1023  # WebAuthn: credential ids are at most 1023 bytes


@dataclass(frozen=True, repr=False)
class Assertion:
    """A checked ``assertion_response``."""

    credential: AuthenticationResponse

    @property
    def credential_id(self) -> bytes:
        return self.credential.raw_id

    @property
    def authenticator_data(self) -> AuthenticatorData:
        return self.credential.response.authenticator_data

    @property
    def user_handle(self) -> bytes | None:
        return self.credential.response.user_handle

    def __repr__(self) -> str:  # the signature stays out of log lines and tracebacks
        return f"Assertion(credential_id={self.credential_id!r})"


@dataclass(frozen=True, repr=False)
class Attestation:
    """A checked ``attestation_response`` with the ID token sent beside it."""

    credential: RegistrationResponse
    transports: tuple[str, ...]
    id_token: str  # a bearer credential: never in a log line

    @property
    def credential_id(self) -> bytes:
        return self.credential.raw_id

    def __repr__(self) -> str:
        return f"Attestation(credential_id={self.credential_id!r}, transports={self.transports!r})"


Answer = str | Assertion | Attestation


def b64url_decode(value: Any, name: str) -> bytes:
    """Strict base64url (padding optional); anything else is BAD_BASE64."""
    if not isinstance(value, str) or not _B64URL.match(value) or len(value.rstrip("=")) % 4 == 1:
        raise Rejected(errors.BAD_BASE64, f"{name} is not base64url")
    text = value.rstrip("=")
    try:
        return binascii.a2b_base64(
            (text + "=" * (-len(text) % 4)).replace("-", "+").replace("_", "/")
        )
    except (binascii.Error, ValueError) as exc:
        raise Rejected(errors.BAD_BASE64, f"{name} is not base64url") from exc


def _object(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise Rejected(errors.BAD_ANSWER, f"{name} is not an object")
    return value


def _client_data(value: Any, expected_type: str) -> CollectedClientData:
    raw = b64url_decode(value, "clientDataJSON")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Rejected(errors.BAD_CLIENT_DATA, "clientDataJSON is not JSON") from exc
    if not isinstance(data, dict) or not all(
        isinstance(data.get(key), str) for key in ("type", "challenge", "origin")
    ):
        raise Rejected(errors.BAD_CLIENT_DATA, "clientDataJSON lacks type, challenge or origin")
    b64url_decode(data["challenge"], "clientDataJSON.challenge")
    if data["type"] != expected_type:
        raise Rejected(errors.CLIENT_DATA_TYPE, f"clientDataJSON type is not {expected_type}")
    try:
        return CollectedClientData(raw)
    except Exception as exc:  # any parse failure of untrusted bytes
        raise Rejected(errors.BAD_CLIENT_DATA, "clientDataJSON is malformed") from exc


def _credential_id(credential: Mapping[str, Any]) -> bytes:
    if credential.get("type", "public-key") != "public-key":
        raise Rejected(errors.BAD_ANSWER, "credential type is not public-key")
    credential_id = b64url_decode(credential.get("id"), "id")
    if "rawId" in credential and b64url_decode(credential["rawId"], "rawId") != credential_id:
        raise Rejected(errors.BAD_ANSWER, "id and rawId differ")
    if not 0 < len(credential_id) <= _MAX_ID_BYTES:
        raise Rejected(errors.BAD_ANSWER, "credential id has a bad length")
    return credential_id


def _assertion(value: Any) -> Assertion:
    credential = _object(value, dialect.ANSWER_ASSERTION)
    credential_id = _credential_id(credential)
    response = _object(credential.get("response"), "response")
    client_data = _client_data(response.get("clientDataJSON"), CollectedClientData.TYPE.GET)
    auth_bytes = b64url_decode(response.get("authenticatorData"), "authenticatorData")
    try:
        authenticator_data = AuthenticatorData(auth_bytes)
    except Exception as exc:  # any parse failure of untrusted bytes
        raise Rejected(errors.BAD_AUTHENTICATOR_DATA, "authenticatorData is malformed") from exc
    signature = b64url_decode(response.get("signature"), "signature")
    if not signature:
        raise Rejected(errors.BAD_ANSWER, "signature is empty")
    handle = response.get("userHandle")
    user_handle = None if handle in (None, "") else b64url_decode(handle, "userHandle")
    return Assertion(
        AuthenticationResponse(
            raw_id=credential_id,
            response=AuthenticatorAssertionResponse(
                client_data=client_data,
                authenticator_data=authenticator_data,
                signature=signature,
                user_handle=user_handle,
            ),
        )
    )


def _transports(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if (
        not isinstance(value, list)
        or len(value) > _MAX_TRANSPORTS
        or not all(isinstance(item, str) and 0 < len(item) <= 32 for item in value)
    ):
        raise Rejected(errors.BAD_ANSWER, "transports is not a list of names")
    return tuple(value)


def _attestation(value: Any, id_token: Any) -> Attestation:
    credential = _object(value, dialect.ANSWER_ATTESTATION)
    credential_id = _credential_id(credential)
    response = _object(credential.get("response"), "response")
    client_data = _client_data(response.get("clientDataJSON"), CollectedClientData.TYPE.CREATE)
    raw = b64url_decode(response.get("attestationObject"), "attestationObject")
    try:
        attestation_object = AttestationObject(raw)
        attested = attestation_object.auth_data.credential_data
        if not isinstance(attestation_object.fmt, str) or attested is None:
            raise ValueError("no attested credential data")
    except Exception as exc:  # any parse failure of untrusted CBOR
        raise Rejected(errors.BAD_CBOR, "attestationObject is malformed") from exc
    if attested.credential_id != credential_id:
        raise Rejected(errors.BAD_ANSWER, "attested credential id differs from id")
    transports = _transports(response.get("transports", credential.get("transports")))
    if not isinstance(id_token, str) or not id_token:
        raise Rejected(errors.TOKEN_MISSING, "the answer carries no id_token")
    credential_response = AuthenticatorAttestationResponse(
        client_data=client_data, attestation_object=attestation_object
    )
    return Attestation(
        RegistrationResponse(raw_id=credential_id, response=credential_response),
        transports,
        id_token,
    )


def parse_answer(raw: Any) -> Answer:
    """Check a challenge answer: ``AUTH_PARAMS``, an Assertion or an Attestation."""
    if not isinstance(raw, str):
        raise Rejected(errors.BAD_ANSWER_TYPE, "the answer is not a string")
    if len(raw) > dialect.MAX_ANSWER_BYTES or len(raw.encode("utf-8", "replace")) > (
        dialect.MAX_ANSWER_BYTES
    ):
        raise Rejected(
            errors.ANSWER_TOO_LARGE, f"the answer exceeds {dialect.MAX_ANSWER_BYTES} bytes"
        )
    if raw == dialect.AUTH_PARAMS:
        return raw
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Rejected(errors.BAD_JSON, "the answer is not JSON") from exc
    if not isinstance(document, dict):
        raise Rejected(errors.BAD_ANSWER, "the answer is not a JSON object")
    has_assertion = dialect.ANSWER_ASSERTION in document
    has_attestation = dialect.ANSWER_ATTESTATION in document
    if has_assertion == has_attestation:
        raise Rejected(errors.BAD_ANSWER, "the answer needs exactly one of the two responses")
    if has_assertion:
        return _assertion(document[dialect.ANSWER_ASSERTION])
    return _attestation(document[dialect.ANSWER_ATTESTATION], document.get(dialect.ANSWER_ID_TOKEN))
