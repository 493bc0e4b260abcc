"""Passkey management for a signed-in user (Lambda Function URL, payload format 2.0).

docs/protocol.md, "The management API": routes, JSON and error bodies are
``cognito_passkey.protocol.management``'s; powertools' ``LambdaFunctionUrlResolver`` routes.
The ``Authorization: Bearer <Cognito access token>`` is checked (docs/protocol.md, "Tokens")
before any route runs; the user is the token's ``username``, so nobody can see or touch
another user's passkeys. Every refusal goes through :func:`fail_closed`, as in the triggers.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.typing import LambdaContext
from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.errors import ConfigError, Rejected
from cognito_passkey.lambdas.fail_closed import fail_closed
from cognito_passkey.lambdas.log import logger
from cognito_passkey.protocol import management, tokens

if TYPE_CHECKING:
    from cognito_passkey.lambdas.backends.base import PasskeyBackend

_TRIGGER = "manage"
_MAX_BODY = 4096
_HEADERS: Final = {"content-type": "application/json", "cache-control": "no-store"}
_TOKEN_REASONS = frozenset(
    {
        errors.TOKEN_MISSING,
        tokens.MALFORMED,
        tokens.SIGNATURE,
        tokens.EXPIRED,
        tokens.ISSUER,
        tokens.AUDIENCE,
        tokens.USE,
        tokens.USER,
    }
)
"""Refusals that mean "no valid access token": 401 (an unreachable JWKS is a 503)."""


class HttpProblem(Rejected):
    """A request refused for its shape, route or method, with the HTTP status to answer."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(code, message)
        self.status = status
        self.headers = headers or {}


