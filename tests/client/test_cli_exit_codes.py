"""Every error class carries the exit code of its family, as the CLI's table documents it.

The authenticator cannot import the client, so its classes hold plain ints: this test is
what keeps them equal to ``cognito_passkey.client.exit_codes``.
"""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest
from cognito_passkey.authenticator import errors as auth_errors
from cognito_passkey.client import errors, exit_codes

FAMILIES: tuple[tuple[type[BaseException], int], ...] = (
    (errors.ConfigurationError, exit_codes.CONFIG),
    (errors.NetworkError, exit_codes.NETWORK),
    (errors.ThrottledError, exit_codes.NETWORK),
    (errors.AuthenticationError, exit_codes.AUTH_FAILED),
    (errors.TokenError, exit_codes.AUTH_FAILED),
    (auth_errors.InterruptedByUserError, exit_codes.INTERRUPTED),
    (auth_errors.StorePassphraseRequiredError, exit_codes.USAGE),
    (auth_errors.NoAuthenticatorError, exit_codes.NO_AUTHENTICATOR),
    (auth_errors.NoCredentialsError, exit_codes.NO_AUTHENTICATOR),
    (auth_errors.CredentialStoreError, exit_codes.CONFIG),
    (auth_errors.OriginError, exit_codes.CONFIG),
    (auth_errors.PinRequiredError, exit_codes.USAGE),
    (auth_errors.AuthenticatorError, exit_codes.AUTH_FAILED),
)
"""The documented families, the first that matches wins (a class in two families, such as
ManagementAuthError, gets the first one's code)."""


def expected(cls: type[BaseException]) -> int:
    for family, code in FAMILIES:
        if issubclass(cls, family):
            return code
    return exit_codes.FAILURE


def error_classes(*modules: ModuleType) -> list[type[BaseException]]:
    return [
        cls
        for module in modules
        for _name, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == module.__name__
    ]


CLASSES = error_classes(errors, auth_errors)


def test_both_error_modules_are_covered() -> None:
    assert errors.ManagementAuthError in CLASSES
    assert auth_errors.StorePermissionError in CLASSES
    assert len(CLASSES) > 30


@pytest.mark.parametrize("cls", CLASSES, ids=[cls.__name__ for cls in CLASSES])
def test_each_error_class_has_its_familys_exit_code(cls: type[BaseException]) -> None:
    assert getattr(cls, "exit_code", None) == expected(cls)
    assert exit_codes.for_exception(cls.__new__(cls)) == expected(cls)


def test_codes_outside_the_error_modules() -> None:
    assert exit_codes.for_exception(KeyboardInterrupt()) == exit_codes.INTERRUPTED
    assert exit_codes.for_exception(ValueError("x")) == exit_codes.FAILURE
    assert exit_codes.for_exception(errors.ManagementAuthError("x")) == exit_codes.AUTH_FAILED
    assert exit_codes.for_exception(errors.ManagementError("x")) == exit_codes.FAILURE
    assert exit_codes.for_exception(errors.ManagementNotConfiguredError("x")) == exit_codes.CONFIG
