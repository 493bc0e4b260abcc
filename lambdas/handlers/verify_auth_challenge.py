"""VerifyAuthChallengeResponse: accepts an answer only when every check passes.

The answer is size-capped and parsed before anything else; what it must be is decided by
the private parameters Create left (never by the client): in round 1 the literal
``AUTH_PARAMS`` asks for round 2 (answer false, not an error) and an assertion is checked
against the round-1 options (2-call dialect); in round 2 FIDO2_GET wants an assertion and
FIDO2_CREATE an attestation plus the user's own ID token, verified before the backend is
called. Any failure: ``answerCorrect = false`` and one log line with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.errors import ConfigError, Rejected
from cognito_passkey.lambdas.events import TriggerContext, parse_verify, set_response
from cognito_passkey.lambdas.log import log_rejection, logger
from cognito_passkey.protocol import dialect

if TYPE_CHECKING:
    from cognito_passkey.lambdas.backends.base import PasskeyBackend

_TRIGGER = "verify"


def _check_metadata(context: TriggerContext, kind: str) -> None:
    stated = context.client_metadata.get(dialect.META_AUTHENTICATION_TYPE)
    if stated is not None and stated != kind:
        raise Rejected(errors.METADATA_MISMATCH, f"ClientMetadata says {stated[:20]}")


def verify(context: TriggerContext, private: dict[str, str], raw_answer: Any) -> None:
    """Return when the answer is right; raise Rejected otherwise."""
    from cognito_passkey.lambdas.answers import Assertion, Attestation, parse_answer

    answer = parse_answer(raw_answer)
    kind = private.get(dialect.PRIVATE_KIND)
    state = private.get(dialect.PRIVATE_STATE, "")
    if kind == dialect.AUTH_PARAMS:
        if answer == dialect.AUTH_PARAMS:
            raise Rejected(errors.AUTH_PARAMS_ANSWER, "round 2 requested")
        if not isinstance(answer, Assertion) or private.get(dialect.PRIVATE_FAST) != "true":
            raise Rejected(errors.BAD_ANSWER, "round 1 takes AUTH_PARAMS or a fast assertion")
        _check_metadata(context, dialect.FIDO2_GET)
        _backend().complete_authentication(context.user_name, state, answer)
    elif kind == dialect.FIDO2_GET:
        if not isinstance(answer, Assertion):
            raise Rejected(errors.BAD_ANSWER, "FIDO2_GET takes an assertion_response")
        _check_metadata(context, kind)
        _backend().complete_authentication(context.user_name, state, answer)
    elif kind == dialect.FIDO2_CREATE:
        if not isinstance(answer, Attestation):
            raise Rejected(errors.BAD_ANSWER, "FIDO2_CREATE takes an attestation_response")
        _check_metadata(context, kind)
        if context.user_not_found:
            raise Rejected(errors.USER_NOT_FOUND, "no such user")
        from cognito_passkey.lambdas.tokens import verifier_for

        verifier_for(context.user_pool_id).verify_id_token(
            answer.id_token, client_id=context.client_id, username=context.user_name
        )
        _backend().complete_registration(context.user_name, state, answer)
    else:
        raise Rejected(errors.BAD_PRIVATE_STATE, "the challenge accepts no answer")
    if context.user_not_found:  # checked last so that timing looks like a wrong passkey
        raise Rejected(errors.USER_NOT_FOUND, "no such user")


def _backend() -> PasskeyBackend:
    from cognito_passkey.lambdas import runtime

    return runtime.backend()


def handler(event: Any, lambda_context: Any = None) -> Any:
    """Cognito VerifyAuthChallengeResponse trigger."""
    user: str | None = None
    correct = False
    try:
        context, private, raw_answer = parse_verify(event)
        user = context.user_name
        verify(context, private, raw_answer)
        correct = True
    except Rejected as exc:
        if exc.reason == errors.AUTH_PARAMS_ANSWER:
            logger.info(
                "round 2 requested",
                extra={"reason": exc.reason, "trigger": _TRIGGER, "user": user},
            )
        else:
            log_rejection(exc.reason, detail=exc.detail, trigger=_TRIGGER, user=user)
    except ConfigError as exc:
        log_rejection(errors.CONFIG, detail=str(exc), trigger=_TRIGGER, user=user)
    except Exception as exc:  # never let an exception reach Cognito: refuse the answer
        log_rejection(errors.INTERNAL, detail=type(exc).__name__, trigger=_TRIGGER, user=user)
    if correct:
        logger.info("answer accepted", extra={"trigger": _TRIGGER, "user": user})
    return set_response(event, {"answerCorrect": correct})
