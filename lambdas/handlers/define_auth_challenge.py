"""DefineAuthChallenge: decides, round by round, whether to ask, issue tokens or fail.

State table (docs/protocol.md, "Define's state table"; ``session`` is Cognito's list of
earlier rounds, metadata is what Create set):

| session so far                                  | decision                                   |
|-------------------------------------------------|--------------------------------------------|
| empty                                           | CUSTOM_CHALLENGE (round 1, AUTH_PARAMS)     |
| [AUTH_PARAMS true]                              | issue tokens (2-call fast sign-in)          |
| [AUTH_PARAMS false], fast_signin == "true"      | fail (the one-shot assertion was wrong)     |
| [AUTH_PARAMS false], authentication_type names  | CUSTOM_CHALLENGE (round 2, 3-call dialect)  |
| a ceremony, no fast_signin                      |                                             |
| [AUTH_PARAMS false], otherwise                  | fail (not a request for round 2)            |
| [AUTH_PARAMS false, FIDO2_GET/CREATE true]      | issue tokens                                |
| [AUTH_PARAMS false, FIDO2_GET/CREATE false]     | fail: a wrong passkey ends the sign-in     |
| anything else, MAX_ROUNDS or more, userNotFound | fail                                        |

Round 1 answered false is either the 3-call client's request for round 2 or a refused
answer; Define cannot see which, so round 2 is only for a call that asks for it in the
WebSDK's words (a ceremony, and no ``fast_signin``), and Verify checks no round-1 assertion
without ``fast_signin``: no passkey answer is ever judged twice in one sign-in.

Every branch sets both ``issueTokens`` and ``failAuthentication``; a malformed event fails.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.errors import Rejected
from cognito_passkey.lambdas.events import (
    ChallengeResult,
    TriggerContext,
    parse_define,
    set_response,
)
from cognito_passkey.lambdas.fail_closed import fail_closed
from cognito_passkey.lambdas.log import logger
from cognito_passkey.protocol import dialect

_TRIGGER = "define"
_CEREMONIES = (dialect.FIDO2_GET, dialect.FIDO2_CREATE)

ASK = {
    "challengeName": dialect.CUSTOM_CHALLENGE,
    "issueTokens": False,
    "failAuthentication": False,
}
ISSUE = {"issueTokens": True, "failAuthentication": False}
FAIL = {"issueTokens": False, "failAuthentication": True}


def decide(context: TriggerContext, session: list[ChallengeResult]) -> dict[str, Any]:
    """The response for this state; raises Rejected (with a reason) to fail."""
    if not session:
        return ASK
    if len(session) >= dialect.MAX_ROUNDS:
        raise Rejected(errors.TOO_MANY_ROUNDS, f"{len(session)} rounds")
    if any(entry.challenge_name != dialect.CUSTOM_CHALLENGE for entry in session):
        raise Rejected(errors.UNEXPECTED_SESSION, "a round is not CUSTOM_CHALLENGE")
    first, last = session[0], session[-1]
    if first.metadata != dialect.AUTH_PARAMS:
        raise Rejected(errors.UNEXPECTED_SESSION, "round 1 is not AUTH_PARAMS")
    if len(session) == 1:
        if first.result:
            return _issue(context)
        if context.client_metadata.get(dialect.META_FAST_SIGNIN) == "true":
            raise Rejected(errors.ANSWER_REFUSED, "the fast sign-in assertion was refused")
        if context.client_metadata.get(dialect.META_AUTHENTICATION_TYPE) not in _CEREMONIES:
            raise Rejected(errors.ANSWER_REFUSED, "round 1 was refused, and no round 2 asked for")
        return ASK
    if first.result or last.metadata not in _CEREMONIES:
        raise Rejected(errors.UNEXPECTED_SESSION, "round 2 is not a passkey ceremony")
    if not last.result:
        raise Rejected(errors.ANSWER_REFUSED, "the passkey answer was refused")
    return _issue(context)


def _issue(context: TriggerContext) -> dict[str, Any]:
    if context.user_not_found:  # Verify never accepts one; this is the second lock
        raise Rejected(errors.USER_NOT_FOUND, "tokens for an unknown user")
    return ISSUE


def _refuse(event: Any, _: Rejected) -> Any:
    return set_response(event, FAIL)


@fail_closed(_TRIGGER, _refuse)
@logger.inject_lambda_context(clear_state=True)
def handler(event: Any, lambda_context: LambdaContext) -> Any:
    """Cognito DefineAuthChallenge trigger."""
    context, session = parse_define(event)
    decision = decide(context, session)
    if decision is ISSUE:
        logger.info("issue tokens", extra={"trigger": _TRIGGER, "user": context.user_name})
    return set_response(event, decision)
