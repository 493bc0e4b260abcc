"""Putting a passkey on an account: add-passkey, and sign-up with a passkey only."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import (
    output_options,
    settings_options,
    which_of,
)
from cognito_passkey.client.cli_output import Output, emit_tokens, progress, summary
from cognito_passkey.client.cli_prompts import (
    confirm_code_prompt,
    non_interactive,
    read_secret_line,
    refuse_prompt,
)
from cognito_passkey.client.cli_support import (
    Library,
    cache_for,
    pass_library,
)
from cognito_passkey.client.config import (
    Settings,
)

if TYPE_CHECKING:
    pass


@click.command("add-passkey", epilog=exit_codes.EPILOG)
@click.argument("username", required=False)
@click.option(
    "--with-password",
    is_flag=True,
    help="Sign in with the password first (asked on the terminal) to get the ID token.",
)
@click.option("--password-stdin", is_flag=True, help="Like --with-password, read from stdin.")
@click.option("--timeout", "timeout_s", type=click.IntRange(1, 600), help="Ceremony timeout, s.")
@click.option(
    "--usernameless", is_flag=True, default=None, help="Ask for a discoverable credential."
)
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
    output: str | None,
    which: str | None,
    settings: Settings,
) -> None:
    """Register a new passkey for USERNAME (signed in: cached tokens, or --with-password)."""
    from cognito_passkey.authenticator.errors import NoCredentialsError
    from cognito_passkey.client.errors import AuthenticationError
    from cognito_passkey.client.passkey_client import add_note
    from cognito_passkey.client.token_source import obtain_tokens

    client = library.client(settings)
    cache, key = cache_for(settings)
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
            got = obtain_tokens(client, cache, key, username, notify=progress)
        except (AuthenticationError, NoCredentialsError) as exc:
            add_note(exc, "to add a first passkey, sign in with --with-password")
            raise
        current, name = got.tokens, got.username
    tokens = client.add_passkey(
        name,
        current.id_token,
        access_token=current.access_token,
        timeout_s=timeout_s,
        require_usernameless=usernameless,
    )
    cache.save(key, name, tokens)
    progress(f"Passkey added for {name}.")
    if output:
        emit_tokens(tokens, cast(Output, output), which_of(output, which), name)


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
@output_options(None)
@settings_options
@pass_library
def sign_up(
    library: Library,
    username: str,
    email: str | None,
    attributes: tuple[str, ...],
    confirm: str,
    output: str | None,
    which: str | None,
    settings: Settings,
) -> None:
    """Create USERNAME with a passkey as its only credential.

    Cognito needs a password: a random one is made, used once and forgotten.
    """
    from cognito_passkey.client.passkey_client import Confirm

    parsed: dict[str, str] = {}
    for item in attributes:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--attribute")
        parsed[name.strip()] = value
    if email:
        parsed["email"] = email
    if confirm == "code" and non_interactive():  # before the user exists
        raise refuse_prompt(
            "a confirmation code would be asked", "use --confirm admin or --confirm auto"
        )
    client = library.client(settings)
    cache, key = cache_for(settings)
    how: Confirm = confirm_code_prompt() if confirm == "code" else cast(Confirm, confirm)
    tokens = client.sign_up_with_passkey(username, parsed, confirm=how)
    cache.save(key, username, tokens)
    progress(summary(tokens, username, "passkey"))
    if output:
        emit_tokens(tokens, cast(Output, output), which_of(output, which), username)
