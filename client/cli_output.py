"""What the CLI prints: tokens on stdout (only when asked), progress and summaries on stderr.

One output vocabulary for every command (:data:`OUTPUT_HELP`): ``-o text`` is a
tab-separated table with a header row (``table`` is accepted for it), ``-o json`` is JSON,
and commands that print tokens also take ``env`` (shell exports) and ``token`` (the bare
token). An empty list is ``[]`` in JSON; in text it prints nothing on stdout and a
``No ...`` line on stderr (a table's header would read as one row to ``wc -l``/``read``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, Final

import click
from cognito_passkey.client.token_text import ENV_NAMES as ENV_NAMES  # re-exported names
from cognito_passkey.client.token_text import Output as Output
from cognito_passkey.client.token_text import Which as Which
from cognito_passkey.client.token_text import token_fields as token_fields
from cognito_passkey.client.token_text import token_lines

if TYPE_CHECKING:
    from cognito_passkey.client.tokens import Tokens

LIST_OUTPUTS: Final = ("text", "json")
TOKEN_OUTPUTS: Final = ("text", "json", "env", "token")
OUTPUT_ALIASES: Final = {"table": "text"}
"""Older spellings still accepted (scripts use them); never shown in --help."""
OUTPUT_HELP: Final = (
    "text: a tab-separated table with a header row (an empty list: nothing, and 'No ...' "
    "on stderr); json: JSON; for tokens also env (shell exports) and token (the bare token)."
)
"""The one description of ``--output``; each command's --help repeats it."""


class UsageLineError(click.UsageError):
    """A usage error (exit 2) shown as one ``error:`` line, without click's usage block."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class OutputChoice(click.Choice[str]):
    """``--output``'s choices, also taking the aliases in :data:`OUTPUT_ALIASES`."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            value = OUTPUT_ALIASES.get(value.lower(), value)
        return super().convert(value, param, ctx)


def output_choice(*, tokens: bool = False) -> OutputChoice:
    """The ``--output`` type of a list/info command, or (``tokens``) of a token command."""
    return OutputChoice(TOKEN_OUTPUTS if tokens else LIST_OUTPUTS, case_sensitive=False)


def list_output_option(func: Any) -> Any:
    """``-o/--output text|json`` for a command that prints a list or a record."""
    return click.option(
        "--output", "-o", type=output_choice(), default="text", show_default=True, help=OUTPUT_HELP
    )(func)


def cell(value: Any) -> str:
    """A table cell: booleans as true/false, nothing as ``-``, lists comma-joined, one line."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(cell(item) for item in value) or "-"
    return " ".join(str(value).split("\t")).replace("\n", " ")


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    output: str,
    *,
    none: str | None = None,
) -> None:
    """Print ``rows`` on stdout: JSON (the whole rows), or a header row and one line each.

    No rows in text: nothing on stdout, ``none`` (like "No passkeys.") on stderr.
    """
    if output == "json":
        import json

        click.echo(json.dumps([dict(row) for row in rows], indent=2))
        return
    if not rows:
        if none:
            progress(none)
        return
    click.echo("\t".join(columns))
    for row in rows:
        click.echo("\t".join(cell(row.get(column)) for column in columns))


def emit_record(record: Mapping[str, Any], output: str) -> None:
    """Print one record: a JSON object, or a ``field``/``value`` table."""
    if output == "json":
        import json

        click.echo(json.dumps(dict(record), indent=2))
        return
    emit_rows([{"field": k, "value": v} for k, v in record.items()], ("field", "value"), output)


def progress(message: str) -> None:
    """Progress and summaries go to stderr; stdout carries data only."""
    click.echo(message, err=True)


def emit_tokens(tokens: Tokens, output: Output, which: Which, username: str | None = None) -> None:
    """Print tokens on stdout in ``output`` form; the one place a token is ever printed.

    ``env`` always carries the expiry (COGNITO_TOKEN_EXPIRES_AT), whichever token is chosen.
    ``which`` comes from :func:`~cognito_passkey.client.cli_options.which_of`, which refuses
    ``-o token --type all``.
    """
    if output == "text":
        document = dict(token_fields(tokens, which))
        if username is not None and which == "all":
            document["username"] = username
        emit_record(document, output)
        return
    for line in token_lines(tokens, output, which, username):
        click.echo(line)


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
