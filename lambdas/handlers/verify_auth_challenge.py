"""VerifyAuthChallengeResponse: accepts an answer only when every check passes.

The answer is size-capped and parsed before anything else; what it must be is decided by
the private parameters Create left (never by the client): in round 1 the literal
``AUTH_PARAMS`` asks for round 2 (answer false, not an error) and an assertion is checked
against the round-1 options (2-call dialect); in round 2 FIDO2_GET wants an assertion and
FIDO2_CREATE an attestation plus the user's own ID token, verified (signature, user, a recent
``auth_time``, the access token when sent or required) before the backend is called, and
refused past the user's passkey cap; an added passkey is audited. Any failure:
``answerCorrect = false`` and one log line with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.errors import Rejected
from cognito_passkey.lambdas.events import TriggerContext, parse_verify, set_response
from cognito_passkey.lambdas.fail_closed import fail_closed
from cognito_passkey.lambdas.log import logger
from cognito_passkey.protocol import dialect

if TYPE_CHECKING:
    from cognito_passkey.lambdas.answers import Attestation
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
        if (
            not isinstance(answer, Assertion)
            or private.get(dialect.PRIVATE_FAST) != "true"
            or context.client_metadata.get(dialect.META_FAST_SIGNIN) != "true"
        ):  # unjudged: Define may still give this call round 2 (no passkey is tried twice)
            raise Rejected(errors.BAD_ANSWER, "round 1 takes AUTH_PARAMS or a fast assertion")
        _check_metadata(context, dialect.FIDO2_GET)
        _backend().complete_authentication(
            context.user_name, state, answer, sub=context.user_attributes.get("sub")
        )
    elif kind == dialect.FIDO2_GET:
        if not isinstance(answer, Assertion):
            raise Rejected(errors.BAD_ANSWER, "FIDO2_GET takes an assertion_response")
        _check_metadata(context, kind)
        _backend().complete_authentication(
            context.user_name, state, answer, sub=context.user_attributes.get("sub")
        )
    elif kind == dialect.FIDO2_CREATE:
        if not isinstance(answer, Attestation):
            raise Rejected(errors.BAD_ANSWER, "FIDO2_CREATE takes an attestation_response")
        _check_metadata(context, kind)
        if context.user_not_found:
            raise Rejected(errors.USER_NOT_FOUND, "no such user")
        _register(context, state, answer)
    else:
        raise Rejected(errors.BAD_PRIVATE_STATE, "the challenge accepts no answer")
    if context.user_not_found:  # checked last so that timing looks like a wrong passkey
        raise Rejected(errors.USER_NOT_FOUND, "no such user")


def _register(context: TriggerContext, state: str, answer: Attestation) -> None:
    """Add the passkey only for a recent, provable sign-in and under the user's cap; audit it.

    Registration is also a sign-in that mints fresh tokens, so an ID token alone must be
    recent (``auth_time``); a client that sends the access token too has Cognito confirm it
    is live, and a deployment may insist on that proof.
    """
    from cognito_passkey.lambdas import audit, container
    from cognito_passkey.lambdas.tokens import (
        check_recent_sign_in,
        confirm_access_token,
        verifier_for,
    )
    from fido2.utils import websafe_encode

    settings = container.settings()
    claims = verifier_for(context.user_pool_id).verify_id_token(
        answer.id_token, client_id=context.client_id, username=context.user_name
    )
    check_recent_sign_in(claims, max_age_seconds=settings.id_token_max_age_seconds)
    user_sub = context.user_attributes.get("sub")
    if not user_sub or claims.get("sub") != user_sub:  # a deleted user's token, same name
        raise Rejected(errors.USER_MISMATCH, "the ID token is of another user of this name")
    access_token = context.client_metadata.get(dialect.META_ACCESS_TOKEN)
    if access_token is None and settings.require_access_token:
        raise Rejected(errors.ACCESS_TOKEN_REQUIRED, "this deployment wants the access token")
    if access_token is not None:  # sent, so it must hold: a failed proof never passes
        confirm_access_token(
            access_token,
            user_pool_id=context.user_pool_id,
            client_id=context.client_id,
            username=context.user_name,
        )
    backend = _backend()
    if len(backend.list_passkeys(context.user_name, sub=user_sub)) >= settings.max_passkeys:
        raise Rejected(errors.PASSKEY_LIMIT, f"at most {settings.max_passkeys} passkeys")
    backend.complete_registration(context.user_name, state, answer, sub=user_sub)
    sub = claims.get("sub")
    audit.record(
        audit.PASSKEY_ADDED,
        user=context.user_name,
        sub=sub if isinstance(sub, str) else None,
        credential_id=websafe_encode(answer.credential_id),
        backend=backend.name,
        topic_arn=settings.audit_topic_arn,
    )


def _backend() -> PasskeyBackend:
    from cognito_passkey.lambdas import container

    return container.backend()


def _refuse(event: Any, _: Rejected) -> Any:
    return set_response(event, {"answerCorrect": False})


@fail_closed(_TRIGGER, _refuse)
@logger.inject_lambda_context(clear_state=True)
def handler(event: Any, lambda_context: LambdaContext) -> Any:
    """Cognito VerifyAuthChallengeResponse trigger."""
    context, private, raw_answer = parse_verify(event)
    try:
        verify(context, private, raw_answer)
    except Rejected as exc:
        if exc.reason != errors.AUTH_PARAMS_ANSWER:
            raise
        # Not a refusal to alarm on: the 3-call client asks for round 2.
        logger.info(
            "round 2 requested",
            extra={"reason": exc.reason, "trigger": _TRIGGER, "user": context.user_name},
        )
        return set_response(event, {"answerCorrect": False})
    logger.info("answer accepted", extra={"trigger": _TRIGGER, "user": context.user_name})
    return set_response(event, {"answerCorrect": True})
