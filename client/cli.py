"""The ``cognito-passkey`` command line.

Data (tokens, lists) goes to stdout and only when asked for with ``--output``;
prompts, progress and errors go to stderr. Every command reads its settings as
flag > ``COGNITO_PASSKEY_*`` environment > profile (``--profile``). Heavy
libraries load inside the commands, so ``--help`` stays fast.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_support import (
    DashArgumentsCommand,
    Library,
    Output,
    ReportingGroup,
    Which,
    cache_for,
    confirm_code_prompt,
    confirm_or_refuse,
    emit_tokens,
    non_interactive,
    pass_library,
    progress,
    read_secret_line,
    refuse_prompt,
    stdin_is_terminal,
    summary,
)
from cognito_passkey.client.config import (
    PROFILE_KEYS,
    Settings,
    config_path,
    list_profiles,
    profile_name,
    resolve,
    write_profile,
)

if TYPE_CHECKING:
    from cognito_passkey.client.management import PasskeyManager

F = TypeVar("F", bound=Callable[..., Any])

_SETTING_HELP = {
    "user_pool_id": "User pool id, like eu-west-1_AbC123.",
    "client_id": "App client id.",
    "region": "AWS region (default: from the user pool id).",
    "endpoint_url": "Cognito endpoint URL (a local AWS such as ministack).",
    "client_secret": "App client secret (prefer COGNITO_PASSKEY_CLIENT_SECRET or the profile).",
    "authenticator": "'usb' (default), 'soft:PATH' for a software key store, or 'soft:env' "
    "for one in $COGNITO_PASSKEY_SOFT_STORE (see `soft export`).",
    "origin": "Origin put in the client data (default https://<RP ID>).",
    "rp_id": "Relying party ID the passkeys are for (default: the origin's host); "
    "a challenge naming another RP is refused.",
    "management_url": "The passkey management API URL (self-hosted backend).",
}
_DEBUG_ENV = "COGNITO_PASSKEY_DEBUG"

HELP_EPILOG = (
    "Settings come from flags, then COGNITO_PASSKEY_<SETTING> environment variables, then "
    "the profile (--profile, COGNITO_PASSKEY_PROFILE, default 'default') in the config file "
    "($COGNITO_PASSKEY_CONFIG or the user config dir). Tokens are cached per profile and "
    "user ($COGNITO_PASSKEY_CACHE_DIR or the user cache dir); they are printed on stdout only "
    "with --output. " + exit_codes.EPILOG
)


def _set_non_interactive(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        from cognito_passkey.client.cli_support import NON_INTERACTIVE_META

        ctx.find_root().meta[NON_INTERACTIVE_META] = True
    return value


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value or os.environ.get(_DEBUG_ENV, "") not in ("", "0"):
        ctx.meta["debug"] = True
    return value


def debug_option(func: F) -> F:
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        help="Show the full trace of an error (also COGNITO_PASSKEY_DEBUG=1).",
    )(func)


def settings_options(func: F) -> F:
    """Add the setting flags and ``--profile``; the command receives ``settings``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        flags = {key: kwargs.pop(key) for key in PROFILE_KEYS}
        profile = kwargs.pop("profile")
        kwargs["settings"] = resolve(flags, profile=profile)
        return func(*args, **kwargs)

    decorated: Any = wrapper
    for key in reversed(PROFILE_KEYS):
        flag = "--" + key.replace("_", "-")
        decorated = click.option(flag, key, default=None, help=_SETTING_HELP[key])(decorated)
    decorated = click.option(
        "--profile", default=None, help="Profile in the config file (default: 'default')."
    )(decorated)
    return cast(F, debug_option(decorated))


def output_options(default: str | None) -> Callable[[F], F]:
    """``--output`` and ``--type``: what to print on stdout, if anything."""

    def decorate(func: F) -> F:
        func = click.option(
            "--type",
            "which",
            type=click.Choice(["id", "access", "all"]),
            default=None,
            help="Which token: id, access, or all (default: id for --output token, else all).",
        )(func)
        return click.option(
            "--output",
            "-o",
            type=click.Choice(["json", "env", "token"]),
            default=default,
            help="Print tokens on stdout as JSON, shell exports, or the bare token."
            + ("" if default else " Without it nothing is printed on stdout."),
        )(func)

    return decorate


