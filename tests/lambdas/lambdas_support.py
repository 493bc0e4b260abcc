"""Helpers for the Lambda tests: AWS-shaped trigger events, a WebAuthn forger, ID tokens.

The forger is a minimal authenticator whose every field can be bent (flags, counter, RP ID,
origin, challenge, signature), for the rejection tests; happy paths use the project's real
software authenticator instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

POOL_ID = "us-east-1_TestPool1"
CLIENT_ID = "3n4b5urk1ft4fl3mg5e62d9ado"
REGION = "us-east-1"
RP_ID = "app.example.com"
ORIGIN = "https://app.example.com"
APP_ORIGIN = "android:apk-key-hash:Zm9vYmFyYmF6cXV4"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"


# Trigger events, shaped as the AWS developer guide documents them -------------------------


@dataclass(frozen=True)
class FakeLambdaContext:
    """What the Lambda runtime hands every handler, as far as the handlers read it."""

    function_name: str = "cognito-passkey-test"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:000000000000:function:cognito-passkey-test"
    )
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


LAMBDA_CONTEXT: Any = FakeLambdaContext()


_EMPTY_RESPONSES = {  # Cognito sends every response field, as null
    "DefineAuthChallenge_Authentication": ("challengeName", "issueTokens", "failAuthentication"),
    "CreateAuthChallenge_Authentication": (
        "publicChallengeParameters",
        "privateChallengeParameters",
        "challengeMetadata",
    ),
    "VerifyAuthChallengeResponse_Authentication": ("answerCorrect",),
}


def _base(
    trigger_source: str,
    username: str,
    request: dict[str, Any],
    metadata: Mapping[str, str] | None,
    user_not_found: bool,
) -> dict[str, Any]:
    """The event around ``request``, which gains the ClientMetadata and userNotFound given."""
    if metadata is not None:
        request["clientMetadata"] = dict(metadata)
    if user_not_found:
        request["userNotFound"] = True
    return {
        "version": "1",
        "triggerSource": trigger_source,
        "region": REGION,
        "userPoolId": POOL_ID,
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": CLIENT_ID},
        "request": request,
        "response": dict.fromkeys(_EMPTY_RESPONSES[trigger_source]),
    }


def _attributes(username: str) -> dict[str, str]:
    return {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_DNS, username)),
        "email_verified": "true",
        "cognito:user_status": "CONFIRMED",
        "email": f"{username}@example.com",
    }


def session_entry(metadata: str, result: bool) -> dict[str, Any]:
    return {
        "challengeName": "CUSTOM_CHALLENGE",
        "challengeResult": result,
        "challengeMetadata": metadata,
    }


def define_event(
    username: str,
    session: list[dict[str, Any]],
    *,
    metadata: Mapping[str, str] | None = None,
    user_not_found: bool = False,
) -> dict[str, Any]:
    request: dict[str, Any] = {"userAttributes": _attributes(username), "session": session}
    return _base("DefineAuthChallenge_Authentication", username, request, metadata, user_not_found)


def create_event(
    username: str,
    session: list[dict[str, Any]],
    *,
    metadata: Mapping[str, str] | None = None,
    user_not_found: bool = False,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "userAttributes": {} if user_not_found else _attributes(username),
        "challengeName": "CUSTOM_CHALLENGE",
        "session": session,
    }
    return _base("CreateAuthChallenge_Authentication", username, request, metadata, user_not_found)


def verify_event(
    username: str,
    private: Mapping[str, str],
    answer: Any,
    *,
    metadata: Mapping[str, str] | None = None,
    user_not_found: bool = False,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "userAttributes": {} if user_not_found else _attributes(username),
        "privateChallengeParameters": dict(private),
        "challengeAnswer": answer,
    }
    return _base(
        "VerifyAuthChallengeResponse_Authentication", username, request, metadata, user_not_found
    )


def log_lines(text: str) -> list[dict[str, Any]]:
    """The JSON log lines in captured stdout."""
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def rejections(text: str) -> list[str]:
    return [line["reason"] for line in log_lines(text) if line.get("message") == "rejected"]


# A bendable authenticator -------------------------------------------------------------------


@dataclass
class ForgedCredential:
    """One ES256 credential held by the forger."""

    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    sign_count: int = 0

    @property
    def credential_data(self) -> AttestedCredentialData:
        return AttestedCredentialData.create(
            b"\x00" * 16,
            self.credential_id,
            ES256.from_cryptography_key(self.private_key.public_key()),
        )


UP, UV, AT = 0x01, 0x04, 0x40


def _client_data(kind: str, challenge: str, origin: str) -> CollectedClientData:
    return CollectedClientData.create(type=kind, challenge=challenge, origin=origin)


def forge_attestation(
    options: Mapping[str, Any],
    credential: ForgedCredential,
    *,
    origin: str = ORIGIN,
    rp_id: str = RP_ID,
    flags: int = UP | UV | AT,
    challenge: str | None = None,
) -> dict[str, Any]:
    """RegistrationResponseJSON (attestation format "none")."""
    client_data = _client_data("webauthn.create", challenge or options["challenge"], origin)
    auth_data = AuthenticatorData.create(
        hashlib.sha256(rp_id.encode()).digest(),
        flags,
        credential.sign_count,
        credential.credential_data,
    )
    attestation = AttestationObject.create("none", auth_data, {})
    credential_id = websafe_encode(credential.credential_id)
    return {
        "id": credential_id,
        "rawId": credential_id,
        "type": "public-key",
        "response": {
            "clientDataJSON": websafe_encode(client_data),
            "attestationObject": websafe_encode(attestation),
            "transports": ["usb"],
        },
        "clientExtensionResults": {},
    }


def forge_assertion(
    options: Mapping[str, Any],
    credential: ForgedCredential,
    *,
    origin: str = ORIGIN,
    rp_id: str = RP_ID,
    flags: int = UP | UV,
    counter: int | None = None,
    challenge: str | None = None,
    user_handle: bytes | None = None,
    signer: ec.EllipticCurvePrivateKey | None = None,
) -> dict[str, Any]:
    """AuthenticationResponseJSON; the counter goes up by one unless given."""
    from cryptography.hazmat.primitives import hashes

    if counter is None:
        credential.sign_count += 1
        counter = credential.sign_count
    client_data = _client_data("webauthn.get", challenge or options["challenge"], origin)
    auth_data = AuthenticatorData.create(hashlib.sha256(rp_id.encode()).digest(), flags, counter)
    key = signer or credential.private_key
    signature = key.sign(bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256()))
    credential_id = websafe_encode(credential.credential_id)
    response: dict[str, Any] = {
        "clientDataJSON": websafe_encode(client_data),
        "authenticatorData": websafe_encode(auth_data),
        "signature": websafe_encode(signature),
    }
    if user_handle is not None:
        response["userHandle"] = websafe_encode(user_handle)
    return {
        "id": credential_id,
        "rawId": credential_id,
        "type": "public-key",
        "response": response,
        "clientExtensionResults": {},
    }


def assertion_answer(credential: Mapping[str, Any], options: Mapping[str, Any]) -> str:
    """The WebSDK's FIDO2_GET answer."""
    return json.dumps({"assertion_response": {"challenge": options["challenge"], **credential}})


