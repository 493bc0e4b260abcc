"""Calls to the Cognito user pools API: retries, SECRET_HASH, error translation.

boto3 is imported only when the first call is made, so that importing the client
(or running ``--help``) stays fast. Throttling is retried here with bounded
exponential backoff and full jitter; botocore's own retries are switched off so
that a refused connection fails at once and the two never multiply.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

from cognito_passkey.client import errors

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

THROTTLING_CODES: Final = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded"}
)
TRIGGER_CODES: Final = frozenset(
    {"UserLambdaValidationException", "InvalidLambdaResponseException", "UnexpectedLambdaException"}
)

Context = Literal["auth", "signup", "other"]
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter for throttled calls."""

    attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def delay(self, retry: int) -> float:
        """The pause before retry number ``retry`` (0-based): uniform in [0, cap]."""
        cap: float = min(self.max_delay, self.base_delay * 2.0**retry)
        return cap * self.jitter()


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """Cognito's SECRET_HASH: base64(HMAC-SHA256(secret, username + client_id)).

    pycognito's own (its SRP sign-in sends the same); imported here, not at the top, because
    pycognito loads boto3 and requests.
    """
    from pycognito.aws_srp import AWSSRP

    value: str = AWSSRP.get_secret_hash(username, client_id, client_secret)
    return value


def client_config(*, read_timeout: float, unsigned: bool = False) -> Config:
    """The botocore config of every Cognito client: a single attempt (throttling is retried
    by :meth:`CognitoApi.retrying`, and a refused connection must fail at once), bounded
    waits and our user agent. ``unsigned`` for calls whose proof is a token, so that no AWS
    credentials are looked for."""
    from botocore.config import Config

    signing: dict[str, Any] = {}
    if unsigned:
        from botocore import UNSIGNED

        signing["signature_version"] = UNSIGNED
    return Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=10,
        read_timeout=read_timeout,
        user_agent_extra="cognito-passkey",
        **signing,
    )


