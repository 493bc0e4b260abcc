"""A Cognito user pool with native passkeys, on 127.0.0.1, for tests (docs/native-passkeys.md).

It speaks the cognito-idp JSON protocol (``X-Amz-Target:
AWSCognitoIdentityProviderService.<Operation>``, ``application/x-amz-json-1.1``) for exactly
these operations: InitiateAuth (``USER_AUTH``, ``REFRESH_TOKEN_AUTH``), RespondToAuthChallenge
(``SELECT_CHALLENGE``, ``WEB_AUTHN``, ``PASSWORD``), StartWebAuthnRegistration,
CompleteWebAuthnRegistration, ListWebAuthnCredentials, DeleteWebAuthnCredential, and the
admin calls the fixtures need (AdminCreateUser, AdminSetUserPassword, AdminDeleteUser).
Every request is validated against botocore's own input shape and every answer against the
output shape; WebAuthn is checked by python-fido2's server (challenge single use, origin,
RP ID, UP/UV per the pool's UserVerification, counter); sessions are single use and expire
(3 minutes); errors carry Cognito's exception names; tokens are RS256 with a JWKS at
``/<poolId>/.well-known/jwks.json``.

Use::

    with native_server(client_secret="s3cret") as server:
        server.url, server.user_pool_id, server.client_id
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import botocore.session
import jwt
from botocore.validate import ParamValidator
from cognito_passkey.protocol import pools
from cryptography.hazmat.primitives.asymmetric import rsa
from fido2.server import Fido2Server
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestedCredentialData,
    AuthenticatorData,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialType,
    PublicKeyCredentialUserEntity,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
SESSION_TTL = 180.0
"""Cognito's default AuthSessionValidity: 3 minutes."""
TOKEN_TTL = 3600
MAX_BODY = 256 * 1024
SCOPE = "aws.cognito.signin.user.admin"
LIST_DEFAULT = 10

_MODEL = botocore.session.get_session().get_service_model("cognito-idp")
_VALIDATOR = ParamValidator()

ADMIN_OPERATIONS = frozenset({"AdminCreateUser", "AdminSetUserPassword", "AdminDeleteUser"})