def attestation_answer(
    credential: Mapping[str, Any], options: Mapping[str, Any], id_token: str
) -> str:
    """The WebSDK's FIDO2_CREATE answer."""
    return json.dumps(
        {
            "attestation_response": {"challenge": options["challenge"], **credential},
            "id_token": id_token,
        }
    )


def decode_b64(value: str) -> bytes:
    return websafe_decode(value)


# Cognito tokens and a JWKS endpoint -----------------------------------------------------------


class TokenMint:
    """Signs Cognito-shaped ID and access tokens; serves its JWKS over HTTP on 127.0.0.1."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex
        self.jwks_requests = 0

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [jwk]}

    def id_token(self, username: str, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": str(uuid.uuid5(uuid.NAMESPACE_DNS, username)),
            "aud": CLIENT_ID,
            "email_verified": True,
            "token_use": "id",
            "auth_time": now,
            "iss": ISSUER,
            "cognito:username": username,
            "exp": now + 3600,
            "iat": now,
            "email": f"{username}@example.com",
        }
        return self._sign(claims, overrides)

    def access_token(self, username: str, **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": str(uuid.uuid5(uuid.NAMESPACE_DNS, username)),
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": now,
            "iss": ISSUER,
            "exp": now + 3600,
            "iat": now,
            "client_id": CLIENT_ID,
            "username": username,
        }
        return self._sign(claims, overrides)

    def _sign(self, claims: dict[str, Any], overrides: Mapping[str, Any]) -> str:
        key = overrides.get("_key", self.key)
        kid = overrides.get("_kid", self.kid)
        for name, value in overrides.items():
            if name.startswith("_"):
                continue
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@contextmanager
def jwks_server(mint: TokenMint) -> Iterator[str]:
    """Serves ``/<pool>/.well-known/jwks.json``; yields the endpoint URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != f"/{POOL_ID}/.well-known/jwks.json":
                self.send_error(404)
                return
            mint.jwks_requests += 1
            body = json.dumps(mint.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# Cognito's custom-auth loop, as the service runs it ---------------------------------------


class CognitoLoop:
    """Drives Define, Create and Verify the way Cognito does for one sign-in."""

    def __init__(self, username: str, *, user_not_found: bool = False) -> None:
        self.username = username
        self.user_not_found = user_not_found
        self.session: list[dict[str, Any]] = []
        self.private: dict[str, str] = {}
        self.metadata_name = ""
        self.outcome = "challenge"

    def _next(self, metadata: Mapping[str, str] | None) -> dict[str, str] | None:
        from cognito_passkey.lambdas.handlers import create_auth_challenge, define_auth_challenge

        decision = define_auth_challenge.handler(
            define_event(
                self.username,
                self.session,
                metadata=metadata,
                user_not_found=self.user_not_found,
            ),
            LAMBDA_CONTEXT,
        )["response"]
        assert isinstance(decision["issueTokens"], bool)
        assert isinstance(decision["failAuthentication"], bool)
        if decision["issueTokens"]:
            assert not decision["failAuthentication"]
            self.outcome = "tokens"
            return None
        if decision["failAuthentication"]:
            self.outcome = "failed"
            return None
        assert decision["challengeName"] == "CUSTOM_CHALLENGE"
        created = create_auth_challenge.handler(
            create_event(
                self.username,
                self.session,
                metadata=metadata,
                user_not_found=self.user_not_found,
            ),
            LAMBDA_CONTEXT,
        )["response"]
        self.private = created["privateChallengeParameters"]
        self.metadata_name = created["challengeMetadata"]
        public: dict[str, str] = created["publicChallengeParameters"]
        assert all(isinstance(v, str) for v in public.values())
        return public

    def start(self) -> dict[str, str] | None:
        """InitiateAuth(CUSTOM_AUTH): no ClientMetadata reaches the triggers."""
        return self._next(None)

    def respond(self, answer: Any, metadata: Mapping[str, str] | None) -> dict[str, str] | None:
        """RespondToAuthChallenge: Verify, then Define (and Create for another round)."""
        from cognito_passkey.lambdas.handlers import verify_auth_challenge

        verified = verify_auth_challenge.handler(
            verify_event(
                self.username,
                self.private,
                answer,
                metadata=metadata,
                user_not_found=self.user_not_found,
            ),
            LAMBDA_CONTEXT,
        )["response"]
        assert isinstance(verified["answerCorrect"], bool)
        self.session.append(session_entry(self.metadata_name, verified["answerCorrect"]))
        return self._next(metadata)


GET = {"authentication_type": "FIDO2_GET"}
FAST = {"authentication_type": "FIDO2_GET", "fast_signin": "true"}


def create_metadata(**preferences: Any) -> dict[str, str]:
    metadata = {"authentication_type": "FIDO2_CREATE"}
    if preferences:
        metadata["attestation_options"] = json.dumps(preferences)
    return metadata


def start_registration(loop: CognitoLoop) -> dict[str, Any]:
    """Start ``loop`` and answer AUTH_PARAMS for a registration; the creation options."""
    loop.start()
    options: dict[str, Any] = json.loads(
        (loop.respond("AUTH_PARAMS", create_metadata()) or {})["public_key"]
    )
    return options


def enroll(
    mint: TokenMint, username: str, credential: ForgedCredential | None = None
) -> ForgedCredential:
    """Register ``credential`` (a new forged one unless given) for ``username``."""
    credential = credential or ForgedCredential()
    loop = CognitoLoop(username)
    options = start_registration(loop)
    answer = attestation_answer(
        forge_attestation(options, credential), options, mint.id_token(username)
    )
    loop.respond(answer, create_metadata())
    assert loop.outcome == "tokens"
    return credential


# Local AWS resources -----------------------------------------------------------------------


def make_table(endpoint: str) -> str:
    import boto3

    name = f"passkeys-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    return name


def put_secret(endpoint: str, value: str) -> str:
    import boto3

    name = f"loginid-key-{uuid.uuid4().hex[:8]}"
    client = boto3.client(
        "secretsmanager",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_secret(Name=name, SecretString=value)
    return name
