"""The passkeys group: list, rename and delete through the management API."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import (
    settings_options,
)
from cognito_passkey.client.cli_output import progress
from cognito_passkey.client.cli_prompts import (
    confirm_or_refuse,
)
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


@click.group("passkeys", cls=ReportingGroup, epilog=exit_codes.EPILOG)
def passkeys() -> None:
    """List, rename or delete your passkeys (self-hosted backend's management API)."""


def _manager(library: Library, settings: Settings, username: str | None) -> PasskeyManager:
    from cognito_passkey.client.management import PasskeyManager, check_management_url
    from cognito_passkey.client.token_source import obtain_tokens

    check_management_url(settings.management_url)  # before the sign-in that may touch the key
    client = library.client(settings)
    cache, key = cache_for(settings)
    got = obtain_tokens(client, cache, key, username, notify=progress)
    return PasskeyManager(settings.management_url, got.tokens.access_token)


_user_option = click.option("--user", "username", help="Whose passkeys (default: last user).")


@passkeys.command("list")
@_user_option
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table")
@settings_options
@pass_library
def passkeys_list(library: Library, username: str | None, output: str, settings: Settings) -> None:
    """List the passkeys of the signed-in user."""
    items = _manager(library, settings, username).list()
    if output == "json":
        click.echo(json.dumps([item.to_json() for item in items], indent=2))
        return
    if not items:
        progress("No passkeys.")
        return
    for item in items:
        used = item.last_used_at or "never"
        click.echo(f"{item.id}\t{item.name}\tcreated {item.created_at}\tlast used {used}")


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
    """
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

    PASSKEY_ID (from `passkeys list`) may start with '-', like any base64url id: only the
    options listed below are read as options. Putting `--` before the arguments also works.
    """
    if not yes:
        confirm_or_refuse(f"Delete passkey {passkey_id}?")
    _manager(library, settings, username).delete(passkey_id)
    progress(f"Deleted passkey {passkey_id}.")
