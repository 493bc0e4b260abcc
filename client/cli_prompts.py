"""Asking a person: confirmations, hidden secrets, codes; and refusing when nobody can answer.

``--non-interactive`` or ``CI=true`` means nothing may be asked; without a terminal a hidden
prompt fails the same way. Each refusal names the flag or variable to use instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

import click
from cognito_passkey.client import exit_codes

NON_INTERACTIVE_META = "cognito_passkey.non_interactive"
CI_ENV = "CI"


class NonInteractiveError(click.ClickException):
    """A prompt was needed where nobody may answer: one line naming what to use instead."""

    exit_code = exit_codes.USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _ci() -> bool:
    import os

    return os.environ.get(CI_ENV, "").strip().lower() in ("true", "1", "yes")


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def non_interactive() -> bool:
    """``--non-interactive`` or ``CI=true``: nothing may be asked at all."""
    ctx = click.get_current_context(silent=True)
    flagged = bool(ctx and ctx.find_root().meta.get(NON_INTERACTIVE_META))
    return flagged or _ci()


def refuse_prompt(need: str, instead: str) -> NonInteractiveError:
    """The error for a prompt that cannot be shown: ``a PIN is needed: set ...``."""
    return NonInteractiveError(f"{need}: {instead} (no prompt without a terminal)")


def confirm_or_refuse(question: str) -> None:
    """Ask ``question`` (abort on no); with nobody to answer, fail naming ``--yes``.

    Without a terminal a piped answer is still read (``yes | ...``); only when there
    is none, or with ``--non-interactive``/``CI=true``, the command fails at once.
    """
    need = "a confirmation is needed"
    if non_interactive():
        raise refuse_prompt(need, "pass --yes")
    if not stdin_is_terminal():
        line = sys.stdin.readline()
        if not line:
            raise refuse_prompt(need, "pass --yes")
        click.echo(f"{question} [y/N]: ", err=True)
        if line.strip().lower() not in ("y", "yes"):
            raise click.Abort()
        return
    click.confirm(question, abort=True, err=True)


def read_secret_line(
    prompt: str, *, from_stdin: bool, need: str = "a secret is needed", instead: str = ""
) -> str:
    """A secret from stdin (one line) or a hidden prompt on the terminal; never echoed.

    A hidden prompt needs a terminal on stdin (and no ``--non-interactive``/``CI=true``);
    otherwise the command fails naming ``instead`` (e.g. ``use --password-stdin``).
    """
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError("nothing to read on stdin")
        return line.rstrip("\r\n")
    if non_interactive() or not stdin_is_terminal():
        raise refuse_prompt(need, instead or "run it at a terminal")
    value: str = click.prompt(prompt, hide_input=True, err=True)
    return value


def confirm_code_prompt() -> Callable[[str, Mapping[str, Any]], str]:
    """Ask for the emailed/texted confirmation code on the terminal (or read it from stdin)."""

    def ask(username: str, delivery: Mapping[str, Any]) -> str:
        where = delivery.get("Destination")
        medium = str(delivery.get("DeliveryMedium") or "").lower() or "message"
        hint = f" (sent by {medium} to {where})" if where else ""
        try:
            value: str = click.prompt(f"Confirmation code for {username}{hint}", err=True)
        except click.Abort:
            from cognito_passkey.client.errors import UserNotConfirmedError

            raise UserNotConfirmedError(
                f"no confirmation code was given; {username} exists but is unconfirmed "
                "(an administrator can confirm or delete it)"
            ) from None
        return value

    return ask
