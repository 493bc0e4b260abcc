"""Objects that live for the whole Lambda container: settings and the chosen backend.

Built on first use (so a cold start pays only for what the invoked trigger needs) and
reused by every warm invocation. A container runs one invocation at a time, so a plain
``functools.cache`` is enough. ``reset()`` exists for tests that change the environment.
"""

from __future__ import annotations

import functools

from cognito_passkey.lambdas.backends.base import PasskeyBackend
from cognito_passkey.lambdas.config import Settings, load_settings
from cognito_passkey.protocol import backends


@functools.cache
def settings() -> Settings:
    """The environment's settings (raises ConfigError when they are unusable; not cached)."""
    return load_settings()


@functools.cache
def backend() -> PasskeyBackend:
    """The backend ``PASSKEY_BACKEND`` names, created once per container."""
    current = settings()
    if current.backend == backends.LOGINID:
        from cognito_passkey.lambdas.backends.loginid import LoginIdBackend

        return LoginIdBackend(current)
    from cognito_passkey.lambdas.backends.selfhosted import SelfHostedBackend

    return SelfHostedBackend(current)


def reset() -> None:
    """Forget settings, backend and token verifiers (the next call re-reads the environment)."""
    from cognito_passkey.lambdas.tokens import reset_verifiers

    settings.cache_clear()
    backend.cache_clear()
    reset_verifiers()
