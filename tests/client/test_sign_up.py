"""Password sign-in (real SRP against the local user pool) and sign-up with a passkey.

The local AWS does not check confirmation codes (it accepts any code; AWS checks the
emailed one), so the code callback is run for real here, and its retry on a wrong code is
tested with botocore's Stubber in test_state_machine.py.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import PasskeyClient
from cognito_passkey.client import errors as e
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.client.passwords import SYMBOLS, generate_password
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import PASSWORD, SecretClient, new_user, passkey_client, unique_username

from .pools import user_exists
from .wire import Wire


def attributes_of(idp: Any, deployment: Deployment, username: str) -> dict[str, str]:
    user = idp.admin_get_user(UserPoolId=deployment.user_pool_id, Username=username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


@pytest.mark.parametrize("with_secret", [False, True], ids=["public", "secret"])
def test_password_sign_in_is_srp(
    selfhosted_secret_client: SecretClient, idp: Any, with_secret: bool
) -> None:
    app = selfhosted_secret_client
    deployment = app.deployment
    options = app.options(with_secret)
    username = new_user(idp, deployment, "dave-")
    client = passkey_client(deployment, **options)
    wire = Wire(client.api.client)
    tokens = client.sign_in_password(username, PASSWORD)
    assert PasskeyClient.username_of(tokens) == username
    assert client.verify_token(tokens.id_token)["aud"] == options.get(
        "client_id", deployment.client_id
    )
    assert wire.ops() == ["InitiateAuth", "RespondToAuthChallenge"]
    assert wire.calls[0].request["AuthFlow"] == "USER_SRP_AUTH"
    assert wire.calls[1].request["ChallengeName"] == "PASSWORD_VERIFIER"
    assert PASSWORD not in wire.text()
    with pytest.raises(e.NotAuthorizedError):
        client.sign_in_password(username, "wrong-Password-1")


def test_generated_passwords() -> None:
    seen = set()
    for _ in range(200):
        password = generate_password()
        assert len(password) >= 24
        for group in (string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS):
            assert any(ch in group for ch in password)
        seen.add(password)
    assert len(seen) == 200
    with pytest.raises(ValueError):
        generate_password(12)


def test_sign_up_with_code_then_passkey_sign_in(selfhosted: Deployment, idp: Any) -> None:
    username = unique_username("erin-")
    email = f"{username}@example.com"
    asked: list[tuple[str, dict[str, Any]]] = []

    def code(name: str, delivery: Any) -> str:
        asked.append((name, dict(delivery)))
        return "123456"

    client = passkey_client(selfhosted, SoftAuthenticator())
    wire = Wire(client.api.client)
    tokens = client.sign_up_with_passkey(username, {"email": email}, confirm=code)
    ((asked_name, delivery),) = asked
    assert asked_name == username
    assert delivery["DeliveryMedium"] == "EMAIL" and delivery["AttributeName"] == "email"
    assert attributes_of(idp, selfhosted, username)["email"] == email
    assert client.verify_token(tokens.id_token)["cognito:username"] == username
    assert len(PasskeyManager(selfhosted.management_url, tokens.access_token).list()) == 1
    assert client.sign_in_passkey(username).id_token
    ops = wire.ops()
    assert ops[:4] == ["SignUp", "ConfirmSignUp", "InitiateAuth", "RespondToAuthChallenge"]
    password = wire.calls[0].request["Password"]
    assert len(password) >= 24
    assert wire.calls[1].request["ConfirmationCode"] == "123456"
    # After SignUp the password never travels again (SRP proves it without sending it).
    assert password not in str([call.request for call in wire.calls[1:]])


def test_admin_and_auto_confirmation(selfhosted: Deployment, idp: Any) -> None:
    admin = unique_username("hank-")
    client = passkey_client(selfhosted)
    wire = Wire(client.api.client)
    assert client.sign_up_with_passkey(admin, confirm="admin").id_token
    assert "AdminConfirmSignUp" in wire.ops()
    status = idp.admin_get_user(UserPoolId=selfhosted.user_pool_id, Username=admin)["UserStatus"]
    assert status == "CONFIRMED"

    waiting = unique_username("ivy-")
    with pytest.raises(e.UserNotConfirmedError, match="confirm"):
        passkey_client(selfhosted).sign_up_with_passkey(waiting)
    status = idp.admin_get_user(UserPoolId=selfhosted.user_pool_id, Username=waiting)["UserStatus"]
    assert status == "UNCONFIRMED"


def test_existing_user(selfhosted: Deployment, password_user: str) -> None:
    with pytest.raises(e.UsernameExistsError):
        passkey_client(selfhosted).sign_up_with_passkey(password_user, confirm="admin")


def test_failed_passkey_removes_the_new_user(selfhosted: Deployment, idp: Any) -> None:
    auth = SoftAuthenticator()

    class WrongOrigin:
        """Signs from an origin the pool does not allow: the Verify trigger refuses it."""

        def create(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
            return auth.create(options, origin="https://other.localhost", rp_id=rp_id)

        def get(self, options: Any, *, origin: str, rp_id: str) -> dict[str, Any]:
            raise AssertionError("not used")

    username = unique_username("kate-")
    client = passkey_client(selfhosted, WrongOrigin())
    wire = Wire(client.api.client)
    with pytest.raises(e.NotAuthorizedError) as caught:
        client.sign_up_with_passkey(username, confirm="admin")
    assert not user_exists(idp, selfhosted, username)
    assert wire.ops()[-1] == "DeleteUser"
    assert "removed again" in " ".join(getattr(caught.value, "__notes__", []))
