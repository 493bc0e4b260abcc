"""The devices command: the FIDO security keys plugged in."""

from __future__ import annotations

from typing import Any

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import (
    debug_option,
)
from cognito_passkey.client.cli_output import emit_rows, list_output_option

DEVICE_COLUMNS = ("path", "product_name", "ctap_versions", "pin_set", "error")


@click.command("devices", epilog=exit_codes.EPILOG)
@list_output_option
@debug_option
def devices(output: str) -> None:
    """List the FIDO security keys plugged in (exit 4 when there is none).

    With no key, -o json still prints `[]` before the error line, so a script reads the
    same shape either way (text prints nothing: the error line says why).
    """
    import dataclasses

    from cognito_passkey.authenticator import list_usb_devices
    from cognito_passkey.authenticator.errors import NoAuthenticatorError

    try:
        found = list_usb_devices()
    except NoAuthenticatorError:
        emit_rows([], DEVICE_COLUMNS, output)
        raise
    rows: list[dict[str, Any]] = [dataclasses.asdict(device) for device in found]
    emit_rows(rows, DEVICE_COLUMNS, output)
