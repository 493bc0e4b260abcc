"""Ceremony checks the local AWS cannot reach, through the three handlers (real DynamoDB).

- Users Cognito does not know: ministack answers ``UserNotFoundException`` instead of running
  the triggers with ``userNotFound``, so their creation options are compared here with a
  real user's (tests/e2e/test_security_ceremony.py covers real users end to end).
- ``PASSKEY_ALLOWED_AAGUIDS`` and ``PASSKEY_ALLOW_CROSS_ORIGIN``: the templates do not pass
  them yet, so a deployed stack cannot be configured with them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cognito_passkey.lambdas import container
from cognito_passkey.lambdas.config import load_settings
from cognito_passkey.lambdas.errors import ConfigError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.utils import websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)
from lambdas_support import (
    AT,
    FAST,
    ORIGIN,
    RP_ID,
    UP,
    UV,
    CognitoLoop,
    ForgedCredential,
    TokenMint,
    assertion_answer,
    attestation_answer,
    create_metadata,
    enroll,
    forge_attestation,
    rejections,
    start_registration,
)

MODEL = "0badc0de-0000-4000-8000-000000000001"
SELFHOSTED_ENV = {
    "PASSKEY_BACKEND": "selfhosted",
    "PASSKEY_TABLE_NAME": "passkeys",
    "PASSKEY_RP_ID": RP_ID,
    "PASSKEY_ALLOWED_ORIGINS": ORIGIN,
}


def creation_options(username: str, **loop: Any) -> dict[str, Any]:
    return start_registration(CognitoLoop(username, **loop))


def sign_in_ids(username: str, **loop: Any) -> list[str]:
    options = json.loads((CognitoLoop(username, **loop).start() or {})["public_key"])
    return [c["id"] for c in options["allowCredentials"]]


def test_unknown_and_real_users_get_creation_options_of_one_shape(
    selfhosted: Any, mint: TokenMint
) -> None:
    enroll(mint, "alice")  # a real user with an email and a passkey
    real = creation_options("alice")
    ghost = creation_options("ghost", user_not_found=True)
    for name, options in (("alice", real), ("ghost", ghost)):
        assert "@" not in json.dumps(options)
        assert options["user"]["displayName"] == name
    assert set(real) == set(ghost) and set(real["user"]) == set(ghost["user"])
    assert [c["id"] for c in real["excludeCredentials"]] == sign_in_ids("alice")
    assert [c["id"] for c in ghost["excludeCredentials"]] == sign_in_ids(
        "ghost", user_not_found=True
    )
    assert ghost["excludeCredentials"]  # decoys, as a sign-in shows them


def test_a_failed_early_token_shows_what_a_sign_in_shows(selfhosted: Any, mint: TokenMint) -> None:
    """A token that fails a check gives a decoy ceremony, but not decoy-looking options:
    comparing them with a sign-in's would tell who has a passkey."""
    enroll(mint, "alice")
    metadata = {**create_metadata(), "id_token": mint.id_token("bob")}
    loop = CognitoLoop("alice")
    loop.start()
    options = json.loads((loop.respond("AUTH_PARAMS", metadata) or {})["public_key"])
    assert options["user"]["displayName"] == "alice"
    assert [c["id"] for c in options["excludeCredentials"]] == sign_in_ids("alice")


def test_a_verified_early_token_shows_the_users_own_details(
    selfhosted: Any, mint: TokenMint
) -> None:
    credential = enroll(mint, "alice")
    metadata = {**create_metadata(), "id_token": mint.id_token("alice")}
    loop = CognitoLoop("alice")
    loop.start()
    options = json.loads((loop.respond("AUTH_PARAMS", metadata) or {})["public_key"])
    assert options["user"]["displayName"] == "alice@example.com"
    assert [c["id"] for c in options["excludeCredentials"]] == [
        websafe_encode(credential.credential_id)
    ]


# -- settings the templates do not pass yet ---------------------------------------------------


@pytest.fixture
def allow_list(selfhosted: Any, lambda_env: pytest.MonkeyPatch) -> Iterator[None]:
    lambda_env.setenv("PASSKEY_ALLOWED_AAGUIDS", f" {MODEL.upper()} ")
    container.reset()
    yield
    container.reset()