def _json(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"))


def _reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A function URL response built by hand: a refusal may answer an unparseable event."""
    return {
        "statusCode": status,
        "headers": {**_HEADERS, **(headers or {})},
        "body": "" if body is None else _json(body),
    }


def _response(status: int, body: Any = None) -> Response[str]:
    return Response(status, headers=_HEADERS, body="" if body is None else _json(body))


def _refuse(event: Any, rejection: Rejected) -> dict[str, Any]:
    """The error reply for a refusal (docs/protocol.md, "The management API")."""
    if isinstance(rejection, HttpProblem):
        body = management.error_body(rejection.reason, rejection.detail)
        return _reply(rejection.status, body, rejection.headers)
    reason = rejection.reason
    if reason in _TOKEN_REASONS:
        body = management.error_body("unauthorized", "a valid access token is required")
        return _reply(401, body, {"www-authenticate": "Bearer"})
    if reason == errors.UNKNOWN_CREDENTIAL:
        return _reply(404, management.error_body("not_found", "no such passkey"))
    if reason in (errors.BAD_ANSWER, errors.BAD_BASE64):
        return _reply(400, management.error_body("bad_request", rejection.detail))
    if reason == errors.CONFIG:
        return _reply(500, management.error_body("server_error", "the service is misconfigured"))
    if reason == errors.INTERNAL:
        return _reply(500, management.error_body("server_error", "unexpected error"))
    return _reply(503, management.error_body("unavailable", "try again later"))


def _bad_request(message: str) -> HttpProblem:
    return HttpProblem(400, "bad_request", message)


def _checked(event: Any) -> tuple[str, dict[str, str], str]:
    """The method, headers (lower-case names) and body text of a well-formed request."""
    if not isinstance(event, dict):
        raise _bad_request("the event is not an object")
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    method = http.get("method") if isinstance(http, dict) else None
    if not isinstance(method, str) or not isinstance(event.get("rawPath"), str):
        raise _bad_request("the request has no method or path")
    raw_headers = event.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise _bad_request("the headers are malformed")
    headers = {str(k).lower(): v for k, v in raw_headers.items() if isinstance(v, str)}
    body = event.get("body") or ""
    if not isinstance(body, str) or len(body) > _MAX_BODY * 2:
        raise _bad_request("the body is malformed or too large")
    if event.get("isBase64Encoded") is True and body:
        try:  # strict, unlike the resolver's own decoded_body
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise _bad_request("the body is not base64 text") from exc
    if len(body) > _MAX_BODY:
        raise _bad_request("the body is too large")
    return method.upper(), headers, body


def _caller(headers: dict[str, str]) -> tuple[str, str | None]:
    """The access token's user name and ``sub``."""
    from cognito_passkey.lambdas import container
    from cognito_passkey.lambdas.tokens import verifier_for

    settings = container.settings()
    if not settings.user_pool_id or not settings.client_ids:
        raise ConfigError("PASSKEY_USER_POOL_ID and PASSKEY_CLIENT_IDS must be set")
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Rejected(errors.TOKEN_MISSING, "no bearer token")
    claims = verifier_for(settings.user_pool_id).verify_access_token(
        token.strip(), client_ids=settings.client_ids
    )
    username: str = claims["username"]
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:  # passkeys belong to a sub: none, no passkeys
        raise Rejected(tokens.MALFORMED, "the access token has no sub")
    return username, sub


app = LambdaFunctionUrlResolver(debug=False)  # debug mode would answer with tracebacks


def _rule(route: re.Pattern[str]) -> str:
    """A protocol route as a resolver rule: the resolver takes a regex and anchors it itself."""
    return route.pattern.removeprefix("^").removesuffix("$")


def _backend() -> PasskeyBackend:
    from cognito_passkey.lambdas import container

    return container.backend()


def _passkey_id() -> str:
    match = management.ITEM_ROUTE.match(app.current_event.path)
    if match is None:  # the route matched this very pattern
        raise HttpProblem(404, "not_found", "no such resource")
    return match.group(1)


@app.get(_rule(management.COLLECTION_ROUTE))
def _list() -> Response[str]:
    passkeys = _backend().list_passkeys(app.context["user"], sub=app.context["sub"])
    return _response(200, {management.LIST_KEY: [p.to_json() for p in passkeys]})


@app.patch(_rule(management.ITEM_ROUTE))
def _rename() -> Response[str]:
    backend = _backend()
    try:
        document = json.loads(app.context["body"])
    except (ValueError, RecursionError) as exc:
        raise _bad_request("the body is not JSON") from exc
    if not isinstance(document, dict) or set(document) != {management.NAME_KEY}:
        raise _bad_request('the body must be {"name": "..."}')
    name = document[management.NAME_KEY]
    return _response(
        200,
        backend.rename_passkey(
            app.context["user"], _passkey_id(), name, sub=app.context["sub"]
        ).to_json(),
    )


@app.delete(_rule(management.ITEM_ROUTE))
def _delete() -> Response[str]:
    from cognito_passkey.lambdas import audit, container

    backend = _backend()
    passkey_id = _passkey_id()
    backend.delete_passkey(app.context["user"], passkey_id, sub=app.context["sub"])
    audit.record(  # the id in the path is the credential id, base64url (checked by the backend)
        audit.PASSKEY_REMOVED,
        user=app.context["user"],
        sub=app.context["sub"],
        credential_id=passkey_id,
        backend=backend.name,
        topic_arn=container.settings().audit_topic_arn,
    )
    return _response(204)


@app.not_found
def _no_route(_: NotFoundError) -> Response[str]:
    path = app.current_event.path
    if management.COLLECTION_ROUTE.match(path):
        raise HttpProblem(405, "method_not_allowed", "use GET", {"allow": "GET"})
    if management.ITEM_ROUTE.match(path):
        raise HttpProblem(
            405, "method_not_allowed", "use PATCH or DELETE", {"allow": "PATCH, DELETE"}
        )
    raise HttpProblem(404, "not_found", "no such resource")


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]  # powertools leaves it bare
def _escalate(exc: Exception) -> Response[str]:
    raise exc  # on to fail_closed, the one place a refusal is logged and answered


@fail_closed(_TRIGGER, _refuse, user=lambda _: None)  # the user is an appended log key
@logger.inject_lambda_context(clear_state=True)
def handler(event: Any, lambda_context: LambdaContext) -> dict[str, Any]:
    """Lambda Function URL handler for the passkey management API."""
    method, headers, body = _checked(event)
    user, sub = _caller(headers)
    logger.append_keys(user=user)  # on every line of this invocation, refusals too
    app.append_context(user=user, sub=sub, body=body)  # type: ignore[no-untyped-call]
    response = app.resolve(event, lambda_context)
    logger.info("passkeys managed", extra={"trigger": _TRIGGER, "user": user, "method": method})
    return response
