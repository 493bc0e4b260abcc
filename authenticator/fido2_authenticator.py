"""ClientAuthenticator: WebAuthn JSON over python-fido2's Fido2Client.

One code path serves USB keys and the software authenticator: both are
``CtapDevice``s that ``Fido2Client`` drives. With several keys plugged in, the
operation runs on all of them at once (one thread each) and the key the person
touches wins; the others are cancelled through one shared ``threading.Event``,
as python-fido2's own examples do. A key without a matching passkey drops out
quietly while another may still answer.

A PIN that nobody typed for a particular key (``COGNITO_PASSKEY_PIN``, or
``pin=``) is never tried on several keys: before it is sent, the key must be
touched (CTAP 2.1 authenticatorSelection, or a touch probe on a CTAP 2.0 key),
and only the first key touched receives it. A wrong key would otherwise spend
one of its PIN retries on every run, and be locked for good after eight.

The caller's thread only waits and serves the terminal (PIN entry, choices),
so Ctrl-C arrives there: it sets the cancel event, waits for the keys to stop,
and raises CancelledError. The options' ``timeout`` is a timer on the same event.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar

from fido2.client import (
    ClientDataCollector,
    ClientError,
    DefaultClientDataCollector,
    Fido2Client,
    UserInteraction,
    WebAuthnClient,
)
from fido2.ctap import CtapDevice, CtapError
from fido2.ctap2.base import Ctap2
from fido2.ctap2.pin import ClientPin
from fido2.webauthn import (
    AuthenticationResponse,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialCreationOptions,
    PublicKeyCredentialRequestOptions,
    RegistrationResponse,
    UserVerificationRequirement,
)

from .base import WebAuthnJSON
from .errormap import Context, Outcome, ctap_code, outcome, to_authenticator_error
from .errors import (
    AuthenticatorError,
    AuthenticatorTimeoutError,
    CancelledError,
    CredentialExcludedError,
    InterruptedByUserError,
    NoAuthenticatorError,
    NoCredentialsError,
)
from .fido2_cache import DeviceClient, memoize_fido2_type_hints
from .interaction import DeviceInteraction, TerminalInteraction
from .origins import check_origin, default_origin, rp_id_verifier
from .webauthn_json import (
    ParsedOptions,
    authentication_json,
    parse_creation_options,
    parse_request_options,
    registration_json,
)

_T = TypeVar("_T")

DeviceSource = Callable[[], Sequence[CtapDevice]]
"""Returns the keys to use for one operation (fresh each time)."""

PlatformClientFactory = Callable[[ClientDataCollector], WebAuthnClient]
"""Builds an OS-provided WebAuthn client (Windows) instead of talking to keys directly."""

_POLL_SECONDS = 0.05
_JOIN_SECONDS = 5.0
_DEFAULT_TRANSPORTS = ("usb",)
_UV_REQUIRED = UserVerificationRequirement.REQUIRED
_UV_DISCOURAGED = UserVerificationRequirement.DISCOURAGED


def windows_client_factory() -> PlatformClientFactory | None:
    """Windows' own WebAuthn API when present (keys need admin rights otherwise)."""
    if sys.platform != "win32":
        return None
    try:
        from fido2.client.windows import WindowsClient
    except Exception:  # an old Windows without webauthn.dll
        return None
    if not WindowsClient.is_available():
        return None

    def factory(collector: ClientDataCollector) -> WebAuthnClient:
        return WindowsClient(collector)

    return factory


@dataclass
class _Target:
    """One place an operation can run: a key, or the platform's WebAuthn client."""

    label: str
    device: CtapDevice | None
    make_client: Callable[[UserInteraction], WebAuthnClient]
    transports: tuple[str, ...] = _DEFAULT_TRANSPORTS


@dataclass
class _Result:
    target: _Target
    value: Any = None
    error: BaseException | None = None
    pin_retries: int | None = None


@dataclass
class _CallRequest:
    fn: Callable[[], Any]
    future: Future[Any] = field(default_factory=Future)


def _device_label(device: CtapDevice, index: int) -> str:
    name = getattr(device, "product_name", None) or type(device).__name__
    return f"{name} #{index + 1}"


def _pin_retries(device: CtapDevice | None) -> int | None:
    if device is None:
        return None
    try:
        retries, _power_cycle = ClientPin(Ctap2(device)).get_pin_retries()
    except Exception:  # only used to word a message
        return None
    return int(retries)


