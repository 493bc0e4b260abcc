"""A 2-call sign-in checks its answer against the passkeys sealed into round 1's state.

Create seals what Verify needs of each offered passkey (key, counter, ``sub``); Verify reads
nothing and accepts with one transaction: the passkey item must still hold that key for that
``sub`` with a lower counter (or 0 stays 0), and the challenge's "used" marker must be new.
Handler-level, to replay private parameters and change the table between the two triggers.
A 3-call round 2 keeps the same snapshot in its stored challenge item, and Verify gets it
back from the delete that consumes the challenge. The end-to-end request count is in
tests/e2e/test_backend_requests.py.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from cognito_passkey.lambdas.backends import sealed
from cognito_passkey.lambdas.handlers import verify_auth_challenge
from fido2.utils import websafe_encode
from lambdas_support import (
    FAST,
    GET,
    LAMBDA_CONTEXT,
    CognitoLoop,
    ForgedCredential,
    TokenMint,
    assertion_answer,
    enroll,
    forge_assertion,
    log_lines,
    rejections,
    verify_event,
)


def fast_round(username: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Round 1's private parameters and its assertion options."""
    loop = CognitoLoop(username)
    public = loop.start()
    assert public is not None
    return dict(loop.private), json.loads(public["public_key"])


def answer(options: dict[str, Any], credential: ForgedCredential, **kwargs: Any) -> str:
    return assertion_answer(forge_assertion(options, credential, **kwargs), options)


def verify(username: str, private: dict[str, str], reply: str) -> bool:
    result = verify_auth_challenge.handler(
        verify_event(username, private, reply, metadata=FAST), LAMBDA_CONTEXT
    )
    return bool(result["response"]["answerCorrect"])


def refusal(
    capsys: pytest.CaptureFixture[str], username: str, private: dict[str, str], reply: str
) -> list[str]:
    capsys.readouterr()
    assert not verify(username, private, reply)
    return rejections(capsys.readouterr().out)


def table(settings: dict[str, Any]) -> Any:
    return boto3.client("dynamodb", endpoint_url=settings["AWS_ENDPOINT_URL"])


def credential_key(username: str, credential: ForgedCredential) -> dict[str, Any]:
    sk = "CREDENTIAL#" + websafe_encode(credential.credential_id)
    return {"pk": {"S": f"USER#{username}"}, "sk": {"S": sk}}


def stored_count(settings: dict[str, Any], username: str, credential: ForgedCredential) -> int:
    item = table(settings).get_item(
        TableName=settings["PASSKEY_TABLE_NAME"], Key=credential_key(username, credential)
    )["Item"]
    return int(item["sign_count"]["N"])


def test_the_state_carries_the_offered_passkeys(selfhosted: Any, mint: TokenMint) -> None:
    credential = enroll(mint, "alice")
    private, options = fast_round("alice")
    state = json.loads(private["state"])
    assert state["v"] == sealed.VERSION
    assert [websafe_encode(bytes(credential.credential_data))] == [c[0] for c in state["creds"]]
    assert [d["id"] for d in options["allowCredentials"]] == [
        websafe_encode(credential.credential_id)
    ]
    assert verify("alice", private, answer(options, credential))


