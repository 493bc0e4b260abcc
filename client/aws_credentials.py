"""AWS credentials from a user-pool ID token, through a Cognito identity pool.

``GetId`` then ``GetCredentialsForIdentity`` turn the ID token into temporary AWS
credentials, which are printed in the AWS CLI's ``credential_process`` form. Both calls
are unsigned (the ID token is the proof), so no AWS credentials are needed to get
some. The credentials are cached beside the tokens (same directory, same checks, 0600,
atomic) and reused until :data:`REFRESH_MARGIN_SECONDS` before they expire; the
identity id is kept with them, as ``GetId`` answers the same id for the same user.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

from cognito_passkey.authenticator._files import UnsafePathError, check_private_dir
from cognito_passkey.client import errors
from cognito_passkey.client.cache import default_cache_dir, warn_on_stderr
from cognito_passkey.client.private_json import parse_document, read_private, write_document
from cognito_passkey.protocol import pools

REFRESH_MARGIN_SECONDS: Final = 15 * 60.0
"""Cached credentials are replaced this long before they expire: botocore (so the AWS CLI
and boto3) runs credential_process again once credentials have less than 15 minutes left,
and credentials closer to expiry than that would have it run the command on every call."""
FORMAT_VERSION: Final = 1
MAX_FILE_BYTES: Final = 64 * 1024
FILE_SUFFIX: Final = ".aws-credentials"
"""Not ``.json``, the token cache's ending: the two kinds of file never share a name."""
THROTTLING_CODES: Final = frozenset({"TooManyRequestsException", "ThrottlingException"})


@dataclass(frozen=True)
class AwsCredentials:
    """Temporary AWS credentials of one identity."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: float
    """Unix seconds (UTC)."""
    identity_id: str = ""

    def expires_within(self, seconds: float, *, now: float | None = None) -> bool:
        return self.expiration - seconds <= (time.time() if now is None else now)

    def process_output(self) -> dict[str, Any]:
        """The AWS CLI's ``credential_process`` document (Version 1)."""
        expiration = datetime.fromtimestamp(self.expiration, tz=timezone.utc)
        return {
            "Version": 1,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "session_token": self.session_token,
            "expiration": self.expiration,
            "identity_id": self.identity_id,
        }

    @classmethod
    def from_dict(cls, data: Any) -> AwsCredentials:
        """Parse a cached document; ValueError when anything is missing or mistyped."""
        if not isinstance(data, dict):
            raise ValueError("not an object")
        strings = ("access_key_id", "secret_access_key", "session_token", "identity_id")
        if not all(isinstance(data.get(key), str) for key in strings):
            raise ValueError("missing fields")
        expiration = data.get("expiration")
        if isinstance(expiration, bool) or not isinstance(expiration, int | float):
            raise ValueError("bad expiration")
        if not (data["access_key_id"] and data["secret_access_key"] and data["session_token"]):
            raise ValueError("empty credentials")
        return cls(
            access_key_id=data["access_key_id"],
            secret_access_key=data["secret_access_key"],
            session_token=data["session_token"],
            expiration=float(expiration),
            identity_id=data["identity_id"],
        )


def identity_pool_region(identity_pool_id: str) -> str:
    """``eu-west-1:UUID`` -> ``eu-west-1``; a malformed id is a configuration error."""
    match = pools.IDENTITY_POOL_ID.match(identity_pool_id)
    if match is None:
        raise errors.ConfigurationError(
            f"identity_pool_id {identity_pool_id!r} is malformed (expected REGION:UUID)"
        )
    return match.group("region")


def login_provider(user_pool_id: str) -> str:
    """The ``Logins`` key of a user pool: its token issuer without the scheme."""
    return pools.issuer(user_pool_id).removeprefix("https://")