class _Operation:
    """One create/get over one or more targets; lives for a single call.

    ``inline``: a single target that answers in process runs on the caller's thread
    (Ctrl-C and the timeout reach it there just the same), sparing a thread per call.
    """

    def __init__(
        self,
        targets: Sequence[_Target],
        interaction: TerminalInteraction,
        run: Callable[[WebAuthnClient, threading.Event], Any],
        timeout_ms: int | None,
        context: Context,
        *,
        inline: bool = False,
    ) -> None:
        self.targets = targets
        self.inline = inline and len(targets) == 1
        self.interaction = interaction
        self.run = run
        self.timeout_ms = timeout_ms
        self.context = context
        self.cancel = threading.Event()
        self.timed_out = threading.Event()
        self.chosen: _Target | None = None  # the key touched to receive an untyped PIN
        self.choosing_over = threading.Event()  # a key was chosen, or the operation ended
        self._choice_lock = threading.Lock()
        self.inbox: queue.Queue[_Result | _CallRequest] = queue.Queue()

    # -- worker side --------------------------------------------------------------

    def call_on_caller(self, fn: Callable[[], _T]) -> _T:
        """Run ``fn`` on the caller's thread (terminal I/O) and wait for it."""
        if self.inline:
            return fn()  # already on the caller's thread
        request = _CallRequest(fn)
        self.inbox.put(request)
        while True:
            if self.cancel.is_set() and not request.future.running():
                request.future.cancel()
                raise CancelledError("The operation was cancelled.")
            try:
                return request.future.result(timeout=_POLL_SECONDS)  # type: ignore[no-any-return]
            except FutureTimeout:
                continue

    def _stop(self) -> None:
        """End the operation: keys waiting for a touch (or to be chosen) give up."""
        self.cancel.set()
        self.choosing_over.set()

    def _choose(self, target: _Target, client: WebAuthnClient) -> None:
        """Let ``target`` receive a PIN nobody typed only if the person touched it first.

        Several keys and a PIN from ``COGNITO_PASSKEY_PIN`` (or ``pin=``): the
        key must be picked by a touch before the PIN is sent, so the keys that are
        not the person's never see it. Raises CancelledError for a key not picked.
        """
        if (
            len(self.targets) < 2
            or self.interaction.pin_source is None
            or not isinstance(client, Fido2Client)
        ):
            return  # one key, or a PIN the person types for the key the prompt names
        with self._choice_lock:
            if self.chosen is target:
                return
            taken = self.chosen is not None
        if not taken:
            self.interaction.prompt_up()
            try:
                client.selection(self.choosing_over)
            except ClientError:
                if not self.choosing_over.is_set():
                    raise  # this key failed for a reason of its own
            else:
                with self._choice_lock:
                    if self.chosen is None:
                        self.chosen = target
                        self.choosing_over.set()  # the other keys stop waiting
                        self.interaction.key_chosen(target.label)
                        return
        raise CancelledError(f"{target.label} was not the key touched; the PIN was not sent to it.")

    def _work(self, target: _Target) -> None:
        interaction = DeviceInteraction(self.interaction, target.label)
        last_retries: int | None = None
        try:
            client = target.make_client(interaction)
            interaction.before_pin = partial(self._choose, target, client)
            if isinstance(client, Fido2Client) and client.info.transports:
                target.transports = tuple(str(t) for t in client.info.transports)
            while True:
                try:
                    value = self.run(client, self.cancel)
                except ClientError as exc:
                    if ctap_code(exc) != CtapError.ERR.PIN_INVALID or self.cancel.is_set():
                        raise
                    last_retries = _pin_retries(target.device)
                    if not self.interaction.can_retry_pin or last_retries == 0:
                        raise
                    self.interaction.pin_invalid(last_retries, target.label)
                    continue
                self.inbox.put(_Result(target, value=value))
                return
        except BaseException as exc:  # reported to the caller's thread
            self.inbox.put(_Result(target, error=exc, pin_retries=last_retries))

    # -- caller side ----------------------------------------------------------------

    def execute(self) -> tuple[_Target, Any]:
        self.interaction.begin_operation(
            device_count=len(self.targets),
            call_on_caller=self.call_on_caller,
            rp_id=self.context.rp_id,
            operation=self.context.operation,
        )
        timer = None
        if self.timeout_ms:
            timer = threading.Timer(self.timeout_ms / 1000, self._on_timeout)
            timer.daemon = True
            timer.start()
        threads = [
            threading.Thread(target=self._work, args=(t,), name=f"passkey-{t.label}", daemon=True)
            for t in (() if self.inline else self.targets)
        ]
        failures: list[_Result] = []
        winner: _Result | None = None
        try:
            if self.inline:
                self._work(self.targets[0])
                self._raise_interrupt()
            for thread in threads:
                thread.start()
            winner = self._wait(len(self.targets), failures)
        except KeyboardInterrupt as exc:
            self._stop()
            self._join(threads)
            raise InterruptedByUserError(
                "Cancelled (Ctrl-C); the security key was released."
            ) from exc
        finally:
            if timer is not None:
                timer.cancel()
            self._stop()
            self.interaction.end_operation()
        self._join(threads)
        if winner is not None:
            return winner.target, winner.value
        raise self._failure(failures)

    def _raise_interrupt(self) -> None:
        """Re-raise a Ctrl-C that an inline run caught, as the caller's thread's own."""
        item = self.inbox.queue[0] if self.inbox.queue else None
        if isinstance(item, _Result) and isinstance(item.error, KeyboardInterrupt):
            raise item.error

    def _on_timeout(self) -> None:
        self.timed_out.set()
        self._stop()

    def _wait(self, pending: int, failures: list[_Result]) -> _Result | None:
        while pending:
            try:
                item = self.inbox.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if isinstance(item, _CallRequest):
                self._serve(item)
                continue
            pending -= 1
            if item.error is None:
                return item
            failures.append(item)
            kind = outcome(item.error)
            if kind is Outcome.FATAL and not self.cancel.is_set():
                self._stop()  # one key's real failure ends the operation
            elif kind is Outcome.INELIGIBLE and pending and not self.cancel.is_set():
                error = self._convert(item)
                self.interaction.notice(f"{error} Waiting for another key...")
        return None

    def _serve(self, request: _CallRequest) -> None:
        if not request.future.set_running_or_notify_cancel():
            return
        try:
            request.future.set_result(request.fn())
        except KeyboardInterrupt:
            request.future.set_exception(CancelledError("Cancelled (Ctrl-C)."))
            raise
        except BaseException as exc:  # handed back to the waiting worker
            request.future.set_exception(exc)

    def _join(self, threads: Iterable[threading.Thread]) -> None:
        for thread in threads:
            if thread.is_alive():
                try:
                    thread.join(_JOIN_SECONDS)
                except KeyboardInterrupt:
                    return  # a second Ctrl-C: stop waiting, the threads are daemons

    def _convert(self, result: _Result) -> AuthenticatorError:
        context = Context(
            operation=self.context.operation,
            rp_id=self.context.rp_id,
            device_label=result.target.label if len(self.targets) > 1 else None,
            pin_retries=result.pin_retries,
            pin_source=self.interaction.pin_source,
        )
        assert result.error is not None
        return to_authenticator_error(result.error, context)

    @staticmethod
    def _most_telling(failures: list[_Result]) -> _Result | None:
        """The failure to report: a real failure, else what would make a key usable
        (a PIN to give or set), else "no passkey here", else a cancellation."""

        def rank(result: _Result) -> int:
            error = result.error or Exception()
            kind = outcome(error)
            if kind is Outcome.FATAL:
                return 0
            if kind is Outcome.INELIGIBLE:
                code = ctap_code(error)
                no_passkey = isinstance(error, (NoCredentialsError, CredentialExcludedError)) or (
                    code in (CtapError.ERR.NO_CREDENTIALS, CtapError.ERR.CREDENTIAL_EXCLUDED)
                    or (
                        isinstance(error, ClientError)
                        and error.code == ClientError.ERR.DEVICE_INELIGIBLE
                    )
                )
                return 2 if no_passkey else 1
            return 3

        return min(failures, key=rank, default=None)

    def _failure(self, failures: list[_Result]) -> AuthenticatorError:
        seconds = (self.timeout_ms or 0) / 1000
        if self.timed_out.is_set():
            error: AuthenticatorError = AuthenticatorTimeoutError(
                f"No security key answered within the site's timeout ({seconds:g} s); try again."
            )
            error.__cause__ = next((f.error for f in failures if f.error is not None), None)
            return error
        chosen = self._most_telling(failures)
        if chosen is None or chosen.error is None:
            return CancelledError("The operation was cancelled.")
        error = self._convert(chosen)
        if isinstance(error, NoCredentialsError) and len(self.targets) > 1:
            error = NoCredentialsError(
                f"None of the {len(self.targets)} security keys holds a passkey for "
                f"{self.context.rp_id} that this account accepts."
            )
        if error is not chosen.error:
            error.__cause__ = chosen.error
        return error


