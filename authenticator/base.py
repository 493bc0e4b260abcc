"""The one interface every authenticator implements.

The client speaks WebAuthn JSON as it travels over the wire: options dicts with
base64url (unpadded) binary fields go in, ``RegistrationResponseJSON`` /
``AuthenticationResponseJSON`` dicts come out. A USB key and the software
authenticator both sit behind this interface, so the client has one code path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

WebAuthnJSON = dict[str, Any]


@runtime_checkable
class Authenticator(Protocol):
    """Creates credentials and assertions for a relying party.

    ``options`` is a PublicKeyCredentialCreationOptions (``create``) or
    PublicKeyCredentialRequestOptions (``get``) dict in WebAuthn JSON form; a
    ``{"publicKey": {...}}`` wrapper is accepted too. ``origin`` is the origin
    put in the client data, ``rp_id`` the relying party ID used when the options
    carry none.
    """

    def create(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> WebAuthnJSON:
        """Make a credential; returns RegistrationResponseJSON."""
        ...

    def get(self, options: Mapping[str, Any], *, origin: str, rp_id: str) -> WebAuthnJSON:
        """Sign a challenge; returns AuthenticationResponseJSON."""
        ...
