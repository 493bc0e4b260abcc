"""Keys and a terminal for the harness tests.

The keys are the software authenticator (a real CTAP2 device in process), fed
to ClientAuthenticator through its device source instead of HID enumeration.
A ``Finger`` decides when (and whether) a key is touched; a ``Terminal``
captures stderr and types scripted PINs.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from cognito_passkey.authenticator.fido2_authenticator import ClientAuthenticator
from cognito_passkey.authenticator.interaction import TerminalInteraction
from cognito_passkey.authenticator.soft import (
    AuthenticatorConfig,
    MemoryCredentialStore,
    SoftCtapDevice,
    UserRequest,
)
from fido2.ctap2.base import Ctap2
from fido2.ctap2.pin import ClientPin
from fido2.server import Fido2Server
from fido2.webauthn import PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity

RP_ID = "example.com"
ORIGIN = "https://example.com"
PIN = "4711-pin"


@dataclass
class Finger:
    """A person's touch on one key: after ``delay`` seconds, or never (until cancelled)."""

    touches: bool = True
    delay: float = 0.0
    requests: list[str] = field(default_factory=list)
    cancelled: threading.Event = field(default_factory=threading.Event)
    on_request: Callable[[UserRequest], None] | None = None

    def __call__(self, request: UserRequest) -> bool:
        self.requests.append(request.operation)
        if self.on_request is not None:
            self.on_request(request)
        if not self.touches:
            request.event.wait(10)
            if request.event.is_set():
                self.cancelled.set()
            return False
        if self.delay and request.event.wait(self.delay):
            self.cancelled.set()
            return False
        return True


def make_key(
    *,
    finger: Finger | None = None,
    pin: str | None = None,
    pin_only: bool = False,
    name: str = "Soft Key",
) -> SoftCtapDevice:
    config = AuthenticatorConfig.pin_only(product_name=name) if pin_only else None
    if config is None:
        config = AuthenticatorConfig(product_name=name)
    device = SoftCtapDevice(
        MemoryCredentialStore(), config=config, user_presence=finger or Finger()
    )
    if pin is not None:
        ClientPin(Ctap2(device)).set_pin(pin)
    return device


@dataclass
class Terminal:
    """Captured stderr plus scripted PIN answers (str, or an exception to raise)."""

    answers: list[Any] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    stderr: io.StringIO = field(default_factory=io.StringIO)

    def read_pin(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.answers:
            raise AssertionError(f"unexpected PIN prompt: {prompt!r}")
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return str(answer)

    def interaction(self, *, interactive: bool = True, **kwargs: Any) -> TerminalInteraction:
        return TerminalInteraction(
            interactive=interactive,
            pin_reader=self.read_pin,
            stream=self.stderr,
            environ=kwargs.pop("environ", {}),
            **kwargs,
        )

    @property
    def text(self) -> str:
        return self.stderr.getvalue()


@pytest.fixture
def terminal() -> Terminal:
    return Terminal()


def authenticator_over(
    devices: Iterable[SoftCtapDevice],
    interaction: TerminalInteraction,
    **kwargs: Any,
) -> ClientAuthenticator:
    keys = list(devices)
    return ClientAuthenticator(interaction=interaction, device_source=lambda: keys, **kwargs)


@dataclass
class RelyingParty:
    """python-fido2's server, as the independent verifier of what we produce."""

    server: Fido2Server = field(
        default_factory=lambda: Fido2Server(PublicKeyCredentialRpEntity(id=RP_ID, name="Example"))
    )
    credentials: list[Any] = field(default_factory=list)

    def registration_options(
        self,
        *,
        user_verification: str | None = None,
        exclude: bool = False,
        user: bytes = b"user-1",
    ) -> tuple[dict[str, Any], Any]:
        options, state = self.server.register_begin(
            PublicKeyCredentialUserEntity(id=user, name=user.decode(), display_name="Alice"),
            credentials=self.credentials if exclude else None,
            user_verification=user_verification,
        )
        return dict(options), state

    def register(self, state: Any, response: dict[str, Any]) -> None:
        auth_data = self.server.register_complete(state, response)
        assert auth_data.credential_data is not None
        self.credentials.append(auth_data.credential_data)

    def request_options(
        self, *, user_verification: str | None = None, allow: bool = True
    ) -> tuple[dict[str, Any], Any]:
        options, state = self.server.authenticate_begin(
            self.credentials if allow else None, user_verification=user_verification
        )
        return dict(options), state

    def authenticate(self, state: Any, response: dict[str, Any]) -> None:
        self.server.authenticate_complete(state, self.credentials, response)


@pytest.fixture
def rp() -> RelyingParty:
    return RelyingParty()


@pytest.fixture
def kit() -> Any:
    """The helpers above, for tests (conftest modules are not importable by name)."""
    import types

    return types.SimpleNamespace(
        Finger=Finger,
        make_key=make_key,
        over=authenticator_over,
        RP_ID=RP_ID,
        ORIGIN=ORIGIN,
        PIN=PIN,
    )
