"""Software-authenticator safety: no in-memory store behind 'soft:', no PIN token in a repr."""

from __future__ import annotations

import pytest
from cognito_passkey.authenticator import open_authenticator
from cognito_passkey.authenticator.errors import AuthenticatorError
from cognito_passkey.authenticator.soft.client_pin import _Token


@pytest.mark.parametrize("spec", ["soft:", "soft:  "])
def test_soft_without_a_path_is_refused_not_kept_in_memory(spec: str) -> None:
    # A passkey registered into a memory store would be lost when the process ends.
    with pytest.raises(AuthenticatorError, match="path"):
        open_authenticator(spec)


def test_pin_uv_auth_token_is_not_in_repr() -> None:
    secret = bytes(range(32))
    token = _Token(value=secret, protocol=2, permissions=1, rp_id="example.com", expires_at=1.0)
    assert repr(secret) not in repr(token)
    assert secret.hex() not in repr(token)
    assert "example.com" in repr(token)
