"""Throwaway users with passkeys in a real user pool, and their clean-up.

A user is made with the admin API (``AdminCreateUser`` with ``MessageAction=SUPPRESS``, then
a permanent random password), signed in with that password and given a passkey through the
real add-passkey flow. Deleting one removes its passkeys from the backend first (through the
management API, with the user's own access token, when the deployment has one) and then the
Cognito user; :meth:`UserPool.sweep` does it for every user still alive, so an interrupted
session leaves nothing behind either.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cognito_passkey.testing.target import PoolTarget

if TYPE_CHECKING:
    from cognito_passkey.authenticator import SoftAuthenticator
    from cognito_passkey.authenticator.base import Authenticator
    from cognito_passkey.client import PasskeyClient, Tokens
    from cognito_passkey.protocol.management import Passkey

REFRESH_MARGIN_SECONDS = 300
"""Tokens expiring sooner than this are refreshed before a test gets them."""


@dataclass(eq=False)
class PasskeyUser:
    """A user of the pool with one passkey on :attr:`authenticator`; the password is kept
    for clean-up and never shown."""

    username: str
    authenticator: Authenticator
    client: PasskeyClient
    management_url: str | None = None
    _password: str = field(default="", repr=False)
    _tokens: Tokens | None = field(default=None, repr=False)

    def sign_in(self) -> Tokens:
        """A fresh passkey sign-in (the authenticator signs); the tokens are kept."""
        self._tokens = self.client.sign_in_passkey(self.username)
        return self._tokens

    def tokens(self, *, margin_seconds: float = REFRESH_MARGIN_SECONDS) -> Tokens:
        """The current tokens: kept ones, refreshed when close to expiry, else a sign-in."""
        from cognito_passkey.client.errors import AuthenticationError

        kept = self._tokens
        if kept is not None and not kept.expires_within(margin_seconds):
            return kept
        if kept is not None and kept.refresh_token:
            try:
                self._tokens = self.client.refresh(
                    kept.refresh_token, username=self.client.username_of(kept)
                )
                return self._tokens
            except AuthenticationError:
                pass  # revoked or expired: sign in again
        return self.sign_in()

    def sign_in_password(self) -> Tokens:
        """A password sign-in (SRP) with the user's random password."""
        return self.client.sign_in_password(self.username, self._password)

    def passkeys(self) -> list[Passkey]:
        """The user's passkeys: the management API's list (self-hosted backend), or the
        pool's own (``ListWebAuthnCredentials``) on a native pool."""
        from cognito_passkey.client.native import NativePasskeyClient

        if isinstance(self.client, NativePasskeyClient):
            return self.client.passkeys(self.tokens().access_token).list()
        from cognito_passkey.client.management import PasskeyManager

        return PasskeyManager(self.management_url, self.tokens().access_token).list()


