"""The one way a handler fails: closed, with one log line saying why.

Cognito turns an exception escaping a trigger into an error the client sees (and a function
URL into a bare 502), so every handler is wrapped in :func:`fail_closed`: a
:class:`Rejected` keeps its reason, a :class:`ConfigError` becomes ``config_error``, any
other exception ``internal_error`` (its type only: a message could quote an answer), and
the handler's own refusal is returned in place of its answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.typing import LambdaContext
from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.errors import ConfigError, Rejected
from cognito_passkey.lambdas.events import MAX_USERNAME
from cognito_passkey.lambdas.log import log_rejection

R = TypeVar("R")
Handler = Callable[[Any, LambdaContext], R]


def event_user(event: Any) -> str | None:
    """The trigger event's ``userName`` as a log field (even a malformed event's, capped)."""
    user = event.get("userName") if isinstance(event, dict) else None
    return user[:MAX_USERNAME] if isinstance(user, str) else None


def fail_closed(
    trigger: str,
    refuse: Callable[[Any, Rejected], R],
    *,
    user: Callable[[Any], str | None] = event_user,
) -> Callable[[Handler[R]], Handler[R]]:
    """Wrap a handler so that no exception leaves it: log the rejection, return
    ``refuse(event, rejection)``. ``user`` names the user in the log line, when known."""

    def decorate(handler: Handler[R]) -> Handler[R]:
        @functools.wraps(handler)
        def guarded(event: Any, context: LambdaContext) -> R:
            try:
                return handler(event, context)
            except Rejected as exc:
                rejection = exc
            except ConfigError as exc:
                rejection = Rejected(errors.CONFIG, str(exc))
            except Exception as exc:  # never let an exception reach Cognito or the caller
                rejection = Rejected(errors.INTERNAL, type(exc).__name__)
            who = user(event)
            fields = {} if who is None else {"user": who}  # a None would hide an appended user
            log_rejection(rejection.reason, detail=rejection.detail, trigger=trigger, **fields)
            return refuse(event, rejection)

        return guarded

    return decorate
