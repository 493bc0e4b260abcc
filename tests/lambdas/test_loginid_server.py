"""The LoginID-compatible test server is no looser than docs/protocol.md, "LoginID's API"."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.lambdas.backends.http import ApiError, request_json
from cryptography.hazmat.primitives.asymmetric import ec
from lambdas_support import ORIGIN, RP_ID
from loginid_server import LoginIdServer, loginid_server


@pytest.fixture
def server() -> Iterator[LoginIdServer]:
    with loginid_server(rp_id=RP_ID, origins=(ORIGIN,), api_key_id="the-key") as running:
        yield running


def service_token(server: LoginIdServer, **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": "loginid.io", "aud": "127.0.0.1", "iat": now, "exp": now + 60}
    key = changes.pop("_key", server.tenant_key)
    headers = changes.pop("_headers", {"typ": "JWT"})
    algorithm = changes.pop("_alg", "ES256")
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm, headers)


def call(server: LoginIdServer, path: str, body: Any, authorization: str) -> Any:
    return request_json(
        "POST", server.base_url + path, body=body, headers={"Authorization": authorization}
    )


def user_body(server: LoginIdServer, username: str) -> dict[str, Any]:
    return {
        "app": {"id": server.app_id},
        "deviceInfo": {},
        "user": {"username": username, "usernameType": "email"},
    }


def status_of(server: LoginIdServer, path: str, body: Any, authorization: str) -> tuple[int, str]:
    try:
        call(server, path, body, authorization)
    except ApiError as error:
        return error.status, error.code
    return 200, ""


def test_the_context_manager_gives_what_a_deployment_needs() -> None:
    with loginid_server() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.tenant_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
        assert server.app_id == "127"
    with pytest.raises(RuntimeError):
        _ = server.base_url


@pytest.mark.parametrize(
    "bend",
    [
        {"exp": int(time.time()) - 10},
        {"aud": "elsewhere.example.com"},
        {"iss": "someone"},
        {"exp": None},
        {"iat": None},
        {"exp": int(time.time()) + 7200},
        {"_key": ec.generate_private_key(ec.SECP256R1())},
        {"_headers": {"typ": "JOSE"}},
        {"_alg": "HS256", "_key": "a shared secret of sufficient length"},
    ],
)
def test_bad_service_tokens_are_refused(server: LoginIdServer, bend: dict[str, Any]) -> None:
    token = service_token(server, **bend)
    assert status_of(
        server,
        "/fido2/v2/mgmt/grant",
        {"username": "a", "grants": ["passkey:read"]},
        f"Bearer {token}",
    ) == (401, "unauthorized")


def test_the_api_key_form_and_no_auth(server: LoginIdServer) -> None:
    grant = {"username": "a", "grants": ["passkey:read"]}
    assert status_of(server, "/fido2/v2/mgmt/grant", grant, "Basic dGhlLWtleTo")[0] == 200
    assert status_of(server, "/fido2/v2/mgmt/grant", grant, "Basic b3RoZXI6")[0] == 401
    assert status_of(server, "/fido2/v2/mgmt/grant", grant, "")[0] == 401
    assert status_of(server, "/fido2/v2/auth/init", user_body(server, "a"), "")[0] == 401


def test_grants_are_scoped(server: LoginIdServer) -> None:
    service = f"Bearer {service_token(server)}"
    read = call(
        server, "/fido2/v2/mgmt/grant", {"username": "a", "grants": ["passkey:read"]}, service
    )
    write = call(
        server, "/fido2/v2/mgmt/grant", {"username": "b", "grants": ["reg:write"]}, service
    )
    assert status_of(
        server, "/fido2/v2/reg/init", user_body(server, "a"), f"Bearer {read['token']}"
    ) == (403, "forbidden")
    assert status_of(
        server, "/fido2/v2/reg/init", user_body(server, "a"), f"Bearer {write['token']}"
    ) == (403, "forbidden")
    assert status_of(server, "/fido2/v2/reg/init", user_body(server, "a"), service) == (
        401,
        "unauthorized",
    )
    assert (
        status_of(server, "/fido2/v2/mgmt/grant", {"username": "a", "grants": ["admin"]}, service)[
            0
        ]
        == 400
    )
    assert (
        status_of(server, "/fido2/v2/reg/init", user_body(server, "b"), f"Bearer {write['token']}")[
            0
        ]
        == 200
    )
    other_app = dict(user_body(server, "b"), app={"id": "other"})
    assert status_of(server, "/fido2/v2/reg/init", other_app, f"Bearer {write['token']}") == (
        400,
        "invalid_app",
    )


def test_real_webauthn_and_single_use_sessions(server: LoginIdServer) -> None:
    service = f"Bearer {service_token(server)}"
    grant = call(
        server, "/fido2/v2/mgmt/grant", {"username": "alice", "grants": ["reg:write"]}, service
    )
    init = call(
        server, "/fido2/v2/reg/init", user_body(server, "alice"), f"Bearer {grant['token']}"
    )
    assert server.users == {}  # reg/init creates nobody
    authenticator = SoftAuthenticator()
    created = authenticator.create(init["registrationRequestOptions"], origin=ORIGIN, rp_id=RP_ID)
    creation = {
        "attestationObject": created["response"]["attestationObject"],
        "clientDataJSON": created["response"]["clientDataJSON"],
        "credentialId": created["id"],
    }
    done = call(
        server,
        "/fido2/v2/reg/complete",
        {"creationResult": creation, "session": init["session"]},
        service,
    )
    assert (
        call(server, "/fido2/v2/mgmt/token/verify", {"jwtAccess": done["jwtAccess"]}, service)
        is None
    )
    assert status_of(
        server,
        "/fido2/v2/reg/complete",
        {"creationResult": creation, "session": init["session"]},
        service,
    ) == (400, "invalid_session")
    assert list(server.users) == ["alice"]

    started = call(server, "/fido2/v2/auth/init", user_body(server, "alice"), service)
    assertion = authenticator.get(started["assertionOptions"], origin=ORIGIN, rp_id=RP_ID)
    result = {
        "authenticatorData": assertion["response"]["authenticatorData"],
        "clientDataJSON": assertion["response"]["clientDataJSON"],
        "credentialId": assertion["id"],
        "signature": assertion["response"]["signature"][:-4] + "AAAA",
    }
    assert status_of(
        server,
        "/fido2/v2/auth/complete",
        {"assertionResult": result, "session": started["session"]},
        service,
    ) == (400, "invalid_assertion")
    started = call(server, "/fido2/v2/auth/init", user_body(server, "alice"), service)
    assertion = authenticator.get(started["assertionOptions"], origin=ORIGIN, rp_id=RP_ID)
    result["signature"] = assertion["response"]["signature"]
    result["authenticatorData"] = assertion["response"]["authenticatorData"]
    result["clientDataJSON"] = assertion["response"]["clientDataJSON"]
    token = call(
        server,
        "/fido2/v2/auth/complete",
        {"assertionResult": result, "session": started["session"]},
        service,
    )
    claims = jwt.decode(token["jwtAccess"], options={"verify_signature": False})
    assert claims["username"] == "alice" and claims["aud"] == server.app_id
    assert claims["tokenType"] == "jwtAccess"
    forged = jwt.encode(
        dict(claims, username="mallory"), ec.generate_private_key(ec.SECP256R1()), "ES256"
    )
    assert status_of(server, "/fido2/v2/mgmt/token/verify", {"jwtAccess": forged}, service) == (
        401,
        "invalid_token",
    )


def test_errors_have_the_documented_shape(server: LoginIdServer) -> None:
    for style, keys in (("camel", {"errorCode", "message"}), ("snake", {"error_code", "msg"})):
        server.error_style = style
        status, body = server.handle("POST", "/fido2/v2/auth/init", {}, json.dumps({}).encode())
        assert status == 401 and set(body) == keys
