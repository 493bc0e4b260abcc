"""Passkey sign-in to Amazon Cognito: LoginID's Cognito WebSDK ported to Python.

``PasskeyClient`` runs the custom-auth exchange; ``Tokens`` is what it returns.
Importing this package loads neither boto3 nor fido2.
"""

from __future__ import annotations

from cognito_passkey.client.passkey_client import PasskeyClient
from cognito_passkey.client.tokens import Tokens

__all__ = ["PasskeyClient", "Tokens"]
