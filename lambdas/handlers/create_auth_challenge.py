"""CreateAuthChallenge: hands out the round-1 marker and the WebAuthn options.

Round 1 (empty session): metadata ``AUTH_PARAMS``, public ``{"challenge": "AUTH_PARAMS"}``
and, with fast sign-in on, ``public_key`` = assertion options (the 2-call dialect).
Round 2: ``authentication_type`` from ClientMetadata picks FIDO2_GET (assertion options)
or FIDO2_CREATE (creation options); public ``{"public_key": json}``. Creation options show
the user's display name and passkeys only to a caller whose early ID token verified; anyone
else sees the user name and what a sign-in would show, the same for every name.

Unknown users and users without a passkey get options that look real and always fail. A
malformed event, bad ClientMetadata or a backend failure gives a harmless challenge whose
every answer is refused: the sign-in ends cleanly in Define with NotAuthorized.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from cognito_passkey.lambdas import decoys, errors
from cognito_passkey.lambdas.errors import Rejected
from cognito_passkey.lambdas.events import (
    ChallengeResult,
    TriggerContext,
    parse_create,
    set_response,
)
from cognito_passkey.lambdas.fail_closed import fail_closed
from cognito_passkey.lambdas.log import log_rejection, logger
from cognito_passkey.protocol import dialect

if TYPE_CHECKING:
    from cognito_passkey.lambdas.backends.base import RegistrationRequest

_TRIGGER = "create"
REFUSED = "REFUSED"
"""Metadata and private kind of a challenge that no answer can pass."""
_MAX_TIMEOUT_S = 600
_MIN_TIMEOUT_S = 10


def _json(options: dict[str, Any]) -> str:
    return json.dumps(options, separators=(",", ":"))


def _registration_request(context: TriggerContext, *, identified: bool) -> RegistrationRequest:
    """What the backend needs; without a verified early ID token (``identified``) nothing in
    it goes beyond what the caller already knows: the user name."""
    from cognito_passkey.lambdas.backends.base import RegistrationRequest

    timeout_ms, resident = None, False
    raw = context.client_metadata.get(dialect.META_ATTESTATION_OPTIONS)
    if raw:
        try:
            preferences = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise Rejected(errors.BAD_METADATA, "attestation_options is not JSON") from exc
        if not isinstance(preferences, dict):
            raise Rejected(errors.BAD_METADATA, "attestation_options is not an object")
        timeout = preferences.get("override_timeout_s")
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
                raise Rejected(errors.BAD_METADATA, "override_timeout_s is not a number")
            if not _MIN_TIMEOUT_S <= timeout <= _MAX_TIMEOUT_S:
                raise Rejected(errors.BAD_METADATA, "override_timeout_s is out of range")
            timeout_ms = int(timeout * 1000)
        usernameless = preferences.get("require_usernameless", False)
        if not isinstance(usernameless, bool):
            raise Rejected(errors.BAD_METADATA, "require_usernameless is not a boolean")
        resident = usernameless
    display = context.user_name
    if identified:
        attributes = context.user_attributes
        display = attributes.get("name") or attributes.get("email") or context.user_name
    return RegistrationRequest(
        username=context.user_name,
        display_name=display[:64],
        timeout_ms=timeout_ms,
        require_resident_key=resident,
        identified=identified,
        unknown_user=context.user_not_found,
        sub=context.user_attributes.get("sub"),
    )


def _check_early_id_token(context: TriggerContext) -> None:
    token = context.client_metadata.get(dialect.META_ID_TOKEN)
    if token is None:
        return
    from cognito_passkey.lambdas import container
    from cognito_passkey.lambdas.tokens import check_recent_sign_in, verifier_for

    claims = verifier_for(context.user_pool_id).verify_id_token(
        token, client_id=context.client_id, username=context.user_name
    )
    check_recent_sign_in(claims, max_age_seconds=container.settings().id_token_max_age_seconds)
    if claims.get("sub") != context.user_attributes.get("sub"):  # a deleted user's token
        raise Rejected(errors.USER_MISMATCH, "the ID token is of another user of this name")


def _round_one(context: TriggerContext) -> dict[str, Any]:
    from cognito_passkey.lambdas import container

    public = {dialect.PARAM_CHALLENGE: dialect.AUTH_PARAMS}
    private = {dialect.PRIVATE_KIND: dialect.AUTH_PARAMS}
    if container.settings().fast_signin:
        try:
            ceremony = container.backend().begin_authentication(
                context.user_name,
                decoy=context.user_not_found,
                sub=context.user_attributes.get("sub"),
                sealed=True,  # anyone may start round 1: it writes nothing
            )
        except Rejected as exc:  # the 3-call round still works; log why fast sign-in is off
            log_rejection(exc.reason, detail=exc.detail, trigger=_TRIGGER, user=context.user_name)
        else:
            public[dialect.PARAM_PUBLIC_KEY] = _json(ceremony.options)
            private[dialect.PRIVATE_STATE] = ceremony.state
            private[dialect.PRIVATE_FAST] = "true"
    return {
        "challengeMetadata": dialect.AUTH_PARAMS,
        "publicChallengeParameters": public,
        "privateChallengeParameters": private,
    }


def _round_two(context: TriggerContext) -> dict[str, Any]:
    from cognito_passkey.lambdas import container

    kind = context.client_metadata.get(dialect.META_AUTHENTICATION_TYPE)
    backend = container.backend()
    if kind == dialect.FIDO2_GET:
        ceremony = backend.begin_authentication(
            context.user_name,
            decoy=context.user_not_found,
            sub=context.user_attributes.get("sub"),
        )
    elif kind == dialect.FIDO2_CREATE:
        decoy = context.user_not_found
        identified = not decoy and dialect.META_ID_TOKEN in context.client_metadata
        try:
            _check_early_id_token(context)
        except Rejected as exc:
            log_rejection(exc.reason, detail=exc.detail, trigger=_TRIGGER, user=context.user_name)
            decoy, identified = True, False
        request = _registration_request(context, identified=identified)
        ceremony = backend.begin_registration(request, decoy=decoy)  # a decoy never completes
    else:
        raise Rejected(errors.BAD_METADATA, "authentication_type is missing or unknown")
    return {
        "challengeMetadata": kind,
        "publicChallengeParameters": {dialect.PARAM_PUBLIC_KEY: _json(ceremony.options)},
        "privateChallengeParameters": {
            dialect.PRIVATE_KIND: kind,
            dialect.PRIVATE_STATE: ceremony.state,
        },
    }


def refused_challenge(session: list[ChallengeResult] | None, username: str) -> dict[str, Any]:
    """A challenge shaped like the expected one that no answer passes (fail closed)."""
    if not session:
        public = {dialect.PARAM_CHALLENGE: dialect.AUTH_PARAMS}
    else:
        options = {
            "challenge": decoys.random_challenge(),
            "allowCredentials": decoys.decoy_descriptors(_fallback_key(), username),
            "userVerification": "preferred",
        }
        public = {dialect.PARAM_PUBLIC_KEY: _json(options)}
    return {
        "challengeMetadata": REFUSED,
        "publicChallengeParameters": public,
        "privateChallengeParameters": {dialect.PRIVATE_KIND: REFUSED},
    }


_FALLBACK_KEY: bytes = b""


def _fallback_key() -> bytes:
    """A per-container key for decoys when the backend's own key cannot be had."""
    global _FALLBACK_KEY
    if not _FALLBACK_KEY:
        import os

        _FALLBACK_KEY = os.urandom(32)
    return _FALLBACK_KEY


def _refuse(event: Any, _: Rejected) -> Any:
    try:  # what the event allows of the expected shape: round 1's, or a decoy round 2
        context, session = parse_create(event)
    except Rejected:
        return set_response(event, refused_challenge(None, ""))
    return set_response(event, refused_challenge(session, context.user_name))


@fail_closed(_TRIGGER, _refuse)
@logger.inject_lambda_context(clear_state=True)
def handler(event: Any, lambda_context: LambdaContext) -> Any:
    """Cognito CreateAuthChallenge trigger."""
    context, session = parse_create(event)
    if not session:
        response = _round_one(context)
    elif len(session) == 1 and session[0].metadata == dialect.AUTH_PARAMS:
        response = _round_two(context)
    else:
        raise Rejected(errors.UNEXPECTED_SESSION, f"no challenge after {len(session)} rounds")
    logger.info(
        "challenge issued",
        extra={
            "trigger": _TRIGGER,
            "user": context.user_name,
            "metadata": response["challengeMetadata"],
            "round": len(session) + 1,
        },
    )
    return set_response(event, response)
