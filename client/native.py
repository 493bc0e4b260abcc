"""Cognito's own passkeys: choice-based sign-in (``USER_AUTH``) and the WebAuthn operations.

:class:`NativePasskeyClient` is a :class:`PasskeyClient` whose passkey sign-in and
registration speak the user pool's native API instead of the custom-auth triggers; the
authenticator, the RP-ID checks, SECRET_HASH, refresh, sign-out and token verification are
the parent's. :class:`NativePasskeyManager` lists and deletes the passkeys Cognito keeps on
the user record, with the interface of the self-hosted backend's ``PasskeyManager``.
docs/native-passkeys.md lists the Cognito behaviours this relies on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from cognito_passkey.client.cognito import CognitoApi
from cognito_passkey.client.errors import (
    AuthenticationError,
    CognitoError,
    ConfigurationError,
    InvalidParameterError,
    ManagementError,
    PasskeyClientError,
    ProtocolError,
    SessionExpiredError,
    UnexpectedChallengeError,
)
from cognito_passkey.client.passkey_client import (
    Enrolled,
    PasskeyClient,
    _require_username,
    add_note,
)
from cognito_passkey.client.tokens import Tokens, unverified_claims
from cognito_passkey.protocol.management import Passkey

__all__ = ["NativePasskeyClient", "NativePasskeyManager", "native_error"]

USER_AUTH: Final = "USER_AUTH"
WEB_AUTHN: Final = "WEB_AUTHN"
SELECT_CHALLENGE: Final = "SELECT_CHALLENGE"
PASSWORD: Final = "PASSWORD"  # noqa: S105 - a challenge name, not a secret
CUSTOM_CHALLENGE: Final = "CUSTOM_CHALLENGE"
REQUEST_OPTIONS: Final = "CREDENTIAL_REQUEST_OPTIONS"
MAX_ROUNDS: Final = 3
"""InitiateAuth, SELECT_CHALLENGE, WEB_AUTHN: a sign-in never needs more answers."""
PAGE_SIZE: Final = 20
"""ListWebAuthnCredentials' largest MaxResults."""

_CONFIG_CODES: Final = frozenset(
    {
        "WebAuthnNotEnabledException",
        "WebAuthnConfigurationMissingException",
        "OperationNotEnabledException",
        "FeatureUnavailableInTierException",
        "WebAuthnRelyingPartyMismatchException",
        "WebAuthnOriginNotAllowedException",
        "WebAuthnClientMismatchException",
    }
)


def native_error(exc: PasskeyClientError) -> PasskeyClientError:
    """The clear error for a WebAuthn error code the generic translation leaves as
    :class:`CognitoError` (Cognito's code kept as ``code``); any other error unchanged."""
    if not isinstance(exc, CognitoError):
        return exc
    clear = _webauthn_error(exc.code, exc.detail)
    if clear is None:
        return exc
    clear.code = exc.code
    return clear


def _webauthn_error(code: str, detail: str) -> PasskeyClientError | None:
    if code in _CONFIG_CODES:
        return ConfigurationError(
            f"the user pool does not allow passkeys for this client ({code}: {detail}); "
            "check its WebAuthn relying party, feature plan and sign-in policy"
        )
    if code == "WebAuthnChallengeNotFoundException":
        return SessionExpiredError(
            f"the passkey registration expired or was already completed; start again ({detail})"
        )
    if code == "WebAuthnCredentialNotSupportedException":
        return InvalidParameterError(
            f"the user pool does not accept this authenticator's credential ({detail})"
        )
    return None


class _NativeApi:
    """``CognitoApi.call`` with the WebAuthn error codes translated too."""

    def __init__(self, api: CognitoApi) -> None:
        self.api = api

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return self.api.call(operation, **kwargs)
        except PasskeyClientError as exc:
            translated = native_error(exc)
            if translated is exc:
                raise
            raise translated from exc


