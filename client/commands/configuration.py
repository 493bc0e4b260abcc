"""The config group: show, set and list profiles."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import (
    debug_option,
    settings_options,
)
from cognito_passkey.client.cli_output import progress
from cognito_passkey.client.cli_support import (
    ReportingGroup,
)
from cognito_passkey.client.config import (
    Settings,
    config_path,
    list_profiles,
    profile_name,
    write_profile,
)

if TYPE_CHECKING:
    pass


@click.group("config", cls=ReportingGroup, epilog=exit_codes.EPILOG)
def config_group() -> None:
    """Show or change profiles in the config file."""


@config_group.command("show")
@settings_options
def config_show(settings: Settings) -> None:
    """Print the settings in force (flags > environment > profile) as JSON; the secret masked."""
    import dataclasses

    shown = dataclasses.asdict(settings)
    if shown.get("client_secret"):
        shown["client_secret"] = "********"  # noqa: S105 - a mask
    shown["config_file"] = str(config_path())
    click.echo(json.dumps(shown, indent=2))


@config_group.command("set")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.option("--profile", default=None, help="Profile to change (default: 'default').")
@click.option("--replace", is_flag=True, help="Replace the whole profile instead of merging.")
@debug_option
def config_set(assignments: tuple[str, ...], profile: str | None, replace: bool) -> None:
    """Store settings in a profile (an empty VALUE removes the key)."""
    values: dict[str, str] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="KEY=VALUE")
        values[key.strip().replace("-", "_")] = value
    name = profile_name(profile)
    path = write_profile(name, values, merge=not replace)
    progress(f"Profile {name!r} saved in {path}.")


@config_group.command("list")
@debug_option
def config_list() -> None:
    """List the profiles in the config file."""
    for name in list_profiles():
        click.echo(name)
