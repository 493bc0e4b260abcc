"""Sign-up with a passkey only: what is checked before ``SignUp``, resuming, removing.

Cognito creates the user at ``SignUp``, so whatever a later step needs is checked first: the
RP id and the authenticator (the passkey ceremony), and for ``confirm="admin"`` AWS credentials
that may make admin calls on the pool. A step that still fails afterwards undoes what it can;
what it cannot undo is said in a note, with how to resume (:func:`resume`) or remove
(:func:`abandon`) the user.

Resuming sets a new random password, since the first one was never kept: an admin sets it
(``AdminSetUserPassword``); without admin credentials Cognito's own reset does
(``ForgotPassword``, a second code, ``ConfirmForgotPassword``). Either replaces whatever
password the user had, which for a passkey-only user is nothing anyone knows.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol

from cognito_passkey.client.errors import (
    CodeMismatchError,
    ConfigurationError,
    InvalidParameterError,
    NotAuthorizedError,
    PasskeyClientError,
    UsernameExistsError,
    UserNotConfirmedError,
    UserNotFoundError,
)
from cognito_passkey.client.tokens import Tokens

if TYPE_CHECKING:
    from cognito_passkey.authenticator.base import Authenticator
    from cognito_passkey.client.cognito import CognitoApi
    from cognito_passkey.client.passkey_client import Confirm


class PasskeyClient(Protocol):
    """What the recipe uses of ``cognito_passkey.client.PasskeyClient``."""

    api: CognitoApi
    user_pool_id: str
    client_id: str

    @property
    def authenticator(self) -> Authenticator: ...

    def expected_rp_id(self) -> str: ...

    def sign_in_password(self, username: str, password: str) -> Tokens: ...

    def add_passkey(
        self, username: str, id_token: str, *, access_token: str | None = None
    ) -> Tokens: ...


CODE_ATTEMPTS: Final = 3
PROBE_PREFIX: Final = "cognito-passkey-probe-"
"""The user name an admin-access probe asks for: nobody has it, so the answer is UserNotFound."""

UNCONFIRMED: Final = "unconfirmed"
WITHOUT_PASSKEY: Final = "confirmed without a passkey"


def how_to_finish(username: str) -> str:
    """The note that says how to resume or remove a half-made user (one source for the CLI)."""
    return (
        f"resume it with `cognito-passkey sign-up {username} --resume --confirm code|admin`, "
        f"or remove it with `cognito-passkey sign-up {username} --abandon` (AWS admin "
        "credentials; or `aws cognito-idp admin-delete-user`)"
    )


def check_before_sign_up(client: PasskeyClient, confirm: Confirm) -> None:
    """Fail now, before any user exists, when a later step could not run."""
    client.expected_rp_id()
    if confirm == "admin":
        check_admin_access(client)
    opener = getattr(client.authenticator, "open", None)
    if callable(opener):  # a lazy authenticator: open the store or key now (last: it may make one)
        opener()


def check_admin_access(client: PasskeyClient) -> None:
    """AWS credentials that may make admin calls on the pool, proven by a harmless one.

    ``AdminGetUser`` for a name nobody has: UserNotFound means the call was allowed; missing
    or refused credentials are a ``ConfigurationError`` (exit 5).
    """
    try:
        client.api.call(
            "admin_get_user",
            context="signup",
            UserPoolId=client.user_pool_id,
            Username=PROBE_PREFIX + secrets.token_hex(8),
        )
    except UserNotFoundError:
        return
    except ConfigurationError as exc:
        _note(exc, "confirming as an admin needs AWS credentials allowed admin calls on the pool")
        raise


def sign_up(
    client: PasskeyClient,
    username: str,
    attributes: Mapping[str, str],
    confirm: Confirm,
    password: Callable[[], str],
) -> Tokens:
    """``PasskeyClient.sign_up_with_passkey``: create, confirm, sign in once, add the passkey.

    ``password`` makes the random password, once the checks have passed."""
    check_before_sign_up(client, confirm)
    api = client.api
    secret = password()
    try:
        params: dict[str, Any] = {
            "ClientId": client.client_id,
            "Username": username,
            "Password": secret,
            "UserAttributes": [{"Name": k, "Value": v} for k, v in attributes.items()],
        }
        if api.has_secret:
            params["SecretHash"] = api.secret_hash_for(username)
        try:
            signed_up = api.call("sign_up", context="signup", **params)
        except UsernameExistsError as exc:
            _note(exc, f"if it is a sign-up that did not finish, {how_to_finish(username)}")
            raise
        del params
        state = UNCONFIRMED
        try:
            if not signed_up.get("UserConfirmed"):
                confirm_user(client, username, signed_up.get("CodeDeliveryDetails") or {}, confirm)
            state = WITHOUT_PASSKEY
            first = client.sign_in_password(username, secret)
        except BaseException as exc:
            _left_behind(client, username, state, confirm, exc)
            raise
    finally:
        # Python strings cannot be wiped; dropping the last reference is what is possible.
        del secret
    try:
        return client.add_passkey(username, first.id_token, access_token=first.access_token)
    except BaseException as exc:
        _undo(client, username, first, exc)
        raise


def resume(
    client: PasskeyClient, username: str, confirm: Confirm, password: Callable[[], str]
) -> Tokens:
    """Finish the sign-up of an existing user: confirm it if need be, set a new random
    password (module docstring; ``password`` makes it), sign in once, add the passkey."""
    if confirm != "admin" and not callable(confirm):
        raise ConfigurationError(
            "resuming a sign-up needs confirm='admin' or a callback for the emailed codes "
            "(a new password must be set, and 'auto' cannot)"
        )
    check_before_sign_up(client, confirm)
    api = client.api
    secret = password()
    try:
        if confirm == "admin":
            try:
                user = api.call(
                    "admin_get_user",
                    context="signup",
                    UserPoolId=client.user_pool_id,
                    Username=username,
                )
            except UserNotFoundError as exc:
                _note(exc, "there is nothing to resume: sign up without --resume")
                raise
            if user.get("UserStatus") == "UNCONFIRMED":
                confirm_user(client, username, {}, "admin")
            api.call(
                "admin_set_user_password",
                context="signup",
                UserPoolId=client.user_pool_id,
                Username=username,
                Password=secret,
                Permanent=True,
            )
        else:
            _confirm_by_code_unless_confirmed(client, username, confirm)
            _reset_password_by_code(client, username, secret, confirm)
        first = client.sign_in_password(username, secret)
    finally:
        del secret
    try:
        return client.add_passkey(username, first.id_token, access_token=first.access_token)
    except BaseException as exc:
        _note(exc, f"{username} is {WITHOUT_PASSKEY}; {how_to_finish(username)}")
        raise


def abandon(client: PasskeyClient, username: str) -> None:
    """Remove the user (``AdminDeleteUser``, AWS admin credentials)."""
    client.api.call(
        "admin_delete_user", context="signup", UserPoolId=client.user_pool_id, Username=username
    )


def user_status(client: PasskeyClient, username: str) -> str:
    """Cognito's ``UserStatus`` for the user (``AdminGetUser``, AWS admin credentials)."""
    user = client.api.call(
        "admin_get_user", context="signup", UserPoolId=client.user_pool_id, Username=username
    )
    return str(user.get("UserStatus") or "unknown")


