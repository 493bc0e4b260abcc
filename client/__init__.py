"""Passkey sign-in to Amazon Cognito: LoginID's Cognito WebSDK ported to Python.

``PasskeyClient`` runs the custom-auth exchange; ``Tokens`` is what it returns.
Importing this package loads nothing heavy: each name loads on first use (PEP 562),
so the CLI's ``--help`` does not pay for boto3, fido2 or the exchange.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cognito_passkey.client.passkey_client import PasskeyClient
    from cognito_passkey.client.tokens import Tokens

_LAZY = {
    "PasskeyClient": "cognito_passkey.client.passkey_client",
    "Tokens": "cognito_passkey.client.tokens",
}

__all__ = ["PasskeyClient", "Tokens"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
