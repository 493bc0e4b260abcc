"""A small JSON-over-HTTPS client for the LoginID API (standard library only).

Timeouts on every call; one retry when the connection could not be made (refused,
reset before an answer, DNS hiccup) and never after the server answered. Error bodies in
LoginID's shape (``errorCode``/``error_code``, ``message``/``msg``) become :class:`ApiError`.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

_MAX_RESPONSE_BYTES = 1 << 20


class HttpError(Exception):
    """The service could not be reached or answered something that is not JSON."""


class ApiError(HttpError):
    """The service answered with an error status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: credentials must not travel to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect())


def _error_from(status: int, body: bytes) -> ApiError:
    code, message = "http_error", ""
    try:
        document = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, ValueError):
        document = {}
    if isinstance(document, dict):
        raw_code = document.get("errorCode", document.get("error_code"))
        raw_message = document.get("message", document.get("msg"))
        code = raw_code if isinstance(raw_code, str) and raw_code else code
        message = raw_message if isinstance(raw_message, str) else message
    return ApiError(status, code[:100], message[:300])


def request_json(
    method: str,
    url: str,
    *,
    body: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> Any:
    """Send one request; returns the decoded JSON body (None for an empty 2xx body)."""
    data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
    all_headers = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    for attempt in (1, 2):
        # The URL is built from the checked https (or loopback http) base URL.
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)  # noqa: S310
        try:
            with _opener.open(request, timeout=timeout) as response:
                payload = response.read(_MAX_RESPONSE_BYTES + 1)
                status = response.status
            break
        except urllib.error.HTTPError as exc:
            payload = exc.read(_MAX_RESPONSE_BYTES + 1) if exc.fp is not None else b""
            raise _error_from(exc.code, payload) from None
        except (urllib.error.URLError, http.client.RemoteDisconnected, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            if attempt == 2 or isinstance(reason, (socket.timeout, TimeoutError)):
                raise HttpError(f"cannot reach the service: {type(reason).__name__}") from None
        except TimeoutError:
            raise HttpError("the service did not answer in time") from None
    if len(payload) > _MAX_RESPONSE_BYTES:
        raise HttpError("the response is too large")
    if not 200 <= status < 300:
        raise _error_from(status, payload)
    if not payload:
        return None
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise HttpError("the response is not JSON") from None
