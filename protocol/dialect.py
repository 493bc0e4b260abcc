"""The custom-auth dialect shared by the trigger Lambdas and the client.

The LoginID WebSDK dialect (docs/protocol.md, "The custom-auth dialects"), plus our 2-call
sign-in: round 1 may already carry assertion options beside the ``AUTH_PARAMS`` marker.
Pure constants and one pure function: both sides import this module, so it stays free of
any dependency.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

AUTH_PARAMS: Final = "AUTH_PARAMS"
"""Round-1 marker: the challenge value, the challenge metadata and the 3-call answer."""

# Public challenge parameter names.
PARAM_CHALLENGE: Final = "challenge"
PARAM_PUBLIC_KEY: Final = "public_key"
"""JSON string of the WebAuthn options (request options for sign-in, creation for add)."""

# ClientMetadata keys and values (every value a string).
META_AUTHENTICATION_TYPE: Final = "authentication_type"
META_ATTESTATION_OPTIONS: Final = "attestation_options"
META_FAST_SIGNIN: Final = "fast_signin"
"""Set to "true" by a client that answers round 1 with an assertion (2-call dialect)."""

FIDO2_GET: Final = "FIDO2_GET"
FIDO2_CREATE: Final = "FIDO2_CREATE"

# Challenge answer JSON keys.
ANSWER_ASSERTION: Final = "assertion_response"
ANSWER_ATTESTATION: Final = "attestation_response"
ANSWER_ID_TOKEN: Final = "id_token"  # noqa: S105 (a key name)

MAX_ROUNDS: Final = 3
MAX_ANSWER_BYTES: Final = 16 * 1024
"""Answers longer than this are rejected before parsing."""

META_ID_TOKEN: Final = "id_token"  # noqa: S105 (a key name)
"""Optional in FIDO2_CREATE ClientMetadata: the ID token, checked before any backend call.

The original WebSDK sends the ID token only in the final answer; a client that also sends
it here lets the Create trigger refuse an unauthenticated registration before the backend
is asked for anything. The answer's ``id_token`` is verified either way.
"""

META_ACCESS_TOKEN: Final = "access_token"  # noqa: S105 (a key name)
"""Optional in FIDO2_CREATE ClientMetadata: the user's access token, as proof beyond the ID
token. The Verify trigger checks it and has Cognito confirm it is live (``GetUser``: revoked
or signed-out tokens fail); a deployment may make it mandatory. The original WebSDK does not
send it.
"""

# Private challenge parameter names (seen only by the triggers, never by the client).
PRIVATE_KIND: Final = "kind"
"""What the answer must be: AUTH_PARAMS (3-call marker), FIDO2_GET or FIDO2_CREATE."""
PRIVATE_STATE: Final = "state"
"""The backend's opaque ceremony state (LoginID session, or the self-hosted challenge id)."""
PRIVATE_FAST: Final = "fast"
""""true" when round 1 also carries assertion options (2-call dialect)."""

CUSTOM_CHALLENGE: Final = "CUSTOM_CHALLENGE"
"""Cognito's name for every round of the exchange, in both dialects."""

WRAPPER_KEY: Final = "publicKey"
"""``public_key`` holds either the bare WebAuthn options or ``{"publicKey": {...}}`` (the
CredentialCreationOptions form of the JavaScript API); readers accept both."""


def webauthn_options(document: Mapping[str, Any]) -> dict[str, Any]:
    """The WebAuthn options of a ``public_key`` document, its ``publicKey`` wrapper dropped.

    The caller checks the options' fields; only an object under the wrapper counts as one.
    """
    inner = document.get(WRAPPER_KEY)
    return dict(inner) if isinstance(inner, Mapping) else dict(document)
