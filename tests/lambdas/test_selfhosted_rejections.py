"""Every reason the self-hosted backend refuses an answer, each with its own log reason."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from cognito_passkey.lambdas import container
from cognito_passkey.lambdas.handlers import verify_auth_challenge
from cryptography.hazmat.primitives.asymmetric import ec
from lambdas_support import (
    APP_ORIGIN,
    GET,
    LAMBDA_CONTEXT,
    UP,
    UV,
    CognitoLoop,
    ForgedCredential,
    TokenMint,
    assertion_answer,
    attestation_answer,
    create_metadata,
    enroll,
    forge_assertion,
    forge_attestation,
    log_lines,
    rejections,
    start_registration,
    verify_event,
)


def sign_in_round(username: str) -> tuple[CognitoLoop, dict[str, Any]]:
    loop = CognitoLoop(username)
    loop.start()
    second = loop.respond("AUTH_PARAMS", GET)
    assert second is not None
    return loop, json.loads(second["public_key"])


def forged_round(credential: ForgedCredential, **bend: Any) -> tuple[CognitoLoop, str]:
    """A sign-in round for alice and an answer to it forged with ``credential`` (and ``bend``)."""
    loop, options = sign_in_round("alice")
    return loop, assertion_answer(forge_assertion(options, credential, **bend), options)


def refused(loop: CognitoLoop, answer: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    loop.respond(answer, GET)
    assert loop.outcome == "failed"
    assert loop.session[-1]["challengeResult"] is False
    return rejections(capsys.readouterr().out)


def test_forged_credentials_sign_in(selfhosted: Any, mint: TokenMint) -> None:
    credential = enroll(mint, "alice")
    loop, answer = forged_round(credential)
    loop.respond(answer, GET)
    assert loop.outcome == "tokens"


@pytest.mark.parametrize(
    ("bend", "reason"),
    [
        ({"challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "challenge"),
        ({"origin": "https://evil.example.com"}, "origin"),
        ({"origin": "http://app.example.com"}, "origin"),
        ({"rp_id": "evil.example.com"}, "rp_id"),
        ({"flags": UV}, "user_presence"),
        ({"signer": ec.generate_private_key(ec.SECP256R1())}, "signature"),
    ],
)
def test_a_bent_assertion_is_refused(
    selfhosted: Any,
    mint: TokenMint,
    capsys: pytest.CaptureFixture[str],
    bend: dict[str, Any],
    reason: str,
) -> None:
    credential = enroll(mint, "alice")
    loop, answer = forged_round(credential, **bend)
    assert refused(loop, answer, capsys) == [reason, "answer_refused"]


def test_user_verification_is_enforced_when_required(
    selfhosted: Any,
    mint: TokenMint,
    capsys: pytest.CaptureFixture[str],
    lambda_env: pytest.MonkeyPatch,
) -> None:
    credential = enroll(mint, "alice")
    loop, answer = forged_round(credential, flags=UP)
    loop.respond(answer, GET)
    assert loop.outcome == "tokens"  # "preferred": UP alone is enough

    assert selfhosted["PASSKEY_USER_VERIFICATION"] == "preferred"
    lambda_env.setenv("PASSKEY_USER_VERIFICATION", "required")
    container.reset()
    loop, options = sign_in_round("alice")
    assert options["userVerification"] == "required"
    answer = assertion_answer(forge_assertion(options, credential, flags=UP), options)
    assert refused(loop, answer, capsys)[0] == "user_verification"


def test_an_app_origin_on_the_allow_list_is_accepted(selfhosted: Any, mint: TokenMint) -> None:
    credential = enroll(mint, "alice")
    loop, options = sign_in_round("alice")
    loop.respond(
        assertion_answer(forge_assertion(options, credential, origin=APP_ORIGIN), options), GET
    )
    assert loop.outcome == "tokens"


def test_an_unknown_credential_is_refused(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    enroll(mint, "alice")
    loop, options = sign_in_round("alice")
    answer = assertion_answer(forge_assertion(options, ForgedCredential()), options)
    assert refused(loop, answer, capsys)[0] == "unknown_credential"


def test_another_users_credential_is_refused(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    enroll(mint, "alice")
    bobs = enroll(mint, "bob")
    loop, answer = forged_round(bobs)
    assert refused(loop, answer, capsys)[0] == "unknown_credential"


def test_another_users_handle_is_refused(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    loop, options = sign_in_round("alice")
    answer = assertion_answer(
        forge_assertion(options, credential, user_handle=b"\x01" * 32), options
    )
    assert refused(loop, answer, capsys)[0] == "user_handle"


def test_a_replayed_answer_is_refused(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    loop, answer = forged_round(credential)
    private = dict(loop.private)
    loop.respond(answer, GET)
    assert loop.outcome == "tokens"
    capsys.readouterr()
    again = verify_auth_challenge.handler(
        verify_event("alice", private, answer, metadata=GET), LAMBDA_CONTEXT
    )
    assert again["response"]["answerCorrect"] is False
    assert rejections(capsys.readouterr().out) == ["challenge_unknown_or_used"]


def test_a_challenge_cannot_be_answered_for_another_user(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    enroll(mint, "alice")
    bobs = enroll(mint, "bob")
    loop, answer = forged_round(bobs)
    result = verify_auth_challenge.handler(
        verify_event("bob", loop.private, answer, metadata=GET), LAMBDA_CONTEXT
    )
    assert result["response"]["answerCorrect"] is False
    assert rejections(capsys.readouterr().out)[-1] == "challenge_unknown_or_used"


def test_an_expired_challenge_is_refused(
    selfhosted: Any,
    mint: TokenMint,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cognito_passkey.lambdas.backends import selfhosted as module

    credential = enroll(mint, "alice")
    loop, answer = forged_round(credential)
    later = time.time() + 301

    class Clock:
        @staticmethod
        def time() -> float:
            return later

    monkeypatch.setattr(module, "time", Clock)
    assert refused(loop, answer, capsys)[0] == "challenge_expired"


def test_an_expired_challenge_outlives_its_expiry_in_the_table(selfhosted: Any) -> None:
    """The table's TTL reaper must not turn "expired" into "unknown" for a late answer."""
    import boto3
    from cognito_passkey.lambdas.backends.store import CHALLENGE_TTL_GRACE_SECONDS

    sign_in_round("alice")
    table = boto3.client("dynamodb", endpoint_url=selfhosted["AWS_ENDPOINT_URL"])
    items = table.scan(TableName=selfhosted["PASSKEY_TABLE_NAME"])["Items"]
    challenges = [item for item in items if item["sk"]["S"].startswith("CHALLENGE#")]
    assert challenges
    for item in challenges:
        expires_at = int(item["expires_at"]["N"])
        assert int(item["ttl"]["N"]) == expires_at + CHALLENGE_TTL_GRACE_SECONDS
        assert expires_at <= time.time() + 300


