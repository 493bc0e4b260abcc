"""Passkey management for a signed-in user (Lambda Function URL, payload format 2.0).

``Authorization: Bearer <Cognito access token>`` (signature via the pool's JWKS, ``iss``,
``token_use == "access"``, ``client_id`` in ``PASSKEY_CLIENT_IDS``, ``exp``); the user is the
token's ``username``, so nobody can see or touch another user's passkeys.

- ``GET /passkeys`` -> 200 ``{"passkeys": [...]}``
- ``PATCH /passkeys/{id}`` body ``{"name": "..."}`` -> 200 the passkey
- ``DELETE /passkeys/{id}`` -> 204
- errors: ``{"error": "<code>", "message": "..."}`` with 400, 401, 404 or 405.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from cognito_passkey.lambdas import errors
from cognito_passkey.lambdas.errors import ConfigError, Rejected
from cognito_passkey.lambdas.log import log_rejection, logger

_TRIGGER = "manage"
_MAX_BODY = 4096
_ITEM = re.compile(r"^/passkeys/([A-Za-z0-9_-]{1,1400})/?$")
_COLLECTION = re.compile(r"^/passkeys/?$")
_HEADERS = {"content-type": "application/json", "cache-control": "no-store"}


class _HttpProblem(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def _respond(
    status: int, body: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response: dict[str, Any] = {"statusCode": status, "headers": {**_HEADERS, **(headers or {})}}
    response["body"] = "" if body is None else json.dumps(body, separators=(",", ":"))
    return response


def _request(event: Any) -> tuple[str, str, dict[str, str], str]:
    if not isinstance(event, dict):
        raise _HttpProblem(400, "bad_request", "the event is not an object")
    http = (
        (event.get("requestContext") or {}).get("http")
        if isinstance(event.get("requestContext"), dict)
        else None
    )
    method = http.get("method") if isinstance(http, dict) else None
    path = event.get("rawPath")
    if not isinstance(method, str) or not isinstance(path, str):
        raise _HttpProblem(400, "bad_request", "the request has no method or path")
    raw_headers = event.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise _HttpProblem(400, "bad_request", "the headers are malformed")
    headers = {str(k).lower(): v for k, v in raw_headers.items() if isinstance(v, str)}
    body = event.get("body") or ""
    if not isinstance(body, str) or len(body) > _MAX_BODY * 2:
        raise _HttpProblem(400, "bad_request", "the body is malformed or too large")
    if event.get("isBase64Encoded") is True and body:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise _HttpProblem(400, "bad_request", "the body is not base64 text") from exc
    if len(body) > _MAX_BODY:
        raise _HttpProblem(400, "bad_request", "the body is too large")
    return method.upper(), path, headers, body


def _username(headers: dict[str, str]) -> str:
    from cognito_passkey.lambdas import runtime
    from cognito_passkey.lambdas.tokens import verifier_for

    settings = runtime.settings()
    if not settings.user_pool_id or not settings.client_ids:
        raise ConfigError("PASSKEY_USER_POOL_ID and PASSKEY_CLIENT_IDS must be set")
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Rejected(errors.TOKEN_MISSING, "no bearer token")
    claims = verifier_for(settings.user_pool_id).verify_access_token(
        token.strip(), client_ids=settings.client_ids
    )
    username: str = claims["username"]
    return username


def _route(method: str, path: str, username: str, body: str) -> dict[str, Any]:
    from cognito_passkey.lambdas import runtime

    backend = runtime.backend()
    if _COLLECTION.match(path):
        if method != "GET":
            raise _HttpProblem(405, "method_not_allowed", "use GET", {"allow": "GET"})
        return _respond(200, {"passkeys": [p.to_json() for p in backend.list_passkeys(username)]})
    item = _ITEM.match(path)
    if item is None:
        raise _HttpProblem(404, "not_found", "no such resource")
    passkey_id = item.group(1)
    if method == "DELETE":
        backend.delete_passkey(username, passkey_id)
        return _respond(204)
    if method == "PATCH":
        try:
            document = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise _HttpProblem(400, "bad_request", "the body is not JSON") from exc
        if not isinstance(document, dict) or set(document) != {"name"}:
            raise _HttpProblem(400, "bad_request", 'the body must be {"name": "..."}')
        return _respond(
            200, backend.rename_passkey(username, passkey_id, document["name"]).to_json()
        )
    raise _HttpProblem(405, "method_not_allowed", "use PATCH or DELETE", {"allow": "PATCH, DELETE"})


_TOKEN_REASONS = {
    errors.TOKEN_MISSING,
    errors.TOKEN_MALFORMED,
    errors.TOKEN_SIGNATURE,
    errors.TOKEN_EXPIRED,
    errors.TOKEN_ISSUER,
    errors.TOKEN_AUDIENCE,
    errors.TOKEN_USE,
    errors.TOKEN_USER,
}


def handler(event: Any, lambda_context: Any = None) -> dict[str, Any]:
    """Lambda Function URL handler for the passkey management API."""
    user: str | None = None
    try:
        method, path, headers, body = _request(event)
        user = _username(headers)
        response = _route(method, path, user, body)
        logger.info("passkeys managed", extra={"trigger": _TRIGGER, "user": user, "method": method})
        return response
    except _HttpProblem as exc:
        log_rejection(exc.code, detail=exc.message, trigger=_TRIGGER, user=user)
        return _respond(exc.status, {"error": exc.code, "message": exc.message}, exc.headers)
    except Rejected as exc:
        log_rejection(exc.reason, detail=exc.detail, trigger=_TRIGGER, user=user)
        if exc.reason in _TOKEN_REASONS:
            return _respond(
                401,
                {"error": "unauthorized", "message": "a valid access token is required"},
                {"www-authenticate": "Bearer"},
            )
        if exc.reason == errors.UNKNOWN_CREDENTIAL:
            return _respond(404, {"error": "not_found", "message": "no such passkey"})
        if exc.reason in (errors.BAD_ANSWER, errors.BAD_BASE64):
            return _respond(400, {"error": "bad_request", "message": exc.detail})
        return _respond(503, {"error": "unavailable", "message": "try again later"})
    except ConfigError as exc:
        log_rejection(errors.CONFIG, detail=str(exc), trigger=_TRIGGER)
        return _respond(500, {"error": "server_error", "message": "the service is misconfigured"})
    except Exception as exc:  # never leak a traceback to the caller
        log_rejection(errors.INTERNAL, detail=type(exc).__name__, trigger=_TRIGGER, user=user)
        return _respond(500, {"error": "server_error", "message": "unexpected error"})
