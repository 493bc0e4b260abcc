"""The WebAuthn ceremony end to end, as a hostile client plays it against the deployed stacks.

Raw Cognito calls carry forged answers (a minimal authenticator whose every byte can be
bent, from ``lambdas_support``) to the real trigger Lambdas:

- creation options handed out without a verified early ID token show nothing of the user
  (no email as display name, no passkeys a sign-in would not show), the same for everyone;
- attestation statements are verified (a bent signature, an unknown format, a key of an
  algorithm that was not offered are refused), and the AAGUID is kept only when one vouched;
- authenticator data with backup state but no backup eligibility, and client data run in a
  cross-origin frame, are refused in both ceremonies;
- a wrong round-1 answer ends the sign-in: no second try in round 2.

ministack answers ``UserNotFoundException`` for a user it does not know (it does not run the
triggers with ``userNotFound``), so the unknown-user side of the options is also checked at
handler level (tests/lambdas/test_security_ceremony_options.py); here a real user without a
passkey and without an email stands in for it, which a sign-in treats the same way (decoys).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import PasskeyClient, exchange
from cognito_passkey.client.errors import NotAuthorizedError
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.local.deploy import Deployment
from cognito_passkey.protocol import dialect
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from e2e_support import (
    PASSWORD,
    TriggerLog,
    api_client,
    enrolled_user,
    new_user,
    respond,
    start,
    unique_username,
)
from fido2.cose import RS1
from fido2.utils import websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)
from lambdas_support import AT, UP, UV, ForgedCredential, assertion_answer, attestation_answer

pytestmark = pytest.mark.e2e

BE, BS = 0x08, 0x10
ZERO_AAGUID = "00000000-0000-0000-0000-000000000000"
CREATE = {
    dialect.META_AUTHENTICATION_TYPE: dialect.FIDO2_CREATE,
    dialect.META_ATTESTATION_OPTIONS: "{}",
}
GET = {dialect.META_AUTHENTICATION_TYPE: dialect.FIDO2_GET}
FAST_GET = {**GET, dialect.META_FAST_SIGNIN: "true"}


# -- reading replies ---------------------------------------------------------------------------


def options_of(reply: Mapping[str, Any]) -> dict[str, Any]:
    return dict(exchange.parse_options(reply["ChallengeParameters"][dialect.PARAM_PUBLIC_KEY]))


def creation_round(
    client: PasskeyClient, username: str, meta: Mapping[str, str] = CREATE
) -> tuple[str, dict[str, Any]]:
    """InitiateAuth, then AUTH_PARAMS for FIDO2_CREATE: round 2's session and options."""
    first = start(client, username)
    second = respond(client, first["Session"], username, dialect.AUTH_PARAMS, meta)
    return second["Session"], options_of(second)


def sign_in_view(client: PasskeyClient, username: str) -> list[str]:
    """The credential ids a sign-in (round 1, fast sign-in on) offers for ``username``."""
    return [c["id"] for c in options_of(start(client, username)).get("allowCredentials", [])]


def verify_reasons(deployment: Deployment, username: str) -> list[str]:
    log = TriggerLog(deployment, "VerifyAuthArn", username, from_now=False)
    return [r["reason"] for r in log.records() if r.get("message") == "rejected"]


