"""Password sign-in (real SRP against the fake pool) and sign-up with a passkey."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator
from cognito_passkey.client import PasskeyClient
from cognito_passkey.client import errors as e
from cognito_passkey.client.passwords import SYMBOLS, generate_password

from .conftest import CLIENT_ID, POOL_ID
from .fake_cognito import ORIGIN, RP_ID, FakeCognito


def client_for(fake: FakeCognito, **kwargs: Any) -> PasskeyClient:
    return PasskeyClient(
        user_pool_id=POOL_ID,
        client_id=CLIENT_ID,
        authenticator=kwargs.pop("authenticator", None) or SoftAuthenticator(),
        origin=ORIGIN,
        rp_id=RP_ID,
        endpoint_url=fake.url,
        client_secret=fake.client_secret,
        **kwargs,
    )


@pytest.mark.parametrize("secret", [None, "client-secret-1"])
def test_password_sign_in_is_srp(make_cognito: Any, secret: str | None) -> None:
    fake = make_cognito(client_secret=secret)
    fake.add_user("dave", "Correct-horse-9")
    tokens = client_for(fake).sign_in_password("dave", "Correct-horse-9")
    assert PasskeyClient.username_of(tokens) == "dave"
    assert "Correct-horse-9" not in json.dumps(fake.calls)
    with pytest.raises(e.NotAuthorizedError):
        client_for(fake).sign_in_password("dave", "wrong-Password-1")


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


def test_sign_up_with_code_then_passkey_sign_in(make_cognito: Any) -> None:
    fake = make_cognito(fast_signin=True)
    asked: list[tuple[str, dict[str, Any]]] = []

    def code(username: str, delivery: Any) -> str:
        asked.append((username, dict(delivery)))
        return fake.sent_codes[username]

    auth = SoftAuthenticator()
    client = client_for(fake, authenticator=auth)
    tokens = client.sign_up_with_passkey("erin", {"email": "erin@example.com"}, confirm=code)
    assert asked == [
        ("erin", {"Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"})
    ]
    assert fake.users["erin"].attributes == {"email": "erin@example.com"}
    assert len(fake.users["erin"].credentials) == 1
    assert client.verify_token(tokens.id_token)["cognito:username"] == "erin"
    assert client.sign_in_passkey("erin").id_token
    ops = fake.ops()
    assert ops[:4] == ["SignUp", "ConfirmSignUp", "InitiateAuth", "RespondToAuthChallenge"]
    sign_up_params = dict(fake.calls[0][1])
    password = sign_up_params["Password"]
    assert len(password) >= 24
    # After SignUp the password never travels again (SRP proves it without sending it).
    assert password not in json.dumps(fake.calls[1:])


def test_wrong_code_is_asked_again_then_gives_up(make_cognito: Any) -> None:
    fake = make_cognito()
    answers = iter(["000000", "111111"])

    def code(username: str, _delivery: Any) -> str:
        return next(answers, fake.sent_codes[username])

    client_for(fake).sign_up_with_passkey("frank", confirm=code)
    assert fake.ops().count("ConfirmSignUp") == 3

    with pytest.raises(e.CodeMismatchError):
        client_for(fake).sign_up_with_passkey("gina", confirm=lambda _u, _d: "999999x")
    assert fake.ops().count("ConfirmSignUp") == 6


def test_admin_and_auto_confirmation(make_cognito: Any) -> None:
    fake = make_cognito()
    client_for(fake).sign_up_with_passkey("hank", confirm="admin")
    assert "AdminConfirmSignUp" in fake.ops()
    with pytest.raises(e.UserNotConfirmedError, match="confirm"):
        client_for(fake).sign_up_with_passkey("ivy")


def test_existing_user(make_cognito: Any) -> None:
    fake = make_cognito()
    fake.add_user("jack", "Some-password-1")
    with pytest.raises(e.UsernameExistsError):
        client_for(fake).sign_up_with_passkey("jack", confirm="admin")


def test_failed_passkey_removes_the_new_user(make_cognito: Any) -> None:
    fake = make_cognito()
    fake.fail_add_passkey = True
    with pytest.raises(e.TriggerError) as caught:
        client_for(fake).sign_up_with_passkey("kate", confirm="admin")
    assert "kate" not in fake.users
    assert "DeleteUser" in fake.ops()
    assert "removed again" in " ".join(getattr(caught.value, "__notes__", []))


def test_password_sign_in_retries_throttling(make_cognito: Any) -> None:
    from cognito_passkey.client.cognito import RetryPolicy

    fake = make_cognito()
    fake.add_user("lee", "Lee-password-22")
    fake.throttle["InitiateAuth"] = 2
    pauses: list[float] = []
    client = client_for(fake, retry=RetryPolicy(sleep=pauses.append, jitter=lambda: 1.0))
    assert client.sign_in_password("lee", "Lee-password-22").id_token
    assert pauses == [0.25, 0.5]
    assert fake.ops().count("InitiateAuth") == 3
    fake.throttle["InitiateAuth"] = 10
    with pytest.raises(e.ThrottledError):
        client.sign_in_password("lee", "Lee-password-22")
