"""The passkey management function (Function URL, payload 2.0, access-token auth)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from cognito_passkey.lambdas.handlers.manage_passkeys import handler
from lambdas_support import (
    LAMBDA_CONTEXT,
    TokenMint,
    enroll,
    rejections,
)


def url_event(
    method: str, path: str, token: str | None = None, body: str | None = None, **extra: Any
) -> dict[str, Any]:
    headers = {"host": "abc.lambda-url.us-east-1.on.aws", "user-agent": "cognito-passkey"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abc",
            "domainName": "abc.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abc",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "cognito-passkey",
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "25/Nov/2026:14:00:00 +0000",
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    event.update(extra)
    return event


def body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response["body"] else None


def test_list_rename_delete(selfhosted: Any, mint: TokenMint) -> None:
    enroll(mint, "alice")
    enroll(mint, "alice")
    enroll(mint, "bob")
    token = mint.access_token("alice")
    listed = handler(url_event("GET", "/passkeys", token), LAMBDA_CONTEXT)
    assert listed["statusCode"] == 200
    assert listed["headers"]["content-type"] == "application/json"
    passkeys = body(listed)["passkeys"]
    assert len(passkeys) == 2
    assert set(passkeys[0]) == {
        "id",
        "name",
        "created_at",
        "last_used_at",
        "sign_count",
        "aaguid",
        "transports",
    }
    first = passkeys[0]["id"]

    renamed = handler(
        url_event("PATCH", f"/passkeys/{first}", token, json.dumps({"name": "YubiKey"})),
        LAMBDA_CONTEXT,
    )
    assert renamed["statusCode"] == 200 and body(renamed)["name"] == "YubiKey"
    again = body(handler(url_event("GET", "/passkeys", token), LAMBDA_CONTEXT))["passkeys"]
    assert [p["name"] for p in again if p["id"] == first] == ["YubiKey"]

    deleted = handler(url_event("DELETE", f"/passkeys/{first}", token), LAMBDA_CONTEXT)
    assert deleted["statusCode"] == 204 and deleted["body"] == ""
    assert len(body(handler(url_event("GET", "/passkeys", token), LAMBDA_CONTEXT))["passkeys"]) == 1
    assert (
        handler(url_event("DELETE", f"/passkeys/{first}", token), LAMBDA_CONTEXT)["statusCode"]
        == 404
    )


def test_nobody_touches_another_users_passkeys(selfhosted: Any, mint: TokenMint) -> None:
    enroll(mint, "bob")
    bobs = body(handler(url_event("GET", "/passkeys", mint.access_token("bob")), LAMBDA_CONTEXT))[
        "passkeys"
    ][0]
    alice = mint.access_token("alice")
    assert body(handler(url_event("GET", "/passkeys", alice), LAMBDA_CONTEXT))["passkeys"] == []
    patch = url_event("PATCH", f"/passkeys/{bobs['id']}", alice, json.dumps({"name": "mine"}))
    assert handler(patch, LAMBDA_CONTEXT)["statusCode"] == 404
    assert (
        handler(url_event("DELETE", f"/passkeys/{bobs['id']}", alice), LAMBDA_CONTEXT)["statusCode"]
        == 404
    )
    assert (
        len(
            body(handler(url_event("GET", "/passkeys", mint.access_token("bob")), LAMBDA_CONTEXT))[
                "passkeys"
            ]
        )
        == 1
    )


@pytest.mark.parametrize(
    "token_kind",
    ["none", "id", "other client", "expired", "garbage", "basic"],
)
def test_a_valid_access_token_is_required(
    selfhosted: Any, mint: TokenMint, token_kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = {
        "none": None,
        "id": mint.id_token("alice"),
        "other client": mint.access_token("alice", client_id="someone-else"),
        "expired": mint.access_token("alice", exp=int(time.time()) - 60),
        "garbage": "abc",
    }
    if token_kind == "basic":
        event = url_event("GET", "/passkeys")
        event["headers"]["authorization"] = "Basic YWxpY2U6c2VjcmV0"
    else:
        event = url_event("GET", "/passkeys", tokens[token_kind])
    response = handler(event, LAMBDA_CONTEXT)
    assert response["statusCode"] == 401
    assert body(response)["error"] == "unauthorized"
    assert response["headers"]["www-authenticate"] == "Bearer"
    assert len(rejections(capsys.readouterr().out)) == 1


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "error"),
    [
        ("POST", "/passkeys", None, 405, "method_not_allowed"),
        ("PUT", "/passkeys/abc", "{}", 405, "method_not_allowed"),
        ("GET", "/elsewhere", None, 404, "not_found"),
        ("GET", "/passkeys/a/b", None, 404, "not_found"),
        ("PATCH", "/passkeys/abc", "not json", 400, "bad_request"),
        ("PATCH", "/passkeys/abc", '{"name": "x", "extra": 1}', 400, "bad_request"),
        ("PATCH", "/passkeys/abc", '{"name": ""}', 400, "bad_request"),
        ("PATCH", "/passkeys/abc", '{"name": "\\u0000"}', 400, "bad_request"),
        ("PATCH", "/passkeys/abc", '{"name": 5}', 400, "bad_request"),
        ("PATCH", "/passkeys/abc", json.dumps({"name": "x" * 65}), 400, "bad_request"),
        ("PATCH", "/passkeys/abc", "x" * 5000, 400, "bad_request"),
        ("PATCH", "/passkeys/abc", json.dumps({"name": "fine"}), 404, "not_found"),
    ],
)
def test_request_errors(
    selfhosted: Any,
    mint: TokenMint,
    method: str,
    path: str,
    payload: str | None,
    status: int,
    error: str,
) -> None:
    response = handler(url_event(method, path, mint.access_token("alice"), payload), LAMBDA_CONTEXT)
    assert response["statusCode"] == status
    assert body(response)["error"] == error
    assert isinstance(body(response)["message"], str)


def test_a_base64_body_is_decoded(selfhosted: Any, mint: TokenMint) -> None:
    enroll(mint, "alice")
    token = mint.access_token("alice")
    passkey = body(handler(url_event("GET", "/passkeys", token), LAMBDA_CONTEXT))["passkeys"][0]
    encoded = base64.b64encode(json.dumps({"name": "Laptop"}).encode()).decode()
    event = url_event("PATCH", f"/passkeys/{passkey['id']}", token, encoded, isBase64Encoded=True)
    response = handler(event, LAMBDA_CONTEXT)
    assert response["statusCode"] == 200 and body(response)["name"] == "Laptop"


@pytest.mark.parametrize("event", [None, [], {}, {"rawPath": 5}, {"requestContext": "x"}])
def test_malformed_events_get_a_400(selfhosted: Any, event: Any) -> None:
    assert handler(event, LAMBDA_CONTEXT)["statusCode"] == 400


def test_a_missing_pool_setting_is_a_server_error(
    selfhosted: Any, mint: TokenMint, lambda_env: pytest.MonkeyPatch
) -> None:
    from cognito_passkey.lambdas import container

    lambda_env.delenv("PASSKEY_CLIENT_IDS")
    container.reset()
    response = handler(url_event("GET", "/passkeys", mint.access_token("alice")), LAMBDA_CONTEXT)
    assert response["statusCode"] == 500
    assert body(response)["error"] == "server_error"