def shape(value: Any) -> Any:
    """The keys of an options object, all the way down (lists by their first item)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


# -- forged WebAuthn responses ----------------------------------------------------------------


def _client_data(
    kind: str, options: Mapping[str, Any], origin: str, *, cross_origin: bool
) -> CollectedClientData:
    return CollectedClientData.create(
        type=kind, challenge=options["challenge"], origin=origin, cross_origin=cross_origin
    )


def forged_creation(
    options: Mapping[str, Any],
    deployment: Deployment,
    *,
    credential: ForgedCredential | None = None,
    fmt: str = "none",
    statement: Any = None,
    flags: int = UP | UV | AT,
    attested: AttestedCredentialData | None = None,
    cross_origin: bool = False,
) -> tuple[ForgedCredential, dict[str, Any]]:
    """RegistrationResponseJSON; ``statement(auth_data, client_data_hash, credential)``
    builds the attestation statement (none: ``{}``)."""
    credential = credential or ForgedCredential()
    client_data = _client_data(
        "webauthn.create", options, deployment.origin, cross_origin=cross_origin
    )
    auth_data = AuthenticatorData.create(
        hashlib.sha256(deployment.rp_id.encode()).digest(),
        flags,
        0,
        attested or credential.credential_data,
    )
    att_stmt = statement(auth_data, client_data.hash, credential) if statement else {}
    attestation = AttestationObject.create(fmt, auth_data, att_stmt)
    credential_id = websafe_encode((attested or credential.credential_data).credential_id)
    return credential, {
        "id": credential_id,
        "rawId": credential_id,
        "type": "public-key",
        "response": {
            "clientDataJSON": websafe_encode(client_data),
            "attestationObject": websafe_encode(attestation),
            "transports": ["usb"],
        },
        "clientExtensionResults": {},
    }


def forged_assertion(
    options: Mapping[str, Any],
    deployment: Deployment,
    credential: ForgedCredential,
    *,
    flags: int = UP | UV,
    cross_origin: bool = False,
) -> dict[str, Any]:
    credential.sign_count += 1
    client_data = _client_data(
        "webauthn.get", options, deployment.origin, cross_origin=cross_origin
    )
    auth_data = AuthenticatorData.create(
        hashlib.sha256(deployment.rp_id.encode()).digest(), flags, credential.sign_count
    )
    signature = credential.private_key.sign(
        bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256())
    )
    credential_id = websafe_encode(credential.credential_id)
    return {
        "id": credential_id,
        "rawId": credential_id,
        "type": "public-key",
        "response": {
            "clientDataJSON": websafe_encode(client_data),
            "authenticatorData": websafe_encode(auth_data),
            "signature": websafe_encode(signature),
        },
        "clientExtensionResults": {},
    }


def _flipped(signature: bytes) -> bytes:
    return signature[:-1] + bytes([signature[-1] ^ 0x01])


def packed_self(*, flip: bool) -> Any:
    def statement(auth_data: bytes, client_hash: bytes, credential: ForgedCredential) -> Any:
        sig = credential.private_key.sign(auth_data + client_hash, ec.ECDSA(hashes.SHA256()))
        return {"alg": -7, "sig": _flipped(sig) if flip else sig}

    return statement


def fido_u2f(*, flip: bool) -> Any:
    """A fido-u2f statement signed by a freshly made attestation certificate."""

    def statement(auth_data: Any, client_hash: bytes, credential: ForgedCredential) -> Any:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "forged u2f")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        public = credential.private_key.public_key().public_numbers()
        point = b"\x04" + public.x.to_bytes(32, "big") + public.y.to_bytes(32, "big")
        message = b"\x00" + auth_data.rp_id_hash + client_hash + credential.credential_id + point
        sig = key.sign(message, ec.ECDSA(hashes.SHA256()))
        return {"sig": _flipped(sig) if flip else sig, "x5c": [cert.public_bytes(Encoding.DER)]}

    return statement


def rs1_credential() -> AttestedCredentialData:
    """An RSA-1024 key declared as RS1 (RSASSA-PKCS1-v1_5 with SHA-1): never offered."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (the attack)
    return AttestedCredentialData.create(
        b"\x00" * 16, b"rs1-" + bytes(28), RS1.from_cryptography_key(key.public_key())
    )


# -- 1. creation options without a verified early ID token ------------------------------------


def no_email_user(idp: Any, deployment: Deployment) -> str:
    """A real user without an email or a passkey: a sign-in shows it decoys."""
    username = unique_username("sc-plain-")
    idp.admin_create_user(
        UserPoolId=deployment.user_pool_id, Username=username, MessageAction="SUPPRESS"
    )
    return username


@pytest.mark.parametrize("backend", ["selfhosted", "loginid"])
def test_creation_options_without_an_early_token_reveal_nothing(
    backend: str, request: pytest.FixtureRequest, idp: Any
) -> None:
    deployment: Deployment = request.getfixturevalue(backend)
    real = enrolled_user(idp, deployment, "sc-real-", SoftAuthenticator())  # with an email
    stand_in = no_email_user(idp, deployment)
    raw = api_client(deployment, None)

    seen = {}
    for username in (real, stand_in):
        _, options = creation_round(raw, username)
        assert "@" not in json.dumps(options), options  # no email anywhere
        assert options["user"]["displayName"] == username
        seen[username] = options

    def without_exclusions(options: dict[str, Any]) -> Any:
        return shape({k: v for k, v in options.items() if k != "excludeCredentials"})

    assert without_exclusions(seen[real]) == without_exclusions(seen[stand_in])
    assert ("excludeCredentials" in seen[real]) == ("excludeCredentials" in seen[stand_in])
    for username, options in seen.items():
        excluded = [c["id"] for c in options.get("excludeCredentials", [])]
        if backend == "selfhosted":  # exactly what a sign-in shows anyone for the name
            assert excluded and excluded == sign_in_view(raw, username)
        else:  # none for everyone
            assert excluded == []