def test_a_counterless_answer_is_accepted_once(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    first, first_options = fast_round("alice")
    second, second_options = fast_round("alice")
    first_answer = answer(first_options, credential, counter=0)
    assert verify("alice", first, first_answer)
    assert refusal(capsys, "alice", first, first_answer) == ["challenge_unknown_or_used"]
    assert verify("alice", second, answer(second_options, credential, counter=0))
    # a later sign-in does not make the first answer good again
    assert refusal(capsys, "alice", first, first_answer) == ["challenge_unknown_or_used"]
    assert stored_count(selfhosted, "alice", credential) == 0


def test_a_round_is_answered_once_whichever_of_the_users_passkeys_answers(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    one = enroll(mint, "alice")
    other = enroll(mint, "alice", ForgedCredential())
    private, options = fast_round("alice")
    assert len(options["allowCredentials"]) == 2
    assert verify("alice", private, answer(options, one, counter=0))
    assert refusal(capsys, "alice", private, answer(options, other, counter=0)) == [
        "challenge_unknown_or_used"
    ]


def test_a_passkey_removed_after_round_one_is_refused(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    private, options = fast_round("alice")
    table(selfhosted).delete_item(
        TableName=selfhosted["PASSKEY_TABLE_NAME"], Key=credential_key("alice", credential)
    )
    assert refusal(capsys, "alice", private, answer(options, credential)) == ["unknown_credential"]


def test_a_passkey_of_a_recreated_user_is_refused(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    """The item is there, with the same key, but now for another ``sub``."""
    credential = enroll(mint, "alice")
    private, options = fast_round("alice")
    table(selfhosted).update_item(
        TableName=selfhosted["PASSKEY_TABLE_NAME"],
        Key=credential_key("alice", credential),
        UpdateExpression="SET #sub = :sub",
        ExpressionAttributeNames={"#sub": "sub"},
        ExpressionAttributeValues={":sub": {"S": "someone-else"}},
    )
    assert refusal(capsys, "alice", private, answer(options, credential)) == ["unknown_credential"]


def test_a_counter_that_moved_on_since_round_one_is_refused_by_the_write(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two rounds sealed with counter 0; the first is answered with 5, the second with 4:
    the sealed counter says fine, the table's says regression, and the table wins."""
    credential = enroll(mint, "alice")
    first, first_options = fast_round("alice")
    second, second_options = fast_round("alice")
    assert verify("alice", first, answer(first_options, credential, counter=5))
    reasons = refusal(capsys, "alice", second, answer(second_options, credential, counter=4))
    assert reasons == ["sign_count_regression"]
    assert stored_count(selfhosted, "alice", credential) == 5


def test_a_counter_regression_against_the_sealed_count_is_refused(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    private, options = fast_round("alice")
    assert verify("alice", private, answer(options, credential, counter=9))
    private, options = fast_round("alice")
    capsys.readouterr()
    assert not verify("alice", private, answer(options, credential, counter=2))
    out = capsys.readouterr().out
    assert rejections(out) == ["sign_count_regression"]
    (warning,) = [
        line for line in log_lines(out) if line["message"] == "possible cloned authenticator"
    ]
    assert (warning["stored_sign_count"], warning["received_sign_count"]) == (9, 2)
    private, options = fast_round("alice")
    assert verify("alice", private, answer(options, credential, counter=10))


@pytest.mark.parametrize("field", ["key", "count", "sub", "creds", "others"])
def test_a_bent_snapshot_is_refused(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str], field: str
) -> None:
    credential = enroll(mint, "alice")
    forged = ForgedCredential()  # a key the attacker holds, in place of Alice's
    private, options = fast_round("alice")
    state = json.loads(private["state"])
    (sealed_credential,) = state["creds"]
    bent = {
        "key": {**state, "creds": [[websafe_encode(bytes(forged.credential_data)), 0]]},
        "count": {**state, "creds": [[sealed_credential[0], 0 if sealed_credential[1] else 7]]},
        "sub": {**state, "sub": "another-sub"},
        "creds": {**state, "creds": None, "others": None},
        "others": {**state, "others": [websafe_encode(credential.credential_id)]},
    }[field]
    bent_private = {**private, "state": json.dumps(bent)}
    signer = forged if field == "key" else credential
    reply = answer(options, signer)
    if field == "key":  # the forged key under Alice's credential id
        reply = answer(options, credential, signer=forged.private_key)
    assert refusal(capsys, "alice", bent_private, reply) == ["challenge_unknown_or_used"]
    assert verify("alice", private, answer(options, credential))  # the round is intact


def test_a_snapshot_too_large_to_seal_is_read_in_verify(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setattr(sealed, "MAX_SNAPSHOT_CHARS", 0)
    credential = enroll(mint, "alice")
    private, options = fast_round("alice")
    assert json.loads(private["state"])["creds"] is None
    reply = answer(options, credential, counter=0)
    assert verify("alice", private, reply)
    assert refusal(capsys, "alice", private, reply) == ["challenge_unknown_or_used"]


def round_two(username: str) -> tuple[CognitoLoop, dict[str, Any]]:
    loop = CognitoLoop(username)
    loop.start()
    second = loop.respond("AUTH_PARAMS", GET)
    assert second is not None
    return loop, json.loads(second["public_key"])


def test_round_two_keeps_the_offered_passkeys_with_its_challenge(
    selfhosted: Any, mint: TokenMint
) -> None:
    credential = enroll(mint, "alice")
    loop, options = round_two("alice")
    items = table(selfhosted).scan(TableName=selfhosted["PASSKEY_TABLE_NAME"])["Items"]
    (item,) = [i for i in items if i["sk"]["S"].startswith("CHALLENGE#") and "snapshot" in i]
    assert sealed.decode_snapshot(item["snapshot"]["S"]).credentials[0].credential_id == (
        credential.credential_id
    )
    loop.respond(answer(options, credential), GET)
    assert loop.outcome == "tokens"


def test_a_passkey_removed_after_round_two_started_is_refused(
    selfhosted: Any, mint: TokenMint, capsys: pytest.CaptureFixture[str]
) -> None:
    credential = enroll(mint, "alice")
    loop, options = round_two("alice")
    table(selfhosted).delete_item(
        TableName=selfhosted["PASSKEY_TABLE_NAME"], Key=credential_key("alice", credential)
    )
    capsys.readouterr()
    loop.respond(answer(options, credential), GET)
    assert loop.outcome == "failed"
    assert rejections(capsys.readouterr().out)[0] == "unknown_credential"
