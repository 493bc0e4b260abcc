"""The root click group of ``cognito-passkey``: its own options and the lazy command table
(:data:`cognito_passkey.client.cli.COMMANDS`). Apart from ``cli.py`` so that the entry point
can answer a cache-hit ``token`` without importing click."""

from __future__ import annotations

import click
from cognito_passkey.client.cli import COMMANDS, HELP_EPILOG
from cognito_passkey.client.cli_options import debug_option, group_settings_options
from cognito_passkey.client.cli_support import ReportingGroup


def _set_non_interactive(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        from cognito_passkey.client.cli_prompts import NON_INTERACTIVE_META

        ctx.find_root().meta[NON_INTERACTIVE_META] = True
    return value


@click.group(
    cls=ReportingGroup,
    lazy=COMMANDS,
    epilog=HELP_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--non-interactive",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_non_interactive,
    help="Never prompt: a command that would ask fails at once (exit 2) naming the flag or "
    "variable to use instead (also CI=true). Without a terminal, hidden prompts fail the same way.",
)
@click.version_option(package_name="cognito-passkey", prog_name="cognito-passkey")
@group_settings_options
@debug_option
def cli() -> None:
    """Passkey (FIDO2/WebAuthn) sign-in to Amazon Cognito from the terminal."""
