"""Decoding CTAP2 request parameters into checked Python values.

A real key answers bad input with a status code; so does this module, by
raising :class:`fido2.ctap.CtapError`, which the device turns into a status byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from fido2 import cbor
from fido2.ctap import CtapError

ERR = CtapError.ERR
K = TypeVar("K", int, str)
V = TypeVar("V")


def fail(code: CtapError.ERR) -> CtapError:
    """The exception for a CTAP status (``raise fail(ERR.X)``)."""
    return CtapError(code)


def decode_params(payload: bytes) -> dict[int, Any]:
    """The integer-keyed parameter map of a command (empty when there is none)."""
    if not payload:
        return {}
    try:
        value = cbor.decode(payload)
    except Exception:  # fido2.cbor raises assorted errors on malformed input
        raise fail(ERR.INVALID_CBOR) from None
    if not isinstance(value, dict):
        raise fail(ERR.CBOR_UNEXPECTED_TYPE)
    if not all(isinstance(k, int) and not isinstance(k, bool) for k in value):
        raise fail(ERR.CBOR_UNEXPECTED_TYPE)
    return value


def _is(value: Any, kind: type[Any]) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def required(params: Mapping[K, Any], key: K, kind: type[V]) -> V:
    """``params[key]``, which must be present and of ``kind``."""
    if key not in params:
        raise fail(ERR.MISSING_PARAMETER)
    value = params[key]
    if not _is(value, kind):
        raise fail(ERR.CBOR_UNEXPECTED_TYPE)
    return value  # type: ignore[no-any-return]


def optional(params: Mapping[K, Any], key: K, kind: type[V]) -> V | None:
    """``params[key]`` if present (checked against ``kind``), else None."""
    if key not in params:
        return None
    return required(params, key, kind)


def descriptor_ids(entries: list[Any]) -> list[bytes]:
    """Credential IDs of a list of PublicKeyCredentialDescriptors (non public-key ones skipped)."""
    ids = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise fail(ERR.CBOR_UNEXPECTED_TYPE)
        kind = required(entry, "type", str)
        credential_id = required(entry, "id", bytes)
        if kind == "public-key":
            ids.append(credential_id)
    return ids


def options_map(params: Mapping[int, Any], key: int) -> dict[str, bool]:
    """The ``options`` map: text keys, boolean values."""
    options = optional(params, key, dict) or {}
    for name, value in options.items():
        if not isinstance(name, str) or not isinstance(value, bool):
            raise fail(ERR.CBOR_UNEXPECTED_TYPE)
    return options