def confirm_user(
    client: PasskeyClient, username: str, delivery: Mapping[str, Any], confirm: Confirm
) -> None:
    """Confirm a new user as ``confirm`` says: an admin call, or the code a callback returns."""
    api = client.api
    if confirm == "admin":
        api.call(
            "admin_confirm_sign_up",
            context="signup",
            UserPoolId=client.user_pool_id,
            Username=username,
        )
        return
    if confirm == "auto" or not callable(confirm):
        raise UserNotConfirmedError(
            f"user {username!r} was created but must be confirmed; pass confirm='admin' "
            "(AWS admin credentials) or a callback that returns the emailed code"
        )

    def submit(code: str) -> None:
        api.call("confirm_sign_up", context="signup", **_code_params(client, username, code))

    _with_code(confirm, username, delivery, submit)


def _confirm_by_code_unless_confirmed(
    client: PasskeyClient, username: str, confirm: Callable[[str, Mapping[str, Any]], str]
) -> None:
    api = client.api
    params: dict[str, Any] = {"ClientId": client.client_id, "Username": username}
    if api.has_secret:
        params["SecretHash"] = api.secret_hash_for(username)
    try:
        sent = api.call("resend_confirmation_code", context="signup", **params)
    except InvalidParameterError as exc:
        if "confirmed" in str(exc).lower():  # AWS: "User is already confirmed."
            return
        raise
    try:
        confirm_user(client, username, sent.get("CodeDeliveryDetails") or {}, confirm)
    except NotAuthorizedError as exc:
        if "confirmed" not in str(exc).lower():  # "Current status is CONFIRMED"
            raise


def _reset_password_by_code(
    client: PasskeyClient,
    username: str,
    password: str,
    confirm: Callable[[str, Mapping[str, Any]], str],
) -> None:
    api = client.api
    params: dict[str, Any] = {"ClientId": client.client_id, "Username": username}
    if api.has_secret:
        params["SecretHash"] = api.secret_hash_for(username)
    sent = api.call("forgot_password", context="signup", **params)

    def submit(code: str) -> None:
        api.call(
            "confirm_forgot_password",
            context="signup",
            Password=password,
            **_code_params(client, username, code),
        )

    _with_code(confirm, username, sent.get("CodeDeliveryDetails") or {}, submit)


def _code_params(client: PasskeyClient, username: str, code: str) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ClientId": client.client_id,
        "Username": username,
        "ConfirmationCode": code,
    }
    if client.api.has_secret:
        params["SecretHash"] = client.api.secret_hash_for(username)
    return params


def _with_code(
    ask: Callable[[str, Mapping[str, Any]], str],
    username: str,
    delivery: Mapping[str, Any],
    submit: Callable[[str], None],
) -> None:
    """Ask for a code and submit it; a wrong one is asked again, up to CODE_ATTEMPTS times."""
    for attempt in range(1, CODE_ATTEMPTS + 1):
        try:
            submit(ask(username, delivery).strip())
            return
        except CodeMismatchError:
            if attempt == CODE_ATTEMPTS:
                raise


def _left_behind(
    client: PasskeyClient, username: str, state: str, confirm: Confirm, cause: BaseException
) -> None:
    """After a failed confirmation or first sign-in: remove the user when admin calls are
    allowed (proven before SignUp), else say what is left and how to go on."""
    if confirm == "admin":
        try:
            abandon(client, username)
        except PasskeyClientError as undo_error:
            _note(cause, f"the new user could not be removed ({undo_error})")
        else:
            _note(cause, "the new user was removed again; nothing was kept")
            return
    _note(cause, f"{username} exists, {state}: {how_to_finish(username)}")


def _undo(client: PasskeyClient, username: str, tokens: Tokens, cause: BaseException) -> None:
    try:
        client.api.call("delete_user", context="other", AccessToken=tokens.access_token)
    except PasskeyClientError as undo_error:
        _note(
            cause,
            f"the new user exists without a passkey and could not be removed ({undo_error}): "
            + how_to_finish(username),
        )
    else:
        _note(cause, "the new user was removed again; nothing was kept")


def _note(exc: BaseException, note: str) -> None:
    from cognito_passkey.client.passkey_client import add_note

    add_note(exc, note)
