"""A small Cognito user pool on 127.0.0.1 for the client's HTTP-level tests.

It speaks Cognito's JSON protocol (``X-Amz-Target: AWSCognitoIdentityProviderService.*``)
so boto3 talks to it over real HTTP, and plays the three triggers of PROTOCOL.md
section 1 in either dialect, verifying every WebAuthn answer with python-fido2's
server. Password sign-in is real SRP (the server keeps a verifier, never the
password). Tokens are RS256 JWTs with a JWKS at ``/{pool}/.well-known/jwks.json``.
This is a test double of AWS for the client's own tests; the end-to-end suite
runs against the local AWS instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
from fido2.server import Fido2Server
from fido2.webauthn import (
    AttestedCredentialData,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
)
from pycognito.aws_srp import (
    G_HEX,
    N_HEX,
    calculate_u,
    compute_hkdf,
    get_random,
    hash_sha256,
    hex_hash,
    hex_to_long,
    long_to_hex,
    pad_hex,
)

from .loopback import Loopback

RP_ID = "example.com"
ORIGIN = "https://example.com"
_N = hex_to_long(N_HEX)
_G = hex_to_long(G_HEX)
_K = hex_to_long(hex_hash("00" + N_HEX + "0" + G_HEX))


class CognitoFault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class User:
    username: str
    sub: str = field(default_factory=lambda: str(uuid.uuid4()))
    salt: str = ""
    verifier: int = 0
    confirmed: bool = True
    credentials: list[AttestedCredentialData] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)

    def set_password(self, pool_suffix: str, password: str) -> None:
        self.salt = pad_hex(get_random(16))
        inner = hash_sha256(f"{pool_suffix}{self.username}:{password}".encode())
        x = hex_to_long(hex_hash(pad_hex(self.salt) + inner))
        self.verifier = pow(_G, x, _N)


class FakeCognito:
    """State and behaviour; ``serve()`` puts it on a loopback port."""

    def __init__(
        self,
        *,
        pool_id: str,
        client_id: str,
        private_key: Any,
        kid: str,
        region: str = "eu-west-1",
        fast_signin: bool = True,
        include_rp_id: bool = True,
        client_secret: str | None = None,
    ) -> None:
        self.pool_id = pool_id
        self.client_id = client_id
        self.region = region
        self.private_key = private_key
        self.kid = kid
        self.fast_signin = fast_signin
        self.include_rp_id = include_rp_id
        self.client_secret = client_secret
        self.users: dict[str, User] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.srp_states: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.revoked: set[str] = set()
        self.signed_out: set[str] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.throttle: dict[str, int] = {}
        self.fail_add_passkey = False
        self.sent_codes: dict[str, str] = {}
        self.fixed_code: str | None = None
        self.server = Fido2Server(PublicKeyCredentialRpEntity(id=RP_ID, name="Example"))
        self.lock = threading.Lock()
        self.url = ""

    # -- helpers -------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    def ops(self) -> list[str]:
        return [op for op, _ in self.calls]

    def add_user(self, username: str, password: str | None = None) -> User:
        user = User(username)
        if password:
            user.set_password(self.pool_id.split("_")[1], password)
        self.users[username] = user
        return user

    def jwks(self) -> dict[str, Any]:
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        data.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [data]}

    def issue(
        self, user: User, *, lifetime: int = 3600, with_refresh: bool = True
    ) -> dict[str, Any]:
        now = int(time.time())
        base = {"sub": user.sub, "iss": self.issuer, "iat": now, "auth_time": now}
        headers = {"kid": self.kid}
        id_token = jwt.encode(
            {
                **base,
                "exp": now + lifetime,
                "aud": self.client_id,
                "token_use": "id",
                "cognito:username": user.username,
                "jti": uuid.uuid4().hex,
            },
            self.private_key,
            algorithm="RS256",
            headers=headers,
        )
        access = jwt.encode(
            {
                **base,
                "exp": now + lifetime,
                "client_id": self.client_id,
                "token_use": "access",
                "username": user.username,
                "jti": uuid.uuid4().hex,
            },
            self.private_key,
            algorithm="RS256",
            headers=headers,
        )
        result: dict[str, Any] = {
            "IdToken": id_token,
            "AccessToken": access,
            "ExpiresIn": lifetime,
            "TokenType": "Bearer",
        }
        if with_refresh:
            refresh = "rt-" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = user.username
            result["RefreshToken"] = refresh
        return result

    def _check_secret_hash(self, username: str, given: str | None) -> None:
        if self.client_secret is None:
            return
        if not given:
            raise CognitoFault(
                "NotAuthorizedException",
                f"Client {self.client_id} is configured for secret but secret was not received",
            )
        expected = base64.b64encode(
            hmac.new(
                self.client_secret.encode(), (username + self.client_id).encode(), hashlib.sha256
            ).digest()
        ).decode()
        if not hmac.compare_digest(expected, given):
            raise CognitoFault(
                "NotAuthorizedException",
                f"Unable to verify secret hash for client {self.client_id}",
            )

    def _user(self, username: str) -> User:
        user = self.users.get(username)
        if user is None:
            raise CognitoFault("UserNotFoundException", "User does not exist.")
        return user

    def _new_session(self, **state: Any) -> str:
        session = secrets.token_urlsafe(32)
        self.sessions[session] = state
        return session

    def _take_session(self, session: str | None) -> dict[str, Any]:
        state = self.sessions.pop(session or "", None)
        if state is None:
            raise CognitoFault("NotAuthorizedException", "Invalid session for the user.")
        return state

    def _user_from_token(self, access_token: str) -> User:
        try:
            claims = jwt.decode(
                access_token,
                self.private_key.public_key(),
                algorithms=["RS256"],
                issuer=self.issuer,
            )
        except jwt.PyJWTError as exc:
            raise CognitoFault("NotAuthorizedException", "Invalid Access Token") from exc
        if claims.get("jti") in self.signed_out:
            raise CognitoFault("NotAuthorizedException", "Access Token has been revoked")
        return self._user(claims["username"])

    # -- operations --------------------------------------------------------------------

    def handle(self, op: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.calls.append((op, params))
            if self.throttle.get(op, 0) > 0:
                self.throttle[op] -= 1
                raise CognitoFault("TooManyRequestsException", "Rate exceeded")
            method = getattr(self, "op_" + op, None)
            if method is None:
                raise CognitoFault("InvalidAction", f"{op} is not supported here")
            result: dict[str, Any] = method(params)
            return result

    def op_InitiateAuth(self, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("ClientId") != self.client_id:
            raise CognitoFault("ResourceNotFoundException", "User pool client does not exist.")
        flow = p.get("AuthFlow")
        auth = p.get("AuthParameters") or {}
        if flow == "REFRESH_TOKEN_AUTH":
            token = auth.get("REFRESH_TOKEN", "")
            username = self.refresh_tokens.get(token)
            if username is None or token in self.revoked:
                raise CognitoFault("NotAuthorizedException", "Invalid Refresh Token")
            self._check_secret_hash(username, auth.get("SECRET_HASH"))
            return {
                "AuthenticationResult": self.issue(self._user(username), with_refresh=False),
                "ChallengeParameters": {},
            }
        username = auth.get("USERNAME", "")
        self._check_secret_hash(username, auth.get("SECRET_HASH"))
        user = self._user(username)
        if not user.confirmed:
            raise CognitoFault("UserNotConfirmedException", "User is not confirmed.")
        if flow == "USER_SRP_AUTH":
            return self._srp_start(user, auth)
        if flow != "CUSTOM_AUTH":
            raise CognitoFault("InvalidParameterException", f"{flow} flow not enabled")
        params = {"challenge": "AUTH_PARAMS", "USERNAME": username}
        state: dict[str, Any] = {"username": username, "round": 1}
        if self.fast_signin:
            options, fido_state = self.server.authenticate_begin(user.credentials or None)
            params["public_key"] = self._options_json(options)
            state["fido_state"] = fido_state
        return {
            "ChallengeName": "CUSTOM_CHALLENGE",
            "Session": self._new_session(**state),
            "ChallengeParameters": params,
        }

    def _options_json(self, options: Any) -> str:
        public_key = dict(options)["publicKey"]
        if not self.include_rp_id:
            public_key.pop("rpId", None)
            if "rp" in public_key:
                public_key["rp"].pop("id", None)
        return json.dumps(public_key)

    def op_RespondToAuthChallenge(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p.get("ChallengeName")
        responses = p.get("ChallengeResponses") or {}
        username = responses.get("USERNAME", "")
        self._check_secret_hash(username, responses.get("SECRET_HASH"))
        if name == "PASSWORD_VERIFIER":
            # Like Cognito, the SRP answer needs no session (pycognito sends none).
            srp_state = self.srp_states.pop(username, None)
            if srp_state is None:
                raise CognitoFault("NotAuthorizedException", "Incorrect username or password.")
            return self._srp_finish(srp_state, responses)
        state = self._take_session(p.get("Session"))
        if name != "CUSTOM_CHALLENGE" or username != state["username"]:
            raise CognitoFault("InvalidParameterException", "bad challenge response")
        user = self._user(username)
        meta = p.get("ClientMetadata") or {}
        kind = meta.get("authentication_type")
        answer = responses.get("ANSWER", "")
        if state["round"] == 1:
            if answer == "AUTH_PARAMS":
                if kind == "FIDO2_GET":
                    options, fido_state = self.server.authenticate_begin(user.credentials or None)
                elif kind == "FIDO2_CREATE":
                    json.loads(meta.get("attestation_options", "{}"))
                    options, fido_state = self.server.register_begin(
                        PublicKeyCredentialUserEntity(
                            id=user.sub.encode(), name=username, display_name=username
                        ),
                        user.credentials,
                    )
                else:
                    raise CognitoFault("NotAuthorizedException", "Incorrect username or password.")
                session = self._new_session(
                    username=username, round=2, fido_state=fido_state, kind=kind
                )
                return {
                    "ChallengeName": "CUSTOM_CHALLENGE",
                    "Session": session,
                    "ChallengeParameters": {
                        "public_key": self._options_json(options),
                        "USERNAME": username,
                    },
                }
            if meta.get("fast_signin") != "true" or "fido_state" not in state:
                raise CognitoFault("NotAuthorizedException", "Incorrect username or password.")
            self._verify_assertion(user, state["fido_state"], answer)
            return {"AuthenticationResult": self.issue(user), "ChallengeParameters": {}}
        if kind == "FIDO2_GET":
            self._verify_assertion(user, state["fido_state"], answer)
        elif kind == "FIDO2_CREATE":
            self._verify_attestation(user, state["fido_state"], answer)
        else:
            raise CognitoFault("NotAuthorizedException", "Incorrect username or password.")
        return {"AuthenticationResult": self.issue(user), "ChallengeParameters": {}}

    def _verify_assertion(self, user: User, fido_state: Any, answer: str) -> None:
        try:
            body = json.loads(answer)["assertion_response"]
            self.server.authenticate_complete(fido_state, user.credentials, body)
        except Exception as exc:
            raise CognitoFault("NotAuthorizedException", "Incorrect username or password.") from exc

    def _verify_attestation(self, user: User, fido_state: Any, answer: str) -> None:
        if self.fail_add_passkey:
            raise CognitoFault("UserLambdaValidationException", "VerifyAuthChallenge failed")
        try:
            document = json.loads(answer)
            claims = jwt.decode(
                document["id_token"],
                self.private_key.public_key(),
                algorithms=["RS256"],
                issuer=self.issuer,
                audience=self.client_id,
            )
            if claims["token_use"] != "id" or claims["cognito:username"] != user.username:
                raise ValueError("wrong token")
            data = self.server.register_complete(fido_state, document["attestation_response"])
        except Exception as exc:
            raise CognitoFault("NotAuthorizedException", "Incorrect username or password.") from exc
        assert data.credential_data is not None
        user.credentials.append(data.credential_data)

    def _srp_start(self, user: User, auth: dict[str, Any]) -> dict[str, Any]:
        big_a = hex_to_long(auth["SRP_A"])
        small_b = get_random(128) % _N
        big_b = (_K * user.verifier + pow(_G, small_b, _N)) % _N
        secret_block = base64.b64encode(os.urandom(64)).decode()
        self.srp_states[user.username] = {
            "username": user.username,
            "a": big_a,
            "b": small_b,
            "B": big_b,
            "block": secret_block,
        }
        session = secrets.token_urlsafe(32)
        return {
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": session,
            "ChallengeParameters": {
                "USER_ID_FOR_SRP": user.username,
                "SALT": user.salt,
                "SRP_B": long_to_hex(big_b),
                "SECRET_BLOCK": secret_block,
                "USERNAME": user.username,
            },
        }

    def _srp_finish(self, state: dict[str, Any], responses: dict[str, Any]) -> dict[str, Any]:
        user = self._user(state["username"])
        u = calculate_u(state["a"], state["B"])
        s = pow(state["a"] * pow(user.verifier, u, _N), state["b"], _N)
        key = compute_hkdf(
            bytearray.fromhex(pad_hex(s)), bytearray.fromhex(pad_hex(long_to_hex(u)))
        )
        message = (
            self.pool_id.split("_")[1].encode()
            + user.username.encode()
            + base64.b64decode(state["block"])
            + responses["TIMESTAMP"].encode()
        )
        expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, responses.get("PASSWORD_CLAIM_SIGNATURE", "")):
            raise CognitoFault("NotAuthorizedException", "Incorrect username or password.")
        # Sessions are not reused; a fresh one would be needed for another challenge.
        return {"AuthenticationResult": self.issue(user), "ChallengeParameters": {}}

    def op_SignUp(self, p: dict[str, Any]) -> dict[str, Any]:
        username = p["Username"]
        self._check_secret_hash(username, p.get("SecretHash"))
        if username in self.users:
            raise CognitoFault("UsernameExistsException", "User already exists")
        password = p["Password"]
        if len(password) < 8 or not all(
            any(test(c) for c in password)
            for test in (str.isupper, str.islower, str.isdigit, lambda c: not c.isalnum())
        ):
            raise CognitoFault("InvalidPasswordException", "Password does not conform to policy")
        user = self.add_user(username, password)
        user.confirmed = False
        user.attributes = {a["Name"]: a["Value"] for a in p.get("UserAttributes", [])}
        self.sent_codes[username] = self.fixed_code or f"{secrets.randbelow(10**6):06d}"
        return {
            "UserConfirmed": False,
            "UserSub": user.sub,
            "CodeDeliveryDetails": {
                "Destination": "a***@e***",
                "DeliveryMedium": "EMAIL",
                "AttributeName": "email",
            },
        }

    def op_ConfirmSignUp(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self._user(p["Username"])
        self._check_secret_hash(user.username, p.get("SecretHash"))
        if p.get("ConfirmationCode") != self.sent_codes.get(user.username):
            raise CognitoFault("CodeMismatchException", "Invalid verification code provided")
        user.confirmed = True
        return {}

    def op_AdminConfirmSignUp(self, p: dict[str, Any]) -> dict[str, Any]:
        self._user(p["Username"]).confirmed = True
        return {}

    def op_DeleteUser(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self._user_from_token(p["AccessToken"])
        del self.users[user.username]
        return {}

    def op_GlobalSignOut(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self._user_from_token(p["AccessToken"])
        for token, name in list(self.refresh_tokens.items()):
            if name == user.username:
                self.revoked.add(token)
        claims = jwt.decode(p["AccessToken"], options={"verify_signature": False})
        self.signed_out.add(claims["jti"])
        return {}

    def op_RevokeToken(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.client_secret is not None and p.get("ClientSecret") != self.client_secret:
            raise CognitoFault("NotAuthorizedException", "Invalid client secret")
        self.revoked.add(p["Token"])
        return {}

    # -- HTTP --------------------------------------------------------------------------

    def serve(self) -> Loopback:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.calls.append(("GET " + self.path, {}))
                if self.path == f"/{fake.pool_id}/.well-known/jwks.json":
                    self._reply(200, fake.jwks())
                else:
                    self._reply(404, {"message": "not found"})

            def do_POST(self) -> None:
                target = self.headers.get("X-Amz-Target", "")
                length = int(self.headers.get("Content-Length") or 0)
                params = json.loads(self.rfile.read(length) or b"{}")
                op = target.rpartition(".")[2]
                try:
                    self._reply(200, fake.handle(op, params))
                except CognitoFault as fault:
                    self._reply(400, {"__type": fault.code, "message": fault.message})

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._running = Loopback(Handler)
        self.url = self._running.url
        return self._running

    def stop(self) -> None:
        """Close the port now (the fixture's teardown is then a no-op)."""
        self._running.stop()
