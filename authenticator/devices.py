"""Finding USB security keys, and saying why none was found.

On Linux a plugged-in key is invisible to python-fido2 when the user may not
open its ``/dev/hidraw*`` node; the report descriptor in sysfs is readable by
everyone, so we can still tell "no key" from "a key you may not open" and name
the udev rule that fixes it.
"""

from __future__ import annotations

import glob
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from .errors import NoAuthenticatorError

if TYPE_CHECKING:
    from fido2.ctap import CtapDevice
    from fido2.hid import CtapHidDevice

PLUG_IN_TIMEOUT_S = 30.0
"""How long a run at a terminal waits for a key to be plugged in."""
PLUG_IN_POLL_S = 0.5

UDEV_HINT = (
    "On Linux, this user also needs access to the key's /dev/hidraw* device: install "
    "your distribution's FIDO udev rule (the 'libu2f-udev' package, which provides "
    '70-u2f.rules) or add a rule that tags FIDO hidraw devices with TAG+="uaccess", '
    "then unplug and re-insert the key."
)


def _platform_hint() -> str:
    return f" {UDEV_HINT}" if sys.platform.startswith("linux") else ""


def no_key_message() -> str:
    return "No security key found: plug in your FIDO2 security key and try again." + (
        _platform_hint()
    )


def permission_message(paths: Sequence[str]) -> str:
    listed = ", ".join(paths)
    noun = "a security key" if len(paths) == 1 else f"{len(paths)} security keys"
    return f"Found {noun} ({listed}) but cannot open it: permission denied." + _platform_hint()


def fido_hidraw_nodes(sysfs_root: str = "/sys/class/hidraw", dev_root: str = "/dev") -> list[str]:
    """Every FIDO hidraw node (Linux), judged by its world-readable sysfs report descriptor."""
    from fido2.hid.base import parse_report_descriptor

    found = []
    for entry in sorted(glob.glob(os.path.join(sysfs_root, "hidraw*"))):
        name = os.path.basename(entry)
        try:
            with open(os.path.join(entry, "device", "report_descriptor"), "rb") as f:
                parse_report_descriptor(f.read())
        except (OSError, ValueError):
            continue  # unreadable, or not a FIDO device
        node = os.path.join(dev_root, name)
        if os.path.exists(node):
            found.append(node)
    return found


def unopenable_fido_hidraw(
    sysfs_root: str = "/sys/class/hidraw", dev_root: str = "/dev"
) -> list[str]:
    """FIDO hidraw nodes (Linux) this process may not read and write."""
    return [
        node
        for node in fido_hidraw_nodes(sysfs_root, dev_root)
        if not os.access(node, os.R_OK | os.W_OK)
    ]


def plug_in_message(timeout_s: float) -> str:
    return f"Plug in your security key (waiting up to {timeout_s:g} s; Ctrl-C to stop)..."


def no_key_after_wait_message(timeout_s: float) -> str:
    return (
        f"No security key was plugged in within {timeout_s:g} s: plug in your FIDO2 "
        "security key (USB) and run the command again." + _platform_hint()
    )


