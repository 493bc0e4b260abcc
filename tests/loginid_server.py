"""A LoginID-compatible ``/fido2/v2`` server on 127.0.0.1 for tests (docs/protocol.md,
"LoginID's API").

It implements exactly the documented surface and nothing looser: backend calls must carry
a service token (an ES256 JWT signed with the tenant key: ``iss`` loginid.io, ``aud`` the
host of the base URL, ``iat`` and a short ``exp``) or the ``Basic`` api-key form; reg/init
and the passkey endpoints need a grant token from ``mgmt/grant`` with the right grants;
WebAuthn responses are verified for real with python-fido2's server; sessions and grants
are single-purpose and expire; errors are JSON ``{"errorCode", "message"}`` (or the
``error_code``/``msg`` spelling with ``error_style="snake"``).

Use::

    with loginid_server() as server:
        server.base_url, server.tenant_key_pem, server.app_id
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestedCredentialData,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialType,
    PublicKeyCredentialUserEntity,
    UserVerificationRequirement,
)

ALLOWED_GRANTS = frozenset({"passkey:read", "passkey:write", "reg:write"})
MAX_SERVICE_TOKEN_LIFETIME = 3600
MAX_BODY = 64 * 1024


class ApiProblem(Exception):
    """An error answer: HTTP status, LoginID error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Passkey:
    id: str
    name: str
    credential_data: bytes
    sign_count: int
    created_at: str
    aaguid: str
    transports: list[str]
    last_used_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "aaguid": self.aaguid,
            "createdAt": self.created_at,
            "lastUsedAt": self.last_used_at,
            "signCount": self.sign_count,
            "transports": list(self.transports),
        }


@dataclass
class User:
    username: str
    user_id: str
    user_handle: bytes
    passkeys: dict[str, Passkey] = field(default_factory=dict)


@dataclass
class Session:
    kind: str
    username: str
    state: dict[str, Any]
    expires: float
    user_handle: bytes = b""


@dataclass
class Grant:
    username: str
    grants: frozenset[str]
    expires: float


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


