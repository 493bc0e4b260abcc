"""Fixtures for the software authenticator tests: a person at the keyboard, devices, clients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Event

import pytest
from cognito_passkey.authenticator.soft import (
    AuthenticatorConfig,
    MemoryCredentialStore,
    SoftCtapDevice,
    UserRequest,
)
from fido2.client import DefaultClientDataCollector, Fido2Client, UserInteraction
from fido2.ctap2 import ClientPin, Ctap2

ORIGIN = "https://example.com"


class Person(UserInteraction):
    """Answers the client's prompts: a PIN (or none) and counts touch prompts."""

    def __init__(self, pin: str | None = None) -> None:
        self.pin = pin
        self.pin_requests = 0
        self.touch_prompts = 0

    def prompt_up(self) -> None:
        self.touch_prompts += 1

    def request_pin(self, permissions: ClientPin.PERMISSION, rp_id: str | None) -> str | None:
        self.pin_requests += 1
        return self.pin


@dataclass
class Finger:
    """A simulated user-presence answer that records what it was asked."""

    touches: bool = True
    cancel: bool = False
    requests: list[UserRequest] = field(default_factory=list)

    def __call__(self, request: UserRequest) -> bool:
        self.requests.append(request)
        if self.cancel:
            request.event.set()
        return self.touches


@pytest.fixture
def finger() -> Finger:
    return Finger()


@pytest.fixture
def make_device(finger: Finger) -> Callable[..., SoftCtapDevice]:
    """Build a device on a fresh memory store (or the given store), answering with ``finger``."""

    def build(
        config: AuthenticatorConfig | None = None,
        *,
        store: object = None,
        pin: str | None = None,
        **kwargs: object,
    ) -> SoftCtapDevice:
        device = SoftCtapDevice(
            store if store is not None else MemoryCredentialStore(),  # type: ignore[arg-type]
            config=config,
            user_presence=finger,
            **kwargs,  # type: ignore[arg-type]
        )
        if pin is not None:
            ClientPin(Ctap2(device)).set_pin(pin)
        return device

    return build


@pytest.fixture
def make_client() -> Callable[..., Fido2Client]:
    def build(device: SoftCtapDevice, person: Person | None = None) -> Fido2Client:
        return Fido2Client(device, DefaultClientDataCollector(ORIGIN), person or Person())

    return build


@pytest.fixture
def event() -> Event:
    return Event()


@pytest.fixture
def make_person() -> type[Person]:
    """The Person class (test modules cannot import from conftest)."""
    return Person
