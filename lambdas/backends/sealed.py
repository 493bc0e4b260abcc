"""Challenges kept in the ceremony state itself, sealed, instead of in the table.

Round 1 of a sign-in offers assertion options to anyone who names a user, so a challenge
stored there would let unanswered starts fill the table. A sealed challenge travels in
Cognito's private challenge parameters (which only the triggers see, never the client) with
an HMAC over it and the user name, under a key derived from the deployment key.

The seal also carries a :class:`Snapshot` of the passkeys Create read to build
``allowCredentials`` (each one's attested credential data, with its public key, and its
stored counter), so Verify checks the answer without reading them again. Verify then
writes once, atomically: the credential item must still hold that key for that ``sub``
and a lower counter (or 0 stays 0), and the challenge's "used" marker must be new. A
passkey removed since Create, a counter that went back, and an answer already accepted all
fail that write. A snapshot larger than :data:`MAX_SNAPSHOT_CHARS` is left out (``null``)
and Verify reads the passkeys instead. A stored (round-2) challenge item keeps the same
snapshot (:func:`encode_snapshot`), so its Verify reads nothing either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.answers import b64url_decode
from cognito_passkey.lambdas.backends.store import ChallengeRecord, StoredCredential
from cognito_passkey.lambdas.errors import Rejected
from fido2.utils import websafe_encode
from fido2.webauthn import AttestedCredentialData

VERSION = 3
"""The ``v`` of a sealed state (a stored challenge's state is ``v`` 1)."""
_FIELDS = ("v", "id", "challenge", "kind", "uv", "expires_at", "decoy", "sub", "creds", "others")
MAX_SNAPSHOT_CHARS = 6000
"""The most a snapshot may add to the state (about 20 ES256 passkeys with 64-byte ids).
Cognito documents no limit for a private parameter; a user's options already carry every id
to the client, so this bounds the state to the same order of size."""


@dataclass(frozen=True)
class Snapshot:
    """The passkeys stored under the user name when the challenge was issued."""

    sub: str
    """The ``sub`` Create filtered ``credentials`` by (empty: none were the user's)."""
    credentials: tuple[StoredCredential, ...]
    others: tuple[bytes, ...]
    """Ids of passkeys stored under the name for another ``sub`` (a deleted user's)."""


def _mac(key: bytes, username: str, body: dict[str, Any]) -> str:
    seal_key = hmac.new(key, b"sealed-challenge", hashlib.sha256).digest()
    message = json.dumps(body, sort_keys=True, separators=(",", ":")) + "\x00" + username
    return websafe_encode(hmac.new(seal_key, message.encode(), hashlib.sha256).digest())


def _snapshot_fields(snapshot: Snapshot | None) -> tuple[Any, Any]:
    if snapshot is None:
        return None, None
    creds = [[websafe_encode(c.credential_data), c.sign_count] for c in snapshot.credentials]
    others = [websafe_encode(i) for i in snapshot.others]
    if len(json.dumps([creds, others])) > MAX_SNAPSHOT_CHARS:
        return None, None
    return creds, others


def encode_snapshot(snapshot: Snapshot) -> str | None:
    """``snapshot`` as the text a stored challenge item keeps; None when too large."""
    creds, others = _snapshot_fields(snapshot)
    if creds is None:
        return None
    return json.dumps(
        {"sub": snapshot.sub, "creds": creds, "others": others}, separators=(",", ":")
    )


def decode_snapshot(text: str) -> Snapshot:
    """The snapshot a stored challenge item keeps (written by :func:`encode_snapshot`)."""
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise Rejected(errors.BAD_PRIVATE_STATE, "the stored snapshot is unreadable") from exc
    if (
        not isinstance(body, dict)
        or set(body) != {"sub", "creds", "others"}
        or not isinstance(body["sub"], str)
        or body["creds"] is None
        or not _well_formed_snapshot(body)
    ):
        raise Rejected(errors.BAD_PRIVATE_STATE, "the stored snapshot is malformed")
    return _decoded(body["sub"], body["creds"], body["others"])


def seal(
    key: bytes,
    username: str,
    challenge_id: str,
    record: ChallengeRecord,
    snapshot: Snapshot | None = None,
) -> str:
    """The state string for ``record`` (and ``snapshot``, unless too large), bound to
    ``username``."""
    creds, others = _snapshot_fields(snapshot)
    body: dict[str, Any] = {
        "v": VERSION,
        "id": challenge_id,
        "challenge": websafe_encode(record.challenge),
        "kind": record.kind,
        "uv": record.user_verification,
        "expires_at": record.expires_at,
        "decoy": record.decoy,
        "sub": snapshot.sub if snapshot else "",
        "creds": creds,
        "others": others,
    }
    return json.dumps({**body, "mac": _mac(key, username, body)}, separators=(",", ":"))


def _well_formed_snapshot(body: dict[str, Any]) -> bool:
    creds, others = body["creds"], body["others"]
    if creds is None or others is None:
        return creds is None and others is None
    return (
        isinstance(creds, list)
        and all(
            isinstance(c, list)
            and len(c) == 2
            and isinstance(c[0], str)
            and not isinstance(c[1], bool)
            and isinstance(c[1], int)
            and c[1] >= 0
            for c in creds
        )
        and isinstance(others, list)
        and all(isinstance(o, str) for o in others)
    )


def unseal(
    key: bytes, username: str, parsed: dict[str, Any]
) -> tuple[str, ChallengeRecord, Snapshot | None]:
    """The challenge id, record and snapshot (None: Verify reads) of a sealed state;
    Rejected when it is malformed, or was not sealed here for ``username``
    (CHALLENGE_UNKNOWN, as for another user's challenge)."""
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
        or not isinstance(body["sub"], str)
        or not _well_formed_snapshot(body)
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
    snapshot = None
    if body["creds"] is not None:
        snapshot = _decoded(body["sub"], body["creds"], body["others"] or [])
    return body["id"], record, snapshot


def _decoded(sub: str, creds: list[list[Any]], others: list[str]) -> Snapshot:
    return Snapshot(
        sub=sub,
        credentials=tuple(_credential(data, count, sub) for data, count in creds),
        others=tuple(b64url_decode(o, "credential id") for o in others),
    )


def _credential(data: str, sign_count: int, sub: str) -> StoredCredential:
    """A sealed passkey: what Verify needs of it (its name and dates stay in the table)."""
    credential_data = b64url_decode(data, "credential data")
    return StoredCredential(
        credential_id=AttestedCredentialData(credential_data).credential_id,
        credential_data=credential_data,
        sign_count=sign_count,
        name="",
        created_at="",
        sub=sub,
    )
