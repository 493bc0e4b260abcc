"""Threads sharing one software authenticator (one store, one device, one kept
``Fido2Client``) take turns on it, as on a real key, which holds one pinUvAuthToken: no
ceremony invalidates another's, and every assertion's counter reaches the store. Checked by
python-fido2's own server."""

from __future__ import annotations

from collections import Counter

from cognito_passkey.authenticator import SoftAuthenticator
from fido2.server import Fido2Server
from fido2.webauthn import PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity
from threads_support import side_by_side

THREADS = 16


def test_threads_sharing_one_soft_key_take_turns_on_it() -> None:
    """Without the AWS: python-fido2's own server checks every assertion."""
    key = SoftAuthenticator()
    server = Fido2Server(PublicKeyCredentialRpEntity(id="localhost", name="local"))
    credentials = []
    for i in range(THREADS):
        options, state = server.register_begin(
            PublicKeyCredentialUserEntity(id=f"user-{i}".encode(), name=f"user-{i}")
        )
        made = key.create(dict(options), rp_id="localhost")
        data = server.register_complete(state, made).credential_data
        assert data is not None
        credentials.append(data)

    def assertions(index: int) -> None:
        for _ in range(10):
            request, state = server.authenticate_begin([credentials[index]])
            answer = key.get(dict(request), rp_id="localhost")
            server.authenticate_complete(state, [credentials[index]], answer)

    assert side_by_side(THREADS, assertions) == Counter()
    assert sorted(c.sign_count for c in key.store.list_credentials()) == [10] * THREADS
