"""The ``cognito-passkey`` command line.

Data (tokens, lists) goes to stdout and only when asked for with ``--output``;
prompts, progress and errors go to stderr. Every command reads its settings as
flag > ``COGNITO_PASSKEY_*`` environment > profile (``--profile``). Heavy
libraries load inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import debug_option, group_settings_options
from cognito_passkey.client.cli_support import ReportingGroup
from cognito_passkey.client.commands import (
    aws,
    configuration,
    devices,
    passkeys,
    registration,
    soft,
    tokens,
)

HELP_EPILOG = (
    "Settings come from flags (given after the command, or before it: "
    "`cognito-passkey --profile local token`), then COGNITO_PASSKEY_<SETTING> environment "
    "variables, then the profile (--profile, COGNITO_PASSKEY_PROFILE, default 'default') "
    "in the config file "
    "($COGNITO_PASSKEY_CONFIG or the user config dir). Tokens are cached per profile and "
    "user ($COGNITO_PASSKEY_CACHE_DIR or the user cache dir); they are printed on stdout only "
    "with --output. " + exit_codes.EPILOG
)


def _set_non_interactive(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        from cognito_passkey.client.cli_prompts import NON_INTERACTIVE_META

        ctx.find_root().meta[NON_INTERACTIVE_META] = True
    return value


@click.group(
    cls=ReportingGroup,
    lazy={
        "local": (
            "cognito_passkey.local.cli:local",
            "Run the whole stack on a local AWS (ministack).",
        )
    },
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


for command in (
    tokens.sign_in,
    tokens.token,
    tokens.exec_command,
    registration.add_passkey,
    registration.sign_up,
    tokens.sign_out,
    configuration.config_group,
    passkeys.passkeys,
    devices.devices,
    soft.soft,
    aws.aws_credentials,
):
    cli.add_command(command)


def main() -> None:
    """Console entry point."""
    cli(prog_name="cognito-passkey")
