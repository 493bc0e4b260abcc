"""The devices command: the FIDO security keys plugged in."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click
from cognito_passkey.client import exit_codes
from cognito_passkey.client.cli_options import (
    debug_option,
)

if TYPE_CHECKING:
    pass


@click.command("devices", epilog=exit_codes.EPILOG)
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