def _which(output: str | None, which: str | None) -> Which:
    if which:
        return cast(Which, which)
    return "id" if output == "token" else "all"


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
@debug_option
def cli() -> None:
    """Passkey (FIDO2/WebAuthn) sign-in to Amazon Cognito from the terminal."""


# -- signing in ------------------------------------------------------------------------


@cli.command("sign-in", epilog=exit_codes.EPILOG)
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
        emit_tokens(got.tokens, cast(Output, output), _which(output, which), got.username)


@cli.command("token", epilog=exit_codes.EPILOG)
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
    chosen = _which(output, which)
    if verify:
        if chosen in ("id", "all"):
            client.verify_token(got.tokens.id_token, token_use="id")  # noqa: S106
        if chosen in ("access", "all"):
            client.verify_token(got.tokens.access_token, token_use="access")  # noqa: S106
    emit_tokens(got.tokens, cast(Output, output), chosen, got.username)


@cli.command(
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
    from cognito_passkey.client.cli_support import run_with_tokens
    from cognito_passkey.client.token_source import obtain_tokens

    client = library.client(settings)
    cache, key = cache_for(settings)
    got = obtain_tokens(client, cache, key, username, notify=progress)
    if got.source != "cache":
        progress(summary(got.tokens, got.username, got.source))
    raise click.exceptions.Exit(run_with_tokens(list(command), got.tokens))


@cli.command("add-passkey", epilog=exit_codes.EPILOG)
@click.argument("username", required=False)
@click.option(
    "--with-password",
    is_flag=True,
    help="Sign in with the password first (asked on the terminal) to get the ID token.",
)
@click.option("--password-stdin", is_flag=True, help="Like --with-password, read from stdin.")
@click.option("--timeout", "timeout_s", type=click.IntRange(1, 600), help="Ceremony timeout, s.")
@click.option(
    "--usernameless", is_flag=True, default=None, help="Ask for a discoverable credential."
)
@output_options(None)
@settings_options
@pass_library
def add_passkey(
    library: Library,
    username: str | None,
    with_password: bool,
    password_stdin: bool,
    timeout_s: int | None,
    usernameless: bool | None,
    output: str | None,
    which: str | None,
    settings: Settings,
) -> None:
    """Register a new passkey for USERNAME (signed in: cached tokens, or --with-password)."""
    from cognito_passkey.authenticator.errors import NoCredentialsError
    from cognito_passkey.client.errors import AuthenticationError
    from cognito_passkey.client.passkey_client import add_note
    from cognito_passkey.client.token_source import obtain_tokens

    client = library.client(settings)
    cache, key = cache_for(settings)
    if with_password or password_stdin:
        if not username:
            raise click.UsageError("USERNAME is required with --with-password")
        password = read_secret_line(
            f"Password for {username}",
            from_stdin=password_stdin,
            need="a password is needed",
            instead="use --password-stdin",
        )
        current = client.sign_in_password(username, password)
        del password
        name = username
    else:
        try:
            got = obtain_tokens(client, cache, key, username, notify=progress)
        except (AuthenticationError, NoCredentialsError) as exc:
            add_note(exc, "to add a first passkey, sign in with --with-password")
            raise
        current, name = got.tokens, got.username
    tokens = client.add_passkey(
        name,
        current.id_token,
        access_token=current.access_token,
        timeout_s=timeout_s,
        require_usernameless=usernameless,
    )
    cache.save(key, name, tokens)
    progress(f"Passkey added for {name}.")
    if output:
        emit_tokens(tokens, cast(Output, output), _which(output, which), name)


@cli.command("sign-up", epilog=exit_codes.EPILOG)
@click.argument("username")
@click.option("--email", help="The user's email attribute.")
@click.option(
    "--attribute",
    "-a",
    "attributes",
    multiple=True,
    metavar="NAME=VALUE",
    help="A user attribute (repeatable).",
)
@click.option(
    "--confirm",
    type=click.Choice(["code", "admin", "auto"]),
    default="code",
    show_default=True,
    help="code: ask for the code Cognito sent; admin: AdminConfirmSignUp with your AWS "
    "credentials; auto: the pool confirms by itself.",
)
@output_options(None)
@settings_options
@pass_library
def sign_up(
    library: Library,
    username: str,
    email: str | None,
    attributes: tuple[str, ...],
    confirm: str,
    output: str | None,
    which: str | None,
    settings: Settings,
) -> None:
    """Create USERNAME with a passkey as its only credential.

    Cognito needs a password: a random one is made, used once and forgotten.
    """
    from cognito_passkey.client.passkey_client import Confirm

    parsed: dict[str, str] = {}
    for item in attributes:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--attribute")
        parsed[name.strip()] = value
    if email:
        parsed["email"] = email
    if confirm == "code" and non_interactive():  # before the user exists
        raise refuse_prompt(
            "a confirmation code would be asked", "use --confirm admin or --confirm auto"
        )
    client = library.client(settings)
    cache, key = cache_for(settings)
    how: Confirm = confirm_code_prompt() if confirm == "code" else cast(Confirm, confirm)
    tokens = client.sign_up_with_passkey(username, parsed, confirm=how)
    cache.save(key, username, tokens)
    progress(summary(tokens, username, "passkey"))
    if output:
        emit_tokens(tokens, cast(Output, output), _which(output, which), username)


@cli.command("sign-out", epilog=exit_codes.EPILOG)
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


# -- configuration --------------------------------------------------------------------------


@cli.group("config", cls=ReportingGroup, epilog=exit_codes.EPILOG)
def config_group() -> None:
    """Show or change profiles in the config file."""


@config_group.command("show")
@settings_options
def config_show(settings: Settings) -> None:
    """Print the settings in force (flags > environment > profile) as JSON; the secret masked."""
    import dataclasses

    shown = dataclasses.asdict(settings)
    if shown.get("client_secret"):
        shown["client_secret"] = "********"  # noqa: S105 - a mask
    shown["config_file"] = str(config_path())
    click.echo(json.dumps(shown, indent=2))


@config_group.command("set")
@click.argument("assignments", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.option("--profile", default=None, help="Profile to change (default: 'default').")
@click.option("--replace", is_flag=True, help="Replace the whole profile instead of merging.")
@debug_option
def config_set(assignments: tuple[str, ...], profile: str | None, replace: bool) -> None:
    """Store settings in a profile (an empty VALUE removes the key)."""
    values: dict[str, str] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="KEY=VALUE")
        values[key.strip().replace("-", "_")] = value
    name = profile_name(profile)
    path = write_profile(name, values, merge=not replace)
    progress(f"Profile {name!r} saved in {path}.")


@config_group.command("list")
@debug_option
def config_list() -> None:
    """List the profiles in the config file."""
    for name in list_profiles():
        click.echo(name)


# -- passkey management ---------------------------------------------------------------------


@cli.group("passkeys", cls=ReportingGroup, epilog=exit_codes.EPILOG)
def passkeys() -> None:
    """List, rename or delete your passkeys (self-hosted backend's management API)."""


def _manager(library: Library, settings: Settings, username: str | None) -> PasskeyManager:
    from cognito_passkey.client.management import PasskeyManager, check_management_url
    from cognito_passkey.client.token_source import obtain_tokens

    check_management_url(settings.management_url)  # before the sign-in that may touch the key
    client = library.client(settings)
    cache, key = cache_for(settings)
    got = obtain_tokens(client, cache, key, username, notify=progress)
    return PasskeyManager(settings.management_url, got.tokens.access_token)


_user_option = click.option("--user", "username", help="Whose passkeys (default: last user).")


@passkeys.command("list")
@_user_option
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table")
@settings_options
@pass_library
def passkeys_list(library: Library, username: str | None, output: str, settings: Settings) -> None:
    """List the passkeys of the signed-in user."""
    items = _manager(library, settings, username).list()
    if output == "json":
        click.echo(json.dumps([item.to_json() for item in items], indent=2))
        return
    if not items:
        progress("No passkeys.")
        return
    for item in items:
        used = item.last_used_at or "never"
        click.echo(f"{item.id}\t{item.name}\tcreated {item.created_at}\tlast used {used}")


@passkeys.command("rename", cls=DashArgumentsCommand)
@click.argument("passkey_id")
@click.argument("name")
@_user_option
@settings_options
@pass_library
def passkeys_rename(
    library: Library, passkey_id: str, name: str, username: str | None, settings: Settings
) -> None:
    """Give passkey PASSKEY_ID a new NAME.

    PASSKEY_ID (from `passkeys list`) may start with '-', like any base64url id: only the
    options listed below are read as options. Putting `--` before the arguments also works.
    """
    renamed = _manager(library, settings, username).rename(passkey_id, name)
    progress(f"Renamed {renamed.id} to {renamed.name!r}.")


@passkeys.command("delete", cls=DashArgumentsCommand)
@click.argument("passkey_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_user_option
@settings_options
@pass_library
def passkeys_delete(
    library: Library, passkey_id: str, yes: bool, username: str | None, settings: Settings
) -> None:
    """Delete passkey PASSKEY_ID; it can no longer sign in.

    PASSKEY_ID (from `passkeys list`) may start with '-', like any base64url id: only the
    options listed below are read as options. Putting `--` before the arguments also works.
    """
    if not yes:
        confirm_or_refuse(f"Delete passkey {passkey_id}?")
    _manager(library, settings, username).delete(passkey_id)
    progress(f"Deleted passkey {passkey_id}.")


# -- authenticators -------------------------------------------------------------------------


@cli.command("devices", epilog=exit_codes.EPILOG)
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table")
@debug_option
def devices(output: str) -> None:
    """List the FIDO security keys plugged in (exit 4 when there is none)."""
    import dataclasses

    from cognito_passkey.authenticator import list_usb_devices

    found = list_usb_devices()
    if output == "json":
        click.echo(json.dumps([dataclasses.asdict(d) for d in found], indent=2))
        return
    for device in found:
        name = device.product_name or "unknown key"
        versions = ",".join(device.ctap_versions)
        pin = {True: "PIN set", False: "no PIN", None: "PIN unknown"}[device.pin_set]
        line = f"{device.path}\t{name}\t{versions}\t{pin}"
        if device.error:
            line += f"\t({device.error})"
        click.echo(line)


@cli.group("soft", cls=ReportingGroup, epilog=exit_codes.EPILOG)
def soft() -> None:
    """Manage software-authenticator stores (use them with --authenticator soft:PATH).

    An encrypted store's passphrase comes from COGNITO_PASSKEY_SOFT_PASSPHRASE. For CI,
    `soft export PATH` prints a COGNITO_PASSKEY_SOFT_STORE value for --authenticator soft:env.
    """


@soft.command("create")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--encrypt", is_flag=True, help="Encrypt the store (passphrase asked, or from the env)."
)
@click.option(
    "--builtin-uv",
    is_flag=True,
    help="Let built-in verification stand in for a PIN once one is set (see `soft info`).",
)
@click.option(
    "--no-counter",
    is_flag=True,
    help="Sign with counter 0 always (needed by `soft export`: CI jobs sharing one copy).",
)
@debug_option
def soft_create(path: str, encrypt: bool, builtin_uv: bool, no_counter: bool) -> None:
    """Create an empty store file at PATH (0600); passkeys are added by add-passkey/sign-up."""
    from cognito_passkey.authenticator import PASSPHRASE_ENV, open_store

    if os.path.exists(path):
        raise click.UsageError(f"{path} already exists; it was left untouched")
    passphrase = None
    if encrypt:
        passphrase = os.environ.get(PASSPHRASE_ENV) or None
        if passphrase is None:
            if non_interactive() or not stdin_is_terminal():
                raise refuse_prompt("a passphrase is needed", f"set {PASSPHRASE_ENV}")
            passphrase = click.prompt(
                "Passphrase for the new store", hide_input=True, confirmation_prompt=True, err=True
            )
    store = open_store(path, passphrase=passphrase)
    store.set_builtin_uv(builtin_uv)
    if no_counter:
        store.set_counterless(True)
    progress(f"Created {path}. Use it with --authenticator soft:{path}")


@soft.command("export")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@debug_option
def soft_export(path: str) -> None:
    """Print the COGNITO_PASSKEY_SOFT_STORE value for the store at PATH (for CI secrets).

    The store must be encrypted (its passphrase in COGNITO_PASSKEY_SOFT_PASSPHRASE) and
    counterless (`soft create --encrypt --no-counter`): jobs restoring one copy cannot
    share a counter. Use it with --authenticator soft:env; nothing is written to disk there.
    """
    from cognito_passkey.authenticator.soft_authenticator import export_env_store

    click.echo(export_env_store(path))


@soft.command("info")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--builtin-uv/--no-builtin-uv",
    default=None,
    help="Change the setting: built-in verification stands in for a set PIN, or not.",
)
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table")
@debug_option
def soft_info(path: str, builtin_uv: bool | None, output: str) -> None:
    """Show the store at PATH: PIN, user verification, credentials (never keys or PIN).

    With a PIN set, user verification means the PIN (COGNITO_PASSKEY_PIN) unless the
    store enables built-in verification, which approves at once; without a PIN the
    built-in verification answers (headless runs).
    """
    from cognito_passkey.authenticator import open_store

    store = open_store(path)
    state = store.set_builtin_uv(builtin_uv) if builtin_uv is not None else store.device_state()
    pin_set = state.pin is not None
    info = {
        "path": path,
        "encrypted": bool(getattr(store, "encrypted", False)),
        "pin_set": pin_set,
        "pin_retries": state.pin_retries,
        "builtin_uv": state.builtin_uv,
        "counterless": state.counterless,
        "user_verification": "built-in" if state.builtin_uv or not pin_set else "PIN",
        "credentials": len(store.list_credentials()),
    }
    if output == "json":
        click.echo(json.dumps(info, indent=2))
        return
    for name, value in info.items():
        click.echo(f"{name}\t{str(value).lower() if isinstance(value, bool) else value}")


