"""What the CLI's commands share: settings to objects, output formats, error lines.

Kept apart from ``cli.py`` so the commands stay thin. Nothing here imports boto3
or fido2 at module level.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_prompts import interrupted_by_ctrl_c, non_interactive
from cognito_passkey.client.token_request import cache_for as cache_for  # re-exported

if TYPE_CHECKING:
    import boto3
    from cognito_passkey.client.config import Settings
    from cognito_passkey.client.passkey_client import PasskeyClient


def build_client(settings: Settings, *, boto_session: boto3.Session | None = None) -> PasskeyClient:
    """A PasskeyClient from the settings in force (the pool must be configured): a
    :class:`~cognito_passkey.client.native.NativePasskeyClient` when ``flow = native``.

    Under ``--non-interactive``/``CI=true`` the authenticator never asks for a PIN
    (it comes from ``COGNITO_PASSKEY_PIN``), even with a terminal attached.
    """
    from cognito_passkey.client.lazy_authenticator import LazyAuthenticator
    from cognito_passkey.client.native import NativePasskeyClient
    from cognito_passkey.client.passkey_client import PasskeyClient

    settings.require_pool()
    assert settings.user_pool_id is not None and settings.client_id is not None
    kind = NativePasskeyClient if settings.native else PasskeyClient
    return kind(
        user_pool_id=settings.user_pool_id,
        client_id=settings.client_id,
        region=settings.region,
        client_secret=settings.client_secret,
        authenticator=LazyAuthenticator(
            settings.authenticator or "usb",
            origin=settings.origin,
            interactive=False if non_interactive() else None,
        ),
        origin=settings.origin,
        rp_id=settings.rp_id,
        endpoint_url=settings.endpoint_url,
        boto_session=boto_session,
    )


@dataclass(frozen=True)
class Library:
    """How the commands build the library objects they drive, read from ``ctx.obj``.

    click's model (``make_pass_decorator``): the real factories by default, so tests can
    hand in a stubbed client with ``CliRunner.invoke(cli, args, obj=Library(...))``.
    """

    client: Callable[[Settings], PasskeyClient] = build_client

    def factory(self, settings: Settings) -> Callable[[], PasskeyClient]:
        """The client for ``settings``, made on first call only: a cache hit never builds
        one (nor imports the exchange, boto3 or the authenticator)."""
        import functools

        return functools.cache(lambda: self.client(settings))


pass_library = click.make_pass_decorator(Library, ensure=True)


def error_line(exc: BaseException) -> str:
    """One line for a person: the message plus any notes, no traceback."""
    from cognito_passkey.authenticator.errors import AuthenticatorError
    from cognito_passkey.client.errors import PasskeyClientError

    message = str(exc).strip().replace("\n", " ")
    if exit_codes.for_exception(exc) == exit_codes.INTERRUPTED:
        return "error: interrupted"  # Ctrl-C reads the same wherever it landed
    if not message:
        message = type(exc).__name__
    elif not isinstance(exc, PasskeyClientError | AuthenticatorError):
        message = f"unexpected {type(exc).__name__}: {message}"
    notes = getattr(exc, "__notes__", None) or []
    if notes:
        message += " (" + "; ".join(str(note) for note in notes) + ")"
    return f"error: {message}"


def report(exc: BaseException, *, debug: bool) -> int:
    """Print ``exc`` on stderr (a trace only with ``debug``) and return its exit code."""
    if debug:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    code = exit_codes.for_exception(exc)
    line = error_line(exc)
    if not debug and code == exit_codes.FAILURE:
        line += " (run again with --debug for details)"
    click.echo(line, err=True)
    return code


class DashArgumentsCommand(click.Command):
    """A command whose arguments may start with ``-``, as base64url ids do (1 in 64).

    Click reads any word starting with ``-`` as an option: ``-qXYZ`` fails with "No such
    option", and ``-hXYZ`` even prints the help (``-h`` then ``-X``...). Here only a word that
    is exactly one of the command's options (or ``--option=value``) is an option; every
    other word is an argument. ``--`` still ends the options. Options must therefore be
    written as words of their own (``-o json``, not ``-ojson``).
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten, moved = _dash_words_as_arguments(args, self.get_params(ctx))
        try:
            return super().parse_args(ctx, rewritten)
        except click.UsageError as exc:
            if not moved or type(exc) is not click.UsageError:  # only "extra arguments"
                raise
            shown = ", ".join(repr(word) for word in moved)
            hint = f"{shown} read as an argument: not an option of this command"
            raise click.UsageError(f"{exc.message} ({hint})", ctx=exc.ctx) from None


def _dash_words_as_arguments(
    args: list[str], params: list[click.Parameter]
) -> tuple[list[str], list[str]]:
    """``args`` as options first, then ``--`` and the arguments; and the dash words moved."""
    takes: dict[str, int] = {}  # option name -> how many values follow it
    for param in params:
        if isinstance(param, click.Option):
            count = 0 if param.is_flag or param.count else param.nargs
            for name in (*param.opts, *param.secondary_opts):
                takes[name] = count
    options: list[str] = []
    arguments: list[str] = []
    moved: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word == "--":
            arguments.extend(args[index:])
            break
        name = word.partition("=")[0] if word.startswith("--") else word
        if name in takes:
            options.append(word)
            if name == word:  # "--option value": the values are the next words, whatever
                options.extend(args[index : index + takes[name]])
                index += takes[name]
            continue
        if word.startswith("-") and word != "-":
            moved.append(word)
        arguments.append(word)
    return [*options, "--", *arguments], moved


class ReportingGroup(click.Group):
    """A group that turns errors into one stderr line and a documented exit code.

    Lazy sub-groups (``local``) are imported only when invoked; ``--help`` lists
    them from a fixed description so it loads nothing heavy.
    """

    def __init__(
        self, *args: Any, lazy: Mapping[str, tuple[str, str]] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            return _load_lazy(cmd_name, *self.lazy[cmd_name])
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        limit = (
            formatter.width - 6 - max((len(name) for name in self.list_commands(ctx)), default=0)
        )
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                rows.append((name, self.lazy[name][1]))
                continue
            command = self.commands.get(name)
            if command is None or command.hidden:
                continue
            rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.Abort as exc:
            if not interrupted_by_ctrl_c(exc):
                raise  # a declined confirmation: click's "Aborted!", exit 1
            ctx.exit(report(KeyboardInterrupt(), debug=bool(ctx.meta.get("debug"))))
        except (click.exceptions.Exit, click.ClickException):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            code = report(exc, debug=bool(ctx.meta.get("debug")))
            ctx.exit(code)


def _load_lazy(name: str, target: str, description: str) -> click.Command:
    module_name, _, attribute = target.partition(":")
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise
        return _missing_command(name, description)
    command = getattr(module, attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{target} is not a click command")
    return command


def _missing_command(name: str, description: str) -> click.Command:
    @click.command(
        name=name,
        help=f"{description} (not available in this installation)",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )
    def missing() -> None:
        click.echo(f"error: the '{name}' commands are not available in this installation", err=True)
        raise click.exceptions.Exit(exit_codes.CONFIG)

    return missing
