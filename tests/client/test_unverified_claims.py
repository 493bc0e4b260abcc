"""The unchecked JWT payload read (protocol/claims.py) agrees with pyjwt's own unverified
decode, refuses what is not a JWT, and loads neither pyjwt nor cryptography (the cache-hit
``token`` path must not pay for them)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import jwt
import pytest
from cognito_passkey.client.errors import TokenError
from cognito_passkey.client.tokens import unverified_claims
from cryptography.hazmat.primitives.asymmetric import rsa

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "abc", "exp": 2_000_000_000, "cognito:username": "alice"},
        {"name": "Zoë ✓", "nested": {"a": [1, 2, 3]}, "aud": "x" * 301},
        {},
    ],
)
def test_it_reads_what_pyjwt_reads(claims: dict[str, object]) -> None:
    token = jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})
    assert unverified_claims(token) == jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d",
        f"{_b64(b'{}')}.{_b64(b'[1,2]')}.sig",  # payload not an object
        f"{_b64(b'[]')}.{_b64(b'{}')}.sig",  # header not an object
        f"{_b64(b'{}')}.not base64!.sig",
        f"{_b64(b'{}')}.{_b64(b'not json')}.sig",
        f"{_b64(b'{}')}.{_b64(json.dumps({'a': 'b' * 9000}).encode())}.sig",  # too long
    ],
)
def test_what_is_not_a_jwt_is_a_token_error(token: str) -> None:
    with pytest.raises(TokenError, match="not a JWT") as caught:
        unverified_claims(token)
    assert not token or token not in str(caught.value)  # never the token in the message


def test_reading_claims_loads_neither_pyjwt_nor_cryptography() -> None:
    token = jwt.encode({"sub": "s"}, KEY, algorithm="RS256")
    probe = (
        "import sys\n"
        "from cognito_passkey.client.tokens import unverified_claims\n"
        f"assert unverified_claims({token!r}) == {{'sub': 's'}}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jwt', 'cryptography')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
