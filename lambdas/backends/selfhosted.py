"""The self-hosted backend: WebAuthn verified in the Lambda, state in DynamoDB.

python-fido2's ``Fido2Server`` does the cryptographic checks (type, origin, challenge,
RP ID hash, UP, UV, signature). Around it this module adds what a server must keep:
single-use, expiring challenges bound to the user; credentials that belong to the user;
a signature counter that only moves forward (a regression suggests a cloned key).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, ParamSpec, TypeVar

from cognito_passkey.lambdas import decoys, errors
from cognito_passkey.lambdas.answers import Assertion, Attestation, b64url_decode
from cognito_passkey.lambdas.backends.base import (
    Ceremony,
    RegistrationRequest,
    check_passkey_name,
    options_json,
)
from cognito_passkey.lambdas.backends.store import (
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
    AttestedCredentialData,
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
            verify_origin=self._origin_allowed,
        )
        self.server.timeout = settings.challenge_ttl_seconds * 1000  # type: ignore[assignment]
        self._uv = UserVerificationRequirement(settings.user_verification)

    def _origin_allowed(self, origin: str) -> bool:
        """Exact allow-list match: web origins and app origins (``android:apk-key-hash:...``)."""
        return origin in self._origins

    # Challenges ---------------------------------------------------------------------

    def _issue(self, username: str, challenge: bytes, kind: str, decoy: bool) -> str:
        challenge_id = secrets.token_urlsafe(18)
        record = ChallengeRecord(
            challenge=challenge,
            kind=kind,
            user_verification=self._uv.value,
            expires_at=int(time.time()) + self.settings.challenge_ttl_seconds,
            decoy=decoy,
        )
        self._store(self.store.put_challenge, username, challenge_id, record)
        return json.dumps({"v": 1, "challenge_id": challenge_id}, separators=(",", ":"))

    def _take(self, username: str, state: str, kind: str) -> ChallengeRecord:
        try:
            parsed = json.loads(state)
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
        return record

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

    # Authentication -----------------------------------------------------------------

    def begin_authentication(self, username: str, *, decoy: bool = False) -> Ceremony:
        key = self._store(self.store.deployment_key)
        stored = self._store(self.store.credentials, username)
        decoy = decoy or not stored
        if decoy:
            descriptors = [
                PublicKeyCredentialDescriptor.from_dict(d)
                for d in decoys.decoy_descriptors(key, username)
            ]
        else:
            descriptors = [_descriptor(c) for c in stored]
        options, _ = self.server.authenticate_begin(descriptors, user_verification=self._uv)
        public_key = options.public_key
        state = self._issue(username, public_key.challenge, _KIND_GET, decoy)
        return Ceremony(options_json(public_key), state)

    def complete_authentication(self, username: str, state: str, assertion: Assertion) -> None:
        record = self._take(username, state, _KIND_GET)
        stored = self._store(self.store.credentials, username)
        try:
            self.server.authenticate_complete(
                self._fido2_state(record),
                [AttestedCredentialData(c.credential_data) for c in stored],
                assertion.credential,
            )
        except Exception as exc:  # python-fido2 reports every failed check as an exception
            raise _fido2_rejection(exc) from exc
        if record.decoy:  # unreachable with real data: decoys list no stored credential
            raise Rejected(errors.DECOY, "the challenge was a decoy")
        credential = next(c for c in stored if c.credential_id == assertion.credential_id)
        key = self._store(self.store.deployment_key)
        if assertion.user_handle is not None and assertion.user_handle != decoys.user_handle(
            key, username
        ):
            raise Rejected(errors.USER_HANDLE, "the user handle is another user's")
        new_count = assertion.authenticator_data.counter
        regressed = (new_count or credential.sign_count) and new_count <= credential.sign_count
        if regressed or not self._store(
            self.store.record_use, username, credential.credential_id, new_count, _now_iso()
        ):
            logger.warning(
                "possible cloned authenticator",
                extra={
                    "user": username,
                    "credential_id": websafe_encode(credential.credential_id),
                    "stored_sign_count": credential.sign_count,
                    "received_sign_count": new_count,
                },
            )
            raise Rejected(errors.COUNTER_REGRESSION, "the signature counter did not increase")

    # Registration -------------------------------------------------------------------

    def begin_registration(self, request: RegistrationRequest, *, decoy: bool = False) -> Ceremony:
        key = self._store(self.store.deployment_key)
        stored = self._store(self.store.credentials, request.username)  # same work for decoys
        if decoy:
            stored = []
        user = PublicKeyCredentialUserEntity(
            name=request.username,
            id=decoys.user_handle(key, request.username),
            display_name=request.display_name,
        )
        options, _ = self.server.register_begin(
            user,
            credentials=[_descriptor(c) for c in stored],
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

    def complete_registration(self, username: str, state: str, attestation: Attestation) -> None:
        record = self._take(username, state, _KIND_CREATE)
        if record.decoy:
            raise Rejected(errors.DECOY, "the challenge was a decoy")
        try:
            auth_data = self.server.register_complete(
                self._fido2_state(record), attestation.credential
            )
        except Exception as exc:  # python-fido2 reports every failed check as an exception
            raise _fido2_rejection(exc) from exc
        attested = auth_data.credential_data
        if attested is None:  # answers.py already insists on it
            raise Rejected(errors.BAD_CBOR, "no attested credential data")
        created = _now_iso()
        credential = StoredCredential(
            credential_id=attested.credential_id,
            credential_data=bytes(attested),
            sign_count=auth_data.counter,
            name=f"Passkey {created[:10]}",
            created_at=created,
            aaguid=str(attested.aaguid),
            transports=list(attestation.transports),
        )
        if not self._store(self.store.add_credential, username, credential):
            raise Rejected(errors.CREDENTIAL_EXISTS, "this passkey is already registered")

    # Management ---------------------------------------------------------------------

    def list_passkeys(self, username: str) -> list[Passkey]:
        return [_passkey(c) for c in self._store(self.store.credentials, username)]

    def rename_passkey(self, username: str, passkey_id: str, name: str) -> Passkey:
        credential_id = b64url_decode(passkey_id, "passkey id")
        renamed = self._store(self.store.rename, username, credential_id, check_passkey_name(name))
        if renamed is None:
            raise Rejected(errors.UNKNOWN_CREDENTIAL, "no such passkey")
        return _passkey(renamed)

    def delete_passkey(self, username: str, passkey_id: str) -> None:
        credential_id = b64url_decode(passkey_id, "passkey id")
        if not self._store(self.store.delete, username, credential_id):
            raise Rejected(errors.UNKNOWN_CREDENTIAL, "no such passkey")


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