class CognitoApi:
    """One app client of one user pool, as the client sees it."""

    def __init__(
        self,
        *,
        client_id: str,
        region: str,
        client_secret: str | None = None,
        endpoint_url: str | None = None,
        boto_session: boto3.Session | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.client_id = client_id
        self.region = region
        self.endpoint_url = endpoint_url
        self._client_secret = client_secret
        self._boto_session = boto_session
        self._client: CognitoIdentityProviderClient | None = None
        self.retry = retry or RetryPolicy()

    @property
    def has_secret(self) -> bool:
        """True when the app client has a secret (SECRET_HASH goes on every call)."""
        return bool(self._client_secret)

    @property
    def client(self) -> CognitoIdentityProviderClient:
        """The boto3 ``cognito-idp`` client, made on first use."""
        if self._client is None:
            import boto3

            session = self._boto_session or boto3.session.Session()
            self._client = session.client(
                "cognito-idp",
                region_name=self.region,
                endpoint_url=self.endpoint_url,
                config=client_config(read_timeout=60),
            )
        return self._client

    def secret_hash_for(self, username: str) -> str | None:
        """SECRET_HASH for ``username``, or None when the app client has no secret."""
        if not self._client_secret:
            return None
        return secret_hash(username, self.client_id, self._client_secret)

    def with_secret_hash(self, username: str, params: dict[str, str]) -> dict[str, str]:
        """``params`` plus SECRET_HASH for ``username`` when the app client has a secret."""
        value = self.secret_hash_for(username)
        if value is not None:
            params["SECRET_HASH"] = value
        return params

    def call(self, operation: str, *, context: Context = "auth", **kwargs: Any) -> dict[str, Any]:
        """Call ``operation`` (a boto3 method name), retrying throttling, translating errors."""
        method = getattr(self.client, operation)
        return self.retrying(lambda: method(**kwargs), operation=operation, context=context)

    def retrying(self, attempt: Callable[[], T], *, operation: str, context: Context = "auth") -> T:
        """Run ``attempt`` (one or more boto3 calls), again after throttling, errors translated.

        ``attempt`` must be safe to repeat from its start: a throttled call did nothing.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        retry = 0
        while True:
            try:
                return attempt()
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", ""))
                if code in THROTTLING_CODES and retry + 1 < self.retry.attempts:
                    self.retry.sleep(self.retry.delay(retry))
                    retry += 1
                    continue
                raise translate_client_error(
                    exc, context=context, operation=operation, endpoint=self.endpoint_url
                ) from exc
            except BotoCoreError as exc:
                raise translate_botocore_error(exc, endpoint=self.endpoint_url) from exc


def translate_client_error(
    exc: Any, *, context: Context = "auth", operation: str = "", endpoint: str | None = None
) -> errors.PasskeyClientError:
    """Map a botocore ``ClientError`` to the client's exception for it, which keeps
    Cognito's error code as ``code`` (a caller that knows more about the operation reads it)."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    message = str(error.get("Message", "") or code).strip()
    translated = _translated(code, message, status, context, operation, endpoint)
    translated.code = code
    return translated


def _translated(
    code: str,
    message: str,
    status: object,
    context: Context,
    operation: str,
    endpoint: str | None,
) -> errors.PasskeyClientError:
    lowered = message.lower()
    if code.isdigit() and message == code:
        # botocore names an error by its HTTP status when the body carried none: not Cognito.
        where = endpoint or "the Cognito endpoint"
        if code == "404":
            return errors.ConfigurationError(
                f"no Cognito API at {where} (HTTP 404): check endpoint_url and region"
            )
        return errors.CognitoError(f"{where} answered HTTP {code} with no Cognito error", code=code)
    if code in THROTTLING_CODES:
        return errors.ThrottledError(f"Cognito is throttling requests ({code}); try again later")
    if code in TRIGGER_CODES:
        return errors.TriggerError(
            f"sign-in failed: a user pool trigger rejected the request ({code}: {message})"
        )
    if code == "NotAuthorizedException":
        if "secret hash" in lowered or "configured for secret" in lowered:
            return errors.ConfigurationError(
                f"the app client secret is missing or wrong: {message}"
            )
        if "session" in lowered:
            return errors.SessionExpiredError(
                f"the sign-in session expired or is invalid; start again ({message})"
            )
        if "refresh token" in lowered:
            return errors.NotAuthorizedError(f"the refresh token was refused: {message}")
        return errors.NotAuthorizedError(f"not authorized: {message}")
    if code == "UserNotFoundException":
        return errors.UserNotFoundError(f"no such user: {message}")
    if code == "UserNotConfirmedException":
        return errors.UserNotConfirmedError(f"the user is not confirmed yet: {message}")
    if code == "PasswordResetRequiredException":
        return errors.PasswordResetRequiredError(f"the user must reset their password: {message}")
    if code == "TooManyFailedAttemptsException":
        return errors.NotAuthorizedError(f"too many failed attempts: {message}")
    if code in ("CodeMismatchException", "ExpiredCodeException"):
        if context == "signup":
            if code == "CodeMismatchException":
                return errors.CodeMismatchError(f"the confirmation code is wrong: {message}")
            return errors.CodeExpiredError(f"the confirmation code expired: {message}")
        return errors.SessionExpiredError(
            f"the sign-in session expired or is invalid; start again ({message})"
        )
    if code in ("UsernameExistsException", "AliasExistsException"):
        return errors.UsernameExistsError(f"the user already exists: {message}")
    if code == "InvalidPasswordException":
        return errors.InvalidPasswordError(f"the password was refused: {message}")
    if code == "ResourceNotFoundException":
        return errors.ConfigurationError(
            f"user pool or app client not found (check user_pool_id, client_id, region, "
            f"endpoint_url): {message}"
        )
    if code == "InvalidParameterException":
        if "flow" in lowered and "not enabled" in lowered:
            return errors.ConfigurationError(f"the app client does not allow this flow: {message}")
        return errors.InvalidParameterError(f"Cognito refused a parameter: {message}")
    if code in ("AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId"):
        return errors.ConfigurationError(
            f"AWS refused the credentials for {operation or 'this call'}: {message}"
        )
    detail = f": {message}" if message and message != code else ""
    return errors.CognitoError(
        f"Cognito error {code or status or 'unknown'}{detail}", code=code, detail=message
    )


def translate_botocore_error(exc: Exception, *, endpoint: str | None) -> errors.PasskeyClientError:
    """Map a botocore transport/config error to NetworkError or ConfigurationError."""
    from botocore import exceptions as bx

    where = endpoint or "Cognito"
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return errors.ConfigurationError(
            "this step needs AWS credentials (an admin call) and none were found"
        )
    if isinstance(exc, bx.NoRegionError):
        return errors.ConfigurationError("no AWS region configured")
    if isinstance(
        exc,
        bx.EndpointConnectionError
        | bx.ConnectionClosedError
        | bx.ConnectTimeoutError
        | bx.ReadTimeoutError
        | bx.HTTPClientError,
    ):
        return errors.NetworkError(f"cannot reach {where}: {type(exc).__name__}")
    if isinstance(exc, bx.ParamValidationError):
        return errors.InvalidParameterError(f"invalid request: {exc}")
    return errors.NetworkError(f"request to {where} failed: {exc}")
