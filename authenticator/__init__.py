"""Authenticators: USB security keys and the software key, behind one interface.

Importing this package is cheap: python-fido2 loads only when a class that
needs it is first used (the CLI's ``--help`` must stay fast).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .base import Authenticator, WebAuthnJSON
from .errors import (
    AuthenticatorError,
    AuthenticatorTimeoutError,
    CancelledError,
    CredentialExcludedError,
    CredentialStoreError,
    InvalidOptionsError,
    NoAuthenticatorError,
    NoCredentialsError,
    OriginError,
    PinBlockedError,
    PinError,
    PinInvalidError,
    PinNotSetError,
    PinRequiredError,
    StoreCorruptedError,
    StoreLockedError,
    UserVerificationError,
    WeakPassphraseError,
)

if TYPE_CHECKING:
    from .devices import UsbDeviceInfo, list_usb_devices
    from .factory import open_authenticator
    from .fido2_authenticator import ClientAuthenticator
    from .interaction import TerminalInteraction
    from .soft_authenticator import PASSPHRASE_ENV, SoftAuthenticator, open_store

_LAZY = {
    "ClientAuthenticator": ".fido2_authenticator",
    "SoftAuthenticator": ".soft_authenticator",
    "open_store": ".soft_authenticator",
    "PASSPHRASE_ENV": ".soft_authenticator",
    "open_authenticator": ".factory",
    "list_usb_devices": ".devices",
    "UsbDeviceInfo": ".devices",
    "TerminalInteraction": ".interaction",
}

__all__ = [
    "PASSPHRASE_ENV",
    "Authenticator",
    "AuthenticatorError",
    "AuthenticatorTimeoutError",
    "CancelledError",
    "ClientAuthenticator",
    "CredentialExcludedError",
    "CredentialStoreError",
    "InvalidOptionsError",
    "NoAuthenticatorError",
    "NoCredentialsError",
    "OriginError",
    "PinBlockedError",
    "PinError",
    "PinInvalidError",
    "PinNotSetError",
    "PinRequiredError",
    "SoftAuthenticator",
    "StoreCorruptedError",
    "StoreLockedError",
    "TerminalInteraction",
    "UsbDeviceInfo",
    "UserVerificationError",
    "WeakPassphraseError",
    "WebAuthnJSON",
    "list_usb_devices",
    "open_authenticator",
    "open_store",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
