"""Talking to the person at the terminal while a security key works.

Prompts and notices go to stderr (stdout carries data). The PIN is read without
echo and is never printed or logged. Without a terminal nothing is asked: the
PIN comes from the caller or ``COGNITO_PASSKEY_PIN``, and with several keys
plugged in it goes only to the key the person touches.

A key operation runs in worker threads (one per key), but reading the terminal
must happen on the caller's thread so that Ctrl-C lands where it can cancel the
keys and ``getpass`` can restore the echo. The runner therefore installs a
``call_on_caller`` hook for each operation; without one, calls run in place.
"""

from __future__ import annotations

import getpass
import os
import sys
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO, TypeVar

from fido2.client import UserInteraction
from fido2.ctap2.pin import ClientPin

from .errors import CancelledError, PinRequiredError, StorePassphraseRequiredError

PIN_ENV = "COGNITO_PASSKEY_PIN"

_T = TypeVar("_T")
CallOnCaller = Callable[[Callable[[], _T]], _T]


def _run_here(fn: Callable[[], _T]) -> _T:
    return fn()


def stdio_is_interactive() -> bool:
    """True when a person can answer: stdin and stderr are both terminals."""
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def read_hidden(prompt: str, refusal: Callable[[], Exception]) -> str:
    """A secret typed without echo at the terminal (prompt on stderr).

    getpass reads /dev/tty; without a terminal it would fall back to stdin with a
    ``GetPassWarning`` ("Password input may be echoed"). A secret is never read
    where it may be echoed, so that fallback raises ``refusal()`` instead: the
    error that names the variable to set.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            return getpass.getpass(prompt, stream=sys.stderr)
        except getpass.GetPassWarning:
            raise refusal() from None
        except KeyboardInterrupt:
            print(file=sys.stderr, flush=True)  # end the prompt's line before the error
            raise


def pin_refusal() -> PinRequiredError:
    """The error for a PIN nobody can type: it names ``COGNITO_PASSKEY_PIN``."""
    return PinRequiredError(
        "The security key needs its PIN, but there is no terminal to ask for it: "
        f"set the environment variable {PIN_ENV} (or pass pin=...)."
    )


def passphrase_refusal(where: object = None) -> StorePassphraseRequiredError:
    """The error for an encrypted store's passphrase nobody can type: it names
    ``COGNITO_PASSKEY_SOFT_PASSPHRASE``, after the store's path when ``where`` is given."""
    from .soft_authenticator import PASSPHRASE_ENV

    prefix = f"{where}: " if where is not None else ""
    return StorePassphraseRequiredError(
        f"{prefix}the store is encrypted: set {PASSPHRASE_ENV} (no prompt without a terminal)"
    )


def passphrase_reader() -> Callable[[str], str]:
    """Reads an encrypted store's passphrase at the terminal (hidden); without a terminal,
    or on end of input, the error names ``COGNITO_PASSKEY_SOFT_PASSPHRASE``."""

    def read(prompt: str) -> str:
        try:
            return read_hidden(prompt, passphrase_refusal)
        except EOFError:
            raise passphrase_refusal() from None

    return read


def _read_pin_from_tty(prompt: str) -> str:
    return read_hidden(prompt, pin_refusal)


