"""The self-hosted backend: WebAuthn verified in the Lambda, state in DynamoDB.

python-fido2's ``Fido2Server`` does the cryptographic checks (type, origin, challenge,
RP ID hash, UP, UV, signature); ``webauthn_policy`` adds those it leaves to the relying
party (attestation statement, offered algorithms, backup flags, cross-origin). Around them
this module adds what a server must keep:
single-use, expiring challenges bound to the user; credentials that belong to the user
(to the Cognito ``sub`` they were registered for, not merely the reusable user name) and to
that user only; a signature counter that only moves forward (a regression suggests a
cloned key).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, NoReturn, ParamSpec, TypeVar

from cognito_passkey.lambdas import decoys, errors
from cognito_passkey.lambdas.answers import Assertion, Attestation, b64url_decode
from cognito_passkey.lambdas.backends import sealed, webauthn_policy
from cognito_passkey.lambdas.backends.base import (
    Ceremony,
    RegistrationRequest,
    check_passkey_name,
    options_json,
)
from cognito_passkey.lambdas.backends.store import (
    MAX_CREDENTIAL_ID_BYTES,
    Acceptance,
    ChallengeRecord,
    PasskeyStore,
    StoredCredential,
    StoreError,
)
from cognito_passkey.lambdas.config import Settings
from cognito_passkey.lambdas.errors import Rejected
from cognito_passkey.lambdas.log import logger
from cognito_passkey.protocol import backends
from cognito_passkey.protocol.management import Passkey
from fido2.server import Fido2Server
from fido2.utils import websafe_encode
from fido2.webauthn import (
    AttestationConveyancePreference,
    AttestedCredentialData,
    AuthenticatorData,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialType,
    PublicKeyCredentialUserEntity,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

_P = ParamSpec("_P")
_T = TypeVar("_T")
_KIND_GET = "get"
_KIND_CREATE = "create"

# python-fido2 raises ValueError with these messages; each maps to a reason code.
_FIDO2_REASONS = (
    ("Incorrect type", errors.CLIENT_DATA_TYPE),
    ("Invalid origin", errors.ORIGIN),
    ("Wrong challenge", errors.CHALLENGE),
    ("Wrong RP ID", errors.RP_ID),
    ("User Present", errors.USER_PRESENCE),
    ("User verification required", errors.USER_VERIFICATION),
    ("Invalid signature", errors.SIGNATURE),
    ("Unknown credential", errors.UNKNOWN_CREDENTIAL),
)


def _fido2_rejection(exc: Exception) -> Rejected:
    message = str(exc)
    for prefix, reason in _FIDO2_REASONS:
        if message.startswith(prefix):
            return Rejected(reason, message)
    return Rejected(errors.VERIFICATION_FAILED, type(exc).__name__)


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class SelfHostedBackend:
    """Passkeys verified with python-fido2 and kept in a DynamoDB table."""

    name = backends.SELFHOSTED

    def __init__(self, settings: Settings, store: PasskeyStore | None = None) -> None:
        self.settings = settings
        self.store = store or PasskeyStore(settings.table_name)
        self._origins = frozenset(settings.allowed_origins)
        self.server = Fido2Server(
            PublicKeyCredentialRpEntity(name=settings.rp_name, id=settings.rp_id),
            # an AAGUID allow-list needs a statement to verify; else ask for none
            attestation=(
                AttestationConveyancePreference.DIRECT
                if settings.allowed_aaguids
                else AttestationConveyancePreference.NONE
            ),
            verify_origin=self._origin_allowed,
        )
        self.server.allowed_algorithms = webauthn_policy.offered_parameters()
        self.server.timeout = settings.challenge_ttl_seconds * 1000  # type: ignore[assignment]
        self._uv = UserVerificationRequirement(settings.user_verification)

    def _origin_allowed(self, origin: str) -> bool:
        """Exact allow-list match: web origins and app origins (``android:apk-key-hash:...``)."""
        return origin in self._origins

    # Challenges ---------------------------------------------------------------------

    def _issue(
        self,
        username: str,
        challenge: bytes,
        kind: str,
        decoy: bool,
        *,
        seal: bool = False,
        snapshot: sealed.Snapshot | None = None,
    ) -> str:
        challenge_id = secrets.token_urlsafe(18)
        record = ChallengeRecord(
            challenge=challenge,
            kind=kind,
            user_verification=self._uv.value,
            expires_at=int(time.time()) + self.settings.challenge_ttl_seconds,
            decoy=decoy,
        )
        if seal:  # nothing written until an answer comes
            key = self._store(self.store.deployment_key)
            return sealed.seal(key, username, challenge_id, record, snapshot)
        if snapshot is not None:
            record = replace(record, snapshot=sealed.encode_snapshot(snapshot))
        self._store(self.store.put_challenge, username, challenge_id, record)
        return json.dumps({"v": 1, "challenge_id": challenge_id}, separators=(",", ":"))

    def _take(self, username: str, state: str, kind: str) -> _Taken:
        try:
            parsed = json.loads(state)
            if isinstance(parsed, dict) and parsed.get("v") == sealed.VERSION:
                return self._take_sealed(username, parsed, kind)
            challenge_id = parsed["challenge_id"]
            if not isinstance(challenge_id, str) or not 0 < len(challenge_id) <= 64:
                raise ValueError(challenge_id)
        except (ValueError, TypeError, KeyError) as exc:
            raise Rejected(errors.BAD_PRIVATE_STATE, "the ceremony state is unreadable") from exc
        record = self._store(self.store.take_challenge, username, challenge_id)
        if record is None:
            raise Rejected(errors.CHALLENGE_UNKNOWN, "the challenge was used, or never issued")
        if record.expires_at <= int(time.time()):
            raise Rejected(errors.CHALLENGE_EXPIRED, "the challenge has expired")
        if record.kind != kind:
            raise Rejected(errors.BAD_PRIVATE_STATE, "the challenge is for another ceremony")
        snapshot = sealed.decode_snapshot(record.snapshot) if record.snapshot else None
        return _Taken(record, challenge_id, consumed=True, snapshot=snapshot)

    def _take_sealed(self, username: str, parsed: dict[str, Any], kind: str) -> _Taken:
        """A sealed challenge: seal, expiry and kind checked. It is not yet used up: the
        write that accepts its answer also marks it used (``PasskeyStore.accept_answer``)."""
        key = self._store(self.store.deployment_key)
        challenge_id, record, snapshot = sealed.unseal(key, username, parsed)
        if record.expires_at <= int(time.time()):
            raise Rejected(errors.CHALLENGE_EXPIRED, "the challenge has expired")
        if record.kind != kind or kind != _KIND_GET:  # only sign-ins are ever sealed
            raise Rejected(errors.BAD_PRIVATE_STATE, "the challenge is for another ceremony")
        return _Taken(record, challenge_id, consumed=False, snapshot=snapshot)

    @staticmethod
    def _store(operation: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return operation(*args, **kwargs)
        except StoreError as exc:
            raise Rejected(errors.BACKEND_UNAVAILABLE, str(exc)) from exc

    def _fido2_state(self, record: ChallengeRecord) -> dict[str, Any]:
        return {
            "challenge": websafe_encode(record.challenge),
            "user_verification": UserVerificationRequirement(record.user_verification),
        }

    def _check_response(self, auth_data: AuthenticatorData, response: Any) -> None:
        """The checks Fido2Server leaves to the relying party, for either ceremony."""
        webauthn_policy.check_flags(auth_data)
        webauthn_policy.check_cross_origin(
            response.client_data, allowed=self.settings.allow_cross_origin
        )

    # Authentication -----------------------------------------------------------------

    def _credentials(self, username: str, sub: str | None) -> list[StoredCredential]:
        """The passkeys of the user with ``sub`` (none without one)."""
        return _of_user(self._store(self.store.credentials, username), sub)

    def begin_authentication(
        self, username: str, *, decoy: bool = False, sub: str | None = None, sealed: bool = False
    ) -> Ceremony:
        key = self._store(self.store.deployment_key)
        everyone = self._store(self.store.credentials, username)
        stored = _of_user(everyone, sub)
        decoy = decoy or not stored
        descriptors = _sign_in_descriptors(key, username, stored, decoy=decoy)
        options, _ = self.server.authenticate_begin(descriptors, user_verification=self._uv)
        public_key = options.public_key
        snapshot = _snapshot(everyone, stored, sub)
        state = self._issue(
            username, public_key.challenge, _KIND_GET, decoy, seal=sealed, snapshot=snapshot
        )
        return Ceremony(options_json(public_key), state)

    def complete_authentication(
        self, username: str, state: str, assertion: Assertion, *, sub: str | None = None
    ) -> None:
        taken = self._take(username, state, _KIND_GET)
        record = taken.record
        # the passkeys the sign-in offered: its snapshot, or (a snapshot too large to keep,
        # or a challenge without) the table now; ``known`` adds the name's other users' ids
        everyone: Sequence[StoredCredential]
        others: Sequence[bytes]
        if taken.snapshot is None:
            everyone, others = self._store(self.store.credentials, username), ()
        else:
            everyone, others = taken.snapshot.credentials, taken.snapshot.others
        stored = _of_user(everyone, sub)
        known = {*others, *(c.credential_id for c in everyone)}
        if assertion.credential_id in known and not any(
            c.credential_id == assertion.credential_id for c in stored
        ):
            raise Rejected(errors.USER_MISMATCH, "the passkey is of another user of this name")
        try:
            self.server.authenticate_complete(
                self._fido2_state(record),
                [AttestedCredentialData(c.credential_data) for c in stored],
                assertion.credential,
            )
        except Exception as exc:  # python-fido2 reports every failed check as an exception
            raise _fido2_rejection(exc) from exc
        self._check_response(assertion.authenticator_data, assertion.credential.response)
        if record.decoy:  # unreachable with real data: decoys list no stored credential
            raise Rejected(errors.DECOY, "the challenge was a decoy")
        credential = next(c for c in stored if c.credential_id == assertion.credential_id)
        # a passkey stored before the algorithm policy held signs in no more
        webauthn_policy.check_public_key(
            AttestedCredentialData(credential.credential_data).public_key
        )
        key = self._store(self.store.deployment_key)
        if assertion.user_handle is not None and assertion.user_handle != decoys.account_handle(
            key, credential.sub
        ):
            raise Rejected(errors.USER_HANDLE, "the user handle is another user's")
        new_count = assertion.authenticator_data.counter
        regressed = (new_count or credential.sign_count) and new_count <= credential.sign_count
        if regressed:
            _counter_regression(
                username, credential.credential_id, credential.sign_count, new_count
            )
        outcome = self._store(
            self.store.accept_answer,
            username,
            credential,
            new_count,
            _now_iso(),
            # a stored challenge was consumed as it was taken; a sealed one is now
            None if taken.consumed else (taken.challenge_id, record.expires_at),
        )
        if outcome is Acceptance.CHALLENGE_USED:
            raise Rejected(errors.CHALLENGE_UNKNOWN, "the challenge was used, or never issued")
        if outcome is Acceptance.CREDENTIAL_REFUSED:  # which rule failed: read, on refusal only
            now = [
                c
                for c in self._store(self.store.credentials, username)
                if c.credential_id == credential.credential_id
                and c.sub == credential.sub
                and c.credential_data == credential.credential_data
            ]
            if not now:
                raise Rejected(errors.UNKNOWN_CREDENTIAL, "the passkey was removed meanwhile")
            _counter_regression(username, credential.credential_id, now[0].sign_count, new_count)

    # Registration -------------------------------------------------------------------

    def begin_registration(self, request: RegistrationRequest, *, decoy: bool = False) -> Ceremony:
        key = self._store(self.store.deployment_key)
        stored = self._credentials(request.username, request.sub)  # same work for decoys
        if request.identified and not decoy:
            exclude = [_descriptor(c) for c in stored]
        else:  # what a sign-in shows anyone for this name, and nothing more
            exclude = _sign_in_descriptors(
                key, request.username, stored, decoy=request.unknown_user or not stored
            )
        user = PublicKeyCredentialUserEntity(
            name=request.username,
            id=(
                decoys.account_handle(key, request.sub)
                if request.sub
                else decoys.user_handle(key, request.username)
            ),
            display_name=request.display_name,
        )
        options, _ = self.server.register_begin(
            user,
            credentials=exclude,
            resident_key_requirement=(
                ResidentKeyRequirement.REQUIRED
                if request.require_resident_key
                else ResidentKeyRequirement.PREFERRED
            ),
            user_verification=self._uv,
        )
        public_key = options_json(options.public_key)
        if request.timeout_ms is not None:
            public_key["timeout"] = request.timeout_ms
        state = self._issue(request.username, options.public_key.challenge, _KIND_CREATE, decoy)
        return Ceremony(public_key, state)

    def complete_registration(
        self, username: str, state: str, attestation: Attestation, *, sub: str | None = None
    ) -> None:
        record = self._take(username, state, _KIND_CREATE).record
        if record.decoy:
            raise Rejected(errors.DECOY, "the challenge was a decoy")
        if not sub:
            raise Rejected(errors.BAD_EVENT, "the event names no user sub")
        try:
            auth_data = self.server.register_complete(
                self._fido2_state(record), attestation.credential
            )
        except Exception as exc:  # python-fido2 reports every failed check as an exception
            raise _fido2_rejection(exc) from exc
        attested = auth_data.credential_data
        if attested is None:  # answers.py already insists on it
            raise Rejected(errors.BAD_CBOR, "no attested credential data")
        response = attestation.credential.response
        self._check_response(auth_data, response)
        webauthn_policy.check_public_key(attested.public_key)
        aaguid = webauthn_policy.verified_aaguid(
            response.attestation_object, response.client_data.hash
        )
        webauthn_policy.check_aaguid(aaguid, self.settings.allowed_aaguids)
        if len(attested.credential_id) > MAX_CREDENTIAL_ID_BYTES:
            raise Rejected(
                errors.CREDENTIAL_ID_TOO_LONG,
                f"credential ids of more than {MAX_CREDENTIAL_ID_BYTES} bytes are not kept",
            )
        created = _now_iso()
        credential = StoredCredential(
            credential_id=attested.credential_id,
            credential_data=bytes(attested),
            sign_count=auth_data.counter,
            name=f"Passkey {created[:10]}",
            created_at=created,
            aaguid=str(aaguid),  # the zero AAGUID unless a statement vouched for it
            transports=list(attestation.transports),
            sub=sub,
        )
        if not self._store(self.store.add_credential, username, credential):
            raise Rejected(errors.CREDENTIAL_EXISTS, "this passkey is already registered")

    # Management ---------------------------------------------------------------------

    def list_passkeys(self, username: str, *, sub: str | None = None) -> list[Passkey]:
        stored = self._store(self.store.credentials, username)
        return [_passkey(c) for c in stored if sub is None or c.sub == sub]

    def rename_passkey(
        self, username: str, passkey_id: str, name: str, *, sub: str | None = None
    ) -> Passkey:
        credential_id = _passkey_id(passkey_id)
        renamed = self._store(
            self.store.rename, username, credential_id, check_passkey_name(name), sub
        )
        if renamed is None:
            raise Rejected(errors.UNKNOWN_CREDENTIAL, "no such passkey")
        return _passkey(renamed)

    def delete_passkey(self, username: str, passkey_id: str, *, sub: str | None = None) -> None:
        credential_id = _passkey_id(passkey_id)
        if not self._store(self.store.delete, username, credential_id, sub):
            raise Rejected(errors.UNKNOWN_CREDENTIAL, "no such passkey")


@dataclass(frozen=True)
class _Taken:
    """A challenge an answer came for: consumed already (stored), or not yet (sealed)."""

    record: ChallengeRecord
    challenge_id: str
    consumed: bool
    snapshot: sealed.Snapshot | None


def _snapshot(
    everyone: list[StoredCredential], stored: list[StoredCredential], sub: str | None
) -> sealed.Snapshot:
    mine = {c.credential_id for c in stored}
    return sealed.Snapshot(
        sub=sub or "",
        credentials=tuple(stored),
        others=tuple(c.credential_id for c in everyone if c.credential_id not in mine),
    )


def _of_user(credentials: Iterable[StoredCredential], sub: str | None) -> list[StoredCredential]:
    """The credentials registered for ``sub`` (none without one: older ones belong to nobody)."""
    return [c for c in credentials if sub and c.sub == sub]


def _counter_regression(
    username: str, credential_id: bytes, stored_count: int, received_count: int
) -> NoReturn:
    logger.warning(
        "possible cloned authenticator",
        extra={
            "user": username,
            "credential_id": websafe_encode(credential_id),
            "stored_sign_count": stored_count,
            "received_sign_count": received_count,
        },
    )
    raise Rejected(errors.COUNTER_REGRESSION, "the signature counter did not increase")


def _passkey_id(passkey_id: str) -> bytes:
    """The credential id a management request names; one the table cannot key is nobody's."""
    credential_id = b64url_decode(passkey_id, "passkey id")
    if not 0 < len(credential_id) <= MAX_CREDENTIAL_ID_BYTES:
        raise Rejected(errors.UNKNOWN_CREDENTIAL, "no such passkey")
    return credential_id


def _sign_in_descriptors(
    key: bytes, username: str, stored: list[StoredCredential], *, decoy: bool
) -> list[PublicKeyCredentialDescriptor]:
    """The credentials a sign-in offers for ``username``: its passkeys, or stable decoys."""
    if decoy:
        return [
            PublicKeyCredentialDescriptor.from_dict(d)
            for d in decoys.decoy_descriptors(key, username)
        ]
    return [_descriptor(c) for c in stored]


def _descriptor(credential: StoredCredential) -> PublicKeyCredentialDescriptor:
    known = {t.value for t in AuthenticatorTransport}
    transports = [AuthenticatorTransport(t) for t in credential.transports if t in known]
    return PublicKeyCredentialDescriptor(
        type=PublicKeyCredentialType.PUBLIC_KEY,
        id=credential.credential_id,
        transports=transports or None,
    )


def _passkey(credential: StoredCredential) -> Passkey:
    return Passkey(
        id=websafe_encode(credential.credential_id),
        name=credential.name,
        created_at=credential.created_at,
        last_used_at=credential.last_used_at,
        sign_count=credential.sign_count,
        aaguid=credential.aaguid,
        transports=tuple(credential.transports),
    )
