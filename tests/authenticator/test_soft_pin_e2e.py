"""A PIN-protected software store against a pool that requires user verification, end to
end on the local AWS: it signs in only with the PIN (or with built-in UV the store enables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.authenticator import SoftAuthenticator, errors
from cognito_passkey.authenticator.soft import FileCredentialStore, SoftCtapDevice
from cognito_passkey.local import DeploySpec, LocalAws
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import PASSWORD, api_client, new_user

pytestmark = pytest.mark.e2e
PIN = "2468-pin"


@pytest.fixture(scope="module")
def uv_required(local_aws: LocalAws) -> Deployment:
    """A self-hosted stack with ``UserVerification=required``."""
    return local_aws.deploy(
        DeploySpec(stack_name="passkey-selfhosted-uv-required", user_verification="required")
    )


@pytest.fixture(autouse=True)
def _no_pin_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COGNITO_PASSKEY_PIN", raising=False)


def enrolled_pin_store(tmp_path: Path, idp: Any, deployment: Deployment) -> tuple[str, Path]:
    """A user whose one passkey lives in a store file protected by :data:`PIN`."""
    path = tmp_path / "soft.json"
    SoftCtapDevice(FileCredentialStore(path)).set_pin(PIN)
    username = new_user(idp, deployment, "pin-store-")
    enroller = api_client(deployment, SoftAuthenticator(path, pin=PIN))
    enroller.add_passkey(username, enroller.sign_in_password(username, PASSWORD).id_token)
    return username, path


def test_a_pin_store_signs_in_only_with_the_pin(
    uv_required: Deployment, idp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    username, path = enrolled_pin_store(tmp_path, idp, uv_required)

    with pytest.raises(errors.PinRequiredError, match="COGNITO_PASSKEY_PIN"):
        api_client(uv_required, SoftAuthenticator(path)).sign_in_passkey(username)

    monkeypatch.setenv("COGNITO_PASSKEY_PIN", PIN)
    client = api_client(uv_required, SoftAuthenticator(path))
    tokens = client.sign_in_passkey(username)
    assert client.verify_token(tokens.id_token)["cognito:username"] == username


def test_builtin_uv_the_store_enables_signs_in_without_the_pin(
    uv_required: Deployment, idp: Any, tmp_path: Path
) -> None:
    username, path = enrolled_pin_store(tmp_path, idp, uv_required)
    FileCredentialStore(path).set_builtin_uv(True)
    client = api_client(uv_required, SoftAuthenticator(path))
    tokens = client.sign_in_passkey(username)
    assert client.verify_token(tokens.id_token)["cognito:username"] == username
