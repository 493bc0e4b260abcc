"""Shared pieces of the native-passkey client tests: a pool on loopback and its users."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client.native import NativePasskeyClient
from cognito_passkey.client.tokens import Tokens
from native_server import NativePool

RP_ID = "app.example.com"
PASSWORD = "Corr3ct-Horse-Battery!"


def admin(pool: NativePool) -> Any:
    """A signed boto3 client for the admin calls (dummy credentials: loopback only)."""
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=pool.region
    )
    return session.client("cognito-idp", endpoint_url=pool.url)


def client(pool: NativePool, authenticator: Any = None) -> NativePasskeyClient:
    return NativePasskeyClient(
        user_pool_id=pool.user_pool_id,
        client_id=pool.client_id,
        client_secret=pool.client_secret,
        authenticator=authenticator or SoftAuthenticator(),
        rp_id=RP_ID,
        endpoint_url=pool.url,
    )


@dataclass
class NativeUser:
    username: str
    client: NativePasskeyClient
    first: Tokens


def new_user(pool: NativePool, username: str = "alice", *, passkey: bool = True) -> NativeUser:
    """A confirmed user with a password; with ``passkey``, one passkey registered."""
    api = admin(pool)
    api.admin_create_user(UserPoolId=pool.user_pool_id, Username=username, MessageAction="SUPPRESS")
    api.admin_set_user_password(
        UserPoolId=pool.user_pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    native = client(pool)
    first = native.sign_in_password(username, PASSWORD)
    if passkey:
        native.add_passkey(username, first.id_token, access_token=first.access_token)
    return NativeUser(username, native, first)
