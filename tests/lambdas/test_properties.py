"""Property tests: arbitrary answers, ClientMetadata and event mutations never crash a
trigger (no internal_error either: every refusal has a proper reason) and are never accepted."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from cognito_passkey.lambdas.handlers import (
    create_auth_challenge,
    define_auth_challenge,
    verify_auth_challenge,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambdas_support import (
    GET,
    LAMBDA_CONTEXT,
    CognitoLoop,
    ForgedCredential,
    TokenMint,
    create_event,
    create_metadata,
    define_event,
    enroll,
    forge_assertion,
    log_lines,
    session_entry,
    verify_event,
)

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
b64ish = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", max_size=120
)
credential_like = st.fixed_dictionaries(
    {},
    optional={
        "id": b64ish | json_values,
        "rawId": b64ish,
        "type": st.sampled_from(["public-key", "x"]) | json_values,
        "response": st.fixed_dictionaries(
            {},
            optional={
                "clientDataJSON": b64ish | json_values,
                "authenticatorData": b64ish | json_values,
                "signature": b64ish | json_values,
                "userHandle": b64ish | json_values,
                "attestationObject": b64ish | json_values,
                "transports": json_values,
            },
        )
        | json_values,
    },
)
answers = st.one_of(
    st.text(max_size=200),
    json_values,
    st.builds(lambda c: json.dumps({"assertion_response": c}), credential_like),
    st.builds(
        lambda c, t: json.dumps({"attestation_response": c, "id_token": t}),
        credential_like,
        json_values,
    ),
    st.builds(json.dumps, json_values),
)
metadata = st.none() | st.dictionaries(
    st.sampled_from(["authentication_type", "fast_signin", "attestation_options", "id_token", "x"]),
    st.sampled_from(["FIDO2_GET", "FIDO2_CREATE", "true", "false", "{}", ""])
    | st.text(max_size=20),
    max_size=4,
)


def reasons(text: str) -> list[str]:
    return [str(line.get("reason")) for line in log_lines(text)]


@pytest.fixture(params=["selfhosted", "loginid"])
def round_two_private(request: pytest.FixtureRequest, mint: TokenMint) -> dict[str, dict[str, str]]:
    """Private parameters of real ceremonies for a user who holds a passkey."""
    request.getfixturevalue(request.param)
    enroll(mint, "alice")
    privates = {}
    for kind, meta in (("get", GET), ("create", create_metadata())):
        loop = CognitoLoop("alice")
        loop.start()
        privates["round1"] = loop.private
        loop.respond("AUTH_PARAMS", meta)
        privates[kind] = loop.private
    return privates


@pytest.mark.e2e  # round_two_private asks for a backend on the local AWS by name
@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(answer=answers, meta=metadata, which=st.sampled_from(["round1", "get", "create"]))
def test_arbitrary_answers_are_refused_cleanly(
    round_two_private: dict[str, dict[str, str]],
    capsys: pytest.CaptureFixture[str],
    answer: Any,
    meta: dict[str, str] | None,
    which: str,
) -> None:
    capsys.readouterr()
    event = verify_event("alice", round_two_private[which], answer, metadata=meta)
    result = verify_auth_challenge.handler(event, LAMBDA_CONTEXT)
    assert result["response"]["answerCorrect"] is False
    logged = reasons(capsys.readouterr().out)
    assert len(logged) == 1 and "internal_error" not in logged


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(
    field=st.sampled_from(["id", "clientDataJSON", "authenticatorData", "signature", "userHandle"]),
    replacement=b64ish.filter(lambda v: len(v.rstrip("=")) > 2),
)
def test_a_mutated_valid_assertion_is_never_accepted(
    selfhosted: Any,
    mint: TokenMint,
    enrolled: ForgedCredential,
    capsys: pytest.CaptureFixture[str],
    field: str,
    replacement: str,
) -> None:
    loop = CognitoLoop("alice")
    loop.start()
    options = json.loads((loop.respond("AUTH_PARAMS", GET) or {})["public_key"])
    credential = forge_assertion(options, enrolled)
    if field == "id":
        if replacement == credential["id"]:
            return
        credential = dict(credential, id=replacement, rawId=replacement)
    else:
        if credential["response"].get(field) == replacement:
            return
        credential = dict(credential, response={**credential["response"], field: replacement})
    capsys.readouterr()
    loop.respond(json.dumps({"assertion_response": credential}), GET)
    assert loop.outcome == "failed"
    assert "internal_error" not in reasons(capsys.readouterr().out)


@pytest.fixture
def enrolled(selfhosted: Any, mint: TokenMint) -> ForgedCredential:
    return enroll(mint, "alice")


def _mutate(event: dict[str, Any], path: list[int], value: Any) -> dict[str, Any]:
    """Replace (or drop, for None-marked) the field picked by walking ``path`` indices."""
    target: Any = event
    for step in path:
        if isinstance(target, dict) and target:
            key = sorted(target)[step % len(target)]
            if not isinstance(target[key], (dict, list)) or not target[key]:
                target[key] = value
                return event
            target = target[key]
        elif isinstance(target, list) and target:
            index = step % len(target)
            if not isinstance(target[index], (dict, list)):
                target[index] = value
                return event
            target = target[index]
    if isinstance(target, dict):
        target["extra"] = value
    elif isinstance(target, list):
        target.append(value)
    return event


sessions = st.lists(
    st.builds(
        session_entry,
        st.sampled_from(["AUTH_PARAMS", "FIDO2_GET", "FIDO2_CREATE", "REFUSED", "x"]),
        st.booleans(),
    ),
    max_size=4,
)
TRIGGER_INPUTS = {
    "session": sessions,
    "meta": metadata,
    "not_found": st.booleans(),
    "path": st.lists(st.integers(min_value=0, max_value=20), max_size=4),
    "value": json_values,
    "mutate": st.booleans(),
}
"""A trigger's session and metadata, and a mutation (``path``, ``value``) to apply if ``mutate``."""
LEGIT = (
    [("AUTH_PARAMS", True)],
    [("AUTH_PARAMS", False), ("FIDO2_GET", True)],
    [("AUTH_PARAMS", False), ("FIDO2_CREATE", True)],
)


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURES)
@given(**TRIGGER_INPUTS)
def test_define_only_issues_tokens_for_a_legitimate_session(
    capsys: pytest.CaptureFixture[str],
    session: list[dict[str, Any]],
    meta: dict[str, str] | None,
    not_found: bool,
    path: list[int],
    value: Any,
    mutate: bool,
) -> None:
    event = define_event("alice", session, metadata=meta, user_not_found=not_found)
    original = copy.deepcopy(event)
    if mutate:
        event = _mutate(event, path, value)
    response = define_auth_challenge.handler(event, LAMBDA_CONTEXT)["response"]
    assert isinstance(response["issueTokens"], bool)
    assert isinstance(response["failAuthentication"], bool)
    assert not (response["issueTokens"] and response["failAuthentication"])
    if response["issueTokens"]:
        request = event["request"]
        shape = [(e["challengeMetadata"], e["challengeResult"]) for e in request["session"]]
        assert shape in [list(s) for s in LEGIT]
        assert request.get("userNotFound", False) is False
        assert all(e["challengeName"] == "CUSTOM_CHALLENGE" for e in request["session"])
        assert event == original or all(
            type(e["challengeResult"]) is bool for e in request["session"]
        )
    assert "internal_error" not in reasons(capsys.readouterr().out)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(**TRIGGER_INPUTS)
def test_create_always_answers_with_string_parameters(
    selfhosted: Any,
    capsys: pytest.CaptureFixture[str],
    session: list[dict[str, Any]],
    meta: dict[str, str] | None,
    not_found: bool,
    path: list[int],
    value: Any,
    mutate: bool,
) -> None:
    event = create_event("alice", session[:1], metadata=meta, user_not_found=not_found)
    if mutate:
        event = _mutate(event, path, value)
    response = create_auth_challenge.handler(event, LAMBDA_CONTEXT)["response"]
    assert isinstance(response["challengeMetadata"], str)
    for name in ("publicChallengeParameters", "privateChallengeParameters"):
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in response[name].items())
    assert response["privateChallengeParameters"]["kind"] in (
        "AUTH_PARAMS",
        "FIDO2_GET",
        "FIDO2_CREATE",
        "REFUSED",
    )
    assert "internal_error" not in reasons(capsys.readouterr().out)