def packed_registration(options: dict[str, Any], credential: ForgedCredential) -> dict[str, Any]:
    """A packed self-attestation for ``credential`` whose data claims the AAGUID MODEL."""
    made = forge_attestation(options, credential)
    client_data = CollectedClientData.create(
        type="webauthn.create", challenge=options["challenge"], origin=ORIGIN
    )
    auth_data = AuthenticatorData.create(
        hashlib.sha256(RP_ID.encode()).digest(),
        UP | UV | AT,
        0,
        AttestedCredentialData.create(
            bytes.fromhex(MODEL.replace("-", "")),
            credential.credential_id,
            credential.credential_data.public_key,
        ),
    )
    sig = credential.private_key.sign(
        bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256())
    )
    attestation = AttestationObject.create("packed", auth_data, {"alg": -7, "sig": sig})
    made["response"] = {
        **made["response"],
        "clientDataJSON": websafe_encode(client_data),
        "attestationObject": websafe_encode(attestation),
    }
    return made


def test_an_aaguid_allow_list_wants_a_verified_listed_model(
    allow_list: None, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = CognitoLoop("alice")
    options = start_registration(loop)
    assert options["attestation"] == "direct"
    answer = attestation_answer(
        forge_attestation(options, ForgedCredential()), options, mint.id_token("alice")
    )
    capsys.readouterr()
    loop.respond(answer, create_metadata())  # none: it vouches for no model
    assert loop.outcome == "failed"
    assert rejections(capsys.readouterr().out)[0] == "aaguid_not_allowed"

    loop = CognitoLoop("alice")
    options = start_registration(loop)
    made = packed_registration(options, ForgedCredential())
    loop.respond(attestation_answer(made, options, mint.id_token("alice")), create_metadata())
    assert loop.outcome == "tokens"


@pytest.mark.parametrize("allowed", [False, True])
def test_cross_origin_is_refused_unless_allowed(
    selfhosted: Any,
    lambda_env: pytest.MonkeyPatch,
    mint: TokenMint,
    capsys: pytest.CaptureFixture[str],
    allowed: bool,
) -> None:
    lambda_env.setenv("PASSKEY_ALLOW_CROSS_ORIGIN", "true" if allowed else "false")
    container.reset()
    credential = enroll(mint, "alice")
    loop = CognitoLoop("alice")
    options = json.loads((loop.start() or {})["public_key"])
    credential.sign_count += 1
    client_data = CollectedClientData.create(
        type="webauthn.get", challenge=options["challenge"], origin=ORIGIN, cross_origin=True
    )
    auth_data = AuthenticatorData.create(
        hashlib.sha256(RP_ID.encode()).digest(), UP | UV, credential.sign_count
    )
    sig = credential.private_key.sign(
        bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256())
    )
    credential_id = websafe_encode(credential.credential_id)
    response = {
        "id": credential_id,
        "rawId": credential_id,
        "type": "public-key",
        "response": {
            "clientDataJSON": websafe_encode(client_data),
            "authenticatorData": websafe_encode(auth_data),
            "signature": websafe_encode(sig),
        },
    }
    capsys.readouterr()
    loop.respond(assertion_answer(response, options), FAST)
    assert loop.outcome == ("tokens" if allowed else "failed")
    if not allowed:
        assert rejections(capsys.readouterr().out)[0] == "cross_origin"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ()),
        (f"{MODEL.upper()}, {MODEL}", (MODEL, MODEL)),
        ("{" + MODEL + "}", (MODEL,)),
    ],
)
def test_allowed_aaguids_setting(value: str, expected: tuple[str, ...]) -> None:
    env = {**SELFHOSTED_ENV, "PASSKEY_ALLOWED_AAGUIDS": value}
    assert load_settings(env).allowed_aaguids == expected
    assert load_settings(SELFHOSTED_ENV).allow_cross_origin is False


def test_bad_security_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="PASSKEY_ALLOWED_AAGUIDS"):
        load_settings({**SELFHOSTED_ENV, "PASSKEY_ALLOWED_AAGUIDS": "not-a-uuid"})
    with pytest.raises(ConfigError, match="PASSKEY_ALLOW_CROSS_ORIGIN"):
        load_settings({**SELFHOSTED_ENV, "PASSKEY_ALLOW_CROSS_ORIGIN": "maybe"})
