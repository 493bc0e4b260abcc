"""``PasskeyClient``: LoginID's Cognito WebSDK in Python.

``sign_in_passkey`` and ``add_passkey`` are the WebSDK's ``signInPasskey`` and
``addPasskey``; ``sign_up_with_passkey`` is the guide's sign-up recipe. Around
them: password sign-in (SRP, to bootstrap a first passkey), refresh, sign-out
and token verification. Nothing here imports boto3, fido2 or pyjwt until it is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from cognito_passkey.client import exchange
from cognito_passkey.client.cognito import CognitoApi, RetryPolicy
from cognito_passkey.client.config import region_from_pool_id
from cognito_passkey.client.errors import (
    AuthenticationError,
    ConfigurationError,
    PasskeyClientError,
    ProtocolError,
    TokenError,
    UnexpectedChallengeError,
)
from cognito_passkey.client.lazy_authenticator import LazyAuthenticator
from cognito_passkey.client.passwords import generate_password
from cognito_passkey.client.tokens import Tokens, internal_username, unverified_claims
from cognito_passkey.protocol import pools

if TYPE_CHECKING:
    import boto3
    from cognito_passkey.authenticator.base import Authenticator
    from cognito_passkey.client.verify import TokenUse, TokenVerifier

CodePrompt = Callable[[str, Mapping[str, Any]], str]
"""Asked for the confirmation code: ``(username, CodeDeliveryDetails) -> code``."""

Confirm = Literal["auto", "admin"] | CodePrompt
"""How a sign-up is confirmed: the pool confirms by itself ("auto"), an admin call
(needs AWS credentials allowed ``AdminConfirmSignUp``), or a code from a callback."""


@dataclass(frozen=True)
class Enrolled:
    """A passkey just registered: the fresh tokens, and the new credential's id (base64url)."""

    tokens: Tokens
    credential_id: str


