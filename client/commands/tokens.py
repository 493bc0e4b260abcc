"""Getting tokens: sign-in, token, exec, sign-out."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import (
    chosen_user,
    no_cache_option,
    output_options,
    settings_options,
    which_of,
)
from cognito_passkey.client.cli_output import Output, emit_tokens, progress, summary
from cognito_passkey.client.cli_support import (
    Library,
    cache_for,
    pass_library,
)
from cognito_passkey.client.config import (
    Settings,
)
from cognito_passkey.client.token_request import whose_line
from cognito_passkey.client.token_text import TOKEN_DEFAULT_OUTPUT

if TYPE_CHECKING:
    pass


def _say_whose(username: str, default_of: str, what: str) -> None:
    """Name the user on stderr when nobody typed it: a default must never act unseen."""
    line = whose_line(username, default_of, what)
    if line:
        progress(line)


@click.command("sign-in", epilog=exit_codes.EPILOG)
@click.argument("username")
@click.option("--force", is_flag=True, help="Use the passkey even when cached tokens are valid.")
@no_cache_option
@output_options(None)
@settings_options
@pass_library
def sign_in(
    library: Library,
    username: str,
    force: bool,
    no_cache: bool,
    output: str | None,
    which: str | None,
    settings: Settings,
) -> None:
    """Sign USERNAME in with a passkey; tokens are cached (printed only with --output).

    Valid cached tokens are used as they are, expired ones are refreshed, and
    only then is the authenticator asked.
    """
    from cognito_passkey.client.token_source import obtain_tokens

    name, _ = chosen_user(username, settings, name="USERNAME")
    chosen = which_of(output, which) if output else None
    cache, key = cache_for(settings, no_cache=no_cache)
    got = obtain_tokens(
        library.factory(settings), cache, key, name, force_key=force, notify=progress
    )
    progress(summary(got.tokens, got.username, got.source))
    if output and chosen:
        emit_tokens(got.tokens, cast(Output, output), chosen, got.username)


@click.command("token", epilog=exit_codes.EPILOG)
@click.argument("username", required=False)
@click.option(
    "--cached-only", is_flag=True, help="Fail instead of asking the authenticator (exit 3)."
)
@click.option("--verify", is_flag=True, help="Check the token(s) against the pool's JWKS first.")
@no_cache_option
@output_options(TOKEN_DEFAULT_OUTPUT)
@settings_options
@pass_library
def token(
    library: Library,
    username: str | None,
    cached_only: bool,
    verify: bool,
    no_cache: bool,
    output: str,
    which: str | None,
    settings: Settings,
) -> None:
    """Print a valid token of USERNAME (default: the profile's `user`, named on stderr).

    Cached tokens are printed as they are, expired ones refreshed; only when
    both fail is the passkey used (never with --cached-only).
    """
    from cognito_passkey.client.token_source import obtain_tokens

    name, default_of = chosen_user(username, settings, name="USERNAME")
    chosen = which_of(output, which)
    if cached_only and no_cache:
        from cognito_passkey.client.cli_output import UsageLineError

        raise UsageLineError("--cached-only needs the cache: drop --no-cache")
    _say_whose(name, default_of, "Token")
    client = library.factory(settings)
    cache, key = cache_for(settings, no_cache=no_cache)
    got = obtain_tokens(client, cache, key, name, use_key=not cached_only, notify=progress)
    if got.source != "cache":
        progress(summary(got.tokens, got.username, got.source))
    if verify:
        if chosen in ("id", "all"):
            client().verify_token(got.tokens.id_token, token_use="id")  # noqa: S106
        if chosen in ("access", "all"):
            client().verify_token(got.tokens.access_token, token_use="access")  # noqa: S106
    emit_tokens(got.tokens, cast(Output, output), chosen, got.username)


DEFAULT_USER_WORD = "-"
"""``exec``'s USERNAME standing for the profile's ``user`` (what ``exec -- CMD`` becomes)."""


class ExecCommand(click.Command):
    """``exec [OPTIONS] [USERNAME] -- CMD``: a ``--`` right after the options means no USERNAME.

    Everything after USERNAME is CMD (it may have options of its own), so USERNAME cannot
    simply be optional: only an explicit ``--`` where USERNAME would stand says it is absent.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes = {
            name: (0 if param.is_flag or param.count else param.nargs)
            for param in self.get_params(ctx)
            if isinstance(param, click.Option)
            for name in (*param.opts, *param.secondary_opts)
        }
        index = 0
        while index < len(args) and args[index] != "--":
            word = args[index]
            name = word.partition("=")[0]
            if name not in takes:
                break  # USERNAME
            index += 1 + (takes[name] if name == word else 0)
        if index < len(args) and args[index] == "--":
            args = [*args[:index], DEFAULT_USER_WORD, *args[index:]]
        return super().parse_args(ctx, args)


@click.command(
    "exec",
    cls=ExecCommand,
    epilog=exit_codes.EPILOG,
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("username")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED, metavar="-- CMD...")
@no_cache_option
@settings_options
@pass_library
def exec_command(
    library: Library,
    username: str,
    command: tuple[str, ...],
    no_cache: bool,
    settings: Settings,
) -> None:
    """Run CMD with USERNAME's tokens in its environment; its exit code becomes ours.

    The child gets COGNITO_ID_TOKEN, COGNITO_ACCESS_TOKEN and COGNITO_TOKEN_EXPIRES_AT
    (tokens from the cache, refreshed, or a new sign-in, as `token` gets them); nothing
    is printed. Options go before USERNAME; everything after it is CMD. Like
    `aws-vault exec`: cognito-passkey exec --profile ci alice -- pytest tests/
    Without USERNAME (`exec -- CMD`) the profile's `user` is used, named on stderr.
    """
    from cognito_passkey.client.cli_output import run_with_tokens
    from cognito_passkey.client.token_source import obtain_tokens

    typed = None if username == DEFAULT_USER_WORD else username
    name, default_of = chosen_user(typed, settings, name="USERNAME")
    _say_whose(name, default_of, "Tokens")
    cache, key = cache_for(settings, no_cache=no_cache)
    got = obtain_tokens(library.factory(settings), cache, key, name, notify=progress)
    if got.source != "cache":
        progress(summary(got.tokens, got.username, got.source))
    raise click.exceptions.Exit(run_with_tokens(list(command), got.tokens))


@click.command("sign-out", epilog=exit_codes.EPILOG)
@click.argument("username", required=False)
@click.option("--local-only", is_flag=True, help="Only forget the cached tokens.")
@settings_options
@pass_library
def sign_out(library: Library, username: str | None, local_only: bool, settings: Settings) -> None:
    """Sign USERNAME out everywhere, revoke its refresh token and forget its cached tokens.

    Without USERNAME the profile's `user` is signed out (named on stderr).
    """
    name, default_of = chosen_user(username, settings, name="USERNAME")
    _say_whose(name, default_of, "Signing out")
    cache, key = cache_for(settings)
    entry = cache.load(key, name)
    if entry is None:
        progress(f"No cached sign-in for {name}; nothing to do.")
        return
    cache.delete(key, entry.username)
    if local_only:
        progress(f"Forgot the cached tokens of {entry.username}.")
        return
    from cognito_passkey.client.errors import PasskeyClientError
    from cognito_passkey.client.passkey_client import add_note

    client = library.client(settings)
    try:
        client.sign_out(entry.tokens.access_token, refresh_token=entry.tokens.refresh_token)
    except PasskeyClientError as exc:
        add_note(exc, "the cached tokens were forgotten anyway")
        raise
    progress(f"Signed {entry.username} out.")
