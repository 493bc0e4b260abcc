"""Objects that live for the whole Lambda container: settings and the chosen backend.

Built on first use (so a cold start pays only for what the invoked trigger needs) and
reused by every warm invocation. ``reset()`` exists for tests that change the environment.
"""

from __future__ import annotations

import threading

from cognito_passkey.lambdas.backends.base import PasskeyBackend
from cognito_passkey.lambdas.config import (
    BACKEND_LOGINID,
    Settings,
    load_settings,
)

_lock = threading.Lock()
_settings: Settings | None = None
_backend: PasskeyBackend | None = None


def settings() -> Settings:
    """The environment's settings (raises ConfigError when they are unusable)."""
    global _settings
    with _lock:
        if _settings is None:
            _settings = load_settings()
        return _settings


def backend() -> PasskeyBackend:
    """The backend ``PASSKEY_BACKEND`` names, created once per container."""
    global _backend
    current = settings()
    with _lock:
        if _backend is None:
            if current.backend == BACKEND_LOGINID:
                from cognito_passkey.lambdas.backends.loginid import LoginIdBackend

                _backend = LoginIdBackend(current)
            else:
                from cognito_passkey.lambdas.backends.selfhosted import SelfHostedBackend

                _backend = SelfHostedBackend(current)
        return _backend


def reset() -> None:
    """Forget settings, backend and token verifiers (the next call re-reads the environment)."""
    global _settings, _backend
    from cognito_passkey.lambdas.tokens import reset_verifiers

    with _lock:
        _settings = None
        _backend = None
    reset_verifiers()
