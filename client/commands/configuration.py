"""The config group: show, set and list profiles, and import one from a deployed stack."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from typing import Any

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import (
    command_settings,
    complete_profiles,
    debug_option,
    group_settings,
    setting_flags,
)
from cognito_passkey.client.cli_output import progress
from cognito_passkey.client.cli_support import (
    ReportingGroup,
)
from cognito_passkey.client.config import (
    SOURCE_FLAG,
    Settings,
    config_path,
    list_profiles,
    profile_name,
    resolve_with_sources,
    write_profile,
)
from cognito_passkey.client.setting_names import ENV_PROFILE

DEFAULT_AUTHENTICATOR = "usb"
_SECRET_MASK = "********"  # noqa: S105 - a mask, not a secret


@click.group("config", cls=ReportingGroup, epilog=exit_codes.EPILOG)
def config_group() -> None:
    """Show or change profiles in the config file."""


@config_group.command("show")
@click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json"]),
    default=None,
    help="text: a table of each setting, its value and where it came from (the default at a "
    "terminal); json: the settings, with a 'sources' map (the default when stdout is not a "
    "terminal, so scripts that read it keep working).",
)
@setting_flags
@debug_option
def config_show(output: str | None, **given: str | None) -> None:
    """Print the settings in force and where each came from; the secret masked.

    A value comes from a flag, an environment variable COGNITO_PASSKEY_<KEY>, the profile
    (named with the config file), or is derived (the region from the user pool id) or a
    default (the authenticator is 'usb' unless set).
    """
    flags, profile = command_settings(given)
    settings, sources = resolve_with_sources(flags, profile=profile)
    sources["profile"] = _profile_source(profile)
    authenticator, authenticator_source = _effective_authenticator(settings, sources)
    if (output or ("text" if sys.stdout.isatty() else "json")) == "json":
        shown: dict[str, Any] = dataclasses.asdict(settings)
        if shown.get("client_secret"):
            shown["client_secret"] = _SECRET_MASK
        shown["config_file"] = str(config_path())
        shown["effective_authenticator"] = authenticator
        shown["sources"] = {**sources, "effective_authenticator": authenticator_source}
        click.echo(json.dumps(shown, indent=2))
        return
    rows = [("NAME", "VALUE", "SOURCE")]
    for key, value in dataclasses.asdict(settings).items():
        if key == "authenticator":
            rows.append((key, authenticator, authenticator_source))
            continue
        if key == "client_secret" and value:
            value = _SECRET_MASK
        rows.append((key, value or "<not set>", sources.get(key, "-")))
    rows.append(("config_file", str(config_path()), "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, value, source in rows:
        click.echo(f"{name:<{widths[0]}}  {value:<{widths[1]}}  {source}".rstrip())


def _profile_source(flag: str | None) -> str:
    if flag:
        return SOURCE_FLAG
    if os.environ.get(ENV_PROFILE):
        return f"environment {ENV_PROFILE}"
    return "default"


def _effective_authenticator(settings: Settings, sources: dict[str, str]) -> tuple[str, str]:
    """The authenticator a command would open, and why: ``usb`` unless one is set."""
    if settings.authenticator:
        return settings.authenticator, sources.get("authenticator", "-")
    return DEFAULT_AUTHENTICATOR, "default"


@config_group.command("set")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.option(
    "--profile",
    default=None,
    shell_complete=complete_profiles,
    help="Profile to change (default: 'default').",
)
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
    name = profile_name(profile or group_settings().get("profile"))
    path = write_profile(name, values, merge=not replace)
    progress(f"Profile {name!r} saved in {path}.")


@config_group.command("import-stack")
@click.argument("stack")
@click.option(
    "--profile",
    default=None,
    shell_complete=complete_profiles,
    help="Profile to write (default: 'default'); its other keys are kept.",
)
@click.option(
    "--region",
    default=None,
    help="Region of the stack (default: the AWS CLI's, AWS_REGION or AWS_DEFAULT_REGION).",
)
@click.option(
    "--endpoint-url",
    default=None,
    help="CloudFormation endpoint of a local AWS; also written as the profile's "
    "endpoint_url (without it, the profile's endpoint_url is removed).",
)
@debug_option
def config_import_stack(
    stack: str, profile: str | None, region: str | None, endpoint_url: str | None
) -> None:
    """Write a profile from STACK's outputs (a stack deployed from our templates).

    Reads the outputs with CloudFormation's DescribeStacks (AWS credentials as the AWS CLI
    finds them) and stores user_pool_id, client_id, region, rp_id and management_url (and
    identity_pool_id when the stack has one) in the profile:

        cognito-passkey config import-stack passkeys --profile prod --region eu-west-1
    """
    from cognito_passkey.client.stack_import import profile_from_stack

    early = group_settings()
    region = region or early.get("region")
    endpoint_url = endpoint_url or early.get("endpoint_url")
    values = profile_from_stack(stack, region=region, endpoint_url=endpoint_url)
    values["endpoint_url"] = endpoint_url or ""
    name = profile_name(profile or early.get("profile"))
    path = write_profile(name, values, merge=True)
    keys = ", ".join(key for key, value in values.items() if value)
    progress(f"Profile {name!r} saved in {path} from stack {stack!r} ({keys}).")
    if "client_id" not in values:
        progress(
            f"The stack has no app client of its own: set one with "
            f"`cognito-passkey config set --profile {name} client_id=...`."
        )


@config_group.command("list")
@debug_option
def config_list() -> None:
    """List the profiles in the config file."""
    for name in list_profiles():
        click.echo(name)