def test_a_verified_early_token_shows_the_users_own_details(
    selfhosted: Deployment, idp: Any
) -> None:
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted, "sc-own-", key)
    raw = api_client(selfhosted, None)
    id_token = raw.sign_in_password(username, PASSWORD).id_token
    _, options = creation_round(raw, username, {**CREATE, dialect.META_ID_TOKEN: id_token})
    assert options["user"]["displayName"] == f"{username}@example.com"
    assert [c["id"] for c in options["excludeCredentials"]] == sign_in_view(raw, username)


def test_an_already_registered_passkey_is_refused(selfhosted: Deployment, idp: Any) -> None:
    """The options no longer exclude it for an unproven caller; Verify does."""
    username = new_user(idp, selfhosted, "sc-twice-")
    raw = api_client(selfhosted, None)
    id_token = raw.sign_in_password(username, PASSWORD).id_token
    credential = ForgedCredential()
    for attempt in range(2):
        session, options = creation_round(raw, username)
        _, made = forged_creation(options, selfhosted, credential=credential)
        answer = attestation_answer(made, options, id_token)
        if attempt == 0:
            assert respond(raw, session, username, answer, CREATE)["AuthenticationResult"]
        else:
            with pytest.raises(NotAuthorizedError):
                respond(raw, session, username, answer, CREATE)
    assert verify_reasons(selfhosted, username) == ["credential_exists"]


# -- 2. attestation and algorithms ------------------------------------------------------------


def register_forged(
    deployment: Deployment, username: str, **forgery: Any
) -> tuple[ForgedCredential, dict[str, Any] | None]:
    """Answer a creation round with a forged attestation; the tokens, or None if refused."""
    raw = api_client(deployment, None)
    id_token = raw.sign_in_password(username, PASSWORD).id_token
    session, options = creation_round(raw, username)
    credential, made = forged_creation(options, deployment, **forgery)
    try:
        reply = respond(raw, session, username, attestation_answer(made, options, id_token), CREATE)
    except NotAuthorizedError:
        return credential, None
    return credential, reply["AuthenticationResult"]


@pytest.mark.parametrize(
    ("forgery", "reason"),
    [
        ({"fmt": "packed", "statement": packed_self(flip=True)}, "attestation"),
        ({"fmt": "fido-u2f", "statement": fido_u2f(flip=True)}, "attestation"),
        ({"fmt": "bogus", "statement": lambda *_: {"sig": b"x"}}, "attestation_format"),
        ({"fmt": "none", "statement": lambda *_: {"sig": b"x"}}, "attestation"),
        ({"attested": rs1_credential()}, "algorithm"),
        ({"flags": UP | UV | AT | BS}, "backup_flags"),
        ({"cross_origin": True}, "cross_origin"),
    ],
    ids=["packed-bent", "u2f-bent", "unknown-fmt", "none-with-stmt", "rs1", "bs-no-be", "xorigin"],
)
def test_a_bad_attestation_is_refused(
    selfhosted: Deployment, idp: Any, forgery: dict[str, Any], reason: str
) -> None:
    username = new_user(idp, selfhosted, "sc-att-")
    _, tokens = register_forged(selfhosted, username, **forgery)
    registered = tokens is not None  # a bool: a failed check must not print the tokens
    assert not registered
    assert verify_reasons(selfhosted, username) == [reason]


def stored_aaguids(deployment: Deployment, access_token: str) -> list[str]:
    return [p.aaguid for p in PasskeyManager(deployment.management_url, access_token).list()]