class NativePasskeyClient(PasskeyClient):
    """Passkey sign-in on a user pool that keeps the passkeys itself (``flow = native``)."""

    flow: Final = "native"

    def __repr__(self) -> str:
        return (
            f"NativePasskeyClient(user_pool_id={self.user_pool_id!r}, client_id={self.client_id!r})"
        )

    @property
    def native(self) -> _NativeApi:
        return _NativeApi(self.api)

    # -- sign-in -------------------------------------------------------------------

    def sign_in_passkey(self, username: str) -> Tokens:
        """``InitiateAuth(USER_AUTH, PREFERRED_CHALLENGE=WEB_AUTHN)``, the ``WEB_AUTHN``
        challenge answered by the authenticator; a ``SELECT_CHALLENGE`` answer is met by
        choosing ``WEB_AUTHN``."""
        _require_username(username)
        return self._user_auth(username, {"PREFERRED_CHALLENGE": WEB_AUTHN}, self._webauthn)

    def sign_in_password(self, username: str, password: str) -> Tokens:
        """Password sign-in through choice-based sign-in (``SELECT_CHALLENGE`` answered
        ``PASSWORD``): a native pool's app client need not allow SRP. The password travels
        to Cognito over TLS, as in ``USER_PASSWORD_AUTH``."""
        _require_username(username)

        def answer(_name: str, _response: Mapping[str, Any], _user: str) -> dict[str, str]:
            raise UnexpectedChallengeError("Cognito asked for a passkey during a password sign-in")

        return self._user_auth(username, {}, answer, select=PASSWORD, password=password)

    def _user_auth(
        self,
        username: str,
        extra: dict[str, str],
        answer: Any,
        *,
        select: str = WEB_AUTHN,
        password: str | None = None,
    ) -> Tokens:
        started = time.time()
        try:
            response = self.native.call(
                "initiate_auth",
                AuthFlow=USER_AUTH,
                ClientId=self.client_id,
                AuthParameters=self.api.with_secret_hash(username, {"USERNAME": username, **extra}),
            )
        except ConfigurationError as exc:
            if "flow" in str(exc):
                add_note(
                    exc,
                    "choice-based sign-in needs ALLOW_USER_AUTH on the app client; a pool "
                    "that signs in through the custom-auth triggers needs flow = custom",
                )
            raise
        for _round in range(MAX_ROUNDS):
            result = response.get("AuthenticationResult")
            if result:
                return self.issued_here(Tokens.from_authentication_result(result, now=started))
            name = response.get("ChallengeName")
            session = response.get("Session")
            if not session:
                raise ProtocolError("Cognito's challenge carries no session")
            params: Mapping[str, str] = response.get("ChallengeParameters") or {}
            user = params.get("USERNAME") or username
            if name == SELECT_CHALLENGE:
                responses = self._select(response, user, select, password)
            elif name == WEB_AUTHN:
                responses = answer(name, response, user)
            elif name == CUSTOM_CHALLENGE:
                raise UnexpectedChallengeError(
                    "this user pool signs in through the custom-auth triggers: set flow = custom"
                )
            else:
                raise UnexpectedChallengeError(
                    f"Cognito asked for the {name or 'unknown'} challenge, which this client "
                    "does not answer"
                )
            started = time.time()
            response = self.native.call(
                "respond_to_auth_challenge",
                ClientId=self.client_id,
                ChallengeName=name,
                Session=session,
                ChallengeResponses=self.api.with_secret_hash(user, responses),
            )
        raise ProtocolError(f"Cognito asked for more than {MAX_ROUNDS} challenge answers")

    @staticmethod
    def _select(
        response: Mapping[str, Any], user: str, choice: str, password: str | None
    ) -> dict[str, str]:
        available = [str(item) for item in response.get("AvailableChallenges") or ()]
        if choice not in available:
            offered = ", ".join(available) or "nothing"
            what = "passkey" if choice == WEB_AUTHN else "password"
            raise UnexpectedChallengeError(
                f"the user pool offers no {what} sign-in to {user!r} (it offers {offered}): "
                + (
                    "WEB_AUTHN is not an allowed first factor of the pool, or the user has "
                    "no passkey (add one with add-passkey)"
                    if choice == WEB_AUTHN
                    else "PASSWORD is not an allowed first factor of the pool"
                )
            )
        responses = {"USERNAME": user, "ANSWER": choice}
        if password is not None:
            responses[PASSWORD] = password
        return responses

    def _webauthn(self, _name: str, response: Mapping[str, Any], user: str) -> dict[str, str]:
        params: Mapping[str, str] = response.get("ChallengeParameters") or {}
        options = _json_object(params.get(REQUEST_OPTIONS), REQUEST_OPTIONS)
        if not isinstance(options.get("challenge"), str):
            raise ProtocolError(f"the challenge's {REQUEST_OPTIONS} has no challenge")
        credential = self._get_assertion(options)
        return {"USERNAME": user, "CREDENTIAL": json.dumps(credential, separators=(",", ":"))}

    # -- registration --------------------------------------------------------------

    def enroll_passkey(
        self,
        username: str,
        id_token: str,
        *,
        access_token: str | None = None,
        timeout_s: int | None = None,
        require_usernameless: bool | None = None,
    ) -> Enrolled:
        """``StartWebAuthnRegistration`` → authenticator → ``CompleteWebAuthnRegistration``.

        Cognito issues no tokens for a registration: the tokens returned are the ones given
        (without a refresh token: keep the caller's). The credential id is the one
        ``ListWebAuthnCredentials`` and ``DeleteWebAuthnCredential`` use."""
        _require_username(username)
        if not access_token:
            raise AuthenticationError(
                "adding a passkey on a native pool needs the user's access token: sign in first"
            )
        started = self.native.call(
            "start_web_authn_registration", context="other", AccessToken=access_token
        )
        options = started.get("CredentialCreationOptions")
        if not isinstance(options, dict) or not isinstance(options.get("challenge"), str):
            raise ProtocolError("StartWebAuthnRegistration returned no creation options")
        options = dict(options)
        if timeout_s is not None:
            options["timeout"] = int(timeout_s) * 1000
        if require_usernameless is not None:
            selection = dict(options.get("authenticatorSelection") or {})
            selection["residentKey"] = "required" if require_usernameless else "preferred"
            selection["requireResidentKey"] = bool(require_usernameless)
            options["authenticatorSelection"] = selection
        credential = self._make_credential(options)
        self.native.call(
            "complete_web_authn_registration",
            context="other",
            AccessToken=access_token,
            Credential=dict(credential),
        )
        made = str(credential.get("rawId") or credential.get("id") or "")
        return Enrolled(_tokens_as_given(id_token, access_token), made)

    def passkeys(self, access_token: str) -> NativePasskeyManager:
        """The manager of the signed-in user's passkeys."""
        return NativePasskeyManager(self.api, access_token)


