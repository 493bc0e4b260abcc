"""Putting a passkey on an account: add-passkey, and sign-up with a passkey only."""

from __future__ import annotations

import dataclasses
from typing import cast

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import (
    chosen_user,
    no_cache_option,
    output_options,
    settings_options,
    which_of,
)
from cognito_passkey.client.cli_output import Output, emit_tokens, progress, summary
from cognito_passkey.client.cli_prompts import (
    confirm_code_prompt,
    confirm_or_refuse,
    non_interactive,
    read_secret_line,
    refuse_prompt,
)
from cognito_passkey.client.cli_stdin import stdin_gives_nothing
from cognito_passkey.client.cli_support import (
    Library,
    cache_for,
    pass_library,
)
from cognito_passkey.client.config import (
    Settings,
)
from cognito_passkey.client.lazy_authenticator import configure


@click.command("add-passkey", epilog=exit_codes.EPILOG)
@click.argument("username", required=False)
@click.option(
    "--with-password",
    is_flag=True,
    help="Sign in with the password first (asked on the terminal) to get the ID token.",
)
@click.option("--password-stdin", is_flag=True, help="Like --with-password, read from stdin.")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.IntRange(1, 600),
    help="Ceremony timeout, s (and how long to wait for a USB key to be plugged in).",
)
@click.option(
    "--usernameless", is_flag=True, default=None, help="Ask for a discoverable credential."
)
@click.option(
    "--create-store",
    is_flag=True,
    help="With --authenticator soft:PATH: create the store if PATH does not exist yet.",
)
@click.option(
    "--name",
    "passkey_name",
    help="Name the new passkey (through the management API: needs management_url).",
)
@no_cache_option
@output_options(None)
@settings_options
@pass_library
def add_passkey(
    library: Library,
    username: str | None,
    with_password: bool,
    password_stdin: bool,
    timeout_s: int | None,
    usernameless: bool | None,
    passkey_name: str | None,
    create_store: bool,
    no_cache: bool,
    output: str | None,
    which: str | None,
    settings: Settings,
) -> None:
    """Register a new passkey for USERNAME (signed in: cached tokens, or --with-password)."""
    from cognito_passkey.authenticator.errors import NoCredentialsError
    from cognito_passkey.client.errors import AuthenticationError
    from cognito_passkey.client.passkey_client import add_note
    from cognito_passkey.client.token_source import obtain_tokens

    if passkey_name is not None:
        _check_passkey_name(passkey_name, settings)  # before any sign-in or touch
    client = library.client(settings)
    configure(client.authenticator, create_store=create_store, plug_in_timeout_s=timeout_s)
    cache, key = cache_for(settings, no_cache=no_cache)
    if with_password or password_stdin:
        if not username:
            raise click.UsageError("USERNAME is required with --with-password")
        password = read_secret_line(
            f"Password for {username}",
            from_stdin=password_stdin,
            need="a password is needed",
            instead="use --password-stdin",
        )
        current = client.sign_in_password(username, password)
        del password
        name = username
    else:
        try:
            got = obtain_tokens(
                client, cache, key, chosen_user(username, settings)[0], notify=progress
            )
        except (AuthenticationError, NoCredentialsError) as exc:
            add_note(exc, "to add a first passkey, sign in with --with-password")
            raise
        current, name = got.tokens, got.username
    enrolled = client.enroll_passkey(
        name,
        current.id_token,
        access_token=current.access_token,
        timeout_s=timeout_s,
        require_usernameless=usernameless,
    )
    tokens = enrolled.tokens
    if tokens.refresh_token is None and current.refresh_token:
        # A native registration issues no tokens: the ones it was given stay, refresh included.
        tokens = dataclasses.replace(tokens, refresh_token=current.refresh_token)
    cache.save(key, name, tokens)
    progress(f"Passkey added for {name}.")
    if passkey_name is not None:
        _name_passkey(settings, tokens.access_token, enrolled.credential_id, passkey_name)
    if output:
        emit_tokens(tokens, cast(Output, output), which_of(output, which), name)


def _check_passkey_name(passkey_name: str, settings: Settings) -> None:
    from cognito_passkey.client.errors import ManagementNotConfiguredError
    from cognito_passkey.client.management import check_management_url
    from cognito_passkey.client.passkey_client import add_note

    if not passkey_name.strip():
        raise click.BadParameter("a passkey name cannot be empty", param_hint="--name")
    if settings.native:
        raise click.UsageError("native pools cannot name passkeys (Cognito names them itself)")
    try:
        check_management_url(settings.management_url)
    except ManagementNotConfiguredError as exc:
        add_note(exc, "--name names the new passkey through the management API")
        raise


