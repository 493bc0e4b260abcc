"""Challenges kept in the ceremony state itself, sealed, instead of in the table.

Round 1 of a sign-in offers assertion options to anyone who names a user, so a challenge
stored there would let unanswered starts fill the table. A sealed challenge travels in
Cognito's private challenge parameters (which only the triggers see) with an HMAC over it
and the user name, under a key derived from the deployment key: Create writes nothing,
Verify checks the seal and the expiry and then writes one "used" marker, conditionally,
so that an answer is accepted once, exactly as a consumed challenge item is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.answers import b64url_decode
from cognito_passkey.lambdas.backends.store import ChallengeRecord
from cognito_passkey.lambdas.errors import Rejected
from fido2.utils import websafe_encode

VERSION = 2
"""The ``v`` of a sealed state (a stored challenge's state is ``v`` 1)."""
_FIELDS = ("v", "id", "challenge", "kind", "uv", "expires_at", "decoy")


def _mac(key: bytes, username: str, body: dict[str, Any]) -> str:
    seal_key = hmac.new(key, b"sealed-challenge", hashlib.sha256).digest()
    message = json.dumps(body, sort_keys=True, separators=(",", ":")) + "\x00" + username
    return websafe_encode(hmac.new(seal_key, message.encode(), hashlib.sha256).digest())


def seal(key: bytes, username: str, challenge_id: str, record: ChallengeRecord) -> str:
    """The state string for ``record``, bound to ``username``."""
    body: dict[str, Any] = {
        "v": VERSION,
        "id": challenge_id,
        "challenge": websafe_encode(record.challenge),
        "kind": record.kind,
        "uv": record.user_verification,
        "expires_at": record.expires_at,
        "decoy": record.decoy,
    }
    return json.dumps({**body, "mac": _mac(key, username, body)}, separators=(",", ":"))


def unseal(key: bytes, username: str, parsed: dict[str, Any]) -> tuple[str, ChallengeRecord]:
    """The challenge id and record of a sealed state; Rejected when it is malformed, or was
    not sealed here for ``username`` (CHALLENGE_UNKNOWN, as for another user's challenge)."""
    body = {name: parsed.get(name) for name in _FIELDS}
    mac = parsed.get("mac")
    if (
        set(parsed) != {*_FIELDS, "mac"}
        or not isinstance(mac, str)
        or not isinstance(body["id"], str)
        or not 0 < len(body["id"]) <= 64
        or not isinstance(body["challenge"], str)
        or not isinstance(body["kind"], str)
        or not isinstance(body["uv"], str)
        or isinstance(body["expires_at"], bool)
        or not isinstance(body["expires_at"], int)
        or not isinstance(body["decoy"], bool)
    ):
        raise Rejected(errors.BAD_PRIVATE_STATE, "the sealed state is malformed")
    if not hmac.compare_digest(mac, _mac(key, username, body)):
        raise Rejected(errors.CHALLENGE_UNKNOWN, "the challenge was not issued for this user")
    record = ChallengeRecord(
        challenge=b64url_decode(body["challenge"], "challenge"),
        kind=body["kind"],
        user_verification=body["uv"],
        expires_at=body["expires_at"],
        decoy=body["decoy"],
    )
    return body["id"], record
