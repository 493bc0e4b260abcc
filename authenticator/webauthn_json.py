"""WebAuthn JSON in, python-fido2 objects through, WebAuthn JSON out.

Servers send options as JSON with base64url binary fields, sometimes wrapped in
``{"publicKey": ...}`` and sometimes without ``rpId``; python-fido2 wants
typed options with the RP ID set. Responses go back as the standard
RegistrationResponseJSON / AuthenticationResponseJSON, with the fields a
browser adds (``transports``, ``publicKey``, ...) so any verifier accepts them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognito_passkey.protocol.dialect import webauthn_options

from .base import WebAuthnJSON
from .errors import InvalidOptionsError

if TYPE_CHECKING:
    from fido2.webauthn import (
        PublicKeyCredentialCreationOptions,
        PublicKeyCredentialRequestOptions,
        RegistrationResponse,
    )

_B64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_KNOWN_TRANSPORTS = frozenset({"usb", "nfc", "ble", "hybrid", "internal"})
_KNOWN_HINTS = frozenset({"security-key", "client-device", "hybrid"})
_PUBLIC_KEY = "public-key"


@dataclass(frozen=True)
class ParsedOptions:
    """Options ready for python-fido2, with what the client itself must honour."""

    rp_id: str
    timeout_ms: int | None
    fido2_options: PublicKeyCredentialCreationOptions | PublicKeyCredentialRequestOptions


def unwrap(options: Mapping[str, Any]) -> dict[str, Any]:
    """Drop a ``{"publicKey": ...}`` wrapper (CredentialCreationOptions form)."""
    if not isinstance(options, Mapping):
        raise InvalidOptionsError(
            f"WebAuthn options must be a JSON object, not {type(options).__name__}."
        )
    return webauthn_options(options)


def _check_b64url(value: Any, field: str) -> None:
    if not isinstance(value, str) or not _B64URL.fullmatch(value) or len(value) % 4 == 1:
        raise InvalidOptionsError(f"WebAuthn options field {field!r} is not base64url text.")


def _timeout(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return int(value)


def _descriptors(value: Any, field: str) -> list[dict[str, Any]] | None:
    """Keep public-key descriptors, dropping transports we do not know (as browsers do)."""
    if value is None:
        return None
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        raise InvalidOptionsError(f"WebAuthn options field {field!r} must be a list.")
    kept = []
    for item in value:
        if not isinstance(item, Mapping) or "id" not in item:
            raise InvalidOptionsError(
                f"Each entry of {field!r} must be an object with an 'id' (base64url)."
            )
        if item.get("type", _PUBLIC_KEY) != _PUBLIC_KEY:
            continue
        _check_b64url(item["id"], f"{field}[].id")
        descriptor: dict[str, Any] = {"type": _PUBLIC_KEY, "id": item["id"]}
        transports = item.get("transports")
        if isinstance(transports, Sequence) and not isinstance(transports, str):
            descriptor["transports"] = [t for t in transports if t in _KNOWN_TRANSPORTS]
        kept.append(descriptor)
    return kept


def _drop_unknown_hints(data: dict[str, Any]) -> None:
    hints = data.get("hints")
    if isinstance(hints, Sequence) and not isinstance(hints, str):
        data["hints"] = [h for h in hints if h in _KNOWN_HINTS] or None
    else:
        data.pop("hints", None)


def _require_challenge(data: Mapping[str, Any]) -> None:
    challenge = data.get("challenge")
    if not isinstance(challenge, str) or not challenge:
        raise InvalidOptionsError(
            "WebAuthn options carry no 'challenge' (a base64url string is required)."
        )
    _check_b64url(challenge, "challenge")


def _resolve_rp_id(explicit: Any, fallback: str | None) -> str:
    if explicit is not None:
        if not isinstance(explicit, str) or not explicit:
            raise InvalidOptionsError("The options' RP ID must be a non-empty string.")
        return explicit
    if fallback:
        return fallback
    raise InvalidOptionsError(
        "The options carry no RP ID and none was given; pass rp_id (e.g. 'example.com')."
    )


def parse_creation_options(options: Mapping[str, Any], *, rp_id: str | None) -> ParsedOptions:
    """PublicKeyCredentialCreationOptionsJSON -> python-fido2 options (RP ID filled in)."""
    from fido2.webauthn import PublicKeyCredentialCreationOptions

    data = unwrap(options)
    _require_challenge(data)
    rp = data.get("rp")
    if not isinstance(rp, Mapping):
        raise InvalidOptionsError("Creation options need an 'rp' object with a 'name'.")
    user = data.get("user")
    if not isinstance(user, Mapping) or not isinstance(user.get("id"), str):
        raise InvalidOptionsError("Creation options need a 'user' object with a base64url 'id'.")
    _check_b64url(user["id"], "user.id")
    effective_rp_id = _resolve_rp_id(rp.get("id"), rp_id)
    params = data.get("pubKeyCredParams")
    if not isinstance(params, Sequence) or isinstance(params, str):
        raise InvalidOptionsError("Creation options need a 'pubKeyCredParams' list.")
    data["rp"] = {**rp, "id": effective_rp_id, "name": rp.get("name") or effective_rp_id}
    data["pubKeyCredParams"] = [
        {"type": _PUBLIC_KEY, "alg": p["alg"]}
        for p in params
        if isinstance(p, Mapping)
        and p.get("type", _PUBLIC_KEY) == _PUBLIC_KEY
        and isinstance(p.get("alg"), int)
    ]
    if not data["pubKeyCredParams"]:
        raise InvalidOptionsError("'pubKeyCredParams' lists no public-key algorithm.")
    return _parsed(
        data, "excludeCredentials", PublicKeyCredentialCreationOptions, "creation", effective_rp_id
    )


def parse_request_options(options: Mapping[str, Any], *, rp_id: str | None) -> ParsedOptions:
    """PublicKeyCredentialRequestOptionsJSON -> python-fido2 options (RP ID filled in)."""
    from fido2.webauthn import PublicKeyCredentialRequestOptions

    data = unwrap(options)
    _require_challenge(data)
    effective_rp_id = _resolve_rp_id(data.get("rpId"), rp_id)
    data["rpId"] = effective_rp_id
    return _parsed(
        data, "allowCredentials", PublicKeyCredentialRequestOptions, "request", effective_rp_id
    )


def _parsed(
    data: dict[str, Any],
    descriptors_key: str,
    kind: type[PublicKeyCredentialCreationOptions] | type[PublicKeyCredentialRequestOptions],
    what: str,
    effective_rp_id: str,
) -> ParsedOptions:
    """The steps both kinds of options end with: credential descriptors, hints, timeout,
    then python-fido2's own parse."""
    data[descriptors_key] = _descriptors(data.get(descriptors_key), descriptors_key)
    _drop_unknown_hints(data)
    timeout_ms = _timeout(data.pop("timeout", None))
    try:
        parsed = kind.from_dict(data)
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidOptionsError(f"Malformed {what} options: {exc}.") from exc
    return ParsedOptions(effective_rp_id, timeout_ms, parsed)