class IdentityPoolApi:
    """Unsigned ``cognito-identity`` calls of one identity pool."""

    def __init__(
        self,
        identity_pool_id: str,
        *,
        endpoint_url: str | None = None,
        client: Any = None,
    ) -> None:
        self.identity_pool_id = identity_pool_id
        self.region = identity_pool_region(identity_pool_id)
        self.endpoint_url = endpoint_url
        self._client = client

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use; UNSIGNED, so no AWS credentials are read."""
        if self._client is None:
            import boto3
            from cognito_passkey.client.cognito import client_config

            self._client = boto3.session.Session().client(
                "cognito-identity",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=client_config(read_timeout=30, unsigned=True),
            )
        return self._client

    def credentials_for(
        self,
        id_token: str,
        *,
        user_pool_id: str,
        identity_id: str | None = None,
        role_arn: str | None = None,
    ) -> AwsCredentials:
        """Exchange ``id_token`` for credentials; ``identity_id`` skips ``GetId`` when known.

        A remembered identity id the pool no longer knows is looked up again once.
        """
        logins = {login_provider(user_pool_id): id_token}
        if identity_id:
            try:
                return self._credentials(identity_id, logins, role_arn)
            except errors.ConfigurationError:
                pass  # the identity (or its pool) was deleted: ask for the id again
        found = self._call("get_id", IdentityPoolId=self.identity_pool_id, Logins=logins)
        return self._credentials(str(found["IdentityId"]), logins, role_arn)

    def _credentials(
        self, identity_id: str, logins: dict[str, str], role_arn: str | None
    ) -> AwsCredentials:
        arguments: dict[str, Any] = {"IdentityId": identity_id, "Logins": logins}
        if role_arn:
            arguments["CustomRoleArn"] = role_arn
        answer = self._call("get_credentials_for_identity", **arguments)
        raw = answer.get("Credentials") or {}
        expiration = raw.get("Expiration")
        if isinstance(expiration, datetime):
            expires = expiration.timestamp()
        elif isinstance(expiration, int | float) and not isinstance(expiration, bool):
            expires = float(expiration)
        else:
            raise errors.ProtocolError("GetCredentialsForIdentity answered no expiration")
        try:
            return AwsCredentials(
                access_key_id=str(raw["AccessKeyId"]),
                secret_access_key=str(raw["SecretKey"]),
                session_token=str(raw["SessionToken"]),
                expiration=expires,
                identity_id=str(answer.get("IdentityId") or identity_id),
            )
        except KeyError as exc:
            raise errors.ProtocolError(
                f"GetCredentialsForIdentity answered no {exc.args[0]}"
            ) from None

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError
        from cognito_passkey.client.cognito import translate_botocore_error

        try:
            answer: dict[str, Any] = getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            raise translate_identity_error(exc, self.identity_pool_id) from exc
        except BotoCoreError as exc:
            where = self.endpoint_url or f"Cognito identity ({self.region})"
            raise translate_botocore_error(exc, endpoint=where) from exc
        return answer


def translate_identity_error(exc: Any, identity_pool_id: str) -> errors.PasskeyClientError:
    """A ``cognito-identity`` ClientError as the client's exception (one line, exit code)."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", "") or code).strip().replace("\n", " ")
    if code == "NotAuthorizedException":
        return errors.NotAuthorizedError(f"the identity pool refused the ID token: {message}")
    if code == "ResourceNotFoundException":
        return errors.ConfigurationError(
            f"identity pool {identity_pool_id} not found (check identity_pool_id, endpoint_url): "
            f"{message}"
        )
    if code in ("InvalidIdentityPoolConfigurationException", "InvalidParameterException"):
        return errors.ConfigurationError(f"identity pool {identity_pool_id}: {code}: {message}")
    if code in THROTTLING_CODES or code == "LimitExceededException":
        return errors.ThrottledError(f"Cognito identity is throttling requests ({code})")
    return errors.CognitoError(f"Cognito identity error {code}: {message}", code=code)