CLAIMED = "0badc0de-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("forgery", "expected"),
    [
        ({"fmt": "packed", "statement": packed_self(flip=False)}, CLAIMED),
        ({"fmt": "fido-u2f", "statement": fido_u2f(flip=False)}, ZERO_AAGUID),  # U2F has none
        ({}, ZERO_AAGUID),  # none: nothing vouches for the AAGUID it names
        ({"flags": UP | UV | AT | BE | BS}, ZERO_AAGUID),  # eligible and backed up: fine
    ],
    ids=["packed-self", "u2f", "none", "be-bs"],
)
def test_the_aaguid_is_kept_only_when_a_statement_vouched_for_it(
    selfhosted: Deployment, idp: Any, forgery: dict[str, Any], expected: str
) -> None:
    username = new_user(idp, selfhosted, "sc-aaguid-")
    claimed = CLAIMED
    credential = ForgedCredential()
    if forgery.get("fmt") != "fido-u2f":  # U2F keys have no AAGUID
        credential_data = AttestedCredentialData.create(
            bytes.fromhex(claimed.replace("-", "")),
            credential.credential_id,
            credential.credential_data.public_key,
        )
        forgery = {**forgery, "attested": credential_data}
    _, tokens = register_forged(selfhosted, username, credential=credential, **forgery)
    assert tokens is not None, verify_reasons(selfhosted, username)
    assert stored_aaguids(selfhosted, tokens["AccessToken"]) == [expected]


def test_the_software_keys_packed_attestation_verifies(selfhosted: Deployment, idp: Any) -> None:
    key = SoftAuthenticator()
    username = enrolled_user(idp, selfhosted, "sc-soft-", key)
    tokens = api_client(selfhosted, key).sign_in_passkey(username)
    (aaguid,) = stored_aaguids(selfhosted, tokens.access_token)
    assert aaguid != ZERO_AAGUID  # the software key's own model, vouched for by its statement
    options = creation_round(api_client(selfhosted, None), username)[1]
    assert options["attestation"] == "none"
    assert {p["alg"] for p in options["pubKeyCredParams"]} == {-7, -8, -35, -36, -37, -257}


# -- 3. backup flags and cross-origin on sign-in ----------------------------------------------


@pytest.mark.parametrize(
    ("bend", "reason"),
    [({"flags": UP | UV | BS}, "backup_flags"), ({"cross_origin": True}, "cross_origin")],
    ids=["bs-no-be", "xorigin"],
)
def test_a_bent_assertion_is_refused(
    selfhosted: Deployment, idp: Any, bend: dict[str, Any], reason: str
) -> None:
    username = new_user(idp, selfhosted, "sc-get-")
    credential, tokens = register_forged(selfhosted, username)
    assert tokens is not None
    raw = api_client(selfhosted, None)
    first = start(raw, username)
    options = options_of(first)
    answer = assertion_answer(forged_assertion(options, selfhosted, credential, **bend), options)
    with pytest.raises(NotAuthorizedError):
        respond(raw, first["Session"], username, answer, FAST_GET)
    assert verify_reasons(selfhosted, username) == [reason]
    # the same credential, unbent, signs in
    first = start(raw, username)
    options = options_of(first)
    answer = assertion_answer(forged_assertion(options, selfhosted, credential), options)
    assert respond(raw, first["Session"], username, answer, FAST_GET)["AuthenticationResult"]


# -- 4. a wrong round-1 answer ends the sign-in -----------------------------------------------


def test_a_wrong_round_one_assertion_without_fast_signin_ends_the_sign_in(
    selfhosted: Deployment, idp: Any
) -> None:
    username = new_user(idp, selfhosted, "sc-once-")
    credential, tokens = register_forged(selfhosted, username)
    assert tokens is not None
    stranger = ForgedCredential(credential_id=credential.credential_id)  # the wrong key
    raw = api_client(selfhosted, None)

    first = start(raw, username)
    options = options_of(first)
    wrong = assertion_answer(forged_assertion(options, selfhosted, stranger), options)
    with pytest.raises(NotAuthorizedError):  # no round 2
        respond(raw, first["Session"], username, wrong, None)
    assert verify_reasons(selfhosted, username) == ["bad_answer_shape"]

    # Naming a ceremony asks for round 2; the round-1 assertion is then never judged, so the
    # passkey still has one try in this sign-in, not two.
    first = start(raw, username)
    options = options_of(first)
    wrong = assertion_answer(forged_assertion(options, selfhosted, stranger), options)
    second = respond(raw, first["Session"], username, wrong, GET)
    assert verify_reasons(selfhosted, username) == ["bad_answer_shape"] * 2
    options = options_of(second)
    wrong = assertion_answer(forged_assertion(options, selfhosted, stranger), options)
    with pytest.raises(NotAuthorizedError):
        respond(raw, second["Session"], username, wrong, GET)
    assert verify_reasons(selfhosted, username)[-1] == "signature"