@soft.command("list")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--rp-id", help="Only credentials for this relying party.")
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table")
@debug_option
def soft_list(path: str, rp_id: str | None, output: str) -> None:
    """List the credentials in the store at PATH (never their keys)."""
    from cognito_passkey.authenticator import open_store
    from fido2.utils import websafe_encode

    rows = [
        {
            "credential_id": websafe_encode(cred.credential_id),
            "rp_id": cred.rp_id,
            "user_name": cred.user_name,
            "created_at": cred.created_at.isoformat(),
            "sign_count": cred.sign_count,
            "discoverable": cred.discoverable,
        }
        for cred in open_store(path).list_credentials(rp_id)
    ]
    if output == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        progress("No credentials.")
    for row in rows:
        click.echo(
            f"{row['credential_id']}\t{row['rp_id']}\t{row['user_name'] or ''}\t{row['created_at']}"
        )


@soft.command("delete", cls=DashArgumentsCommand)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.argument("credential_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@debug_option
def soft_delete(path: str, credential_id: str, yes: bool) -> None:
    """Delete credential CREDENTIAL_ID (base64url) from the store at PATH.

    CREDENTIAL_ID (from `soft list`) may start with '-': only the options listed below are
    read as options. Putting `--` before the arguments also works.
    """
    from cognito_passkey.authenticator import open_store
    from fido2.utils import websafe_decode

    try:
        raw = websafe_decode(credential_id)
    except ValueError:
        raise click.BadParameter("not base64url", param_hint="CREDENTIAL_ID") from None
    if not yes:
        confirm_or_refuse(f"Delete credential {credential_id}?")
    if not open_store(path).delete_credential(raw):
        raise click.UsageError(f"no credential {credential_id} in {path}")
    progress(f"Deleted credential {credential_id}.")


def main() -> None:
    """Console entry point."""
    cli(prog_name="cognito-passkey")
