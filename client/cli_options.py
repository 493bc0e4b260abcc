"""The options many commands share: the settings flags, ``--output``/``--type``, ``--debug``."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import click
from cognito_passkey.client.cli_output import OUTPUT_HELP, UsageLineError, Which, output_choice
from cognito_passkey.client.setting_names import (
    FLAG_KEYS,
    NO_CACHE_ENV,
    OUTPUT_FLAGS,
    PROFILE_FLAG,
    TOKEN_TYPES,
    TYPE_FLAG,
    debug_from_env,
    flag_of,
)

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem
    from cognito_passkey.client.config import Settings

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
    "flow": "How the pool does passkeys: 'custom' (custom auth with the passkey triggers, "
    "default) or 'native' (Cognito's own passkeys, USER_AUTH / WEB_AUTHN).",
    "identity_pool_id": "Cognito identity pool id (REGION:UUID) that `aws-credentials` "
    "exchanges the ID token through.",
}


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value or debug_from_env(os.environ):
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


GROUP_SETTINGS_META: Final = "cognito_passkey.group_settings"
"""Where the root group keeps the settings flags given before the subcommand."""


def complete_profiles(
    _ctx: click.Context, _param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Profile names from the config file, for shell completion of ``--profile``."""
    from click.shell_completion import CompletionItem  # only completion needs it

    try:
        from cognito_passkey.client.config import list_profiles

        names = list_profiles()
    except Exception:  # completion must never print a traceback into the shell
        return []
    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def _profile_option(func: Any) -> Any:
    return click.option(
        PROFILE_FLAG,
        default=None,
        shell_complete=complete_profiles,
        help="Profile in the config file (default: 'default').",
    )(func)


def setting_flags(func: Any) -> Any:
    """The setting flags and ``--profile``, passed to the command as they were given."""
    for key in reversed(FLAG_KEYS):
        flag = flag_of(key)
        help_text = _SETTING_HELP.get(key, key.replace("_", " ").capitalize() + ".")
        func = click.option(flag, key, default=None, help=help_text)(func)
    return _profile_option(func)


def _remember_group_settings(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    if value is not None:
        ctx.meta.setdefault(GROUP_SETTINGS_META, {})[_param.name] = value
    return value


def group_settings_options(func: F) -> F:
    """The setting flags and ``--profile`` on the root group, for ``cognito-passkey --profile
    P COMMAND``; a command's own flag wins over the group's (see :func:`settings_options`)."""
    decorated: Any = func
    for key in (*reversed(FLAG_KEYS), "profile"):
        flag = flag_of(key)
        decorated = click.option(
            flag,
            key,
            default=None,
            expose_value=False,
            callback=_remember_group_settings,
            shell_complete=complete_profiles if key == "profile" else None,
            help=_SETTING_HELP.get(key, "Profile in the config file (default: 'default')."),
        )(decorated)
    return cast(F, decorated)


def group_settings() -> dict[str, str]:
    """The settings flags given to the root group in this run (empty outside one)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return {}
    return dict(ctx.meta.get(GROUP_SETTINGS_META, {}))


def settings_options(func: F) -> F:
    """Add the setting flags and ``--profile``; the command receives ``settings``.

    A value comes from the command's flag, else the same flag given before the command
    (``cognito-passkey --profile local token``), else the environment, else the profile.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        flags, profile = command_settings(kwargs)
        for key in (*FLAG_KEYS, "profile"):
            del kwargs[key]
        from cognito_passkey.client.config import resolve

        kwargs["settings"] = resolve(flags, profile=profile)
        return func(*args, **kwargs)

    return cast(F, debug_option(setting_flags(wrapper)))


def command_settings(kwargs: dict[str, Any]) -> tuple[dict[str, str | None], str | None]:
    """The flags and profile a command got, merged with the group's: a command's own flag
    wins over the same flag given before the command."""
    early = group_settings()
    flags = {key: _first(kwargs.get(key), early.get(key)) for key in FLAG_KEYS}
    return flags, _first(kwargs.get("profile"), early.get("profile"))


def _first(*values: str | None) -> str | None:
    return next((value for value in values if value is not None), None)


def output_options(default: str | None) -> Callable[[F], F]:
    """``--output`` and ``--type``: what to print on stdout, if anything (see OUTPUT_HELP)."""

    def decorate(func: F) -> F:
        func = click.option(
            TYPE_FLAG,
            "which",
            type=click.Choice(TOKEN_TYPES),
            default=None,
            help="Which token: id, access, or all (default: id for --output token, else all; "
            "-o token takes one token, not all).",
        )(func)
        return click.option(
            *OUTPUT_FLAGS,
            type=output_choice(tokens=True),
            default=default,
            show_default=default is not None,
            help="Print tokens on stdout. "
            + OUTPUT_HELP
            + ("" if default else " Without it nothing is printed on stdout."),
        )(func)

    return decorate


def which_of(output: str | None, which: str | None) -> Which:
    """The tokens to print; ``-o token --type all`` is a usage error (one token only)."""
    from cognito_passkey.client.token_request import tokens_wanted

    chosen = tokens_wanted(output, which)
    if chosen is None:
        raise UsageLineError("-o token prints one token: use --type id or --type access")
    return chosen


def no_cache_option(func: F) -> F:
    """``--no-cache`` (or ``COGNITO_PASSKEY_NO_CACHE=1``): neither read nor write the cache."""
    return click.option(
        "--no-cache",
        is_flag=True,
        envvar=NO_CACHE_ENV,
        help=f"Do not read or write the token cache (also {NO_CACHE_ENV}=1).",
    )(func)


def chosen_user(typed: str | None, settings: Settings, *, name: str = "USER") -> tuple[str, str]:
    """The user a command acts for, and whose default it was (empty when typed).

    An empty typed name is a usage error, never "some user": a script's unset variable must
    not act for whoever signed in last. Without one, only the profile's ``user`` (or
    COGNITO_PASSKEY_USER) stands in.
    """
    from cognito_passkey.client.token_request import USER_ENV, user_for

    found = user_for(typed, settings)
    if found is not None:
        return found
    if typed is not None:
        raise UsageLineError(f"{name} is empty: give a user name")
    raise UsageLineError(
        f"no {name} given and profile {settings.profile!r} has no default user: pass {name} "
        f"or run `cognito-passkey config set user=NAME` (or set {USER_ENV})"
    )
