"""The ``cognito-passkey`` command line.

Data (tokens, lists) goes to stdout and only when asked for with ``--output``;
prompts, progress and errors go to stderr. Every command reads its settings as
flag > ``COGNITO_PASSKEY_*`` environment > profile (``--profile``). Heavy
libraries load inside the commands, so ``--help`` stays fast, and a plain cache-hit
``token`` is answered before click is even imported (``token_fast_path``); the click group
itself is built in ``cli_root``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Final

from cognito_passkey.client import exit_codes

if TYPE_CHECKING:
    import click

HELP_EPILOG = (
    "Settings come from flags (given after the command, or before it: "
    "`cognito-passkey --profile local token`), then COGNITO_PASSKEY_<SETTING> environment "
    "variables, then the profile (--profile, COGNITO_PASSKEY_PROFILE, default 'default') "
    "in the config file "
    "($COGNITO_PASSKEY_CONFIG or the user config dir). Tokens are cached per profile and "
    "user ($COGNITO_PASSKEY_CACHE_DIR or the user cache dir); they are printed on stdout only "
    "with --output. " + exit_codes.EPILOG
)


_C = "cognito_passkey.client.commands."
COMMANDS: dict[str, tuple[str, str]] = {
    "sign-in": (
        _C + "tokens:sign_in",
        "Sign USERNAME in with a passkey; tokens are cached (printed only with --output).",
    ),
    "token": (
        _C + "tokens:token",
        "Print a valid token of USERNAME (default: the profile's `user`, named on stderr).",
    ),
    "exec": (
        _C + "tokens:exec_command",
        "Run CMD with USERNAME's tokens in its environment; its exit code becomes ours.",
    ),
    "sign-out": (
        _C + "tokens:sign_out",
        "Sign USERNAME out everywhere, revoke its refresh token and forget its cached tokens.",
    ),
    "add-passkey": (
        _C + "registration:add_passkey",
        "Register a new passkey for USERNAME (signed in: cached tokens, or --with-password).",
    ),
    "sign-up": (
        _C + "registration:sign_up",
        "Create USERNAME with a passkey as its only credential.",
    ),
    "aws-credentials": (
        _C + "aws:aws_credentials",
        "Print AWS credentials of USERNAME (default: the profile's user) as the AWS CLI's "
        "credential_process JSON.",
    ),
    "config": (_C + "configuration:config_group", "Show or change profiles in the config file."),
    "passkeys": (
        _C + "passkeys:passkeys",
        "List, rename or delete your passkeys (the management API of a custom-auth pool, or "
        "Cognito itself on a native pool: flow = native).",
    ),
    "devices": (
        _C + "devices:devices",
        "List the FIDO security keys plugged in (exit 4 when there is none).",
    ),
    "soft": (
        _C + "soft:soft",
        "Manage software-authenticator stores (use them with --authenticator soft:PATH).",
    ),
    "local": (
        "cognito_passkey.local.cli:local",
        "Run a local AWS (ministack) with the passkey stack deployed, on 127.0.0.1.",
    ),
}
"""Every command, loaded only when it runs (click's lazy-group pattern): ``--help`` lists them
from these lines, each the first line of the command's own docstring (a test keeps them so),
and a run imports one command module, not all of them."""


FAST_PATH_COMMAND: Final = "token"
"""The command :mod:`~cognito_passkey.client.token_fast_path` may answer before click loads."""


def __getattr__(name: str) -> click.Group:
    """``cli``, the root group, built on first use (PEP 562): the fast path never needs it."""
    if name == "cli":
        from cognito_passkey.client.cli_root import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console entry point."""
    if sys.argv[1:2] == [FAST_PATH_COMMAND]:
        from cognito_passkey.client.token_fast_path import answered

        if answered(sys.argv[1:]):
            return
    from cognito_passkey.client.cli_root import cli

    cli(prog_name="cognito-passkey")