class NativePasskeyManager:
    """Lists and deletes the passkeys Cognito keeps for the signed-in user."""

    def __init__(self, api: CognitoApi, access_token: str, *, page_size: int = PAGE_SIZE):
        if not access_token:
            raise AuthenticationError("managing passkeys needs the user's access token")
        self._api = _NativeApi(api)
        self._access_token = access_token
        self.page_size = page_size

    def list(self) -> list[Passkey]:
        """Every passkey of the user, every page of ``ListWebAuthnCredentials``."""
        items: list[Passkey] = []
        token: str | None = None
        for _page in range(10_000):  # a server repeating NextToken forever must not hang us
            params: dict[str, Any] = {"AccessToken": self._access_token}
            params["MaxResults"] = self.page_size
            if token:
                params["NextToken"] = token
            reply = self._api.call("list_web_authn_credentials", context="other", **params)
            items.extend(_passkey(item) for item in reply.get("Credentials") or ())
            token = reply.get("NextToken")
            if not token:
                return items
        raise ProtocolError("ListWebAuthnCredentials never stopped paging")

    def find(self, passkey_id: str) -> Passkey:
        """The passkey with this id; ``PasskeyNotFoundError`` when the user has none."""
        from cognito_passkey.client.management import find_passkey

        return find_passkey(self.list(), passkey_id)

    def rename(self, passkey_id: str, name: str) -> Passkey:
        """Not offered: Cognito names a passkey itself and has no rename operation."""
        raise ManagementError(
            "native pools cannot rename passkeys (Cognito has no operation for it)",
            code="not_supported",
        )

    def delete(self, passkey_id: str) -> None:
        """``DeleteWebAuthnCredential``; an unknown id is ``PasskeyNotFoundError``."""
        from cognito_passkey.client.errors import PasskeyNotFoundError

        try:
            self._api.call(
                "delete_web_authn_credential",
                context="other",
                AccessToken=self._access_token,
                CredentialId=passkey_id,
            )
        except ConfigurationError as exc:
            # The generic translation reads ResourceNotFoundException as a missing pool;
            # here it is the credential (DeleteWebAuthnCredential's one not-found case).
            if exc.code == "ResourceNotFoundException":
                raise PasskeyNotFoundError(
                    f"no such passkey: {passkey_id}", status=404, code="not_found"
                ) from exc
            raise


def _passkey(item: Mapping[str, Any]) -> Passkey:
    created = item.get("CreatedAt")
    transports = item.get("AuthenticatorTransports") or ()
    return Passkey(
        id=str(item.get("CredentialId") or ""),
        name=str(item.get("FriendlyCredentialName") or ""),
        created_at=created.isoformat() if isinstance(created, datetime) else None,
        transports=tuple(str(t) for t in transports),
    )


def _json_object(text: object, what: str) -> dict[str, Any]:
    if not isinstance(text, str):
        raise ProtocolError(f"the challenge carries no {what}")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f"the challenge's {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise ProtocolError(f"the challenge's {what} is not a JSON object")
    return value


def _tokens_as_given(id_token: str, access_token: str) -> Tokens:
    claims = unverified_claims(access_token)
    exp = claims.get("exp")
    return Tokens(
        id_token=id_token,
        access_token=access_token,
        expires_at=int(exp) if isinstance(exp, (int, float)) else 0,
    )