class UserPool:
    """Makes clients and users for one target and deletes every user it made."""

    def __init__(self, target: PoolTarget, *, worker: str, tmp_dir: Path) -> None:
        self.target = target
        self.worker = worker
        self.tmp_dir = tmp_dir
        self._admin: Any = None
        self._live: dict[str, PasskeyUser] = {}

    # --- clients ----------------------------------------------------------------------

    def _session(self) -> Any:
        import boto3

        if self.target.uses_dummy_credentials:
            from cognito_passkey.local.deploy import session

            return session()
        return boto3.session.Session(region_name=self.target.region)

    @property
    def admin(self) -> Any:
        """A cognito-idp client with AWS credentials (boto3's chain; dummy ones locally)."""
        if self._admin is None:
            self._admin = self._session().client(
                "cognito-idp", region_name=self.target.region, endpoint_url=self.target.endpoint_url
            )
        return self._admin

    def new_authenticator(self, store: Path | None = None) -> SoftAuthenticator:
        """A software authenticator: in memory, or with its credentials in ``store``."""
        from cognito_passkey.authenticator import SoftAuthenticator

        return SoftAuthenticator(store)

    def client(self, authenticator: Authenticator | None = None) -> PasskeyClient:
        """A PasskeyClient of the target pool (a fresh in-memory key unless given one); a
        ``NativePasskeyClient`` when the target's flow is ``native``."""
        from cognito_passkey.client import PasskeyClient
        from cognito_passkey.client.native import NativePasskeyClient

        kind = NativePasskeyClient if self.target.flow == "native" else PasskeyClient
        return kind(
            user_pool_id=self.target.user_pool_id,
            client_id=self.target.client_id,
            region=self.target.region,
            client_secret=self.target.client_secret,
            authenticator=authenticator or self.new_authenticator(),
            origin=self.target.origin,
            rp_id=self.target.rp_id,
            endpoint_url=self.target.endpoint_url,
            boto_session=self._session(),
        )

    # --- users --------------------------------------------------------------------------

    def new_username(self, prefix: str = "pytest") -> str:
        """Unique across workers and runs: the xdist worker id and a random suffix."""
        return f"{prefix}-{self.worker}-{uuid.uuid4().hex[:12]}"

    def user(
        self,
        *,
        authenticator: Authenticator | None = None,
        prefix: str = "pytest",
        passkey: bool = True,
    ) -> PasskeyUser:
        """A new confirmed user; with ``passkey`` (default) enrolled on ``authenticator``."""
        from cognito_passkey.client.passwords import generate_password

        key = authenticator or self.new_authenticator()
        username = self.new_username(prefix)
        password = generate_password()
        user = PasskeyUser(
            username=username,
            authenticator=key,
            client=self.client(key),
            management_url=self.target.management_url,
            _password=password,
        )
        self.admin.admin_create_user(
            UserPoolId=self.target.user_pool_id, Username=username, MessageAction="SUPPRESS"
        )
        self._live[username] = user  # from here on, clean-up owes it a deletion
        try:
            self.admin.admin_set_user_password(
                UserPoolId=self.target.user_pool_id,
                Username=username,
                Password=password,
                Permanent=True,
            )
            if passkey:
                first = user.sign_in_password()
                # A native pool registers with the access token; the triggers need the ID token.
                access = first.access_token if self.target.flow == "native" else None
                user.client.add_passkey(username, first.id_token, access_token=access)
        except Exception:
            with contextlib.suppress(Exception):  # the cause of the failure is what counts
                self.delete(user)  # a half-made user goes at once, not at the session's end
            raise
        return user

    def delete(self, user: PasskeyUser) -> None:
        """Delete the user's passkeys (management API), then the user; an error in the
        first step still deletes the user, and is raised afterwards."""
        failure: Exception | None = None
        if self.target.management_url:
            try:
                self._delete_passkeys(user)
            except Exception as exc:  # the user goes in any case
                failure = exc
        with contextlib.suppress(self.admin.exceptions.UserNotFoundException):
            self.admin.admin_delete_user(
                UserPoolId=self.target.user_pool_id, Username=user.username
            )
        self._live.pop(user.username, None)
        if failure is not None:
            raise failure

    def _delete_passkeys(self, user: PasskeyUser) -> None:
        from cognito_passkey.client.errors import AuthenticationError
        from cognito_passkey.client.management import PasskeyManager

        try:
            access_token = user.sign_in_password().access_token
        except AuthenticationError:
            if user._tokens is None:  # deleted by the test, or its password changed
                return
            access_token = user._tokens.access_token
        manager = PasskeyManager(self.target.management_url, access_token)
        for passkey in manager.list():
            manager.delete(passkey.id)

    def sweep(self) -> list[str]:
        """Delete every user still alive (after an interrupt); the names that failed."""
        failed = []
        for user in list(self._live.values()):
            try:
                self.delete(user)
            except Exception:
                failed.append(user.username)
                self._live.pop(user.username, None)
        return failed

    @property
    def live_usernames(self) -> list[str]:
        return sorted(self._live)


class PasskeyFactory:
    """More users and clients in one test; every user it made is deleted by :meth:`close`."""

    def __init__(self, pool: UserPool) -> None:
        self._pool = pool
        self._users: list[PasskeyUser] = []

    def user(
        self,
        *,
        authenticator: Authenticator | None = None,
        prefix: str = "pytest",
        passkey: bool = True,
    ) -> PasskeyUser:
        """Like ``passkey_user``: a new user, by default with a passkey on a fresh key."""
        made = self._pool.user(authenticator=authenticator, prefix=prefix, passkey=passkey)
        self._users.append(made)
        return made

    def client(self, *, authenticator: Authenticator | None = None) -> PasskeyClient:
        """A client of the same pool (a fresh in-memory key unless given one)."""
        return self._pool.client(authenticator)

    def authenticator(self, store: Path | None = None) -> SoftAuthenticator:
        """A fresh software authenticator, in memory or stored in ``store``."""
        return self._pool.new_authenticator(store)

    def close(self) -> None:
        """Delete the users made here, newest first; the first failure is raised at the end."""
        failure: Exception | None = None
        while self._users:
            try:
                self._pool.delete(self._users.pop())
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
