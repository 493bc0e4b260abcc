"""Fixtures for the client tests: isolated config and cache, and, for forged-token edge
cases only, an RSA test key with a JWKS server of our own and token minting.

The user pools the client talks to are the real local AWS (``stack_fixtures``: one
ministack per session, the real trigger Lambdas). Servers bind 127.0.0.1 on a free port
and are shut down by their fixture.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from .loopback import Loopback, QuietHandler

REGION = "eu-west-1"
POOL_ID = "eu-west-1_TestPool1"
CLIENT_ID = "testclient123"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"


@dataclass
class SigningKey:
    """An RS256 key with its kid, as a user pool would have."""

    private: rsa.RSAPrivateKey
    kid: str

    def jwk(self) -> dict[str, Any]:
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        data.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return dict(data)


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "kid-1")


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), "kid-1")


def mint(
    key: SigningKey,
    *,
    token_use: str = "id",  # noqa: S107 - a token kind
    username: str = "alice",
    client_id: str = CLIENT_ID,
    issuer: str = ISSUER,
    lifetime: int = 3600,
    **extra: Any,
) -> str:
    """A Cognito-shaped token signed by ``key``."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, username)),
        "iss": issuer,
        "token_use": token_use,
        "iat": now,
        "auth_time": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    if token_use == "id":
        claims.update({"aud": client_id, "cognito:username": username})
    else:
        claims.update({"client_id": client_id, "username": username, "scope": "aws.cognito"})
    claims.update(extra)
    return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})


@dataclass
class JwksServer:
    """Serves ``document`` (or ``raw``, when set) at /{pool}/.well-known/jwks.json; counts
    the fetches."""

    document: dict[str, Any]
    raw: bytes | None = None
    url: str = ""
    fetches: int = 0
    paths: list[str] = field(default_factory=list)


_reserved: list[socket.socket] = []


def closed_url() -> str:
    """A loopback URL where nothing listens.

    The port stays bound (never listening) for the whole session, so a connection is
    refused at once and no other program on the machine can take the port meanwhile.
    """
    if not _reserved:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        _reserved.append(sock)
    return f"http://127.0.0.1:{_reserved[0].getsockname()[1]}"


@pytest.fixture
def jwks_server(signing_key: SigningKey) -> Iterator[JwksServer]:
    state = JwksServer({"keys": [signing_key.jwk()]})

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            state.paths.append(self.path)
            if self.path != f"/{POOL_ID}/.well-known/jwks.json":
                self.send_error(404)
                return
            state.fetches += 1
            body = json.dumps(state.document).encode() if state.raw is None else state.raw
            self.send_body(200, body)

    running = Loopback(Handler)
    state.url = running.url
    try:
        yield state
    finally:
        running.stop()


@pytest.fixture(autouse=True)
def _isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test gets its own config file and token cache, never the user's."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COGNITO_PASSKEY_CONFIG", str(base / "config.ini"))
    monkeypatch.setenv("COGNITO_PASSKEY_CACHE_DIR", str(base / "cache"))
    for name in (
        "COGNITO_PASSKEY_PROFILE",
        "COGNITO_PASSKEY_USER_POOL_ID",
        "COGNITO_PASSKEY_CLIENT_ID",
        "COGNITO_PASSKEY_REGION",
        "COGNITO_PASSKEY_ENDPOINT_URL",
        "COGNITO_PASSKEY_CLIENT_SECRET",
        "COGNITO_PASSKEY_AUTHENTICATOR",
        "COGNITO_PASSKEY_ORIGIN",
        "COGNITO_PASSKEY_RP_ID",
        "COGNITO_PASSKEY_MANAGEMENT_URL",
        "COGNITO_PASSKEY_DEBUG",
        "COGNITO_PASSKEY_SOFT_PASSPHRASE",
        "COGNITO_PASSKEY_PIN",
        "COGNITO_PASSKEY_SOFT_STORE",
        "CI",  # CI=true means --non-interactive; tests that pipe answers must not inherit it
    ):
        monkeypatch.delenv(name, raising=False)
    # boto3 must never find real credentials or config in tests.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(base / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(base / "aws-credentials"))
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
