"""Round 1 writes nothing, and its sealed challenge answers once, for its user only.

Handler-level, because these paths need what Cognito keeps to itself: the same private
challenge parameters sent to Verify twice (a replay of the very round), another user's or a
bent sealed state, and unknown users (ministack answers UserNotFoundException instead of
running the triggers with ``userNotFound``). The end-to-end count of items written per
InitiateAuth is in tests/e2e/test_security_identity.py.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from cognito_passkey.lambdas.handlers import verify_auth_challenge
from lambdas_support import (
    FAST,
    LAMBDA_CONTEXT,
    CognitoLoop,
    ForgedCredential,
    TokenMint,
    assertion_answer,
    enroll,
    forge_assertion,
    rejections,
    verify_event,
)

STARTS = 100


def table_items(settings: dict[str, Any]) -> list[dict[str, Any]]:
    table = boto3.client("dynamodb", endpoint_url=settings["AWS_ENDPOINT_URL"])
    items: list[dict[str, Any]] = table.scan(TableName=settings["PASSKEY_TABLE_NAME"])["Items"]
    return items


def fast_round(username: str, credential: ForgedCredential) -> tuple[dict[str, str], str]:
    """Round 1's private parameters and a fast answer to its options."""
    loop = CognitoLoop(username)
    public = loop.start()
    assert public is not None
    options = json.loads(public["public_key"])
    return dict(loop.private), assertion_answer(forge_assertion(options, credential), options)


def verify(username: str, private: dict[str, str], answer: str) -> bool:
    result = verify_auth_challenge.handler(
        verify_event(username, private, answer, metadata=FAST), LAMBDA_CONTEXT
    )
    return bool(result["response"]["answerCorrect"])


def test_round_one_writes_no_item_for_anyone(selfhosted: dict[str, Any], mint: TokenMint) -> None:
    enroll(mint, "alice")
    before = len(table_items(selfhosted))
    for user_not_found in (False, True):
        for n in range(STARTS):
            name = "alice" if not user_not_found else f"nobody-{n}"
            public = CognitoLoop(name, user_not_found=user_not_found).start()
            assert public is not None and "public_key" in public
    assert len(table_items(selfhosted)) == before


def test_a_sealed_round_answers_once(
    selfhosted: dict[str, Any], mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    private, answer = fast_round("alice", credential)
    assert verify("alice", private, answer)
    capsys.readouterr()
    assert not verify("alice", private, answer)
    assert rejections(capsys.readouterr().out) == ["challenge_unknown_or_used"]
    used = [i for i in table_items(selfhosted) if i["sk"]["S"].startswith("USED#")]
    assert len(used) == 1  # the one answer wrote the one marker


def test_a_sealed_round_is_its_users_only(
    selfhosted: dict[str, Any], mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    enroll(mint, "alice")
    bobs = enroll(mint, "bob")
    private, answer = fast_round("alice", bobs)  # Alice's round, Bob's answer, as Bob
    capsys.readouterr()
    assert not verify("bob", private, answer)
    assert rejections(capsys.readouterr().out) == ["challenge_unknown_or_used"]


def test_a_bent_sealed_state_is_refused(
    selfhosted: dict[str, Any], mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    private, answer = fast_round("alice", credential)
    state = json.loads(private["state"])
    later = {**state, "expires_at": state["expires_at"] + 3600}
    undecoyed = {**state, "decoy": not state["decoy"]}
    cases = [
        (later, "challenge_unknown_or_used"),  # the seal covers every field
        (undecoyed, "challenge_unknown_or_used"),
        ({**state, "expires_at": "soon"}, "bad_private_state"),
        ({k: v for k, v in state.items() if k != "mac"}, "bad_private_state"),
        ({**state, "extra": 1}, "bad_private_state"),
    ]
    for bent, reason in cases:
        capsys.readouterr()
        assert not verify("alice", {**private, "state": json.dumps(bent)}, answer)
        assert rejections(capsys.readouterr().out) == [reason]
    assert verify("alice", private, answer)  # none of them used the round up


def test_an_expired_sealed_round_is_refused_and_marks_nothing(
    selfhosted: dict[str, Any],
    mint: TokenMint,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cognito_passkey.lambdas.backends import selfhosted as module

    credential = enroll(mint, "alice")
    private, answer = fast_round("alice", credential)
    later = time.time() + 301

    class Clock:
        @staticmethod
        def time() -> float:
            return later

    monkeypatch.setattr(module, "time", Clock)
    capsys.readouterr()
    assert not verify("alice", private, answer)
    assert rejections(capsys.readouterr().out) == ["challenge_expired"]
    assert not [i for i in table_items(selfhosted) if i["sk"]["S"].startswith("USED#")]
