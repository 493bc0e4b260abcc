"""What python-fido2 would work out again on every ceremony, worked out once per device.

A ceremony on a fast device (the software authenticator) spends most of its time in
python-fido2's bookkeeping rather than in CTAP: its dataclasses call
``typing.get_type_hints`` on every parse (compiling each string annotation again),
and every ``Fido2Client`` builds a ``Ctap2`` that reads and parses
authenticatorGetInfo, which the client then reads twice more per ceremony. So:

- a class's type hints and dataclass fields are computed once: both are fixed when
  the class is made, and python-fido2 only reads them;
- a device that outlives one operation keeps one ``Fido2Client``
  (:class:`DeviceClient`); each ceremony's client data collector and user
  interaction reach it through thread-local delegates, python-fido2's own
  extension points;
- its ``Ctap2`` still sends authenticatorGetInfo every time python-fido2 asks (the
  device sees the same CTAP traffic as with a client per ceremony), but an answer
  byte for byte equal to the last checked one is not decoded and parsed again.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import typing
from collections.abc import Mapping
from typing import Any

import fido2.ctap2.base
import fido2.utils
from fido2 import cbor
from fido2.client import ClientDataCollector, Fido2Client, UserInteraction
from fido2.ctap import CtapDevice, CtapError
from fido2.ctap2.base import Ctap2, Info
from fido2.ctap2.pin import ClientPin
from fido2.hid import CTAPHID
from fido2.webauthn import (
    CollectedClientData,
    PublicKeyCredentialCreationOptions,
    PublicKeyCredentialRequestOptions,
)

_GET_INFO_REQUEST = bytes([Ctap2.CMD.GET_INFO])


def memoize_fido2_type_hints() -> bool:
    """Make python-fido2's per-parse class lookups per-class lookups (idempotent).

    ``typing.get_type_hints`` and ``dataclasses.fields`` of a class never change once
    the class is made, and python-fido2 only reads what they return (a mapping, a
    tuple). Only the functions python-fido2 imported from ``typing`` and
    ``dataclasses`` are replaced; a release that does something else is left alone.
    Returns whether the type-hint memo is in place.
    """
    for module in (fido2.utils, fido2.ctap2.base):
        current = getattr(module, "fields", None)
        if current is dataclasses.fields:
            module.fields = _dataclass_fields  # type: ignore[attr-defined]
    current = getattr(fido2.utils, "get_type_hints", None)
    if getattr(current, "__wrapped__", None) is typing.get_type_hints:
        return True
    if current is not typing.get_type_hints:
        return False
    fido2.utils.get_type_hints = functools.cache(typing.get_type_hints)  # type: ignore[assignment,attr-defined]
    return True


@functools.cache
def _fields_of_class(cls: Any) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


def _dataclass_fields(class_or_instance: Any) -> tuple[dataclasses.Field[Any], ...]:
    """``dataclasses.fields``, worked out once per class (an instance has its class's)."""
    if isinstance(class_or_instance, type):
        return _fields_of_class(class_or_instance)
    cls: Any = type(class_or_instance)
    return _fields_of_class(cls)


class InfoCachingCtap2(Ctap2):
    """``Ctap2`` that asks the device for GetInfo every time but parses a changed answer only."""

    _last_info: tuple[bytes, Info] | None = None

    def get_info(self) -> Info:
        response = self.device.call(CTAPHID.CBOR, _GET_INFO_REQUEST)
        last = self._last_info
        if last is not None and last[0] == response:
            return last[1]
        # Ctap2.send_cbor's checks, on the response already in hand.
        if not response or response[0] != 0x00:
            raise CtapError(response[0] if response else CtapError.ERR.INVALID_LENGTH)
        decoded = cbor.decode(response[1:])
        if cbor.encode(decoded) != response[1:]:
            raise ValueError("Non-canonical CBOR from Authenticator.")
        if not isinstance(decoded, Mapping):
            raise TypeError("Decoded value of wrong type")
        info = Info.from_dict(decoded)
        self._last_info = (response, info)
        self._info = info
        return info


class _Ceremony(threading.local):
    collector: ClientDataCollector | None = None
    interaction: UserInteraction | None = None


class _CeremonyCollector(ClientDataCollector):
    """The current ceremony's client data collector (per thread)."""

    def __init__(self, current: _Ceremony) -> None:
        self._current = current

    def collect_client_data(
        self, options: PublicKeyCredentialCreationOptions | PublicKeyCredentialRequestOptions
    ) -> tuple[CollectedClientData, str]:
        collector = self._current.collector
        if collector is None:
            raise RuntimeError("no ceremony is running on this thread")
        return collector.collect_client_data(options)


class _CeremonyInteraction(UserInteraction):
    """The current ceremony's user interaction (per thread)."""

    def __init__(self, current: _Ceremony) -> None:
        self._current = current

    def _interaction(self) -> UserInteraction:
        return self._current.interaction or UserInteraction()

    def prompt_up(self) -> None:
        self._interaction().prompt_up()

    def request_pin(self, permissions: ClientPin.PERMISSION, rp_id: str | None) -> str | None:
        return self._interaction().request_pin(permissions, rp_id)

    def request_uv(self, permissions: ClientPin.PERMISSION, rp_id: str | None) -> bool:
        return self._interaction().request_uv(permissions, rp_id)


class DeviceClient:
    """One ``Fido2Client`` for the lifetime of ``device``, made on first use and lent to
    one ceremony at a time per thread (:meth:`for_ceremony`)."""

    def __init__(self, device: CtapDevice) -> None:
        memoize_fido2_type_hints()
        self.device = device
        self._current = _Ceremony()
        self._lock = threading.Lock()
        self._client: Fido2Client | None = None
        self._backend: Any = None

    def _make_client(self) -> Fido2Client:
        client = Fido2Client(
            self.device,
            client_data_collector=_CeremonyCollector(self._current),
            user_interaction=_CeremonyInteraction(self._current),
        )
        backend: Any = getattr(client, "_backend", None)
        # python-fido2 keeps its Ctap2 on the client's backend; where it does not (a CTAP1
        # key, another release), the client works as python-fido2 made it.
        if isinstance(getattr(backend, "ctap2", None), Ctap2):
            backend.ctap2 = InfoCachingCtap2(self.device)
            self._backend = backend
        return client

    def for_ceremony(
        self, collector: ClientDataCollector, interaction: UserInteraction
    ) -> Fido2Client:
        """The client, with this thread's ceremony set and the device info read afresh
        (what a ``Fido2Client`` made for the ceremony would have read)."""
        self._current.collector = collector
        self._current.interaction = interaction
        with self._lock:
            client, fresh = self._client, False
            if client is None:
                client = self._client = self._make_client()
                fresh = True
        if self._backend is not None and not fresh:
            self._backend.info = self._backend.ctap2.get_info()
        return client
