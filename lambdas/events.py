"""Cognito trigger events (docs/protocol.md, "The trigger events"), checked before anything
trusts them.

Read straight from the event dict into checked dataclasses: powertools' trigger event classes
would give typed access but check no type (a ``challengeResult`` of ``"false"`` must not count
as true), so every field a decision rests on is checked here. A malformed event raises
``Rejected(BAD_EVENT)`` and the trigger fails closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.errors import Rejected
from cognito_passkey.protocol import dialect, pools

MAX_USERNAME = 256


@dataclass(frozen=True)
class ChallengeResult:
    """One earlier round of this sign-in, as Cognito reports it in ``request.session``."""

    challenge_name: str
    result: bool
    metadata: str | None


@dataclass(frozen=True)
class TriggerContext:
    """The checked common part of a custom-auth trigger event."""

    user_pool_id: str
    user_name: str
    client_id: str
    user_not_found: bool
    # May carry the user's ID token (add-passkey): kept out of repr like every credential.
    client_metadata: Mapping[str, str] = field(default_factory=dict, repr=False)
    user_attributes: Mapping[str, str] = field(default_factory=dict)


def _bad(detail: str) -> Rejected:
    return Rejected(errors.BAD_EVENT, detail)


def _str_map(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad(f"{name} is not an object")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise _bad(f"{name} holds a non-string entry")
    return dict(value)


def _context(event: Any) -> tuple[TriggerContext, dict[str, Any]]:
    if not isinstance(event, dict):
        raise _bad("event is not an object")
    request = event.get("request")
    if not isinstance(request, dict):
        raise _bad("request is not an object")
    pool_id = event.get("userPoolId")
    if not isinstance(pool_id, str) or not pools.is_user_pool_id(pool_id):
        raise _bad("userPoolId is malformed")
    user_name = event.get("userName")
    if not isinstance(user_name, str) or not 0 < len(user_name) <= MAX_USERNAME:
        raise _bad("userName is malformed")
    caller = event.get("callerContext")
    client_id = caller.get("clientId") if isinstance(caller, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise _bad("callerContext.clientId is malformed")
    not_found = request.get("userNotFound", False)
    if not isinstance(not_found, bool):
        raise _bad("userNotFound is not a boolean")
    if not isinstance(event.get("response", {}), dict):
        raise _bad("response is not an object")
    context = TriggerContext(
        user_pool_id=pool_id,
        user_name=user_name,
        client_id=client_id,
        user_not_found=not_found,
        client_metadata=_str_map(request.get("clientMetadata"), "clientMetadata"),
        user_attributes=_str_map(request.get("userAttributes"), "userAttributes"),
    )
    return context, request


def _session(raw: Any) -> list[ChallengeResult]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad("session is not a list")
    rounds = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise _bad("session entry is not an object")
        name, result = entry.get("challengeName"), entry.get("challengeResult")
        metadata = entry.get("challengeMetadata")
        if not isinstance(name, str) or not isinstance(result, bool):
            raise _bad("session entry is malformed")
        if metadata is not None and not isinstance(metadata, str):
            raise _bad("challengeMetadata is not a string")
        rounds.append(ChallengeResult(name, result, metadata))
    return rounds


def parse_define(event: Any) -> tuple[TriggerContext, list[ChallengeResult]]:
    """Check a DefineAuthChallenge event; returns the context and the earlier rounds."""
    context, request = _context(event)
    return context, _session(request.get("session"))


def parse_create(event: Any) -> tuple[TriggerContext, list[ChallengeResult]]:
    """Check a CreateAuthChallenge event; returns the context and the earlier rounds."""
    context, request = _context(event)
    if request.get("challengeName") != dialect.CUSTOM_CHALLENGE:
        raise _bad(f"challengeName is not {dialect.CUSTOM_CHALLENGE}")
    return context, _session(request.get("session"))


def parse_verify(event: Any) -> tuple[TriggerContext, dict[str, str], Any]:
    """Check a VerifyAuthChallengeResponse event.

    Returns the context, the private challenge parameters and the raw answer (its type
    is checked by the answer parser, so that a wrong type gets its own reason code).
    """
    context, request = _context(event)
    private = _str_map(request.get("privateChallengeParameters"), "privateChallengeParameters")
    return context, private, request.get("challengeAnswer")


def set_response(event: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``values`` into ``event["response"]`` (created when missing) and return the event."""
    if not isinstance(event, dict):
        event = {}
    response = event.get("response")
    if not isinstance(response, dict):
        response = {}
        event["response"] = response
    response.update(values)
    result: dict[str, Any] = event
    return result