class ClientAuthenticator:
    """The Authenticator protocol over python-fido2 clients (USB keys by default).

    ``device_source`` returns the keys for each operation (default: every USB
    FIDO key, found by HID enumeration); ``platform_client`` builds an
    OS-provided client instead (default: Windows' WebAuthn API when present and
    no device source was given). ``origin`` is the default origin (else
    ``https://<rp_id>``); ``allow_app_origin`` admits non-URL app origins.
    """

    def __init__(
        self,
        *,
        origin: str | None = None,
        allow_app_origin: bool = False,
        interaction: TerminalInteraction | None = None,
        interactive: bool | None = None,
        pin: str | None = None,
        device_source: DeviceSource | None = None,
        platform_client: PlatformClientFactory | None = None,
        close_devices: bool | None = None,
        plug_in_timeout_s: float | None = None,
    ) -> None:
        memoize_fido2_type_hints()
        self._origin = origin
        self._allow_app_origin = allow_app_origin
        self._interaction = interaction or TerminalInteraction(interactive=interactive, pin=pin)
        if device_source is None and platform_client is None:
            platform_client = windows_client_factory()
        self._platform_client = platform_client
        if device_source is None:
            from . import devices as usb

            device_source = usb.open_hid_devices
            wait_s = usb.PLUG_IN_TIMEOUT_S if plug_in_timeout_s is None else plug_in_timeout_s
            if self._interaction.interactive:  # headless runs fail at once, and so does a 0 s wait
                device_source = partial(
                    usb.wait_for_devices,
                    usb.plugged_hid_devices,
                    timeout_s=wait_s,
                    notice=self._interaction.notice,
                )
            close_devices = True if close_devices is None else close_devices
        self._device_source = device_source
        self._close_devices = bool(close_devices)
        # Devices that outlive an operation keep their Fido2Client (see fido2_cache); only
        # those of the latest operation are kept.
        self._device_clients: dict[int, DeviceClient] = {}
        self._device_clients_lock = threading.Lock()
        # One operation at a time, as a key does: a key holds one pinUvAuthToken and the
        # interaction one operation's state, so a second thread's ceremony waits its turn
        # instead of invalidating the first one's token.
        self._operation_lock = threading.Lock()

    @property
    def interaction(self) -> TerminalInteraction:
        return self._interaction

    # -- Authenticator protocol ------------------------------------------------------------

    def create(
        self, options: Mapping[str, Any], *, origin: str | None = None, rp_id: str | None = None
    ) -> WebAuthnJSON:
        """Make a credential; returns RegistrationResponseJSON."""
        parsed = parse_creation_options(options, rp_id=rp_id)
        creation = parsed.fido2_options
        assert isinstance(creation, PublicKeyCredentialCreationOptions)

        def run(client: WebAuthnClient, cancel: threading.Event) -> RegistrationResponse:
            try:
                return client.make_credential(creation, event=cancel)
            except ClientError as exc:
                fallback = _creation_without_preferred_uv(creation, exc)
                if fallback is None:
                    raise
                return client.make_credential(fallback, event=cancel)

        target, response = self._perform("create", parsed, origin, run)
        return registration_json(response, target.transports)

    def get(
        self, options: Mapping[str, Any], *, origin: str | None = None, rp_id: str | None = None
    ) -> WebAuthnJSON:
        """Sign a challenge; returns AuthenticationResponseJSON."""
        parsed = parse_request_options(options, rp_id=rp_id)
        request = parsed.fido2_options
        assert isinstance(request, PublicKeyCredentialRequestOptions)
        interaction = self._interaction

        def run(client: WebAuthnClient, cancel: threading.Event) -> AuthenticationResponse:
            try:
                selection = client.get_assertion(request, event=cancel)
            except ClientError as exc:
                fallback = _request_without_preferred_uv(request, exc)
                if fallback is None:
                    raise
                selection = client.get_assertion(fallback, event=cancel)
            assertions = selection.get_assertions()
            index = 0
            if len(assertions) > 1:
                names = [_account_name(a.user) for a in assertions]
                index = interaction.choose_account(names)
            return selection.get_response(index)

        _target, response = self._perform("get", parsed, origin, run)
        return authentication_json(response)

    # -- internals ----------------------------------------------------------------------------

    def _perform(
        self,
        operation: str,
        parsed: ParsedOptions,
        origin: str | None,
        run: Callable[[WebAuthnClient, threading.Event], Any],
    ) -> tuple[_Target, Any]:
        effective_origin = origin or self._origin or default_origin(parsed.rp_id)
        check_origin(effective_origin, parsed.rp_id, allow_app_origin=self._allow_app_origin)
        collector = DefaultClientDataCollector(
            effective_origin, verify=rp_id_verifier(allow_app_origin=self._allow_app_origin)
        )
        with self._operation_lock:
            devices: Sequence[CtapDevice] = ()
            if self._platform_client is not None:
                factory = self._platform_client
                targets = [_Target("platform", None, lambda _ui: factory(collector), ())]
            else:
                devices = list(self._device_source())
                if not devices:
                    from .devices import no_key_message

                    raise NoAuthenticatorError(no_key_message())
                targets = [
                    self._device_target(d, i, collector, self._kept_client(d, devices))
                    for i, d in enumerate(devices)
                ]
            context = Context(operation=operation, rp_id=parsed.rp_id)
            inline = self._runs_inline and self._platform_client is None
            try:
                return _Operation(
                    targets, self._interaction, run, parsed.timeout_ms, context, inline=inline
                ).execute()
            finally:
                if self._close_devices:
                    for device in devices:
                        with contextlib.suppress(Exception):  # closing is best effort
                            device.close()

    _runs_inline = False
    """Whether a single device answers in process (no thread per operation needed)."""

    def _kept_client(
        self, device: CtapDevice, devices: Sequence[CtapDevice]
    ) -> DeviceClient | None:
        """The device's lasting client, unless devices are closed after each operation."""
        if self._close_devices:
            return None
        with self._device_clients_lock:
            kept = self._device_clients.get(id(device))
            if kept is None or kept.device is not device:
                kept = DeviceClient(device)
            current = {id(d) for d in devices}
            self._device_clients = {k: v for k, v in self._device_clients.items() if k in current}
            self._device_clients[id(device)] = kept
            return kept

    @staticmethod
    def _device_target(
        device: CtapDevice,
        index: int,
        collector: ClientDataCollector,
        kept: DeviceClient | None = None,
    ) -> _Target:
        def make_client(ui: UserInteraction) -> WebAuthnClient:
            if kept is not None:
                return kept.for_ceremony(collector, ui)
            return Fido2Client(device, client_data_collector=collector, user_interaction=ui)

        return _Target(_device_label(device, index), device, make_client)