class LoginIdServer:
    """The server's state and behaviour; ``start()`` serves it on 127.0.0.1."""

    def __init__(
        self,
        *,
        rp_id: str = "app.example.com",
        rp_name: str = "Example App",
        origins: Sequence[str] = ("https://app.example.com",),
        app_id: str | None = None,
        api_key_id: str | None = None,
        user_verification: str = "preferred",
        error_style: str = "camel",
        session_ttl: int = 300,
    ) -> None:
        self.rp_id = rp_id
        self.origins = frozenset(origins)
        self._app_id = app_id
        self.api_key_id = api_key_id
        self.error_style = error_style
        self.session_ttl = session_ttl
        self.user_verification = UserVerificationRequirement(user_verification)
        self.tenant_key = ec.generate_private_key(ec.SECP256R1())
        self._signing_key = ec.generate_private_key(ec.SECP256R1())  # for jwtAccess
        self.fido = Fido2Server(
            PublicKeyCredentialRpEntity(name=rp_name, id=rp_id),
            verify_origin=lambda origin: origin in self.origins,
        )
        self.fido.timeout = 60000  # type: ignore[assignment]
        self.users: dict[str, User] = {}
        self.sessions: dict[str, Session] = {}
        self.grants: dict[str, Grant] = {}
        self.requests: list[tuple[str, str]] = []
        self.authorizations: list[str] = []
        self.lock = threading.RLock()
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Public facts ----------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("the server is not running")
        return int(self._http.server_address[1])

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def app_id(self) -> str:
        """The app id: given, or (as for LoginID) the first label of the base URL's host."""
        return self._app_id or self.host.split(".")[0]

    @property
    def tenant_key_pem(self) -> str:
        """The tenant private key (PKCS#8 PEM), as LoginID's dashboard hands it out."""
        return self.tenant_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    # Lifecycle -------------------------------------------------------------------

    def start(self) -> LoginIdServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._send(413, server._error_body("payload_too_large", "body too large"))
                    self.close_connection = True
                    return
                raw = self.rfile.read(length) if length else b""
                status, payload = server.handle(method, self.path, dict(self.headers), raw)
                self._send(status, payload)

            def _send(self, status: int, payload: Any) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

            def log_message(self, *args: Any) -> None:
                return

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> LoginIdServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Dispatch --------------------------------------------------------------------

    def _error_body(self, code: str, message: str) -> dict[str, str]:
        if self.error_style == "snake":
            return {"error_code": code, "msg": message}
        return {"errorCode": code, "message": message}

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, Any]:
        """Answer one request: (status, JSON body or None)."""
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        with self.lock:
            self.requests.append((method, path))
            self.authorizations.append(authorization)
        try:
            body: Any = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise ApiProblem(400, "invalid_json", "the body is not JSON") from exc
            with self.lock:
                return self._route(method, path.split("?", 1)[0], authorization, body)
        except ApiProblem as problem:
            return problem.status, self._error_body(problem.code, problem.message)
        except Exception as exc:  # a bug or an unforeseen input: answer, do not hang up
            return 500, self._error_body("internal_error", type(exc).__name__)

    def _route(self, method: str, path: str, authorization: str, body: Any) -> tuple[int, Any]:
        routes = {
            ("POST", "/fido2/v2/auth/init"): self._auth_init,
            ("POST", "/fido2/v2/auth/complete"): self._auth_complete,
            ("POST", "/fido2/v2/reg/init"): self._reg_init,
            ("POST", "/fido2/v2/reg/complete"): self._reg_complete,
            ("POST", "/fido2/v2/mgmt/grant"): self._grant,
            ("POST", "/fido2/v2/mgmt/token/verify"): self._token_verify,
            ("GET", "/fido2/v2/passkeys"): self._passkeys_list,
        }
        route = routes.get((method, path))
        if route is not None:
            return route(authorization, body)
        prefix = "/fido2/v2/passkeys/"
        if path.startswith(prefix) and len(path) > len(prefix):
            passkey_id = unquote(path[len(prefix) :])
            if method == "PUT":
                return self._passkey_rename(authorization, body, passkey_id)
            if method == "DELETE":
                return self._passkey_delete(authorization, passkey_id)
            raise ApiProblem(405, "method_not_allowed", "use PUT or DELETE")
        raise ApiProblem(404, "not_found", "no such endpoint")

    # Authentication of callers ---------------------------------------------------

    def _service(self, authorization: str) -> None:
        """A backend caller: ES256 service token of the tenant, or the api key."""
        scheme, _, credential = authorization.partition(" ")
        if scheme == "Basic" and self.api_key_id is not None:
            if secrets.compare_digest(credential, _b64url(self.api_key_id + ":")):
                return
            raise ApiProblem(401, "unauthorized", "unknown api key")
        if scheme != "Bearer" or not credential:
            raise ApiProblem(401, "unauthorized", "a service token is required")
        try:
            header = jwt.get_unverified_header(credential)
            if header.get("alg") != "ES256" or header.get("typ") != "JWT":
                raise ApiProblem(401, "unauthorized", "the service token header is wrong")
            claims = jwt.decode(
                credential,
                self.tenant_key.public_key(),
                algorithms=["ES256"],
                audience=self.host,
                issuer="loginid.io",
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise ApiProblem(
                401, "unauthorized", f"bad service token: {type(exc).__name__}"
            ) from exc
        if claims["exp"] - claims["iat"] > MAX_SERVICE_TOKEN_LIFETIME:
            raise ApiProblem(401, "unauthorized", "the service token lives too long")

    def _granted(self, authorization: str, needed: str, username: str | None = None) -> Grant:
        scheme, _, token = authorization.partition(" ")
        grant = self.grants.get(token) if scheme == "Bearer" else None
        if grant is None or grant.expires < time.time():
            raise ApiProblem(401, "unauthorized", "a grant token is required")
        if needed not in grant.grants:
            raise ApiProblem(403, "forbidden", f"the grant lacks {needed}")
        if username is not None and grant.username != username:
            raise ApiProblem(403, "forbidden", "the grant is for another user")
        return grant

    # Request bodies --------------------------------------------------------------

    def _username_body(self, body: Any) -> str:
        if not isinstance(body, dict):
            raise ApiProblem(400, "invalid_body", "the body must be an object")
        app, user = body.get("app"), body.get("user")
        if not isinstance(app, dict) or app.get("id") != self.app_id:
            raise ApiProblem(400, "invalid_app", "app.id is not this app")
        if not isinstance(user, dict) or not isinstance(user.get("username"), str):
            raise ApiProblem(400, "invalid_body", "user.username is required")
        username: str = user["username"]
        if not 0 < len(username) <= 256:
            raise ApiProblem(400, "invalid_body", "user.username is malformed")
        return username

    def _take_session(self, body: Any, kind: str) -> tuple[Session, dict[str, Any]]:
        if not isinstance(body, dict) or not isinstance(body.get("session"), str):
            raise ApiProblem(400, "invalid_body", "session is required")
        session = self.sessions.pop(body["session"], None)
        if session is None or session.kind != kind:
            raise ApiProblem(400, "invalid_session", "unknown or used session")
        if session.expires < time.time():
            raise ApiProblem(400, "session_expired", "the session has expired")
        return session, body

    @staticmethod
    def _strings(value: Any, required: Sequence[str], name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ApiProblem(400, "invalid_body", f"{name} must be an object")
        for key in required:
            if not isinstance(value.get(key), str) or not value[key]:
                raise ApiProblem(400, "invalid_body", f"{name}.{key} is required")
        return value

    def _new_session(self, kind: str, username: str, state: dict[str, Any], handle: bytes) -> str:
        session_id = secrets.token_urlsafe(32)
        self.sessions[session_id] = Session(
            kind, username, dict(state), time.time() + self.session_ttl, handle
        )
        return session_id

    def _jwt_access(self, user: User) -> dict[str, str]:
        now = int(time.time())
        claims = {
            "aud": self.app_id,
            "iss": f"https://{self.app_id}.api.loginid.io",
            "sub": user.user_id,
            "username": user.username,
            "scopes": ["passkey:read", "passkey:write"],
            "tokenType": "jwtAccess",
            "iat": now,
            "exp": now + 300,
        }
        return {"jwtAccess": jwt.encode(claims, self._signing_key, algorithm="ES256")}

    @staticmethod
    def _options(options: Any) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(json.dumps(dict(options.public_key)))
        return result

    # Endpoints -------------------------------------------------------------------

    def _auth_init(self, authorization: str, body: Any) -> tuple[int, Any]:
        self._service(authorization)
        username = self._username_body(body)
        user = self.users.get(username)
        if user is None:
            raise ApiProblem(404, "user_not_found", "no such user")
        if not user.passkeys:
            raise ApiProblem(404, "passkey_not_found", "the user has no passkey")
        descriptors = [
            PublicKeyCredentialDescriptor(
                type=PublicKeyCredentialType.PUBLIC_KEY, id=websafe_decode(p.id)
            )
            for p in user.passkeys.values()
        ]
        options, state = self.fido.authenticate_begin(
            descriptors, user_verification=self.user_verification
        )
        session = self._new_session("auth", username, state, user.user_handle)
        return 200, {"assertionOptions": self._options(options), "session": session}

    def _auth_complete(self, authorization: str, body: Any) -> tuple[int, Any]:
        self._service(authorization)
        session, body = self._take_session(body, "auth")
        result = self._strings(
            body.get("assertionResult"),
            ("authenticatorData", "clientDataJSON", "credentialId", "signature"),
            "assertionResult",
        )
        user = self.users.get(session.username)
        if user is None:
            raise ApiProblem(404, "user_not_found", "no such user")
        response: dict[str, Any] = {
            "clientDataJSON": result["clientDataJSON"],
            "authenticatorData": result["authenticatorData"],
            "signature": result["signature"],
        }
        if isinstance(result.get("userHandle"), str) and result["userHandle"]:
            response["userHandle"] = result["userHandle"]
            if websafe_decode(result["userHandle"]) != user.user_handle:
                raise ApiProblem(400, "invalid_assertion", "the user handle is another user's")
        credential = {
            "id": result["credentialId"],
            "rawId": result["credentialId"],
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
        }
        try:
            self.fido.authenticate_complete(
                session.state,
                [AttestedCredentialData(p.credential_data) for p in user.passkeys.values()],
                credential,
            )
            from fido2.webauthn import AuthenticatorData

            counter = AuthenticatorData(websafe_decode(result["authenticatorData"])).counter
        except ApiProblem:
            raise
        except Exception as exc:
            raise ApiProblem(400, "invalid_assertion", str(exc)[:100]) from exc
        used = websafe_decode(result["credentialId"])
        passkey = next(p for p in user.passkeys.values() if websafe_decode(p.id) == used)
        if (counter or passkey.sign_count) and counter <= passkey.sign_count:
            raise ApiProblem(400, "invalid_assertion", "the signature counter did not increase")
        passkey.sign_count = counter
        passkey.last_used_at = _now_iso()
        return 200, self._jwt_access(user)

    def _reg_init(self, authorization: str, body: Any) -> tuple[int, Any]:
        username = self._username_body(body)
        self._granted(authorization, "reg:write", username)
        user = self.users.get(username)
        handle = user.user_handle if user else secrets.token_bytes(32)
        existing = list(user.passkeys.values()) if user else []
        options, state = self.fido.register_begin(
            PublicKeyCredentialUserEntity(name=username, id=handle, display_name=username),
            credentials=[
                PublicKeyCredentialDescriptor(
                    type=PublicKeyCredentialType.PUBLIC_KEY, id=websafe_decode(p.id)
                )
                for p in existing
            ],
            user_verification=self.user_verification,
        )
        session = self._new_session("reg", username, state, handle)
        return 200, {"registrationRequestOptions": self._options(options), "session": session}

    def _reg_complete(self, authorization: str, body: Any) -> tuple[int, Any]:
        self._service(authorization)
        session, body = self._take_session(body, "reg")
        result = self._strings(
            body.get("creationResult"),
            ("attestationObject", "clientDataJSON", "credentialId"),
            "creationResult",
        )
        transports = result.get("transports") or []
        if not isinstance(transports, list) or not all(isinstance(t, str) for t in transports):
            raise ApiProblem(400, "invalid_body", "transports must be a list of strings")
        credential = {
            "id": result["credentialId"],
            "rawId": result["credentialId"],
            "type": "public-key",
            "response": {
                "clientDataJSON": result["clientDataJSON"],
                "attestationObject": result["attestationObject"],
            },
            "clientExtensionResults": {},
        }
        try:
            auth_data = self.fido.register_complete(session.state, credential)
        except Exception as exc:
            raise ApiProblem(400, "invalid_attestation", str(exc)[:100]) from exc
        attested = auth_data.credential_data
        if attested is None or websafe_encode(attested.credential_id) != result["credentialId"]:
            raise ApiProblem(400, "invalid_attestation", "the credential id does not match")
        if any(result["credentialId"] in other.passkeys for other in self.users.values()):
            raise ApiProblem(409, "credential_exists", "this passkey is already registered")
        user = self.users.get(session.username)
        if user is None:  # the user is created only when a passkey is registered
            user = User(session.username, secrets.token_hex(16), session.user_handle)
            self.users[session.username] = user
        created = _now_iso()
        user.passkeys[result["credentialId"]] = Passkey(
            id=result["credentialId"],
            name=f"Passkey {created[:10]}",
            credential_data=bytes(attested),
            sign_count=auth_data.counter,
            created_at=created,
            aaguid=str(attested.aaguid),
            transports=list(transports),
        )
        return 200, self._jwt_access(user)

    def _grant(self, authorization: str, body: Any) -> tuple[int, Any]:
        self._service(authorization)
        if not isinstance(body, dict) or not isinstance(body.get("username"), str):
            raise ApiProblem(400, "invalid_body", "username is required")
        grants = body.get("grants")
        if (
            not isinstance(grants, list)
            or not grants
            or not all(isinstance(g, str) and g in ALLOWED_GRANTS for g in grants)
        ):
            raise ApiProblem(400, "invalid_grants", "unknown grants")
        token = secrets.token_urlsafe(32)
        self.grants[token] = Grant(body["username"], frozenset(grants), time.time() + 300)
        return 200, {"token": token}

    def _token_verify(self, authorization: str, body: Any) -> tuple[int, Any]:
        self._service(authorization)
        token = body.get("jwtAccess") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise ApiProblem(400, "invalid_body", "jwtAccess is required")
        try:
            jwt.decode(
                token,
                self._signing_key.public_key(),
                algorithms=["ES256"],
                audience=self.app_id,
                issuer=f"https://{self.app_id}.api.loginid.io",
            )
        except jwt.PyJWTError as exc:
            raise ApiProblem(401, "invalid_token", type(exc).__name__) from exc
        return 204, None

    def _passkeys_list(self, authorization: str, body: Any) -> tuple[int, Any]:
        grant = self._granted(authorization, "passkey:read")
        user = self.users.get(grant.username)
        return 200, [p.to_json() for p in (user.passkeys.values() if user else [])]

    def _user_passkey(self, grant: Grant, passkey_id: str) -> tuple[User, Passkey]:
        user = self.users.get(grant.username)
        passkey = user.passkeys.get(passkey_id) if user else None
        if user is None or passkey is None:
            raise ApiProblem(404, "passkey_not_found", "no such passkey")
        return user, passkey

    def _passkey_rename(self, authorization: str, body: Any, passkey_id: str) -> tuple[int, Any]:
        grant = self._granted(authorization, "passkey:write")
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not 0 < len(name) <= 64:
            raise ApiProblem(400, "invalid_body", "name is required")
        _, passkey = self._user_passkey(grant, passkey_id)
        passkey.name = name
        return 204, None

    def _passkey_delete(self, authorization: str, passkey_id: str) -> tuple[int, Any]:
        grant = self._granted(authorization, "passkey:write")
        user, _ = self._user_passkey(grant, passkey_id)
        del user.passkeys[passkey_id]
        return 204, None


@contextmanager
def loginid_server(**options: Any) -> Iterator[LoginIdServer]:
    """Run a LoginID-compatible server on 127.0.0.1 for the ``with`` block."""
    server = LoginIdServer(**options).start()
    try:
        yield server
    finally:
        server.stop()