class CognitoFault(Exception):
    """An error answer: Cognito's exception name and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Credential:
    id: str
    data: bytes
    sign_count: int
    created_at: float
    transports: list[str]
    attachment: str | None


@dataclass
class User:
    username: str
    sub: str = field(default_factory=lambda: str(uuid.uuid4()))
    handle: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    password: str | None = None
    status: str = "FORCE_CHANGE_PASSWORD"
    created_at: float = field(default_factory=time.time)
    credentials: list[Credential] = field(default_factory=list)


@dataclass
class Session:
    username: str
    challenge: str
    expires: float
    available: tuple[str, ...] = ()
    state: dict[str, Any] | None = None


class NativePool:
    """One user pool with one app client; ``start()`` serves it on 127.0.0.1."""

    def __init__(
        self,
        *,
        rp_id: str = "app.example.com",
        origins: Sequence[str] = ("https://app.example.com",),
        user_verification: str = "preferred",
        first_factors: Sequence[str] = ("PASSWORD", "WEB_AUTHN"),
        explicit_auth_flows: Sequence[str] = ("ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"),
        client_secret: str | None = None,
        region: str = "eu-west-1",
        session_ttl: float = SESSION_TTL,
        honour_preferred: bool = True,
    ) -> None:
        self.region = region
        self.user_pool_id = f"{region}_{secrets.token_hex(5)}"
        self.client_id = secrets.token_hex(13)
        self.client_secret = client_secret
        self.rp_id = rp_id
        self.origins = frozenset(origins)
        self.user_verification = UserVerificationRequirement(user_verification)
        self.first_factors = tuple(first_factors)
        self.flows = frozenset(explicit_auth_flows)
        self.session_ttl = session_ttl
        self.honour_preferred = honour_preferred
        """False: answer SELECT_CHALLENGE even to an available PREFERRED_CHALLENGE."""
        self.skew = 0.0
        """Seconds added to the session clock: a test moves time on without waiting."""
        self.fido = Fido2Server(
            PublicKeyCredentialRpEntity(name="Example", id=rp_id),
            verify_origin=lambda origin: origin in self.origins,
        )
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_hex(8)
        self.users: dict[str, User] = {}
        self.sessions: dict[str, Session] = {}
        self.registrations: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.calls: list[str] = []
        self.lock = threading.RLock()
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._http is None:
            raise RuntimeError("the server is not running")
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def start(self) -> NativePool:
        pool = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path == f"/{pool.user_pool_id}/.well-known/jwks.json":
                    self._send(200, pool.jwks(), "application/json")
                else:
                    self._send(404, {"message": "not found"}, "application/json")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.close_connection = True
                    self._fault(CognitoFault("InvalidParameterException", "request too large"))
                    return
                raw = self.rfile.read(length) if length else b""
                try:
                    body = pool.handle(dict(self.headers), raw)
                except CognitoFault as fault:
                    self._fault(fault)
                    return
                self._send(200, body, "application/x-amz-json-1.1")

            def _fault(self, fault: CognitoFault) -> None:
                status = 500 if fault.code == "InternalErrorException" else 400
                self._send(
                    status,
                    {"__type": fault.code, "message": fault.message},
                    "application/x-amz-json-1.1",
                    error=fault.code,
                )

            def _send(self, status: int, payload: Any, kind: str, error: str = "") -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                if error:
                    self.send_header("x-amzn-ErrorType", error)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

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
            self._thread.join()
            self._thread = None

    # The protocol ----------------------------------------------------------------

    def handle(self, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
        target = next((v for k, v in headers.items() if k.lower() == "x-amz-target"), "")
        if not target.startswith(TARGET_PREFIX):
            raise CognitoFault("UnknownOperationException", "no X-Amz-Target")
        operation = target[len(TARGET_PREFIX) :]
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(
            self, f"_op_{operation}", None
        )
        if handler is None:
            raise CognitoFault("UnknownOperationException", f"{operation} is not implemented")
        kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if kind != "application/x-amz-json-1.1":
            raise CognitoFault("SerializationException", f"unexpected content type {kind!r}")
        if operation in ADMIN_OPERATIONS:
            auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
            if not auth.startswith("AWS4-HMAC-SHA256 "):
                raise CognitoFault("UnrecognizedClientException", "the request is not signed")
        try:
            params = json.loads(raw or b"{}")
        except ValueError as exc:
            raise CognitoFault("SerializationException", "the body is not JSON") from exc
        model = _MODEL.operation_model(operation)
        report = _VALIDATOR.validate(params, model.input_shape)
        if report.has_errors():
            raise CognitoFault("InvalidParameterException", report.generate_report())
        with self.lock:
            self.calls.append(operation)
            result = handler(params)
        if model.output_shape is not None:
            out = _VALIDATOR.validate(result, model.output_shape)
            if out.has_errors():  # a bug of this server, never the client's
                raise CognitoFault("InternalErrorException", out.generate_report())
        return result

    # Helpers -----------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.skew

    def _client(self, params: dict[str, Any]) -> None:
        if params.get("ClientId") != self.client_id:
            raise CognitoFault(
                "ResourceNotFoundException",
                f"User pool client {params.get('ClientId')} does not exist.",
            )

    def _check_secret(self, username: str, given: str | None) -> None:
        if not self.client_secret:
            return
        if not given:
            raise CognitoFault(
                "NotAuthorizedException",
                f"Client {self.client_id} is configured for secret but secret was not received",
            )
        digest = hmac.new(
            self.client_secret.encode(), (username + self.client_id).encode(), hashlib.sha256
        ).digest()
        if not hmac.compare_digest(base64.b64encode(digest).decode(), given):
            raise CognitoFault(
                "NotAuthorizedException",
                f"Unable to verify secret hash for client {self.client_id}",
            )

    def _user(self, username: str) -> User:
        user = self.users.get(username)
        if user is None:
            raise CognitoFault("UserNotFoundException", "User does not exist.")
        return user

    def _available(self, user: User) -> tuple[str, ...]:
        checks = {
            "WEB_AUTHN": bool(user.credentials),
            "PASSWORD": bool(user.password) and user.status == "CONFIRMED",
        }
        offered = [factor for factor in self.first_factors if checks.get(factor)]
        return tuple(offered)

    def _new_session(self, session: Session) -> str:
        token = base64.b64encode(secrets.token_bytes(96)).decode()
        self.sessions[token] = session
        return token

    def _take_session(self, token: str | None, challenge: str) -> Session:
        session = self.sessions.pop(token or "", None)  # single use: every answer rotates it
        if session is None:
            raise CognitoFault("NotAuthorizedException", "Invalid session for the user.")
        if session.expires < self.now():
            raise CognitoFault(
                "NotAuthorizedException", "Invalid session for the user, session is expired."
            )
        if session.challenge != challenge:
            raise CognitoFault(
                "InvalidParameterException",
                f"ChallengeName {challenge} does not match the session's {session.challenge}",
            )
        return session

    def _webauthn_challenge(self, user: User) -> dict[str, Any]:
        options, state = self.fido.authenticate_begin(
            [
                PublicKeyCredentialDescriptor(
                    type=PublicKeyCredentialType.PUBLIC_KEY, id=websafe_decode(c.id)
                )
                for c in user.credentials
            ],
            user_verification=self.user_verification,
        )
        request = json.loads(json.dumps(dict(options.public_key)))
        session = Session(user.username, "WEB_AUTHN", self.now() + self.session_ttl, state=state)
        return {
            "ChallengeName": "WEB_AUTHN",
            "Session": self._new_session(session),
            "ChallengeParameters": {
                "USERNAME": user.username,
                "CREDENTIAL_REQUEST_OPTIONS": json.dumps(request, separators=(",", ":")),
            },
        }

    def _check_assertion(self, user: User, state: dict[str, Any], text: str | None) -> None:
        try:
            credential = json.loads(text or "")
            if not isinstance(credential, dict):
                raise ValueError("not an object")
            self.fido.authenticate_complete(
                state, [AttestedCredentialData(c.data) for c in user.credentials], credential
            )
            counter = AuthenticatorData(
                websafe_decode(credential["response"]["authenticatorData"])
            ).counter
            used = next(c for c in user.credentials if c.id == credential["rawId"])
        except (ValueError, KeyError, TypeError, StopIteration) as exc:
            raise CognitoFault("NotAuthorizedException", "Incorrect passkey.") from exc
        if (counter or used.sign_count) and counter <= used.sign_count:
            raise CognitoFault(
                "NotAuthorizedException", "Incorrect passkey: the counter went back."
            )
        used.sign_count = counter

    def _check_password(self, user: User, password: str | None) -> None:
        if not password or not user.password or not secrets.compare_digest(password, user.password):
            raise CognitoFault("NotAuthorizedException", "Incorrect username or password.")

    def _tokens(self, user: User, *, refresh: bool = True) -> dict[str, Any]:
        now = int(time.time())
        common = {"sub": user.sub, "iss": pools.issuer(self.user_pool_id), "auth_time": now}
        common |= {"iat": now, "exp": now + TOKEN_TTL, "origin_jti": str(uuid.uuid4())}
        id_claims = common | {
            "aud": self.client_id,
            "token_use": "id",
            "cognito:username": user.username,
        }
        access_claims = common | {
            "client_id": self.client_id,
            "token_use": "access",
            "scope": SCOPE,
            "username": user.username,
            "jti": str(uuid.uuid4()),
        }
        result: dict[str, Any] = {
            "IdToken": self._sign(id_claims),
            "AccessToken": self._sign(access_claims),
            "ExpiresIn": TOKEN_TTL,
            "TokenType": "Bearer",
        }
        if refresh:
            token = secrets.token_urlsafe(48)
            self.refresh_tokens[token] = user.username
            result["RefreshToken"] = token
        return {"AuthenticationResult": result, "ChallengeParameters": {}}

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._kid})

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [jwk | {"kid": self._kid, "alg": "RS256", "use": "sig"}]}

    def _access_user(self, token: str) -> User:
        try:
            claims = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                issuer=pools.issuer(self.user_pool_id),
                options={"require": ["exp", "iat", "token_use"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise CognitoFault("NotAuthorizedException", "Access Token has expired") from exc
        except jwt.PyJWTError as exc:
            raise CognitoFault("NotAuthorizedException", "Invalid Access Token") from exc
        if claims.get("token_use") != "access" or SCOPE not in str(claims.get("scope", "")).split():
            raise CognitoFault("NotAuthorizedException", "Invalid Access Token")
        user = self.users.get(str(claims.get("username")))
        if user is None or user.sub != claims.get("sub"):
            raise CognitoFault("NotAuthorizedException", "User does not exist.")
        return user

    def _webauthn_enabled(self) -> None:
        if "WEB_AUTHN" not in self.first_factors:
            raise CognitoFault(
                "WebAuthnNotEnabledException", "Passkey sign-in is not enabled for this user pool."
            )

    # Operations ------------------------------------------------------------------

    def _op_InitiateAuth(self, params: dict[str, Any]) -> dict[str, Any]:
        self._client(params)
        flow = params["AuthFlow"]
        auth: dict[str, str] = params.get("AuthParameters") or {}
        if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            if "ALLOW_REFRESH_TOKEN_AUTH" not in self.flows:
                raise CognitoFault(
                    "InvalidParameterException", "Refresh Token flow not enabled for this client"
                )
            username = self.refresh_tokens.get(auth.get("REFRESH_TOKEN", ""))
            if username is None or username not in self.users:
                raise CognitoFault("NotAuthorizedException", "Invalid Refresh Token")
            self._check_secret(username, auth.get("SECRET_HASH"))
            return self._tokens(self.users[username], refresh=False)
        if flow != "USER_AUTH":
            raise CognitoFault(
                "InvalidParameterException", f"{flow} flow not enabled for this client"
            )
        if "ALLOW_USER_AUTH" not in self.flows:
            raise CognitoFault(
                "InvalidParameterException", "USER_AUTH flow not enabled for this client"
            )
        username = auth.get("USERNAME")
        if not username:
            raise CognitoFault("InvalidParameterException", "Missing required parameter USERNAME")
        self._check_secret(username, auth.get("SECRET_HASH"))
        user = self._user(username)
        available = self._available(user)
        preferred = auth.get("PREFERRED_CHALLENGE") if self.honour_preferred else None
        if preferred == "WEB_AUTHN" and preferred in available:
            return self._webauthn_challenge(user)
        if preferred == "PASSWORD" and preferred in available and "PASSWORD" in auth:
            self._check_password(user, auth["PASSWORD"])
            return self._tokens(user)
        session = Session(username, "SELECT_CHALLENGE", self.now() + self.session_ttl, available)
        return {
            "ChallengeName": "SELECT_CHALLENGE",
            "Session": self._new_session(session),
            "ChallengeParameters": {},
            "AvailableChallenges": list(available),
        }

    def _op_RespondToAuthChallenge(self, params: dict[str, Any]) -> dict[str, Any]:
        self._client(params)
        name = params["ChallengeName"]
        answers: dict[str, str] = params.get("ChallengeResponses") or {}
        session = self._take_session(params.get("Session"), name)
        username = answers.get("USERNAME")
        if username != session.username:
            raise CognitoFault("NotAuthorizedException", "Incorrect username or password.")
        self._check_secret(username, answers.get("SECRET_HASH"))
        user = self._user(username)
        if name == "SELECT_CHALLENGE":
            choice = answers.get("ANSWER")
            if choice not in session.available:
                raise CognitoFault(
                    "InvalidParameterException", f"{choice} is not an available challenge"
                )
            if choice == "PASSWORD":
                self._check_password(user, answers.get("PASSWORD"))
                return self._tokens(user)
            if "CREDENTIAL" not in answers:
                return self._webauthn_challenge(user)
            raise CognitoFault(
                "InvalidParameterException", "CREDENTIAL needs a WEB_AUTHN challenge"
            )
        if name == "WEB_AUTHN":
            assert session.state is not None
            self._check_assertion(user, session.state, answers.get("CREDENTIAL"))
            return self._tokens(user)
        raise CognitoFault("InvalidParameterException", f"{name} is not supported here")

    def _op_StartWebAuthnRegistration(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._access_user(params["AccessToken"])
        self._webauthn_enabled()
        options, state = self.fido.register_begin(
            PublicKeyCredentialUserEntity(
                name=user.username, id=user.handle, display_name=user.username
            ),
            credentials=[
                PublicKeyCredentialDescriptor(
                    type=PublicKeyCredentialType.PUBLIC_KEY, id=websafe_decode(c.id)
                )
                for c in user.credentials
            ],
            user_verification=self.user_verification,
            resident_key_requirement=ResidentKeyRequirement.REQUIRED,
        )
        self.registrations[user.username] = {
            "state": state,
            "expires": self.now() + self.session_ttl,
        }
        return {"CredentialCreationOptions": json.loads(json.dumps(dict(options.public_key)))}

    def _op_CompleteWebAuthnRegistration(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._access_user(params["AccessToken"])
        self._webauthn_enabled()
        pending = self.registrations.pop(user.username, None)
        if pending is None or pending["expires"] < self.now():
            raise CognitoFault(
                "WebAuthnChallengeNotFoundException", "No registration challenge is pending."
            )
        credential = params["Credential"]
        try:
            auth_data = self.fido.register_complete(pending["state"], credential)
        except ValueError as exc:
            text = str(exc).lower()
            if "origin" in text:
                raise CognitoFault("WebAuthnOriginNotAllowedException", str(exc)) from exc
            if "rp id" in text:
                raise CognitoFault("WebAuthnRelyingPartyMismatchException", str(exc)) from exc
            raise CognitoFault("WebAuthnCredentialNotSupportedException", str(exc)) from exc
        except (KeyError, TypeError) as exc:
            raise CognitoFault("InvalidParameterException", "Credential is malformed") from exc
        attested = auth_data.credential_data
        assert attested is not None
        credential_id = websafe_encode(attested.credential_id)
        if any(c.id == credential_id for u in self.users.values() for c in u.credentials):
            raise CognitoFault("InvalidParameterException", "The credential is already registered.")
        response = credential.get("response") or {}
        user.credentials.append(
            Credential(
                id=credential_id,
                data=bytes(attested),
                sign_count=auth_data.counter,
                created_at=time.time(),
                transports=[str(t) for t in response.get("transports") or ()],
                attachment=credential.get("authenticatorAttachment"),
            )
        )
        return {}

    def _op_ListWebAuthnCredentials(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._access_user(params["AccessToken"])
        size = params.get("MaxResults") or LIST_DEFAULT
        start = 0
        if "NextToken" in params:
            try:
                start = int(base64.urlsafe_b64decode(params["NextToken"]).decode())
            except ValueError as exc:
                raise CognitoFault("InvalidParameterException", "Invalid NextToken") from exc
        page = user.credentials[start : start + size]
        result: dict[str, Any] = {
            "Credentials": [
                {
                    "CredentialId": c.id,
                    "FriendlyCredentialName": "Passkey "
                    + time.strftime("%Y-%m-%d", time.gmtime(c.created_at)),
                    "RelyingPartyId": self.rp_id,
                    "AuthenticatorTransports": c.transports,
                    "CreatedAt": c.created_at,
                    **({"AuthenticatorAttachment": c.attachment} if c.attachment else {}),
                }
                for c in page
            ]
        }
        if start + size < len(user.credentials):
            result["NextToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return result

    def _op_DeleteWebAuthnCredential(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._access_user(params["AccessToken"])
        kept = [c for c in user.credentials if c.id != params["CredentialId"]]
        if len(kept) == len(user.credentials):
            raise CognitoFault("ResourceNotFoundException", "Credential not found.")
        user.credentials = kept
        return {}

    def _op_AdminCreateUser(self, params: dict[str, Any]) -> dict[str, Any]:
        self._pool(params)
        username = params["Username"]
        if username in self.users:
            raise CognitoFault("UsernameExistsException", "User account already exists")
        user = User(username, password=params.get("TemporaryPassword"))
        self.users[username] = user
        return {
            "User": {
                "Username": username,
                "Attributes": [{"Name": "sub", "Value": user.sub}],
                "UserCreateDate": user.created_at,
                "UserLastModifiedDate": user.created_at,
                "Enabled": True,
                "UserStatus": user.status,
            }
        }

    def _op_AdminSetUserPassword(self, params: dict[str, Any]) -> dict[str, Any]:
        self._pool(params)
        user = self._user(params["Username"])
        user.password = params["Password"]
        user.status = "CONFIRMED" if params.get("Permanent") else "FORCE_CHANGE_PASSWORD"
        return {}

    def _op_AdminDeleteUser(self, params: dict[str, Any]) -> dict[str, Any]:
        self._pool(params)
        self._user(params["Username"])
        del self.users[params["Username"]]
        return {}

    def _pool(self, params: dict[str, Any]) -> None:
        if params.get("UserPoolId") != self.user_pool_id:
            raise CognitoFault(
                "ResourceNotFoundException", f"User pool {params.get('UserPoolId')} does not exist."
            )


@contextmanager
def native_server(**kwargs: Any) -> Iterator[NativePool]:
    """A running :class:`NativePool`, stopped afterwards."""
    pool = NativePool(**kwargs).start()
    try:
        yield pool
    finally:
        pool.stop()
