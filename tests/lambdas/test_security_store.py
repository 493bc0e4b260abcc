"""The self-hosted table keeps a credential for its ``sub`` and for one user only.

Store-level, on the session's local DynamoDB: the end-to-end attacks are in
tests/e2e/test_security_identity.py; here are the edges a deployment cannot reach on demand
(a credential stored before ``sub`` was kept, another user's owner item).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from cognito_passkey.lambdas.backends.store import PasskeyStore, StoredCredential
from fido2.utils import websafe_encode
from lambdas_support import make_table


@pytest.fixture
def store(ministack: str) -> PasskeyStore:
    client = boto3.client(
        "dynamodb",
        endpoint_url=ministack,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return PasskeyStore(make_table(ministack), client=client)


def credential(sub: str, credential_id: bytes | None = None) -> StoredCredential:
    return StoredCredential(
        credential_id=credential_id or os.urandom(32),
        credential_data=b"\x00" * 16,
        sign_count=0,
        name="Passkey",
        created_at="2026-01-01T00:00:00Z",
        sub=sub,
    )


def test_an_id_is_added_once_in_the_whole_table(store: PasskeyStore) -> None:
    first = credential("sub-a")
    assert store.add_credential("alice", first)
    assert not store.add_credential("bob", credential("sub-b", first.credential_id))
    assert not store.add_credential("alice", credential("sub-a", first.credential_id))
    assert store.credentials("bob") == []
    assert [c.sub for c in store.credentials("alice")] == ["sub-a"]


def test_a_delete_names_the_owner_and_frees_the_id(store: PasskeyStore) -> None:
    kept = credential("sub-a")
    assert store.add_credential("alice", kept)
    assert not store.delete("alice", kept.credential_id, "sub-other")  # same name, other sub
    assert not store.rename("alice", kept.credential_id, "x", "sub-other")
    assert len(store.credentials("alice")) == 1
    assert store.delete("alice", kept.credential_id, "sub-a")
    assert store.credentials("alice") == []
    assert store.add_credential("bob", credential("sub-b", kept.credential_id))


def test_a_credential_stored_without_a_sub_is_nobodys(store: PasskeyStore, selfhosted: Any) -> None:
    """Written by an older version: no ``sub``, no owner item. It is never offered or
    accepted, and the management API (which always names a ``sub``) does not list it."""
    from cognito_passkey.lambdas import container

    legacy = os.urandom(32)
    store.client.put_item(
        TableName=store.table_name,
        Item={
            "pk": {"S": "USER#alice"},
            "sk": {"S": "CREDENTIAL#" + websafe_encode(legacy)},
            "credential_data": {"B": b"\x00" * 16},
            "sign_count": {"N": "0"},
            "name": {"S": "old"},
            "created_at": {"S": "2025-01-01T00:00:00Z"},
        },
    )
    (stored,) = store.credentials("alice")
    assert stored.sub == ""
    backend = container.backend()
    backend.store = store  # type: ignore[attr-defined]
    assert backend.list_passkeys("alice", sub="sub-a") == []
    options = backend.begin_authentication("alice", sub="sub-a").options
    assert websafe_encode(legacy) not in {d["id"] for d in options["allowCredentials"]}