def _uv_not_configured(error: ClientError) -> bool:
    """python-fido2 treats "preferred" like "required" on a key that could verify but
    has no PIN set; a browser goes on without verification, and so do we."""
    return (
        error.code == ClientError.ERR.CONFIGURATION_UNSUPPORTED
        and isinstance(error.cause, str)
        and "not configured" in error.cause
    )


def _creation_without_preferred_uv(
    options: PublicKeyCredentialCreationOptions, error: ClientError
) -> PublicKeyCredentialCreationOptions | None:
    selection = options.authenticator_selection or AuthenticatorSelectionCriteria()
    if not _uv_not_configured(error) or selection.user_verification == _UV_REQUIRED:
        return None
    return replace(
        options, authenticator_selection=replace(selection, user_verification=_UV_DISCOURAGED)
    )


def _request_without_preferred_uv(
    options: PublicKeyCredentialRequestOptions, error: ClientError
) -> PublicKeyCredentialRequestOptions | None:
    if not _uv_not_configured(error) or options.user_verification == _UV_REQUIRED:
        return None
    return replace(options, user_verification=_UV_DISCOURAGED)


def _account_name(user: Mapping[str, Any] | None) -> str:
    if not user:
        return "(unnamed passkey)"
    name = user.get("name") or user.get("displayName")
    return str(name) if name else "(unnamed passkey)"
