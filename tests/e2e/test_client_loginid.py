"""The LoginID template (``Template.yaml``) deployed locally against the LoginID-compatible
test server: the key travels through Secrets Manager, the triggers call the LoginID API, and
the client signs in with a software authenticator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.authenticator.errors import NoCredentialsError
from cognito_passkey.client.errors import AuthenticationError
from cognito_passkey.local.deploy import Deployment, client
from cognito_passkey.protocol import dialect
from e2e_support import PASSWORD, new_user, passkey_client

pytestmark = pytest.mark.e2e
REFUSED = (AuthenticationError, NoCredentialsError)


def test_private_key_lives_in_secrets_manager_only(
    loginid: Deployment, loginid_service: Any
) -> None:
    secrets = client(loginid.endpoint, "secretsmanager")
    secret_name = loginid.outputs["LoginIDSecretName"]
    stored = secrets.get_secret_value(SecretId=secret_name)["SecretString"]
    assert stored.strip() == loginid_service.tenant_key_pem.strip()
    functions = client(loginid.endpoint, "lambda")
    for key in ("DefineAuthArn", "CreateAuthArn", "VerifyAuthArn"):
        config = functions.get_function_configuration(FunctionName=loginid.outputs[key])
        variables = config["Environment"]["Variables"]
        assert variables["PASSKEY_BACKEND"] == "loginid"
        assert "PRIVATE KEY" not in json.dumps(variables)
        if key != "DefineAuthArn":
            assert variables["LOGINID_BASE_URL"] == loginid_service.base_url
            assert variables["LOGINID_SECRET_NAME"] == secret_name


def test_add_passkey_then_sign_in_through_loginid(
    loginid: Deployment, loginid_service: Any, idp: Any
) -> None:
    username = new_user(idp, loginid, "lid-")
    client_ = passkey_client(loginid)
    before = len(loginid_service.requests)
    client_.add_passkey(username, client_.sign_in_password(username, PASSWORD).id_token)
    tokens = client_.sign_in_passkey(username)
    claims = client_.verify_token(tokens.id_token)
    assert claims["cognito:username"] == username

    paths = [path for _method, path in loginid_service.requests[before:]]
    for expected in (
        "/fido2/v2/mgmt/grant",
        "/fido2/v2/reg/init",
        "/fido2/v2/reg/complete",
        "/fido2/v2/auth/init",
        "/fido2/v2/auth/complete",
    ):
        assert any(p.startswith(expected) for p in paths), (expected, paths)
    assert username in loginid_service.users


def test_round_one_carries_loginid_options(
    loginid: Deployment, loginid_service: Any, idp: Any
) -> None:
    username = new_user(idp, loginid, "lid-round1-")
    client_ = passkey_client(loginid)
    client_.add_passkey(username, client_.sign_in_password(username, PASSWORD).id_token)
    reply = idp.initiate_auth(
        ClientId=loginid.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": username},
    )
    parameters = reply["ChallengeParameters"]
    assert parameters[dialect.PARAM_CHALLENGE] == dialect.AUTH_PARAMS
    options = json.loads(parameters[dialect.PARAM_PUBLIC_KEY])
    assert options["challenge"]
    (credential,) = loginid_service.users[username].passkeys.values()
    assert [c["id"] for c in options["allowCredentials"]] == [credential.id]


def test_a_different_authenticator_cannot_sign_in(loginid: Deployment, idp: Any) -> None:
    username = new_user(idp, loginid, "lid-bob-")
    owner = passkey_client(loginid)
    owner.add_passkey(username, owner.sign_in_password(username, PASSWORD).id_token)
    with pytest.raises(REFUSED):
        passkey_client(loginid, SoftAuthenticator()).sign_in_passkey(username)