def plain_json(value: Any) -> Any:
    """Plain dicts, lists, str and numbers only (fido2 hands out Mappings and str enums)."""
    if isinstance(value, enum.Enum):
        return plain_json(value.value)
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _b64(data: bytes) -> str:
    from fido2.utils import websafe_encode

    return str(websafe_encode(data))


def _cose_to_spki(cose: Mapping[int, Any]) -> bytes | None:
    """DER SubjectPublicKeyInfo for the common COSE key types, None for others."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    kty = cose.get(1)
    key: Any
    try:
        if kty == 2:
            curves: dict[int, ec.EllipticCurve] = {
                1: ec.SECP256R1(),
                2: ec.SECP384R1(),
                3: ec.SECP521R1(),
            }
            curve = curves.get(cose.get(-1, 0))
            if curve is None:
                return None
            point = b"\x04" + bytes(cose[-2]) + bytes(cose[-3])
            key = ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
        elif kty == 1 and cose.get(-1) == 6:
            key = ed25519.Ed25519PublicKey.from_public_bytes(bytes(cose[-2]))
        elif kty == 3:
            n = int.from_bytes(bytes(cose[-1]), "big")
            e = int.from_bytes(bytes(cose[-2]), "big")
            key = rsa.RSAPublicNumbers(e, n).public_key()
        else:
            return None
    except (KeyError, ValueError, TypeError):
        return None
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def registration_json(response: RegistrationResponse, transports: Sequence[str]) -> WebAuthnJSON:
    """RegistrationResponseJSON, with the L3 convenience fields a browser adds."""
    result: WebAuthnJSON = plain_json(dict(response))
    attestation = response.response.attestation_object
    auth_data = attestation.auth_data
    inner = result["response"]
    inner["transports"] = sorted({t for t in transports if t in _KNOWN_TRANSPORTS})
    inner["authenticatorData"] = _b64(bytes(auth_data))
    credential = auth_data.credential_data
    if credential is not None:
        alg = credential.public_key.get(3)
        if isinstance(alg, int):
            inner["publicKeyAlgorithm"] = alg
        spki = _cose_to_spki(credential.public_key)
        if spki is not None:
            inner["publicKey"] = _b64(spki)
    result.setdefault("clientExtensionResults", {})
    return result


def authentication_json(response: Mapping[str, Any]) -> WebAuthnJSON:
    """AuthenticationResponseJSON (``userHandle`` present only when the key returned one)."""
    result: WebAuthnJSON = plain_json(dict(response))
    result.setdefault("clientExtensionResults", {})
    return result
