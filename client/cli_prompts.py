"""Asking a person: confirmations, hidden secrets, codes; and refusing when nobody can answer.

``--non-interactive`` or ``CI=true`` means nothing may be asked; without a terminal a hidden
prompt fails the same way. Each refusal names the flag or variable to use instead.

click's prompts turn both Ctrl-C and the end of input into ``click.Abort`` (printed as
"Aborted!", exit 1). Every prompt here goes through :func:`prompt_outcomes`, which tells the
two apart: Ctrl-C becomes ``KeyboardInterrupt`` (exit 130, "error: interrupted"), a closed
input becomes the refusal that names what to use instead (exit 2).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
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
    return os.environ.get(CI_ENV, "").strip().lower() in ("true", "1", "yes")


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):  # no stdin at all (a closed descriptor)
        return False


def non_interactive() -> bool:
    """``--non-interactive`` or ``CI=true``: nothing may be asked at all."""
    ctx = click.get_current_context(silent=True)
    flagged = bool(ctx and ctx.find_root().meta.get(NON_INTERACTIVE_META))
    return flagged or _ci()


def can_prompt() -> bool:
    """A person can answer: stdin is a terminal and nothing forbids asking."""
    return not non_interactive() and stdin_is_terminal()


def refuse_prompt(need: str, instead: str) -> NonInteractiveError:
    """The error for a prompt that cannot be shown: ``a PIN is needed: set ...``."""
    return NonInteractiveError(f"{need}: {instead} (no prompt without a terminal)")


def interrupted_by_ctrl_c(exc: click.Abort) -> bool:
    """Whether click's ``Abort`` stands for Ctrl-C (click raises it ``from None`` but keeps
    the ``KeyboardInterrupt`` as its context)."""
    return isinstance(exc.__context__, KeyboardInterrupt)


@contextlib.contextmanager
def prompt_outcomes(need: str, instead: str, *, hidden: bool = True) -> Iterator[None]:
    """Around a click prompt: Ctrl-C -> ``KeyboardInterrupt``; end of input -> refusal."""
    try:
        yield
    except click.Abort as exc:
        if interrupted_by_ctrl_c(exc):
            if not hidden:  # click ends the line itself only after a hidden prompt
                click.echo(err=True)
            raise KeyboardInterrupt from None
        if isinstance(exc.__context__, EOFError):
            raise refuse_prompt(need, instead) from None
        raise


def stdin_line() -> str:
    """One line from stdin, ``""`` at its end or when there is no stdin at all."""
    stream = sys.stdin
    if stream is None:
        return ""
    try:
        return stream.readline()
    except (OSError, ValueError):  # a closed or unreadable descriptor
        return ""


def confirm_or_refuse(question: str) -> None:
    """Ask ``question`` (abort on no); with nobody to answer, fail naming ``--yes``.

    Without a terminal a piped answer is still read (``yes | ...``); only when there
    is none, or with ``--non-interactive``/``CI=true``, the command fails at once.
    """
    need = "a confirmation is needed"
    if non_interactive():
        raise refuse_prompt(need, "pass --yes")
    if not stdin_is_terminal():
        line = stdin_line()
        if not line:
            raise refuse_prompt(need, "pass --yes")
        click.echo(f"{question} [y/N]: ", err=True)
        if line.strip().lower() not in ("y", "yes"):
            raise click.Abort()
        return
    with prompt_outcomes(need, "pass --yes", hidden=False):
        click.confirm(question, abort=True, err=True)


def read_secret_line(
    prompt: str, *, from_stdin: bool, need: str = "a secret is needed", instead: str = ""
) -> str:
    """A secret from stdin (one line) or a hidden prompt on the terminal; never echoed.

    A hidden prompt needs a terminal on stdin (and no ``--non-interactive``/``CI=true``);
    otherwise the command fails naming ``instead`` (e.g. ``use --password-stdin``).
    """
    if from_stdin:
        line = stdin_line()
        if not line:
            raise NonInteractiveError(f"{need}: nothing to read on stdin (pipe it in)")
        return line.rstrip("\r\n")
    instead = instead or "run it at a terminal"
    if not can_prompt():
        raise refuse_prompt(need, instead)
    with prompt_outcomes(need, instead):
        value: str = click.prompt(prompt, hide_input=True, err=True)
    return value


def ask_new_secret(prompt: str, *, need: str, instead: str) -> str:
    """A new secret typed twice at the terminal (a new store's passphrase), or a refusal."""
    if not can_prompt():
        raise refuse_prompt(need, instead)
    with prompt_outcomes(need, instead):
        value: str = click.prompt(prompt, hide_input=True, confirmation_prompt=True, err=True)
    return value


def secret_asker(need: str, instead: str) -> Callable[[str], str] | None:
    """A hidden-prompt function for a library that asks only when it must (None: no one
    can answer, and the library's own error names ``instead``)."""
    if not can_prompt():
        return None

    def ask(prompt: str) -> str:
        with prompt_outcomes(need, instead):
            value: str = click.prompt(prompt.rstrip(": "), hide_input=True, err=True)
        return value

    return ask


def confirm_code_prompt() -> Callable[[str, Mapping[str, Any]], str]:
    """Ask for the emailed/texted confirmation code on the terminal (or read it from stdin)."""

    def ask(username: str, delivery: Mapping[str, Any]) -> str:
        where = delivery.get("Destination")
        medium = str(delivery.get("DeliveryMedium") or "").lower() or "message"
        hint = f" (sent by {medium} to {where})" if where else ""
        try:
            value: str = click.prompt(f"Confirmation code for {username}{hint}", err=True)
        except click.Abort as exc:
            if interrupted_by_ctrl_c(exc):
                raise KeyboardInterrupt from None
            from cognito_passkey.client.errors import UserNotConfirmedError

            raise UserNotConfirmedError(
                f"no confirmation code was given; {username} exists but is unconfirmed "
                "(an administrator can confirm or delete it)"
            ) from None
        return value

    return ask
