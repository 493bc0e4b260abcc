"""The CLI in-process with no server: a real PasskeyClient on a real boto3 ``cognito-idp``
client whose answers are queued with botocore's Stubber, handed to the commands through
``ctx.obj`` (``CliRunner.invoke(..., obj=Library(...))``), and a software key on disk.

The profile's endpoint is a closed loopback port, so a call nobody stubbed cannot reach
anything either.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from click.testing import CliRunner, Result
from cognito_passkey.client import Tokens, config
from cognito_passkey.client.cache import CacheEntry, CacheKey, TokenCache
from cognito_passkey.client.cli import cli
from cognito_passkey.client.cli_support import Library, build_client
from cognito_passkey.protocol.dialect import (
    AUTH_PARAMS,
    CUSTOM_CHALLENGE,
    PARAM_CHALLENGE,
    PARAM_PUBLIC_KEY,
)

from .conftest import CLIENT_ID, POOL_ID, REGION, SigningKey, closed_url, mint

if TYPE_CHECKING:
    import boto3
    from botocore.stub import Stubber
    from cognito_passkey.authenticator.soft import FileCredentialStore

RP_ID = "localhost"
ORIGIN = "https://localhost"
SESSION = "stubbed-session-" + "x" * 32


@dataclass
class StubbedCognito:
    """A boto3 ``cognito-idp`` client that answers from a queue (botocore's Stubber)."""

    client: Any
    stubber: Stubber

    def session(self) -> boto3.Session:
        """Stands in for the boto3 session PasskeyClient makes its client from."""
        return cast("boto3.Session", SimpleNamespace(client=lambda *_args, **_kwargs: self.client))

    def error(self, operation: str, code: str, message: str = "") -> None:
        self.stubber.add_client_error(
            operation, service_error_code=code, service_message=message or code
        )

    def challenge(self, *, allow: list[bytes] | None = None) -> None:
        """Round 1 of the 2-call dialect: AUTH_PARAMS with assertion options for ``RP_ID``."""
        options = {
            "challenge": _b64(os.urandom(32)),
            "rpId": RP_ID,
            "timeout": 60000,
            "userVerification": "preferred",
            "allowCredentials": [{"type": "public-key", "id": _b64(raw)} for raw in (allow or [])],
        }
        self.stubber.add_response(
            "initiate_auth",
            {
                "ChallengeName": CUSTOM_CHALLENGE,
                "Session": SESSION,
                "ChallengeParameters": {
                    PARAM_CHALLENGE: AUTH_PARAMS,
                    PARAM_PUBLIC_KEY: json.dumps({"publicKey": options}),
                },
            },
        )

    def signed_in(self, tokens: Tokens) -> None:
        """The answer to the assertion: the tokens."""
        self.stubber.add_response(
            "respond_to_auth_challenge",
            {
                "AuthenticationResult": {
                    "IdToken": tokens.id_token,
                    "AccessToken": tokens.access_token,
                    "RefreshToken": tokens.refresh_token or "refresh",
                    "ExpiresIn": 3600,
                    "TokenType": "Bearer",
                },
                "ChallengeParameters": {},
            },
        )

    def signed_up(self, *, confirmed: bool = False) -> None:
        self.stubber.add_response(
            "sign_up",
            {
                "UserConfirmed": confirmed,
                "UserSub": "00000000-0000-4000-8000-000000000000",
                "CodeDeliveryDetails": {
                    "Destination": "n***@example.com",
                    "DeliveryMedium": "EMAIL",
                    "AttributeName": "email",
                },
            },
        )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@contextlib.contextmanager
def stubbed_cognito() -> Iterator[StubbedCognito]:
    """A stubbed client for one test; every queued answer must have been used by its end."""
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("cognito-idp", region_name=REGION)
    with Stubber(client) as stubber:
        yield StubbedCognito(client, stubber)
        stubber.assert_no_pending_responses()


@dataclass
class Offline:
    """A profile for a pool that exists only in the stub, a software key, and the cache."""

    cognito: StubbedCognito
    signing_key: SigningKey
    store: Path
    username: str = "carol"
    endpoint_url: str = field(default_factory=closed_url)
    runner: CliRunner = field(default_factory=CliRunner)
    user_pool_id: str = POOL_ID
    client_id: str = CLIENT_ID
    rp_id: str = RP_ID

    def write_profile(self, **changes: str) -> None:
        values = {
            "user_pool_id": self.user_pool_id,
            "client_id": self.client_id,
            "endpoint_url": self.endpoint_url,
            "authenticator": f"soft:{self.store}",
            "origin": ORIGIN,
            "rp_id": self.rp_id,
        }
        config.write_profile("default", {**values, **changes})

    def library(self) -> Library:
        client: Callable[..., Any] = functools.partial(
            build_client, boto_session=self.cognito.session()
        )
        return Library(client=client)

    def run(
        self,
        *args: str,
        input: str | None = None,
        env: dict[str, str] | None = None,
        stubbed: bool = True,
    ) -> Result:
        """``cognito-passkey ARGS``; ``stubbed=False`` lets the real client meet the endpoint."""
        library = self.library() if stubbed else Library()
        return self.runner.invoke(cli, list(args), input=input, env=env, obj=library)

    def tokens(self, username: str | None = None, *, lifetime: int = 3600) -> Tokens:
        """Tokens the pool would issue to ``username``, signed by the test pool key."""
        name = username or self.username
        return Tokens(
            id_token=mint(self.signing_key, username=name, lifetime=lifetime),
            access_token=mint(self.signing_key, username=name, token_use="access"),
            refresh_token="refresh-" + name,
            expires_at=int(time.time()) + lifetime,
        )

    def key(self) -> CacheKey:
        return CacheKey("default", self.user_pool_id, self.client_id, self.endpoint_url)

    def signed_in(self, username: str | None = None) -> Tokens:
        """Cache a sign-in, as ``sign-in`` would have left it."""
        tokens = self.tokens(username)
        TokenCache().save(self.key(), username or self.username, tokens)
        return tokens

    def cached(self, username: str | None = None) -> CacheEntry | None:
        return TokenCache().load(self.key(), username or self.username)

    def enrol(self, username: str | None = None) -> FileCredentialStore:
        """A passkey for ``username`` in the software key, as ``add-passkey`` leaves it."""
        from cognito_passkey.authenticator.soft import FileCredentialStore
        from cognito_passkey.authenticator.soft.credential import StoredCredential
        from fido2.cose import ES256

        name = username or self.username
        store = FileCredentialStore(self.store)
        credential = StoredCredential.generate(
            rp_id=self.rp_id,
            user_id=name.encode(),
            algorithm=ES256.ALGORITHM,
            discoverable=True,
            user_name=name,
        )
        store.add_credential(credential)
        return store


def offline_setup(cognito: StubbedCognito, signing_key: SigningKey, tmp_path: Path) -> Offline:
    """The default profile written for a stubbed pool, with a software key in ``tmp_path``."""
    setup = Offline(cognito, signing_key, tmp_path / "soft.json")
    setup.write_profile()
    return setup
