"""No input crashes a trigger: each malformed piece is one refusal with its own reason."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cognito_passkey.lambdas.handlers import create_auth_challenge, verify_auth_challenge
from cognito_passkey.protocol import dialect
from lambdas_support import (
    GET,
    LAMBDA_CONTEXT,
    CognitoLoop,
    ForgedCredential,
    TokenMint,
    assertion_answer,
    create_event,
    create_metadata,
    forge_assertion,
    forge_attestation,
    log_lines,
    rejections,
    session_entry,
    start_registration,
    verify_event,
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def round_two(username: str = "alice") -> tuple[dict[str, str], dict[str, Any]]:
    loop = CognitoLoop(username)
    loop.start()
    options = json.loads((loop.respond("AUTH_PARAMS", GET) or {})["public_key"])
    return loop.private, options


def good_assertion(options: dict[str, Any]) -> dict[str, Any]:
    return forge_assertion(options, ForgedCredential())


def with_response(credential: dict[str, Any], **fields: Any) -> str:
    bent = dict(credential, response={**credential["response"], **fields})
    return json.dumps({"assertion_response": bent})


def verify(private: dict[str, str], answer: Any, metadata: dict[str, str] | None = GET) -> bool:
    result = verify_auth_challenge.handler(
        verify_event("alice", private, answer, metadata=metadata), LAMBDA_CONTEXT
    )
    correct = result["response"]["answerCorrect"]
    assert isinstance(correct, bool)
    return correct


def answers(options: dict[str, Any]) -> list[tuple[Any, str]]:
    credential = good_assertion(options)
    short_auth_data = with_response(credential, authenticatorData=b64(b"\x00" * 20))
    client_data = json.loads(
        base64.urlsafe_b64decode(credential["response"]["clientDataJSON"] + "==")
    )
    as_create = with_response(
        credential,
        clientDataJSON=b64(json.dumps({**client_data, "type": "webauthn.create"}).encode()),
    )
    no_origin = {k: v for k, v in client_data.items() if k != "origin"}
    return [
        (123, "bad_answer_type"),
        (None, "bad_answer_type"),
        ({"assertion_response": {}}, "bad_answer_type"),
        ("x" * (dialect.MAX_ANSWER_BYTES + 1), "answer_too_large"),
        ("é" * (dialect.MAX_ANSWER_BYTES // 2 + 1), "answer_too_large"),
        ("{not json", "bad_json"),
        ("[" * 5000, "bad_json"),
        ("[]", "bad_answer_shape"),
        ('"AUTH"', "bad_answer_shape"),
        ("AUTH_PARAMS", "bad_answer_shape"),
        ('{"assertion_response": 5}', "bad_answer_shape"),
        ('{"assertion_response": {}, "attestation_response": {}}', "bad_answer_shape"),
        ('{"something": {}}', "bad_answer_shape"),
        (json.dumps({"assertion_response": dict(credential, id="!!!")}), "bad_base64url"),
        (json.dumps({"assertion_response": dict(credential, rawId="AAAA")}), "bad_answer_shape"),
        (json.dumps({"assertion_response": dict(credential, type="password")}), "bad_answer_shape"),
        (json.dumps({"assertion_response": dict(credential, response=[])}), "bad_answer_shape"),
        (with_response(credential, signature="A"), "bad_base64url"),
        (with_response(credential, signature=""), "bad_answer_shape"),
        (with_response(credential, signature=5), "bad_base64url"),
        (with_response(credential, clientDataJSON=b64(b"\xff\xfe")), "bad_client_data"),
        (with_response(credential, clientDataJSON=b64(b"[1]")), "bad_client_data"),
        (
            with_response(credential, clientDataJSON=b64(json.dumps(no_origin).encode())),
            "bad_client_data",
        ),
        (short_auth_data, "bad_authenticator_data"),
        (with_response(credential, userHandle="***"), "bad_base64url"),
        (as_create, "client_data_type"),
    ]


def test_each_malformed_answer_has_its_reason(
    selfhosted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    private, options = round_two()
    for answer, reason in answers(options):
        capsys.readouterr()
        assert verify(private, answer) is False, reason
        assert rejections(capsys.readouterr().out) == [reason], repr(answer)[:80]


def test_malformed_registrations(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = CognitoLoop("alice")
    options = start_registration(loop)
    credential = forge_attestation(options, ForgedCredential())
    token = mint.id_token("alice")
    cases = [
        (
            dict(
                credential,
                response={**credential["response"], "attestationObject": b64(b"\xa1\x01")},
            ),
            token,
            "bad_attestation_object",
        ),
        (
            dict(
                credential,
                response={**credential["response"], "attestationObject": b64(b"\xff" * 40)},
            ),
            token,
            "bad_attestation_object",
        ),
        (
            dict(credential, response={**credential["response"], "transports": "usb"}),
            token,
            "bad_answer_shape",
        ),
        (
            dict(credential, id=b64(b"another id"), rawId=b64(b"another id")),
            token,
            "bad_answer_shape",
        ),
        (credential, None, "token_missing"),
        (credential, 42, "token_missing"),
    ]
    for bent, id_token, reason in cases:
        capsys.readouterr()
        answer = json.dumps({"attestation_response": bent, "id_token": id_token})
        assert verify(loop.private, answer, create_metadata()) is False
        assert rejections(capsys.readouterr().out) == [reason]
    assert (
        verify(loop.private, assertion_answer(good_assertion(options), options), create_metadata())
        is False
    )


def test_private_parameters_decide_not_the_client(
    selfhosted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    private, options = round_two()
    answer = json.dumps({"assertion_response": good_assertion(options)})
    for bent, reason in [
        ({}, "bad_private_state"),
        ({"kind": "SOMETHING"}, "bad_private_state"),
        ({"kind": "REFUSED"}, "bad_private_state"),
        ({**private, "state": "{"}, "bad_private_state"),
        ({**private, "state": json.dumps({"challenge_id": 5})}, "bad_private_state"),
        ({"kind": "AUTH_PARAMS"}, "bad_answer_shape"),  # not a fast round
    ]:
        capsys.readouterr()
        assert verify(bent, answer) is False
        assert rejections(capsys.readouterr().out) == [reason]
    capsys.readouterr()
    assert verify(private, answer, {"authentication_type": "FIDO2_CREATE"}) is False
    assert rejections(capsys.readouterr().out) == ["metadata_mismatch"]


def test_answering_auth_params_in_round_one_is_not_an_alarm(
    selfhosted: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify({"kind": "AUTH_PARAMS"}, "AUTH_PARAMS", None) is False
    lines = log_lines(capsys.readouterr().out)
    assert [line.get("reason") for line in lines] == ["auth_params_answer"]
    assert lines[0]["level"] == "INFO"


def test_nothing_secret_is_logged(selfhosted: Any, capsys: pytest.CaptureFixture[str]) -> None:
    private, options = round_two()
    credential = good_assertion(options)
    verify(private, json.dumps({"assertion_response": credential}))
    output = capsys.readouterr().out
    for value in credential["response"].values():
        assert value not in output
    assert private["state"] not in output


@pytest.mark.parametrize("metadata", [{}, {"authentication_type": "FIDO2_SOMETHING"}])
def test_metadata_naming_no_ceremony_ends_the_sign_in(
    selfhosted: Any, metadata: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Define gives round 2 only to a call that names a ceremony (docs/protocol.md)."""
    loop = CognitoLoop("alice")
    loop.start()
    capsys.readouterr()
    assert loop.respond("AUTH_PARAMS", metadata) is None
    assert loop.outcome == "failed"
    assert rejections(capsys.readouterr().out) == ["answer_refused"]


