"""DefineAuthChallenge's state table (lambdas/README.md) and its fail-closed edges."""

from __future__ import annotations

from typing import Any

import pytest
from cognito_passkey.lambdas.handlers.define_auth_challenge import handler
from lambdas_support import LAMBDA_CONTEXT, define_event, rejections, session_entry

ASK = {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False}
ISSUE = {"issueTokens": True, "failAuthentication": False}
FAIL = {"issueTokens": False, "failAuthentication": True}

P_TRUE = session_entry("AUTH_PARAMS", True)


def decision(response: dict[str, Any]) -> dict[str, Any]:
    """The response without the fields Cognito sent as null and the trigger left alone."""
    assert isinstance(response["issueTokens"], bool)
    assert isinstance(response["failAuthentication"], bool)
    return {k: v for k, v in response.items() if v is not None}


P_FALSE = session_entry("AUTH_PARAMS", False)


@pytest.mark.parametrize(
    ("session", "metadata", "expected"),
    [
        ([], None, ASK),
        ([P_TRUE], {"authentication_type": "FIDO2_GET", "fast_signin": "true"}, ISSUE),
        ([P_FALSE], {"authentication_type": "FIDO2_GET", "fast_signin": "true"}, FAIL),
        ([P_FALSE], {"authentication_type": "FIDO2_GET"}, ASK),
        ([P_FALSE], {"authentication_type": "FIDO2_CREATE"}, ASK),
        ([P_FALSE], None, FAIL),  # a refused round-1 answer that asks for no round 2
        ([P_FALSE], {"authentication_type": "FIDO2_GET", "fast_signin": "false"}, ASK),
        ([P_FALSE], {"authentication_type": "AUTH_PARAMS"}, FAIL),
        ([P_FALSE, session_entry("FIDO2_GET", True)], {"authentication_type": "FIDO2_GET"}, ISSUE),
        ([P_FALSE, session_entry("FIDO2_CREATE", True)], None, ISSUE),
        ([P_FALSE, session_entry("FIDO2_GET", False)], None, FAIL),
        ([P_FALSE, session_entry("FIDO2_CREATE", False)], None, FAIL),
        ([P_FALSE, session_entry("AUTH_PARAMS", True)], None, FAIL),
        ([P_FALSE, session_entry("REFUSED", True)], None, FAIL),
        ([P_TRUE, session_entry("FIDO2_GET", True)], None, FAIL),
        ([session_entry("FIDO2_GET", True)], None, FAIL),
        (
            [P_FALSE, session_entry("FIDO2_GET", False), session_entry("FIDO2_GET", True)],
            None,
            FAIL,
        ),
        ([P_FALSE] * 5, None, FAIL),
        (
            [{"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}],
            None,
            FAIL,
        ),
    ],
)
def test_state_table(
    session: list[dict[str, Any]], metadata: dict[str, str] | None, expected: dict[str, Any]
) -> None:
    response = handler(define_event("alice", session, metadata=metadata), LAMBDA_CONTEXT)[
        "response"
    ]
    assert decision(response) == expected


def test_unknown_users_are_asked_but_never_get_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        decision(
            handler(define_event("ghost", [], user_not_found=True), LAMBDA_CONTEXT)["response"]
        )
        == ASK
    )
    response = handler(
        define_event(
            "ghost", [P_FALSE], metadata={"authentication_type": "FIDO2_GET"}, user_not_found=True
        ),
        LAMBDA_CONTEXT,
    )["response"]
    assert decision(response) == ASK
    for session in ([P_TRUE], [P_FALSE, session_entry("FIDO2_GET", True)]):
        response = handler(define_event("ghost", session, user_not_found=True), LAMBDA_CONTEXT)[
            "response"
        ]
        assert decision(response) == FAIL
    assert rejections(capsys.readouterr().out) == ["user_not_found", "user_not_found"]


def test_a_wrong_answer_logs_one_reason(capsys: pytest.CaptureFixture[str]) -> None:
    handler(define_event("alice", [P_FALSE, session_entry("FIDO2_GET", False)]), LAMBDA_CONTEXT)
    assert rejections(capsys.readouterr().out) == ["answer_refused"]


MALFORMED: list[Any] = [
    None,
    [],
    "event",
    {},
    {"request": {}},
]


def _mutations() -> list[dict[str, Any]]:
    cases = []
    for path, value in [
        (("userName",), None),
        (("userName",), ""),
        (("userName",), 7),
        (("userPoolId",), "not a pool"),
        (("callerContext",), None),
        (("callerContext", "clientId"), 5),
        (("request",), "x"),
        (("request", "session"), "x"),
        (("request", "session"), [None]),
        (
            ("request", "session"),
            [
                {
                    "challengeName": "CUSTOM_CHALLENGE",
                    "challengeResult": "true",
                    "challengeMetadata": "AUTH_PARAMS",
                }
            ],
        ),
        (
            ("request", "session"),
            [
                {
                    "challengeName": "CUSTOM_CHALLENGE",
                    "challengeResult": 1,
                    "challengeMetadata": "AUTH_PARAMS",
                }
            ],
        ),
        (
            ("request", "session"),
            [
                {
                    "challengeName": "CUSTOM_CHALLENGE",
                    "challengeResult": True,
                    "challengeMetadata": 3,
                }
            ],
        ),
        (("request", "userNotFound"), "false"),
        (("request", "clientMetadata"), {"fast_signin": 1}),
        (("request", "clientMetadata"), "x"),
        (("response",), "x"),
    ]:
        event = define_event("alice", [P_TRUE])
        target = event
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        cases.append(event)
    return cases


@pytest.mark.parametrize("event", MALFORMED + _mutations())
def test_a_malformed_event_fails_closed(event: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = handler(event, LAMBDA_CONTEXT)
    assert result["response"]["failAuthentication"] is True
    assert result["response"]["issueTokens"] is False
    assert rejections(capsys.readouterr().out) in (["bad_event"], ["internal_error"])
