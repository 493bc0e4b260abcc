"""Do-nothing custom-auth triggers: the bare 2-round CUSTOM_AUTH a passkey sign-in is
compared with (one challenge, any answer accepted, tokens issued)."""

from typing import Any


def define(event: dict[str, Any], context: Any) -> dict[str, Any]:
    sessions = event["request"]["session"]
    if sessions and sessions[-1].get("challengeResult"):
        event["response"].update(issueTokens=True, failAuthentication=False)
    else:
        event["response"].update(
            challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False
        )
    return event


def create(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event["response"].update(
        publicChallengeParameters={"challenge": "ANY"},
        privateChallengeParameters={"answer": "ANY"},
        challengeMetadata="TRIVIAL",
    )
    return event


def verify(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event["response"]["answerCorrect"] = True
    return event
