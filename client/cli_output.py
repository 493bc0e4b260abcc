"""What the CLI prints: tokens on stdout (only when asked), progress and summaries on stderr."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any, Literal

import click

if TYPE_CHECKING:
    from cognito_passkey.client.tokens import Tokens

Output = Literal["json", "env", "token"]
Which = Literal["id", "access", "all"]

ENV_NAMES = {
    "id_token": "COGNITO_ID_TOKEN",
    "access_token": "COGNITO_ACCESS_TOKEN",
    "refresh_token": "COGNITO_REFRESH_TOKEN",
    "expires_at": "COGNITO_TOKEN_EXPIRES_AT",
}


def progress(message: str) -> None:
    """Progress and summaries go to stderr; stdout carries data only."""
    click.echo(message, err=True)


def token_fields(tokens: Tokens, which: Which) -> dict[str, Any]:
    """The selected tokens as a dict (``all`` adds the refresh token and expiry)."""
    if which == "id":
        return {"id_token": tokens.id_token}
    if which == "access":
        return {"access_token": tokens.access_token}
    return tokens.to_dict()


def emit_tokens(tokens: Tokens, output: Output, which: Which, username: str | None = None) -> None:
    """Print tokens on stdout in ``output`` form; the one place a token is ever printed."""
    selected = token_fields(tokens, which)
    if output == "token" and which != "all":
        click.echo(next(iter(selected.values())))
    elif output == "env":
        for key, value in selected.items():
            if key in ENV_NAMES and value is not None:
                click.echo(f"export {ENV_NAMES[key]}={shlex.quote(str(value))}")
    else:
        document = dict(selected)
        if username is not None and which == "all":
            document["username"] = username
        click.echo(json.dumps(document, indent=2))


EXEC_ENV_KEYS = ("id_token", "access_token", "expires_at")
"""What ``exec`` hands its child: never the long-lived refresh token."""


def run_with_tokens(command: list[str], tokens: Tokens) -> int:
    """Run ``command`` with the tokens in its environment; its exit code (128+N for signal N).

    A command that cannot be started is 127 (126: not executable), as in a shell.
    """
    import os
    import subprocess

    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise click.UsageError("no command to run: cognito-passkey exec USER -- CMD ARGS...")
    values = tokens.to_dict()
    env = dict(os.environ)
    for name in EXEC_ENV_KEYS:
        if values.get(name) is not None:
            env[ENV_NAMES[name]] = str(values[name])
    try:
        completed = subprocess.run(command, env=env, check=False)
    except FileNotFoundError:
        click.echo(f"error: {command[0]}: command not found", err=True)
        return 127
    except PermissionError:
        click.echo(f"error: {command[0]}: not executable", err=True)
        return 126
    code = completed.returncode
    return 128 - code if code < 0 else code


def summary(tokens: Tokens, username: str, source: str) -> str:
    """The stderr line after a sign-in: who, how, until when (never a token)."""
    import datetime

    until = datetime.datetime.fromtimestamp(tokens.expires_at, tz=datetime.timezone.utc)
    how = {
        "cache": "cached tokens",
        "refresh": "refreshed tokens",
        "passkey": "passkey",
        "password": "password",
    }.get(source, source)
    return f"Signed in as {username} ({how}); tokens valid until {until:%Y-%m-%d %H:%M:%S} UTC"
