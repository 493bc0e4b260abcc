"""The software authenticator: a CTAP2 key in software, with a persistent credential store.

``SoftCtapDevice`` is a ``fido2.ctap.CtapDevice``, so ``fido2.client.Fido2Client``
drives it exactly as it drives a USB key::

    device = SoftCtapDevice.open("~/.config/cognito-passkey/soft-key.json")
    client = Fido2Client(device, DefaultClientDataCollector("https://example.com"))
"""

from __future__ import annotations

from .config import SOFT_AAGUID, AuthenticatorConfig, UserCheck, UserRequest, always_approve
from .credential import StoredCredential
from .device import SoftCtapDevice
from .device_state import DeviceState, PinState
from .keys import ALG_EDDSA, ALG_ES256, ALG_RS256
from .store import CredentialStore, MemoryCredentialStore
from .store_file import FileCredentialStore

__all__ = [
    "ALG_EDDSA",
    "ALG_ES256",
    "ALG_RS256",
    "SOFT_AAGUID",
    "AuthenticatorConfig",
    "CredentialStore",
    "DeviceState",
    "FileCredentialStore",
    "MemoryCredentialStore",
    "PinState",
    "SoftCtapDevice",
    "StoredCredential",
    "UserCheck",
    "UserRequest",
    "always_approve",
]