def _name_passkey(settings: Settings, access_token: str, credential_id: str, name: str) -> None:
    """Rename the passkey just added; it is kept (and said so) if that fails."""
    from cognito_passkey.client.errors import PasskeyClientError
    from cognito_passkey.client.management import PasskeyManager
    from cognito_passkey.client.passkey_client import add_note

    try:
        named = PasskeyManager(settings.management_url, access_token).rename(credential_id, name)
    except PasskeyClientError as exc:
        add_note(
            exc,
            f"the passkey {credential_id} was added but not named; name it with "
            f"`cognito-passkey passkeys rename {credential_id} NAME`",
        )
        raise
    progress(f"Named it {named.name!r} ({named.id}).")


@click.command("sign-up", epilog=exit_codes.EPILOG)
@click.argument("username")
@click.option("--email", help="The user's email attribute.")
@click.option(
    "--attribute",
    "-a",
    "attributes",
    multiple=True,
    metavar="NAME=VALUE",
    help="A user attribute (repeatable).",
)
@click.option(
    "--confirm",
    type=click.Choice(["code", "admin", "auto"]),
    default="code",
    show_default=True,
    help="code: ask for the code Cognito sent; admin: AdminConfirmSignUp with your AWS "
    "credentials; auto: the pool confirms by itself.",
)
@click.option(
    "--create-store",
    is_flag=True,
    help="With --authenticator soft:PATH: create the store if PATH does not exist yet.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Finish a sign-up that stopped after the user was created: confirm it if need be, "
    "set a new random password (--confirm admin: an admin call; code: a reset code is "
    "sent), add the passkey.",
)
@click.option(
    "--abandon",
    is_flag=True,
    help="Remove a user whose sign-up did not finish (AdminDeleteUser: AWS admin credentials).",
)
@click.option("--yes", is_flag=True, help="With --abandon: do not ask for confirmation.")
@no_cache_option
@output_options(None)
@settings_options
@pass_library
def sign_up(
    library: Library,
    username: str,
    email: str | None,
    attributes: tuple[str, ...],
    confirm: str,
    create_store: bool,
    resume: bool,
    abandon: bool,
    yes: bool,
    no_cache: bool,
    output: str | None,
    which: str | None,
    settings: Settings,
) -> None:
    """Create USERNAME with a passkey as its only credential.

    Cognito needs a password: a random one is made, used once and forgotten. What the
    later steps need (a code from the terminal or stdin, admin credentials, the
    authenticator) is checked before the user is created; a sign-up that still stops
    half way says so, and --resume finishes it or --abandon removes it.
    """
    from cognito_passkey.client.passkey_client import Confirm

    if resume and abandon:
        raise click.UsageError("--resume and --abandon exclude each other")
    if abandon:
        _abandon(library, settings, username, yes)
        return
    if resume and confirm == "auto":
        raise click.UsageError(
            "--resume sets a new password: use --confirm admin or --confirm code"
        )

    parsed: dict[str, str] = {}
    for item in attributes:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--attribute")
        parsed[name.strip()] = value
    if email:
        parsed["email"] = email
    if confirm == "code" and (non_interactive() or stdin_gives_nothing()):
        # Before the user exists: a code that cannot be read would leave it unconfirmed.
        raise refuse_prompt(
            "a confirmation code would be asked",
            "use --confirm admin" if resume else "use --confirm admin or --confirm auto",
        )
    client = library.client(settings)
    configure(client.authenticator, create_store=create_store)
    cache, key = cache_for(settings, no_cache=no_cache)
    how: Confirm = confirm_code_prompt() if confirm == "code" else cast(Confirm, confirm)
    if resume:
        tokens = client.resume_sign_up(username, confirm=how)
    else:
        tokens = client.sign_up_with_passkey(username, parsed, confirm=how)
    cache.save(key, username, tokens)
    progress(summary(tokens, username, "passkey"))
    if output:
        emit_tokens(tokens, cast(Output, output), which_of(output, which), username)


def _abandon(library: Library, settings: Settings, username: str, yes: bool) -> None:
    from cognito_passkey.client import sign_up as recipe

    client = library.client(settings)
    status = recipe.user_status(client, username)  # also proves the admin credentials
    if not yes:
        confirm_or_refuse(f"Delete user {username!r} ({status}) from {client.user_pool_id}?")
    client.abandon_sign_up(username)
    progress(f"Deleted user {username}.")