class TerminalInteraction(UserInteraction):
    """UserInteraction for a terminal (or for no terminal at all).

    ``interactive=None`` decides from the standard streams. ``pin`` fixes the PIN
    (never asked, never retried). ``pin_reader`` replaces the no-echo terminal
    read (it gets the prompt, returns the PIN) and ``line_reader`` the reading of
    an answer line. ``stream`` receives prompts (default stderr).
    """

    def __init__(
        self,
        *,
        interactive: bool | None = None,
        pin: str | None = None,
        stream: TextIO | None = None,
        pin_reader: Callable[[str], str] | None = None,
        environ: Mapping[str, str] | None = None,
        announce_touch: bool | None = None,
        line_reader: Callable[[], str] | None = None,
    ) -> None:
        self._interactive = stdio_is_interactive() if interactive is None else interactive
        self._pin = pin
        self._stream = stream
        self._pin_reader = pin_reader or _read_pin_from_tty
        self._environ = os.environ if environ is None else environ
        self._announce_touch = announce_touch
        self._line_reader = line_reader or (lambda: sys.stdin.readline())
        self._lock = threading.RLock()
        self._read_lock = threading.Lock()
        self._touch_announced = False
        self._device_count = 1
        self._purpose = ""
        self._call_on_caller: Callable[[Callable[[], Any]], Any] = _run_here

    # -- configuration the runner reads -------------------------------------------------

    @property
    def interactive(self) -> bool:
        """Whether this interaction may ask the person anything."""
        return self._interactive

    @property
    def pin_source(self) -> str | None:
        """Where a non-asked PIN comes from (for messages), None when it is asked."""
        if self._pin is not None:
            return "the PIN given by the caller"
        if not self._interactive:
            return f"${PIN_ENV}"
        return None

    @property
    def can_retry_pin(self) -> bool:
        """A wrong PIN may be asked again only when a person types it."""
        return self._pin is None and self._interactive

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def begin_operation(
        self,
        *,
        device_count: int,
        call_on_caller: CallOnCaller[Any] | None = None,
        rp_id: str | None = None,
        operation: str | None = None,
    ) -> None:
        """Start of one create/get for ``rp_id``: the touch prompt may show once more.

        The prompt names the RP, so the person sees which site the touch is for.
        """
        with self._lock:
            self._touch_announced = False
            self._device_count = device_count
            self._purpose = _purpose(operation, rp_id)
            self._call_on_caller = call_on_caller or _run_here

    def end_operation(self) -> None:
        with self._lock:
            self._call_on_caller = _run_here

    # -- output -----------------------------------------------------------------------

    def notice(self, message: str) -> None:
        """One line for the person on stderr (never used for secrets)."""
        with self._lock:
            stream = self.stream
            print(message, file=stream, flush=True)

    def _should_announce_touch(self) -> bool:
        if self._announce_touch is not None:
            return self._announce_touch
        if self._interactive:
            return True
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):
            return False

    # -- fido2.client.UserInteraction ------------------------------------------------------

    def prompt_up(self) -> None:
        """Ask for a touch, once per operation however many keys are waiting."""
        with self._lock:
            if self._touch_announced:
                return
            self._touch_announced = True
            count = self._device_count
            purpose = self._purpose
        if self._should_announce_touch():
            if count > 1:
                self.notice(
                    f"Touch your security key{purpose} (the one you want to use, of {count})."
                )
            else:
                self.notice(f"Touch your security key{purpose}.")

    def key_chosen(self, device_label: str) -> None:
        """A touch picked one of several keys; the operation itself needs another."""
        if self._should_announce_touch():
            self.notice(f"Using {device_label}; touch it once more.")

    def request_uv(self, permissions: ClientPin.PERMISSION, rp_id: str | None) -> bool:
        return True

    def request_pin(self, permissions: ClientPin.PERMISSION, rp_id: str | None) -> str | None:
        return self.pin_for(None)

    def pin_for(self, device_label: str | None) -> str:
        """The PIN for one key: fixed, from the environment, or typed without echo."""
        if self._pin is not None:
            return self._pin
        if not self._interactive:
            env_pin = self._environ.get(PIN_ENV)
            if env_pin:
                return env_pin
            raise pin_refusal()
        prompt = "Enter the PIN of your security key"
        if device_label and self._device_count > 1:
            prompt += f" ({device_label}; Enter alone skips this key)"
        prompt += ": "
        pin = self._call_on_caller(lambda: self._ask(prompt))
        if not isinstance(pin, str) or not pin:
            raise CancelledError("No PIN was entered; the operation was cancelled.")
        return pin

    def _ask(self, prompt: str) -> str:
        with self._read_lock:
            try:
                return self._pin_reader(prompt)
            except EOFError as exc:
                raise CancelledError("No PIN was entered; the operation was cancelled.") from exc

    def pin_invalid(self, retries: int | None, device_label: str | None = None) -> None:
        """Tell the person the PIN was wrong and how many tries remain."""
        where = f" for {device_label}" if device_label and self._device_count > 1 else ""
        if retries is None:
            self.notice(f"Wrong PIN{where}. Try again.")
        elif retries == 1:
            self.notice(f"Wrong PIN{where}. 1 try left before the key locks its PIN.")
        else:
            self.notice(f"Wrong PIN{where}. {retries} tries left.")

    def choose_account(self, accounts: Sequence[str]) -> int:
        """Pick one of several passkeys the key offers (the first without a terminal)."""
        if not self._interactive or len(accounts) < 2:
            return 0
        return int(self._call_on_caller(lambda: self._ask_account(accounts)))

    def _ask_account(self, accounts: Sequence[str]) -> int:
        with self._read_lock:
            stream = self.stream
            print("This security key holds several passkeys for this site:", file=stream)
            for number, name in enumerate(accounts, start=1):
                print(f"  {number}) {name}", file=stream)
            while True:
                print(f"Choose 1-{len(accounts)}: ", end="", file=stream, flush=True)
                answer = self._line_reader()
                if not answer:
                    raise CancelledError("No passkey was chosen; the operation was cancelled.")
                if answer.strip().isdigit() and 1 <= int(answer) <= len(accounts):
                    return int(answer) - 1
                print(f"Please answer a number from 1 to {len(accounts)}.", file=stream)


def _purpose(operation: str | None, rp_id: str | None) -> str:
    """`` to sign in to example.com``: what the touch is for, or nothing when unknown."""
    if not rp_id:
        return ""
    if operation == "create":
        return f" to create a passkey for {rp_id}"
    return f" to sign in to {rp_id}"


class DeviceInteraction(UserInteraction):
    """The view one key's client gets: same person, prompts labelled with the key.

    ``before_pin`` runs after the PIN is known and before it is handed to the key:
    the runner uses it to let only the key the person touched receive a PIN that
    nobody typed for it (it raises when this key was not the one).
    """

    def __init__(
        self,
        parent: TerminalInteraction,
        device_label: str,
        before_pin: Callable[[], None] | None = None,
    ) -> None:
        self._parent = parent
        self._label = device_label
        self.before_pin = before_pin

    def prompt_up(self) -> None:
        self._parent.prompt_up()

    def request_uv(self, permissions: ClientPin.PERMISSION, rp_id: str | None) -> bool:
        return self._parent.request_uv(permissions, rp_id)

    def request_pin(self, permissions: ClientPin.PERMISSION, rp_id: str | None) -> str | None:
        pin = self._parent.pin_for(self._label)
        if self.before_pin is not None:
            self.before_pin()
        return pin