def test_a_counter_regression_is_refused_and_logged_as_a_possible_clone(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    loop, answer = forged_round(credential, counter=5)
    loop.respond(answer, GET)
    assert loop.outcome == "tokens"
    for counter in (5, 3, 0):
        loop, answer = forged_round(credential, counter=counter)
        assert refused(loop, answer, capsys)[0] == "sign_count_regression"
    capsys.readouterr()
    loop, answer = forged_round(credential, counter=6)
    loop.respond(answer, GET)
    assert loop.outcome == "tokens"


def test_the_clone_warning_names_both_counters(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    loop, answer = forged_round(credential, counter=9)
    loop.respond(answer, GET)
    loop, answer = forged_round(credential, counter=2)
    capsys.readouterr()
    loop.respond(answer, GET)
    warnings = [
        line
        for line in log_lines(capsys.readouterr().out)
        if line["message"] == "possible cloned authenticator"
    ]
    assert len(warnings) == 1
    assert (warnings[0]["stored_sign_count"], warnings[0]["received_sign_count"]) == (9, 2)


def test_a_counter_that_stays_zero_is_fine(selfhosted: Any, mint: TokenMint) -> None:
    credential = enroll(mint, "alice")
    for _ in range(2):
        loop, answer = forged_round(credential, counter=0)
        loop.respond(answer, GET)
        assert loop.outcome == "tokens"


def test_a_registration_answer_is_not_a_sign_in(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    loop, options = sign_in_round("alice")
    wrong_type = forge_attestation(options, credential)
    answer = attestation_answer(wrong_type, options, mint.id_token("alice"))
    assert refused(loop, answer, capsys)[0] == "bad_answer_shape"


@pytest.mark.parametrize(
    ("bend", "reason"),
    [
        ({"origin": "https://evil.example.com"}, "origin"),
        ({"rp_id": "evil.example.com"}, "rp_id"),
        ({"challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "challenge"),
        ({"flags": UV | 0x40}, "user_presence"),
    ],
)
def test_a_bent_registration_is_refused_and_stores_nothing(
    selfhosted: Any,
    mint: TokenMint,
    capsys: pytest.CaptureFixture[str],
    bend: dict[str, Any],
    reason: str,
) -> None:
    loop = CognitoLoop("alice")
    options = start_registration(loop)
    capsys.readouterr()
    answer = attestation_answer(
        forge_attestation(options, ForgedCredential(), **bend), options, mint.id_token("alice")
    )
    loop.respond(answer, create_metadata())
    assert loop.outcome == "failed"
    assert rejections(capsys.readouterr().out)[0] == reason
    assert container.backend().list_passkeys("alice") == []


def test_a_passkey_cannot_be_registered_twice(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    loop = CognitoLoop("alice")
    options = start_registration(loop)
    capsys.readouterr()
    answer = attestation_answer(
        forge_attestation(options, credential), options, mint.id_token("alice")
    )
    loop.respond(answer, create_metadata())
    assert loop.outcome == "failed"
    assert rejections(capsys.readouterr().out)[0] == "credential_exists"