@pytest.mark.parametrize(
    "metadata",
    [
        {"authentication_type": "FIDO2_CREATE", "attestation_options": "{"},
        {"authentication_type": "FIDO2_CREATE", "attestation_options": "[]"},
        {
            "authentication_type": "FIDO2_CREATE",
            "attestation_options": '{"override_timeout_s": "60"}',
        },
        {
            "authentication_type": "FIDO2_CREATE",
            "attestation_options": '{"override_timeout_s": 1e9}',
        },
        {
            "authentication_type": "FIDO2_CREATE",
            "attestation_options": '{"override_timeout_s": true}',
        },
        {
            "authentication_type": "FIDO2_CREATE",
            "attestation_options": '{"require_usernameless": "yes"}',
        },
    ],
)
def test_bad_client_metadata_gives_a_challenge_nothing_passes(
    selfhosted: Any, metadata: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    loop = CognitoLoop("alice")
    loop.start()
    public = loop.respond("AUTH_PARAMS", metadata)
    assert public is not None and set(public) == {"public_key"}
    assert json.loads(public["public_key"])["allowCredentials"]
    assert loop.private == {"kind": "REFUSED"}
    assert rejections(capsys.readouterr().out) == ["bad_client_metadata"]
    options = json.loads(public["public_key"])
    loop.respond(assertion_answer(good_assertion(options), options), metadata)
    assert loop.outcome == "failed"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.update(request="x"),
        lambda e: e["request"].update(challengeName="PASSWORD_VERIFIER"),
        lambda e: e["request"].update(session={"a": 1}),
        lambda e: e["request"].update(session=[session_entry("AUTH_PARAMS", False)] * 2),
        lambda e: e["request"].update(userNotFound="no"),
        lambda e: e.update(userName=["alice"]),
        lambda e: e.pop("callerContext"),
    ],
)
def test_a_malformed_create_event_gives_a_harmless_challenge(
    selfhosted: Any, mutate: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    event = create_event("alice", [])
    mutate(event)
    response = create_auth_challenge.handler(event, LAMBDA_CONTEXT)["response"]
    assert response["privateChallengeParameters"] == {"kind": "REFUSED"}
    assert response["challengeMetadata"] == "REFUSED"
    assert all(isinstance(v, str) for v in response["publicChallengeParameters"].values())
    assert len(rejections(capsys.readouterr().out)) == 1


def test_create_survives_a_non_dict_event(selfhosted: Any) -> None:
    for event in (None, [], "x", 5):
        result = create_auth_challenge.handler(event, LAMBDA_CONTEXT)
        assert result["response"]["privateChallengeParameters"] == {"kind": "REFUSED"}


def test_verify_survives_a_non_dict_event(selfhosted: Any) -> None:
    for event in (None, [], "x", 5, {"request": None}):
        assert (
            verify_auth_challenge.handler(event, LAMBDA_CONTEXT)["response"]["answerCorrect"]
            is False
        )


def test_a_broken_configuration_fails_closed(
    lambda_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cognito_passkey.lambdas import container

    lambda_env.setenv("PASSKEY_BACKEND", "nonsense")
    container.reset()
    response = create_auth_challenge.handler(create_event("alice", []), LAMBDA_CONTEXT)["response"]
    assert response["privateChallengeParameters"] == {"kind": "REFUSED"}
    answer = json.dumps({"assertion_response": {}})
    result = verify_auth_challenge.handler(
        verify_event("alice", {"kind": "FIDO2_GET", "state": "{}"}, answer), LAMBDA_CONTEXT
    )
    assert result["response"]["answerCorrect"] is False
    assert "config_error" in rejections(capsys.readouterr().out)


def test_an_unreachable_table_gives_the_plain_round_one(
    selfhosted: Any, lambda_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cognito_passkey.lambdas import container

    # The container's clients are keyed by endpoint, so this one is fresh.
    lambda_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    container.reset()
    loop = CognitoLoop("alice")
    assert loop.start() == {"challenge": "AUTH_PARAMS"}
    public = loop.respond("AUTH_PARAMS", GET)
    assert public is not None and loop.private == {"kind": "REFUSED"}
    assert rejections(capsys.readouterr().out).count("backend_unavailable") == 2