def wait_for_devices(
    lister: Callable[[], Sequence[CtapDevice]],
    *,
    timeout_s: float = PLUG_IN_TIMEOUT_S,
    notice: Callable[[str], None],
    poll_s: float = PLUG_IN_POLL_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[CtapDevice]:
    """The keys ``lister`` finds, waiting up to ``timeout_s`` for one to be plugged in.

    Says so once through ``notice`` and polls every ``poll_s``; Ctrl-C ends the wait
    (``KeyboardInterrupt``). ``timeout_s <= 0``, or still none at the end:
    NoAuthenticatorError.
    """
    devices = list(lister())
    if devices:
        return devices
    if timeout_s <= 0:
        raise NoAuthenticatorError(no_key_message())
    notice(plug_in_message(timeout_s))
    deadline = clock() + timeout_s
    while (remaining := deadline - clock()) > 0:
        sleep(min(poll_s, remaining))
        devices = list(lister())
        if devices:
            return devices
    raise NoAuthenticatorError(no_key_after_wait_message(timeout_s))


def plugged_hid_devices() -> list[CtapHidDevice]:
    """Open every FIDO HID device, as fido2's ``CtapHidDevice.list_devices`` does, but telling
    the two empty cases apart: [] when none is plugged in; NoAuthenticatorError (with the
    fix) when keys are there but none may be opened, for which waiting would not help."""
    from fido2.hid import CtapHidDevice, list_descriptors, open_connection

    devices: list[CtapHidDevice] = []
    denied: list[str] = []
    for descriptor in list_descriptors():  # type: ignore[no-untyped-call]
        path = descriptor.path.decode() if isinstance(descriptor.path, bytes) else descriptor.path
        try:
            connection = open_connection(descriptor)  # type: ignore[no-untyped-call]
            devices.append(CtapHidDevice(descriptor, connection))
        except PermissionError:
            denied.append(str(path))
        except Exception:  # noqa: S112  (a key that will not answer is skipped, not fatal)
            continue
    if devices:
        return devices
    if sys.platform.startswith("linux"):
        denied.extend(p for p in unopenable_fido_hidraw() if p not in denied)
    if denied:
        raise NoAuthenticatorError(permission_message(denied))
    return []


def open_hid_devices() -> list[CtapHidDevice]:
    """Open every FIDO HID device; NoAuthenticatorError (with the fix) when none opens."""
    devices = plugged_hid_devices()
    if not devices:
        raise NoAuthenticatorError(no_key_message())
    return devices


@dataclass(frozen=True)
class UsbDeviceInfo:
    """What the ``devices`` command shows about one key."""

    path: str
    product_name: str | None
    serial_number: str | None
    vendor_id: int | None
    product_id: int | None
    ctap_versions: tuple[str, ...]
    aaguid: str | None
    pin_set: bool | None
    builtin_uv: bool | None
    resident_keys: bool | None
    error: str | None = None


def describe_device(device: CtapDevice) -> UsbDeviceInfo:
    """Descriptor facts (HID keys) plus getInfo, which needs no touch and no PIN."""
    from fido2.ctap import CtapError
    from fido2.ctap2.base import Ctap2

    descriptor = getattr(device, "descriptor", None)
    raw_path = getattr(descriptor, "path", None)
    path = raw_path.decode() if isinstance(raw_path, bytes) else raw_path
    base = partial(
        UsbDeviceInfo,
        path=str(path) if path is not None else repr(device),
        product_name=getattr(device, "product_name", None),
        serial_number=getattr(device, "serial_number", None),
        vendor_id=getattr(descriptor, "vid", None),
        product_id=getattr(descriptor, "pid", None),
    )
    try:
        info = Ctap2(device).info
    except (CtapError, ValueError, OSError) as exc:
        return base(
            ctap_versions=("U2F_V2",),
            aaguid=None,
            pin_set=None,
            builtin_uv=None,
            resident_keys=None,
            error=f"no CTAP2 information ({exc})",
        )
    options = info.options
    return base(
        ctap_versions=tuple(info.versions),
        aaguid=str(info.aaguid),
        pin_set=options.get("clientPin") if "clientPin" in options else None,
        builtin_uv=options.get("uv") if "uv" in options else None,
        resident_keys=bool(options.get("rk", False)),
    )


def list_usb_devices(
    device_source: Callable[[], Sequence[CtapDevice]] | None = None,
) -> list[UsbDeviceInfo]:
    """Every FIDO USB key this user can open, described; NoAuthenticatorError if none.

    ``device_source`` replaces HID enumeration (its devices are not closed).
    """
    if device_source is not None:
        devices = list(device_source())
        if not devices:
            raise NoAuthenticatorError(no_key_message())
        return [describe_device(d) for d in devices]
    hid_devices = open_hid_devices()
    try:
        return [describe_device(d) for d in hid_devices]
    finally:
        for device in hid_devices:
            device.close()