@dataclass(frozen=True)
class CredentialsKey:
    """Whose credentials: the profile, user, user pool, app client, endpoint, identity pool
    and role are all part of it."""

    profile: str
    username: str
    user_pool_id: str
    client_id: str
    identity_pool_id: str
    endpoint_url: str | None = None
    role_arn: str | None = None

    def scope(self) -> str:
        parts = (
            self.user_pool_id,
            self.client_id,
            self.endpoint_url or "",
            self.identity_pool_id,
            self.role_arn or "",
            self.username,
        )
        return "|".join(parts)


class CredentialsCache:
    """Cached AWS credentials in the token cache directory; never raises for a damaged file."""

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        warn: Callable[[str], None] = warn_on_stderr,
    ) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        self._warn = warn

    def path_for(self, key: CredentialsKey) -> Path:
        digest = hashlib.sha256(key.scope().encode()).hexdigest()[:24]
        return self.directory / f"{key.profile}.{digest}{FILE_SUFFIX}"

    def load(self, key: CredentialsKey) -> AwsCredentials | None:
        """The cached credentials of ``key``, or None when absent, damaged or not its own."""
        path = self.path_for(key)
        try:
            check_private_dir(self.directory)
            raw, _opened = read_private(path, max_bytes=MAX_FILE_BYTES)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except UnsafePathError as exc:
            raise errors.ConfigurationError(f"credentials cache: {exc}") from None
        except OSError as exc:
            self._warn(f"ignoring unreadable AWS credentials cache {path}: {exc.strerror}")
            return None
        try:
            document = parse_document(raw, max_bytes=MAX_FILE_BYTES, version=FORMAT_VERSION)
            credentials = AwsCredentials.from_dict(document.get("credentials"))
        except ValueError:
            self._warn(f"ignoring damaged AWS credentials cache {path} (it will be replaced)")
            return None
        if document.get("scope") != key.scope():
            return None
        return credentials

    def save(self, key: CredentialsKey, credentials: AwsCredentials) -> Path:
        """Store ``credentials`` (0600, atomic); returns the file."""
        path = self.path_for(key)
        document = {
            "version": FORMAT_VERSION,
            "profile": key.profile,
            "scope": key.scope(),
            "saved_at": time.time(),
            "credentials": credentials.to_dict(),
        }
        try:
            write_document(self.directory, path, document)
        except UnsafePathError as exc:
            raise errors.ConfigurationError(f"credentials cache: {exc}") from None
        return path

    def delete(self, key: CredentialsKey) -> bool:
        try:
            self.path_for(key).unlink()
        except FileNotFoundError:
            return False
        return True


@dataclass(frozen=True)
class Obtained:
    """Credentials and where they came from (``cache`` or ``exchange``)."""

    credentials: AwsCredentials
    source: str


def obtain_credentials(
    key: CredentialsKey,
    id_token: Callable[[], str],
    api: IdentityPoolApi,
    cache: CredentialsCache | None,
    *,
    margin: float = REFRESH_MARGIN_SECONDS,
    warn: Callable[[str], None] = warn_on_stderr,
) -> Obtained:
    """Cached credentials still valid beyond ``margin``, else new ones for ``id_token()``.

    ``id_token`` is called only when an exchange is needed (it may refresh or sign in).
    A cache that cannot be written costs a warning, never the credentials.
    """
    cached = cache.load(key) if cache is not None else None
    if cached is not None and not cached.expires_within(margin):
        return Obtained(cached, "cache")
    credentials = api.credentials_for(
        id_token(),
        user_pool_id=key.user_pool_id,
        identity_id=cached.identity_id if cached is not None else None,
        role_arn=key.role_arn,
    )
    if cache is not None:
        try:
            cache.save(key, credentials)
        except OSError as exc:
            warn(f"could not cache the AWS credentials ({exc.strerror or exc}); continuing")
    return Obtained(credentials, "exchange")
