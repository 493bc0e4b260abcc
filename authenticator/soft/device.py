"""The software authenticator as an in-process ``fido2.ctap.CtapDevice``.

``fido2.client.Fido2Client`` (or ``fido2.ctap2.Ctap2``) drives it exactly as it
drives a USB key over HID: CTAPHID.CBOR carries the CTAP2 commands, PING
echoes, WINK does nothing visible, and CTAP1/U2F messages are not offered
(capability NMSG), so the client always speaks CTAP2.
"""

from __future__ import annotations

import os
import struct
import threading
import time
from collections.abc import Callable, Iterator
from threading import Event
from typing import Any

from fido2.ctap import STATUS, CtapDevice, CtapError
from fido2.ctap2.base import Ctap2
from fido2.ctap2.pin import ClientPin
from fido2.hid import CAPABILITY, CTAPHID
from fido2.hid.base import HidDescriptor

from .config import AuthenticatorConfig, UserCheck, always_approve
from .ctap_commands import CtapAuthenticator
from .store import CredentialStore, MemoryCredentialStore
from .store_file import FileCredentialStore

CTAPHID_PROTOCOL_VERSION = 2
DEVICE_VERSION = (1, 0, 0)
_CAPABILITIES = CAPABILITY.CBOR | CAPABILITY.WINK | CAPABILITY.NMSG


class SoftCtapDevice(CtapDevice):
    """A CTAP2 authenticator in software, backed by a credential store.

    Defaults suit headless use: built-in user verification and user presence
    both answered "yes" at once. ``user_presence`` / ``user_verification``
    simulate the person (return False for "did not touch" / "not verified";
    the request's ``event`` is set when the platform cancels). ``clock`` (monotonic
    seconds) drives token lifetimes and the reset window. Use
    ``AuthenticatorConfig.pin_only()`` for a key that verifies users only by PIN.

    Bad CTAP input never raises out of :meth:`call`: it gets a status byte, as
    from a real key. A store that cannot be used raises its
    ``CredentialStoreError``; an exception from a callback propagates unchanged.
    """

    def __init__(
        self,
        store: CredentialStore | None = None,
        *,
        config: AuthenticatorConfig | None = None,
        user_presence: UserCheck = always_approve,
        user_verification: UserCheck = always_approve,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store if store is not None else MemoryCredentialStore()
        self.config = config or AuthenticatorConfig()
        self.authenticator = CtapAuthenticator(
            self.store, self.config, user_presence, user_verification, clock
        )
        self._lock = threading.Lock()
        self._closed = False
        self._channel_id = struct.unpack(">I", os.urandom(4))[0] | 1

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        passphrase: str | None = None,
        config: AuthenticatorConfig | None = None,
        user_presence: UserCheck = always_approve,
        user_verification: UserCheck = always_approve,
    ) -> SoftCtapDevice:
        """A device on the file store at ``path``, checked now (raises CredentialStoreError)."""
        store = FileCredentialStore(path, passphrase=passphrase)
        store.check()
        return cls(
            store, config=config, user_presence=user_presence, user_verification=user_verification
        )

    def __repr__(self) -> str:
        return f"SoftCtapDevice({self.store!r}, product_name={self.product_name!r})"

    def set_pin(self, pin: str) -> None:
        """Set the first PIN the way a platform does (clientPIN setPIN over protocol 2).

        Raises ``fido2.ctap.CtapError`` (NOT_ALLOWED when a PIN is already set,
        PIN_POLICY_VIOLATION when shorter than 4 characters).
        """
        ClientPin(Ctap2(self)).set_pin(pin)

    # Descriptor-like properties, as CtapHidDevice has them.

    @property
    def capabilities(self) -> int:
        return int(_CAPABILITIES)

    @property
    def product_name(self) -> str:
        return self.config.product_name

    @property
    def serial_number(self) -> str | None:
        return None

    @property
    def descriptor(self) -> HidDescriptor:
        """What CtapHidDevice.descriptor holds for a USB key; the path names the store."""
        path = getattr(self.store, "path", None)
        return HidDescriptor(
            path=f"soft:{path}" if path is not None else "soft:memory",
            vid=0,
            pid=0,
            report_size_in=64,
            report_size_out=64,
            product_name=self.product_name,
            serial_number=None,
        )

    @property
    def version(self) -> int:
        """CTAPHID protocol version."""
        return CTAPHID_PROTOCOL_VERSION

    @property
    def device_version(self) -> tuple[int, int, int]:
        return DEVICE_VERSION

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True

    def power_cycle(self) -> None:
        """Simulate unplugging and re-inserting the key (clears PIN lockout, tokens)."""
        with self._lock:
            self.authenticator.power_cycle()
            self._closed = False

    @classmethod
    def list_devices(cls) -> Iterator[CtapDevice]:
        """No software device is discoverable; construct one instead."""
        return iter(())

    def call(
        self,
        cmd: int,
        data: bytes = b"",
        event: Event | None = None,
        on_keepalive: Callable[[STATUS], None] | None = None,
    ) -> bytes:
        """One CTAPHID transaction. CTAP2 failures come back as a status byte, as on the wire;
        transport-level failures raise CtapError like CtapHidDevice does."""
        if self._closed:
            raise OSError("the software authenticator was closed")
        event = event or Event()
        data = bytes(data)
        with self._lock:
            if cmd == CTAPHID.CBOR:
                return self.authenticator.process(data, event, on_keepalive)
            if cmd == CTAPHID.PING:
                return data
            if cmd in (CTAPHID.WINK, CTAPHID.LOCK, CTAPHID.CANCEL):
                return b""
            if cmd == CTAPHID.INIT:
                return self._init_response(data)
            raise CtapError(CtapError.ERR.INVALID_COMMAND)

    def _init_response(self, nonce: bytes) -> bytes:
        if len(nonce) != 8:
            raise CtapError(CtapError.ERR.INVALID_LENGTH)
        return nonce + struct.pack(
            ">IBBBBB",
            self._channel_id,
            CTAPHID_PROTOCOL_VERSION,
            *DEVICE_VERSION,
            int(_CAPABILITIES),
        )

    def __enter__(self) -> SoftCtapDevice:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()
