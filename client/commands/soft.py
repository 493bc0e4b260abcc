"""The soft group: software-authenticator stores."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import (
    debug_option,
)
from cognito_passkey.client.cli_output import emit_record, emit_rows, list_output_option, progress
from cognito_passkey.client.cli_prompts import (
    ask_new_secret,
    confirm_or_refuse,
    secret_asker,
)
from cognito_passkey.client.cli_support import (
    DashArgumentsCommand,
    ReportingGroup,
)

if TYPE_CHECKING:
    from cognito_passkey.authenticator.soft.store import CredentialStore


def _open(path: str) -> CredentialStore:
    """The existing store at PATH; an encrypted one's passphrase is asked at a terminal."""
    from cognito_passkey.authenticator import PASSPHRASE_ENV, open_store

    ask = secret_asker("the store's passphrase is needed", f"set {PASSPHRASE_ENV}")
    return open_store(path, ask_passphrase=ask)


@click.group("soft", cls=ReportingGroup, epilog=exit_codes.EPILOG)
def soft() -> None:
    """Manage software-authenticator stores (use them with --authenticator soft:PATH).

    A store is made only by `soft create` (or add-passkey/sign-up --create-store). An
    encrypted store's passphrase comes from COGNITO_PASSKEY_SOFT_PASSPHRASE, else it is
    asked at the terminal. For CI,
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
    from cognito_passkey.authenticator import PASSPHRASE_ENV
    from cognito_passkey.authenticator.soft_authenticator import create_store

    if os.path.exists(path):
        raise click.UsageError(f"{path} already exists; it was left untouched")
    passphrase = None
    if encrypt:
        passphrase = os.environ.get(PASSPHRASE_ENV) or None
        if passphrase is None:
            passphrase = ask_new_secret(
                "Passphrase for the new store",
                need="a passphrase is needed",
                instead=f"set {PASSPHRASE_ENV}",
            )
    store = create_store(path, passphrase=passphrase)
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
@list_output_option
@debug_option
def soft_info(path: str, builtin_uv: bool | None, output: str) -> None:
    """Show the store at PATH: PIN, user verification, credentials (never keys or PIN).

    With a PIN set, user verification means the PIN (COGNITO_PASSKEY_PIN) unless the
    store enables built-in verification, which approves at once; without a PIN the
    built-in verification answers (headless runs).
    """
    store = _open(path)
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
    emit_record(info, output)


SOFT_LIST_COLUMNS = ("credential_id", "rp_id", "user_name", "created_at", "sign_count")


@soft.command("list")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--rp-id", help="Only credentials for this relying party.")
@list_output_option
@debug_option
def soft_list(path: str, rp_id: str | None, output: str) -> None:
    """List the credentials in the store at PATH (never their keys)."""
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
        for cred in _open(path).list_credentials(rp_id)
    ]
    emit_rows(rows, SOFT_LIST_COLUMNS, output, none="No credentials.")


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
    from fido2.utils import websafe_decode

    try:
        raw = websafe_decode(credential_id)
    except ValueError:
        raise click.BadParameter("not base64url", param_hint="CREDENTIAL_ID") from None
    store = _open(path)
    if not yes:
        confirm_or_refuse(f"Delete credential {credential_id}?")
    if not store.delete_credential(raw):
        # Well-formed but not there: exit 1 like `passkeys delete` (exit_codes.FAILURE).
        raise click.ClickException(f"no credential {credential_id} in {path}")
    progress(f"Deleted credential {credential_id}.")
