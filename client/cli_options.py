"""The options many commands share: the settings flags, ``--output``/``--type``, ``--debug``."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click
from cognito_passkey.client.cli_output import Which
from cognito_passkey.client.config import PROFILE_KEYS, resolve

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


def which_of(output: str | None, which: str | None) -> Which:
    if which:
        return cast(Which, which)
    return "id" if output == "token" else "all"