class PasskeyClient:
    """Passkey sign-in to one app client of one Cognito user pool."""

    def __init__(
        self,
        *,
        user_pool_id: str,
        client_id: str,
        region: str | None = None,
        client_secret: str | None = None,
        authenticator: Authenticator | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        endpoint_url: str | None = None,
        boto_session: boto3.Session | None = None,
        retry: RetryPolicy | None = None,
        fast_signin: bool = True,
    ) -> None:
        if not user_pool_id or not client_id:
            raise ConfigurationError("user_pool_id and client_id are required")
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.region = region or region_from_pool_id(user_pool_id)
        self.origin = origin
        self.rp_id = rp_id
        # botocore itself honours these variables; the JWKS URL must follow the same endpoint.
        self.endpoint_url = endpoint_url or pools.cognito_endpoint_from_env(os.environ)
        self.fast_signin = fast_signin
        self._authenticator = authenticator
        self._client_secret = client_secret
        self.api = CognitoApi(
            client_id=client_id,
            region=self.region,
            client_secret=client_secret,
            endpoint_url=self.endpoint_url,
            boto_session=boto_session,
            retry=retry,
        )
        self._verifier: TokenVerifier | None = None

    def __repr__(self) -> str:
        return f"PasskeyClient(user_pool_id={self.user_pool_id!r}, client_id={self.client_id!r})"

    # -- the WebSDK -------------------------------------------------------------

    def sign_in_passkey(self, username: str) -> Tokens:
        """Sign in with a passkey (``signInPasskey``); both trigger dialects are understood."""
        _require_username(username)
        return self.issued_here(
            exchange.sign_in(
                self.api, username, get_assertion=self._get_assertion, fast_signin=self.fast_signin
            )
        )

    def add_passkey(
        self,
        username: str,
        id_token: str,
        *,
        access_token: str | None = None,
        timeout_s: int | None = None,
        require_usernameless: bool | None = None,
    ) -> Tokens:
        """Register a passkey for a signed-in user (``addPasskey``); returns fresh tokens.

        ``access_token`` (of the same sign-in) is extra proof the triggers have Cognito
        confirm; a deployment may require it (docs/protocol.md, "Adding a passkey")."""
        return self.enroll_passkey(
            username,
            id_token,
            access_token=access_token,
            timeout_s=timeout_s,
            require_usernameless=require_usernameless,
        ).tokens

    def enroll_passkey(
        self,
        username: str,
        id_token: str,
        *,
        access_token: str | None = None,
        timeout_s: int | None = None,
        require_usernameless: bool | None = None,
    ) -> Enrolled:
        """``add_passkey`` that also says which credential was made (its id is the passkey's
        id in the management API, so the new passkey can be named there)."""
        _require_username(username)
        if not id_token:
            raise AuthenticationError("adding a passkey needs the user's ID token: sign in first")
        attestation_options: dict[str, Any] = {}
        if timeout_s is not None:
            attestation_options["override_timeout_s"] = timeout_s
        if require_usernameless is not None:
            attestation_options["require_usernameless"] = require_usernameless
        made: list[str] = []

        def make_credential(options: dict[str, Any]) -> dict[str, Any]:
            credential = self._make_credential(options)
            made.append(str(credential.get("rawId") or credential.get("id") or ""))
            return credential

        tokens = exchange.add_passkey(
            self.api,
            username,
            id_token,
            access_token=access_token,
            make_credential=make_credential,
            attestation_options=attestation_options,
        )
        return Enrolled(self.issued_here(tokens), made[-1] if made else "")

    def sign_up_with_passkey(
        self,
        username: str,
        attributes: Mapping[str, str] | None = None,
        *,
        confirm: Confirm = "auto",
    ) -> Tokens:
        """Create a user whose only credential is a passkey (the guide's recipe).

        Cognito needs a password, so a random one is made, used for one sign-in and dropped.
        What a later step needs (the RP id, the authenticator, admin credentials for
        ``confirm="admin"``) is checked before the user exists. If adding the passkey fails
        afterwards, the account is deleted again (with its own access token); a failed
        confirmation is undone with the admin credentials when there are some, and otherwise
        a note says what is left and how to resume it (:meth:`resume_sign_up`) or remove it.
        """
        from cognito_passkey.client import sign_up

        _require_username(username)
        return sign_up.sign_up(self, username, attributes or {}, confirm, generate_password)

    def resume_sign_up(self, username: str, *, confirm: Confirm) -> Tokens:
        """Finish a sign-up that stopped after ``SignUp`` (unconfirmed, or confirmed without a
        passkey): confirm it if need be, set a new random password (an admin call, or Cognito's
        password reset with a second code), sign in once and add the passkey."""
        from cognito_passkey.client import sign_up

        _require_username(username)
        return sign_up.resume(self, username, confirm, generate_password)

    def abandon_sign_up(self, username: str) -> None:
        """Remove a user whose sign-up did not finish (``AdminDeleteUser``: admin credentials)."""
        from cognito_passkey.client import sign_up

        _require_username(username)
        sign_up.abandon(self, username)

    # -- passwords, refresh, sign-out ----------------------------------------------

    def sign_in_password(self, username: str, password: str) -> Tokens:
        """Password sign-in through SRP (the password never leaves this process)."""
        _require_username(username)
        from pycognito.aws_srp import AWSSRP
        from pycognito.exceptions import ForceChangePasswordException, MFAChallengeException

        def attempt() -> dict[str, Any]:
            srp = AWSSRP(
                username=username,
                password=password,
                pool_id=self.user_pool_id,
                client_id=self.client_id,
                client=self.api.client,
                client_secret=self._client_secret,
            )
            try:
                result: dict[str, Any] = srp.authenticate_user()
            finally:
                srp.password = None
            return result

        try:
            result = self.api.retrying(attempt, operation="initiate_auth")
        except ForceChangePasswordException as exc:
            raise AuthenticationError(
                "the user must set a new password first (NEW_PASSWORD_REQUIRED)"
            ) from exc
        except MFAChallengeException as exc:
            raise UnexpectedChallengeError(
                "the user pool asks for MFA, which this client does not answer"
            ) from exc
        if "AuthenticationResult" not in result:
            raise UnexpectedChallengeError(
                f"Cognito asked for the {result.get('ChallengeName')} challenge"
            )
        return self.issued_here(Tokens.from_authentication_result(result["AuthenticationResult"]))

    def refresh(self, refresh_token: str, *, username: str | None = None) -> Tokens:
        """New ID and access tokens from a refresh token (REFRESH_TOKEN_AUTH).

        With an app client secret the SECRET_HASH needs the user's internal name
        (``cognito:username``, the ``sub`` for alias pools): pass ``username``.
        """
        if not refresh_token:
            raise AuthenticationError("no refresh token: sign in again")
        params = {"REFRESH_TOKEN": refresh_token}
        if self.api.has_secret:
            if not username:
                raise ConfigurationError(
                    "refreshing with an app client secret needs the username (cognito:username)"
                )
            params = self.api.with_secret_hash(username, params)
        response = self.api.call(
            "initiate_auth",
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=self.client_id,
            AuthParameters=params,
        )
        result = response.get("AuthenticationResult")
        if not result:
            raise UnexpectedChallengeError("Cognito answered the refresh with a challenge")
        return self.issued_here(
            Tokens.from_authentication_result(result, refresh_token=refresh_token)
        )

    def sign_out(self, access_token: str, *, refresh_token: str | None = None) -> None:
        """Sign out everywhere (GlobalSignOut) and revoke ``refresh_token`` when given.

        Both steps are tried; an error is raised only when every step tried failed.
        """
        failures: list[PasskeyClientError] = []
        steps = 0
        if access_token:
            steps += 1
            try:
                self.api.call("global_sign_out", context="other", AccessToken=access_token)
            except PasskeyClientError as exc:
                failures.append(exc)
        if refresh_token:
            steps += 1
            params: dict[str, Any] = {"Token": refresh_token, "ClientId": self.client_id}
            if self._client_secret:
                params["ClientSecret"] = self._client_secret
            try:
                self.api.call("revoke_token", context="other", **params)
            except PasskeyClientError as exc:
                failures.append(exc)
        if steps and len(failures) == steps:
            raise failures[0]

    def verify_token(
        self,
        token: str,
        *,
        token_use: TokenUse = "id",  # noqa: S107 - a token kind, not a secret
    ) -> dict[str, Any]:
        """The claims of a token of this app client, after checking it (JWKS cached)."""
        if self._verifier is None:
            from cognito_passkey.client.verify import TokenVerifier  # pyjwt, on first use

            self._verifier = TokenVerifier(
                user_pool_id=self.user_pool_id,
                client_id=self.client_id,
                endpoint_url=self.endpoint_url,
            )
        return self._verifier.verify(token, token_use=token_use)

    def issued_here(self, tokens: Tokens) -> Tokens:
        """``tokens``, once their ID token's ``iss`` and ``aud`` name the configured pool and
        app client; otherwise ``ConfigurationError`` naming the mismatch.

        Sign-in needs only the app client id, so a wrong ``user_pool_id`` would otherwise sign
        in, be cached, and fail only at verification. The claims are read unverified: this
        compares settings, it trusts nothing; a token that is not a JWT is left to
        ``verify_token``.
        """
        try:
            claims = unverified_claims(tokens.id_token)
            expected = pools.issuer(self.user_pool_id)
        except (TokenError, ValueError):
            return tokens
        issuer, audience = claims.get("iss"), claims.get("aud")
        if isinstance(issuer, str) and issuer != expected:
            actual = issuer.rstrip("/").rsplit("/", 1)[-1]
            raise ConfigurationError(
                f"the tokens were issued by user pool {actual!r}, not the configured "
                f"user_pool_id {self.user_pool_id!r}: fix user_pool_id"
            )
        if isinstance(audience, str) and audience != self.client_id:
            raise ConfigurationError(
                f"the ID token is for app client {audience!r}, not the configured "
                f"client_id {self.client_id!r}: fix client_id"
            )
        return tokens

    @staticmethod
    def username_of(tokens: Tokens) -> str:
        """The internal username (``cognito:username``) in the tokens, unverified."""
        return internal_username(tokens)

    # -- the authenticator ---------------------------------------------------------

    @property
    def authenticator(self) -> Authenticator:
        """The authenticator; a USB key (opened on first use) when none was given."""
        if self._authenticator is None:
            self._authenticator = LazyAuthenticator("usb", origin=self.origin)
        return self._authenticator

    def _get_assertion(self, options: dict[str, Any]) -> dict[str, Any]:
        rp_id = self._rp_id_for(options.get("rpId"))
        return self.authenticator.get(options, origin=self._origin_for(rp_id), rp_id=rp_id)

    def _make_credential(self, options: dict[str, Any]) -> dict[str, Any]:
        rp = options.get("rp")
        rp_id = self._rp_id_for(rp.get("id") if isinstance(rp, dict) else None)
        return self.authenticator.create(options, origin=self._origin_for(rp_id), rp_id=rp_id)

    def expected_rp_id(self) -> str:
        """The RP this client signs for: ``rp_id``, else the host of a configured web origin.

        The server never decides it: a server naming another RP would otherwise get an
        assertion for that RP's site (any endpoint could ask for any site's passkey).
        """
        if self.rp_id:
            return self.rp_id
        host = urlsplit(self.origin).hostname if self.origin and "://" in self.origin else None
        if host:
            return host
        raise ConfigurationError(
            "no RP ID is configured, so this client cannot tell whose passkey the server "
            "may ask for: pass rp_id='example.com' to PasskeyClient (CLI: --rp-id, "
            "COGNITO_PASSKEY_RP_ID, or `cognito-passkey config set rp_id=example.com`)"
        )

    def _rp_id_for(self, from_options: object) -> str:
        expected = self.expected_rp_id()
        if from_options is None or from_options == "":
            return expected
        if not isinstance(from_options, str):
            raise ProtocolError("the challenge's RP ID is not a string; refusing to use it")
        if _rp_key(from_options) != _rp_key(expected):
            raise ProtocolError(
                f"the challenge asks for a passkey of RP {from_options!r}, but this client "
                f"is configured for RP {expected!r}; refusing to use it"
            )
        return from_options

    def _origin_for(self, rp_id: str) -> str:
        if self.origin:
            return self.origin
        from cognito_passkey.authenticator.origins import default_origin  # loads fido2

        return default_origin(rp_id)


def add_note(exc: BaseException, note: str) -> None:
    """``exc.add_note`` where it exists (3.11+); the CLI prints ``__notes__`` either way."""
    notes = getattr(exc, "__notes__", None)
    if notes is None:
        notes = []
        try:
            exc.__notes__ = notes  # type: ignore[attr-defined,unused-ignore]
        except AttributeError:
            return
    notes.append(note)


def _rp_key(rp_id: str) -> str:
    return rp_id.strip().rstrip(".").lower()


def _require_username(username: str) -> None:
    if not username or not username.strip():
        raise ConfigurationError("a username is required")
