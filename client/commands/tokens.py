"""Getting tokens: sign-in, token, exec, sign-out."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import (
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

if TYPE_CHECKING:
    pass


@click.command("sign-in", epilog=exit_codes.EPILOG)
@click.argument("username")
@click.option("--force", is_flag=True, help="Use the passkey even when cached tokens are valid.")
@output_options(None)
@settings_options
@pass_library
def sign_in(
    library: Library,
    username: str,
    force: bool,
    output: str | None,
    which: str | None,
    settings: Settings,
) -> None:
    """Sign USERNAME in with a passkey; tokens are cached (printed only with --output).

    Valid cached tokens are used as they are, expired ones are refreshed, and
    only then is the authenticator asked.
    """
    from cognito_passkey.client.token_source import obtain_tokens

    client = library.client(settings)
    cache, key = cache_for(settings)
    got = obtain_tokens(client, cache, key, username, force_key=force, notify=progress)
    progress(summary(got.tokens, got.username, got.source))
    if output:
        emit_tokens(got.tokens, cast(Output, output), which_of(output, which), got.username)


@click.command("token", epilog=exit_codes.EPILOG)
@click.argument("username", required=False)
@click.option(
    "--cached-only", is_flag=True, help="Fail instead of asking the authenticator (exit 3)."
)
@click.option("--verify", is_flag=True, help="Check the token(s) against the pool's JWKS first.")
@output_options("token")
@settings_options
@pass_library
def token(
    library: Library,
    username: str | None,
    cached_only: bool,
    verify: bool,
    output: str,
    which: str | None,
    settings: Settings,
) -> None:
    """Print a valid token of USERNAME (default: the profile's last user).

    Cached tokens are printed as they are, expired ones refreshed; only when
    both fail is the passkey used (never with --cached-only).
    """
    from cognito_passkey.client.token_source import obtain_tokens

    client = library.client(settings)
    cache, key = cache_for(settings)
    got = obtain_tokens(client, cache, key, username, use_key=not cached_only, notify=progress)
    if got.source != "cache":
        progress(summary(got.tokens, got.username, got.source))
    chosen = which_of(output, which)
    if verify:
        if chosen in ("id", "all"):
            client.verify_token(got.tokens.id_token, token_use="id")  # noqa: S106
        if chosen in ("access", "all"):
            client.verify_token(got.tokens.access_token, token_use="access")  # noqa: S106
    emit_tokens(got.tokens, cast(Output, output), chosen, got.username)


@click.command(
    "exec",
    epilog=exit_codes.EPILOG,
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("username")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED, metavar="-- CMD...")
@settings_options
@pass_library
def exec_command(
    library: Library, username: str, command: tuple[str, ...], settings: Settings
) -> None:
    """Run CMD with USERNAME's tokens in its environment; its exit code becomes ours.

    The child gets COGNITO_ID_TOKEN, COGNITO_ACCESS_TOKEN and COGNITO_TOKEN_EXPIRES_AT
    (tokens from the cache, refreshed, or a new sign-in, as `token` gets them); nothing
    is printed. Options go before USERNAME; everything after it is CMD. Like
    `aws-vault exec`: cognito-passkey exec --profile ci alice -- pytest tests/
    """
    from cognito_passkey.client.cli_output import run_with_tokens
    from cognito_passkey.client.token_source import obtain_tokens

    client = library.client(settings)
    cache, key = cache_for(settings)
    got = obtain_tokens(client, cache, key, username, notify=progress)
    if got.source != "cache":
        progress(summary(got.tokens, got.username, got.source))
    raise click.exceptions.Exit(run_with_tokens(list(command), got.tokens))


@click.command("sign-out", epilog=exit_codes.EPILOG)
@click.argument("username", required=False)
@click.option("--local-only", is_flag=True, help="Only forget the cached tokens.")
@settings_options
@pass_library
def sign_out(library: Library, username: str | None, local_only: bool, settings: Settings) -> None:
    """Sign USERNAME out everywhere, revoke its refresh token and forget its cached tokens."""
    cache, key = cache_for(settings)
    entry = cache.load(key, username) if username else cache.latest(key)
    if entry is None:
        progress(f"No cached sign-in for {username or 'this profile'}; nothing to do.")
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
