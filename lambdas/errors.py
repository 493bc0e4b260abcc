"""Why an answer or an event was turned down: one exception, one reason code per cause.

Every trigger turns a :class:`Rejected` into a failed sign-in and one structured log line
carrying ``reason``. Reason codes are stable strings meant for dashboards and alarms; the
``detail`` text is for people and never holds a token, key, signature or answer.
"""

from __future__ import annotations

from typing import Final


class Rejected(Exception):
    """The sign-in must fail for ``reason`` (one of the codes below)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ConfigError(Exception):
    """The Lambda's environment is missing a setting or holds a malformed one."""


# Event and answer shape.
BAD_EVENT: Final = "bad_event"
ANSWER_TOO_LARGE: Final = "answer_too_large"
BAD_ANSWER_TYPE: Final = "bad_answer_type"
BAD_JSON: Final = "bad_json"
BAD_ANSWER: Final = "bad_answer_shape"
BAD_BASE64: Final = "bad_base64url"
BAD_CLIENT_DATA: Final = "bad_client_data"
BAD_AUTHENTICATOR_DATA: Final = "bad_authenticator_data"
BAD_CBOR: Final = "bad_attestation_object"
BAD_METADATA: Final = "bad_client_metadata"
METADATA_MISMATCH: Final = "metadata_mismatch"
BAD_PRIVATE_STATE: Final = "bad_private_state"
AUTH_PARAMS_ANSWER: Final = "auth_params_answer"
"""Not an attack: the 3-call client asked for round 2."""
TOO_MANY_ROUNDS: Final = "too_many_rounds"
UNEXPECTED_SESSION: Final = "unexpected_session"
USER_NOT_FOUND: Final = "user_not_found"
CONFIG: Final = "config_error"
INTERNAL: Final = "internal_error"

# WebAuthn checks.
CLIENT_DATA_TYPE: Final = "client_data_type"
ORIGIN: Final = "origin"
CHALLENGE: Final = "challenge"
RP_ID: Final = "rp_id"
USER_PRESENCE: Final = "user_presence"
USER_VERIFICATION: Final = "user_verification"
SIGNATURE: Final = "signature"
UNKNOWN_CREDENTIAL: Final = "unknown_credential"
USER_HANDLE: Final = "user_handle"
CHALLENGE_UNKNOWN: Final = "challenge_unknown_or_used"
"""The challenge was never issued, was already answered (replay), or belongs to someone else."""
CHALLENGE_EXPIRED: Final = "challenge_expired"
COUNTER_REGRESSION: Final = "sign_count_regression"
"""The signature counter did not increase: possibly a cloned authenticator."""
CREDENTIAL_EXISTS: Final = "credential_exists"
ATTESTATION: Final = "attestation"
"""The attestation statement does not verify (a bad signature, a statement with ``none``)."""
ATTESTATION_FORMAT: Final = "attestation_format"
AAGUID_NOT_ALLOWED: Final = "aaguid_not_allowed"
"""The deployment allows only some authenticator models; this one is not verified as one."""
ALGORITHM: Final = "algorithm"
"""The public key's algorithm was not offered (RS1, for one), or its RSA key is too short."""
BACKUP_FLAGS: Final = "backup_flags"
"""Authenticator data with backup state (BS) but not backup eligibility (BE)."""
CROSS_ORIGIN: Final = "cross_origin"
CREDENTIAL_ID_TOO_LONG: Final = "credential_id_too_long"
"""A credential id longer than the self-hosted table can key (759 bytes)."""
USER_MISMATCH: Final = "user_mismatch"
"""The passkey or ID token is of another Cognito user (``sub``) of the same user name: one
deleted and created again, or stored before passkeys were bound to the ``sub``."""
DECOY: Final = "decoy_challenge"
NO_PASSKEY: Final = "no_passkey"

# ID and access tokens: this one for a token that is not there at all; every other token
# refusal carries its code from cognito_passkey.protocol.tokens (``TokenRejected.reason``).
# They are not re-exported here: that module pulls in PyJWT, which Define never needs.
TOKEN_MISSING: Final = "token_missing"  # noqa: S105 (a reason code)
TOKEN_TOO_OLD: Final = "token_too_old"  # noqa: S105 (a reason code)
"""The ID token's ``auth_time`` lies further back than the registration window."""
ACCESS_TOKEN_REQUIRED: Final = "access_token_required"  # noqa: S105 (a reason code)
"""The deployment wants the access token beside the ID token to add a passkey."""
ACCESS_TOKEN_REFUSED: Final = "access_token_refused"  # noqa: S105 (a reason code)
"""Cognito refused the access token (revoked, signed out, expired) or it names another user."""

# Registration limits.
PASSKEY_LIMIT: Final = "passkey_limit"
"""The user already has the most passkeys the deployment allows."""

# Backend.
BACKEND_ERROR: Final = "backend_error"
BACKEND_UNAVAILABLE: Final = "backend_unavailable"
BACKEND_REJECTED: Final = "backend_rejected"
VERIFICATION_FAILED: Final = "verification_failed"
"""A WebAuthn check failed that has no more specific code."""
ANSWER_REFUSED: Final = "answer_refused"
"""Define's view: Verify refused the answer (Verify's own log line says why)."""
