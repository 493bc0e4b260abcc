"""The sign-up recipe on the local user pool: checked before ``SignUp``, and a user left half
made is said so, resumed (``resume_sign_up``) or removed (``abandon_sign_up``)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from cognito_passkey.client import errors as e
from cognito_passkey.client.management import PasskeyManager
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import PASSWORD, passkey_client, unique_username

from .pools import user_exists


def status(idp: Any, deployment: Deployment, username: str) -> str:
    user = idp.admin_get_user(UserPoolId=deployment.user_pool_id, Username=username)
    return str(user["UserStatus"])


def notes(exc: BaseException) -> str:
    return " ".join(getattr(exc, "__notes__", []))


def no_code(_username: str, _delivery: Any) -> str:
    raise e.UserNotConfirmedError("no confirmation code was given")


def test_an_unconfirmed_user_is_said_so_and_resumed(selfhosted: Deployment, idp: Any) -> None:
    username = unique_username("res-code-")
    with pytest.raises(e.UserNotConfirmedError) as caught:
        passkey_client(selfhosted).sign_up_with_passkey(username, confirm=no_code)
    said = notes(caught.value)
    assert f"{username} exists, unconfirmed" in said
    assert f"sign-up {username} --resume" in said and f"sign-up {username} --abandon" in said
    assert status(idp, selfhosted, username) == "UNCONFIRMED"

    client = passkey_client(selfhosted)
    tokens = client.resume_sign_up(username, confirm="admin")
    assert status(idp, selfhosted, username) == "CONFIRMED"
    assert len(PasskeyManager(selfhosted.management_url, tokens.access_token).list()) == 1
    assert client.sign_in_passkey(username).id_token


def test_resume_by_codes_asks_for_two(selfhosted: Deployment, idp: Any) -> None:
    username = unique_username("res-codes-")
    idp.sign_up(ClientId=selfhosted.client_id, Username=username, Password=PASSWORD)
    asked: list[str] = []

    def code(name: str, _delivery: Any) -> str:
        asked.append(name)
        return "123456"

    client = passkey_client(selfhosted)
    assert client.resume_sign_up(username, confirm=code).id_token
    assert asked == [username, username]  # the confirmation, then the password reset
    assert client.sign_in_passkey(username).id_token


def test_auto_confirmation_that_does_not_come_says_what_is_left(
    selfhosted: Deployment, idp: Any
) -> None:
    username = unique_username("res-auto-")
    with pytest.raises(e.UserNotConfirmedError) as caught:
        passkey_client(selfhosted).sign_up_with_passkey(username)
    assert f"sign-up {username} --resume" in notes(caught.value)
    passkey_client(selfhosted).abandon_sign_up(username)
    assert not user_exists(idp, selfhosted, username)


def test_an_existing_user_names_resume_and_abandon(
    selfhosted: Deployment, password_user: str
) -> None:
    with pytest.raises(e.UsernameExistsError) as caught:
        passkey_client(selfhosted).sign_up_with_passkey(password_user, confirm="admin")
    said = notes(caught.value)
    assert f"sign-up {password_user} --resume" in said and "--abandon" in said


def test_nothing_to_resume(selfhosted: Deployment) -> None:
    with pytest.raises(e.UserNotFoundError) as caught:
        passkey_client(selfhosted).resume_sign_up(unique_username("res-ghost-"), confirm="admin")
    assert "nothing to resume" in notes(caught.value)
    with pytest.raises(e.ConfigurationError, match="'auto' cannot"):
        passkey_client(selfhosted).resume_sign_up("someone", confirm="auto")


def test_admin_confirmation_without_credentials_creates_nothing(
    selfhosted: Deployment, idp: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.session.Session(region_name="us-east-1")
    assert session.get_credentials() is None
    username = unique_username("res-nocreds-")
    client = passkey_client(selfhosted, boto_session=session)
    with pytest.raises(e.ConfigurationError, match="AWS credentials") as caught:
        client.sign_up_with_passkey(username, confirm="admin")
    assert "admin calls" in notes(caught.value)
    assert not user_exists(idp, selfhosted, username)
