"""The passkeys group: list, rename and delete through the management API."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import (
    chosen_user,
    settings_options,
)
from cognito_passkey.client.cli_output import emit_rows, list_output_option, progress
from cognito_passkey.client.cli_prompts import (
    confirm_or_refuse,
    non_interactive,
    refuse_prompt,
)
from cognito_passkey.client.cli_stdin import stdin_gives_nothing
from cognito_passkey.client.cli_support import (
    DashArgumentsCommand,
    Library,
    ReportingGroup,
    cache_for,
    pass_library,
)
from cognito_passkey.client.config import (
    Settings,
)

if TYPE_CHECKING:
    from cognito_passkey.client.management import PasskeyManager
    from cognito_passkey.client.native import NativePasskeyManager


@click.group("passkeys", cls=ReportingGroup, epilog=exit_codes.EPILOG)
def passkeys() -> None:
    """List, rename or delete your passkeys (the management API of a custom-auth pool, or
    Cognito itself on a native pool: flow = native)."""


def _manager(
    library: Library, settings: Settings, username: str | None
) -> PasskeyManager | NativePasskeyManager:
    from cognito_passkey.client.management import PasskeyManager, check_management_url
    from cognito_passkey.client.native import NativePasskeyClient
    from cognito_passkey.client.token_source import obtain_tokens

    if not settings.native:
        check_management_url(settings.management_url)  # before the sign-in that may touch the key
    name, default_of = chosen_user(username, settings, name="--user")
    if default_of:
        progress(f"Passkeys of {name} ({default_of})")
    client = library.client(settings)
    cache, key = cache_for(settings)
    got = obtain_tokens(client, cache, key, name, notify=progress)
    if isinstance(client, NativePasskeyClient):
        return client.passkeys(got.tokens.access_token)
    return PasskeyManager(settings.management_url, got.tokens.access_token)


_user_option = click.option(
    "--user", "username", help="Whose passkeys (default: the profile's `user`)."
)


PASSKEY_COLUMNS = ("id", "name", "created_at", "last_used_at")


@passkeys.command("list")
@_user_option
@list_output_option
@settings_options
@pass_library
def passkeys_list(library: Library, username: str | None, output: str, settings: Settings) -> None:
    """List the passkeys of the signed-in user (text: a header row, then one per line)."""
    items = _manager(library, settings, username).list()
    emit_rows([item.to_json() for item in items], PASSKEY_COLUMNS, output, none="No passkeys.")


@passkeys.command("rename", cls=DashArgumentsCommand)
@click.argument("passkey_id")
@click.argument("name")
@_user_option
@settings_options
@pass_library
def passkeys_rename(
    library: Library, passkey_id: str, name: str, username: str | None, settings: Settings
) -> None:
    """Give passkey PASSKEY_ID a new NAME.

    PASSKEY_ID (from `passkeys list`) may start with '-', like any base64url id: only the
    options listed below are read as options. Putting `--` before the arguments also works.
    Native pools cannot rename (Cognito names passkeys itself).
    """
    if settings.native:
        raise click.UsageError("native pools cannot rename passkeys (Cognito has no rename)")
    renamed = _manager(library, settings, username).rename(passkey_id, name)
    progress(f"Renamed {renamed.id} to {renamed.name!r}.")


@passkeys.command("delete", cls=DashArgumentsCommand)
@click.argument("passkey_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_user_option
@settings_options
@pass_library
def passkeys_delete(
    library: Library, passkey_id: str, yes: bool, username: str | None, settings: Settings
) -> None:
    """Delete passkey PASSKEY_ID; it can no longer sign in.

    The passkey is looked up first, so the question names it and an unknown id fails
    (exit 1) before anything is asked.

    PASSKEY_ID (from `passkeys list`) may start with '-', like any base64url id: only the
    options listed below are read as options. Putting `--` before the arguments also works.
    """
    if not yes and (non_interactive() or stdin_gives_nothing()):
        raise refuse_prompt("a confirmation is needed", "pass --yes")  # before any sign-in
    manager = _manager(library, settings, username)
    found = manager.find(passkey_id)
    if not yes:
        confirm_or_refuse(f"Delete passkey {found.name!r} ({passkey_id})?")
    manager.delete(passkey_id)
    progress(f"Deleted passkey {found.name!r} ({passkey_id}).")
