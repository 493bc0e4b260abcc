"""``aws-credentials`` offline: the identity pool is a loopback HTTP server speaking the
``cognito-identity`` JSON protocol, so botocore's real client (unsigned) talks to it; the
ID token comes from the token cache."""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from cognito_passkey.client import aws_credentials as aws
from cognito_passkey.client.cache import TokenCache
from cognito_passkey.client.errors import ConfigurationError

from .cli_offline import Offline, StubbedCognito, stubbed_cognito
from .conftest import POOL_ID, SigningKey, closed_url
from .loopback import AMZ_JSON, Loopback, QuietHandler

IDENTITY_POOL = "eu-west-1:0c3ef3f2-5d2e-4d9a-9a55-1f0e1b2c3d4e"
IDENTITY_ID = "eu-west-1:11111111-2222-3333-4444-555555555555"
PROVIDER = f"cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"


@dataclass
class IdentityServer:
    """What the fake identity pool was asked, and what it answers next."""

    url: str = ""
    requests: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    error: tuple[str, str] | None = None
    issued: int = 0
    lifetime: int = 3600

    def operations(self) -> list[str]:
        return [operation for operation, _body, _headers in self.requests]


@pytest.fixture
def identity_server() -> Iterator[IdentityServer]:
    state = IdentityServer()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            operation = self.headers["X-Amz-Target"].rpartition(".")[2]
            state.requests.append((operation, body, dict(self.headers.items())))
            if state.error:
                code, message = state.error
                self._answer(400, {"__type": code, "message": message})
            elif operation == "GetId":
                self._answer(200, {"IdentityId": IDENTITY_ID})
            else:
                state.issued += 1
                self._answer(
                    200,
                    {
                        "IdentityId": body["IdentityId"],
                        "Credentials": {
                            "AccessKeyId": f"ASIAEXAMPLE{state.issued:05d}",
                            "SecretKey": f"secret-{state.issued}",
                            "SessionToken": f"session-{state.issued}",
                            "Expiration": int(time.time()) + state.lifetime,
                        },
                    },
                )

        def _answer(self, status: int, document: dict[str, Any]) -> None:
            self.send_body(status, json.dumps(document).encode(), AMZ_JSON)

    running = Loopback(Handler)
    state.url = running.url
    try:
        yield state
    finally:
        running.stop()


@pytest.fixture
def cognito() -> Iterator[StubbedCognito]:
    with stubbed_cognito() as stubbed:
        yield stubbed


@pytest.fixture
def setup(
    cognito: StubbedCognito,
    signing_key: SigningKey,
    tmp_path: Path,
    identity_server: IdentityServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Offline:
    """A signed-in user on a profile whose endpoint is the fake identity pool; no AWS
    credentials anywhere."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("COGNITO_PASSKEY_IDENTITY_POOL_ID", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    offline = Offline(
        cognito, signing_key, tmp_path / "soft.json", endpoint_url=identity_server.url
    )
    offline.write_profile(identity_pool_id=IDENTITY_POOL)
    offline.signed_in()
    return offline


def credential_files() -> list[Path]:
    return sorted(TokenCache().directory.glob(f"*{aws.FILE_SUFFIX}"))


def test_prints_the_credential_process_document_from_an_unsigned_exchange(
    setup: Offline, identity_server: IdentityServer
) -> None:
    tokens = setup.cached()
    assert tokens is not None
    result = setup.run("aws-credentials", "carol")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {
        "Version",
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    }
    assert document["Version"] == 1
    assert document["AccessKeyId"] == "ASIAEXAMPLE00001"
    assert document["SecretAccessKey"] == "secret-1"
    assert document["SessionToken"] == "session-1"
    expiry = datetime.strptime(document["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
    remaining = expiry.replace(tzinfo=timezone.utc).timestamp() - time.time()
    assert 3500 < remaining <= 3600
    assert identity_server.operations() == ["GetId", "GetCredentialsForIdentity"]
    (_, get_id, headers), (_, get_credentials, _) = identity_server.requests
    assert get_id == {"IdentityPoolId": IDENTITY_POOL, "Logins": {PROVIDER: tokens.tokens.id_token}}
    assert get_credentials == {"IdentityId": IDENTITY_ID, "Logins": get_id["Logins"]}
    assert "Authorization" not in headers and "X-Amz-Security-Token" not in headers
    assert "secret-1" not in result.stderr and "session-1" not in result.stderr
    assert "carol" in result.stderr


def test_a_second_call_within_validity_uses_the_cache(
    setup: Offline, identity_server: IdentityServer
) -> None:
    first = setup.run("aws-credentials", "carol")
    assert first.exit_code == 0, first.output
    (path,) = credential_files()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = setup.run("aws-credentials", "carol")
    assert second.exit_code == 0, second.output
    assert second.stdout == first.stdout
    assert second.stderr == ""
    assert len(identity_server.requests) == 2  # nothing asked the second time


def test_credentials_near_expiry_are_replaced_with_the_identity_id_kept(
    setup: Offline, identity_server: IdentityServer
) -> None:
    identity_server.lifetime = int(aws.REFRESH_MARGIN_SECONDS) - 10
    first = json.loads(setup.run("aws-credentials", "carol").stdout)
    identity_server.lifetime = 3600
    second = setup.run("aws-credentials", "carol")
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["AccessKeyId"] != first["AccessKeyId"]
    assert identity_server.operations() == [
        "GetId",
        "GetCredentialsForIdentity",
        "GetCredentialsForIdentity",  # the cached identity id: no second GetId
    ]


def test_no_cache_neither_reads_nor_writes(setup: Offline, identity_server: IdentityServer) -> None:
    for _ in range(2):
        result = setup.run("aws-credentials", "carol", "--no-cache")
        assert result.exit_code == 0, result.output
    assert credential_files() == []
    assert identity_server.operations().count("GetCredentialsForIdentity") == 2


def test_a_damaged_cache_is_reported_and_replaced(
    setup: Offline, identity_server: IdentityServer
) -> None:
    assert setup.run("aws-credentials", "carol").exit_code == 0
    (path,) = credential_files()
    path.write_text("{not json")
    result = setup.run("aws-credentials", "carol")
    assert result.exit_code == 0, result.output
    assert f"ignoring damaged AWS credentials cache {path}" in result.stderr
    assert json.loads(result.stdout)["AccessKeyId"] == "ASIAEXAMPLE00002"
    again = setup.run("aws-credentials", "carol")
    assert again.stderr == "" and again.stdout == result.stdout


@pytest.mark.parametrize(
    ("code", "exit_code", "words"),
    [
        ("NotAuthorizedException", 3, "refused the ID token"),
        ("ResourceNotFoundException", 5, f"identity pool {IDENTITY_POOL} not found"),
        ("InvalidIdentityPoolConfigurationException", 5, "InvalidIdentityPoolConfiguration"),
    ],
)
def test_identity_pool_errors_are_one_line_with_their_exit_code(
    setup: Offline, identity_server: IdentityServer, code: str, exit_code: int, words: str
) -> None:
    identity_server.error = (code, "Invalid login token.")
    result = setup.run("aws-credentials", "carol")
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and words in result.stderr
    assert credential_files() == []


def test_an_unreachable_identity_pool_is_a_network_error(setup: Offline) -> None:
    # another endpoint is another token-cache scope: sign the user in there first
    setup.endpoint_url = closed_url()
    setup.signed_in()
    result = setup.run("aws-credentials", "carol", "--endpoint-url", closed_url())
    assert result.exit_code == 6, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert "cannot reach" in result.stderr


def test_a_missing_identity_pool_names_the_setting(setup: Offline) -> None:
    setup.write_profile()
    result = setup.run("aws-credentials", "carol")
    assert result.exit_code == 5, result.output
    assert "config set identity_pool_id=" in result.stderr
    assert "COGNITO_PASSKEY_IDENTITY_POOL_ID" in result.stderr
    assert result.stdout == ""


def test_a_malformed_identity_pool_id_is_refused(setup: Offline) -> None:
    result = setup.run("aws-credentials", "carol", "--identity-pool-id", "not-a-pool")
    assert result.exit_code == 5, result.output
    assert "REGION:UUID" in result.stderr


def test_an_empty_user_name_is_a_usage_error(setup: Offline) -> None:
    result = setup.run("aws-credentials", "")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""


def test_role_arn_is_sent_as_the_custom_role_and_keys_its_own_cache(
    setup: Offline, identity_server: IdentityServer
) -> None:
    role = "arn:aws:iam::123456789012:role/admins"
    assert setup.run("aws-credentials", "carol").exit_code == 0
    result = setup.run("aws-credentials", "carol", "--role-arn", role)
    assert result.exit_code == 0, result.output
    _, body, _ = identity_server.requests[-1]
    assert body["CustomRoleArn"] == role
    assert len(credential_files()) == 2


def test_the_cache_refuses_a_directory_others_may_write(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    os.chmod(directory, 0o777)  # noqa: S103 - the unsafe mode under test
    cache = aws.CredentialsCache(directory)
    key = aws.CredentialsKey("p", "carol", POOL_ID, "client", IDENTITY_POOL)
    with pytest.raises(ConfigurationError, match="chmod 700"):
        cache.load(key)


def test_an_unwritable_cache_costs_a_warning_not_the_credentials(
    tmp_path: Path, identity_server: IdentityServer
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    directory = blocker / "cache"  # cannot be made, whoever runs the test (root too)
    warnings: list[str] = []
    key = aws.CredentialsKey("p", "carol", POOL_ID, "client", IDENTITY_POOL)
    api = aws.IdentityPoolApi(IDENTITY_POOL, endpoint_url=identity_server.url)
    got = aws.obtain_credentials(
        key, lambda: "id-token", api, aws.CredentialsCache(directory), warn=warnings.append
    )
    assert got.source == "exchange" and got.credentials.access_key_id == "ASIAEXAMPLE00001"
    assert len(warnings) == 1 and "could not cache" in warnings[0]


def test_cached_documents_are_checked_field_by_field() -> None:
    good = aws.AwsCredentials("AKIA", "secret", "session", 1.5e9, "id").to_dict()
    assert aws.AwsCredentials.from_dict(good).access_key_id == "AKIA"
    for broken in (
        {**good, "expiration": "soon"},
        {**good, "expiration": True},
        {**good, "secret_access_key": ""},
        {k: v for k, v in good.items() if k != "session_token"},
        [good],
    ):
        with pytest.raises(ValueError):
            aws.AwsCredentials.from_dict(broken)
    assert "secret" not in repr(aws.AwsCredentials.from_dict(good))


def test_the_exchange_is_unsigned() -> None:
    from botocore import UNSIGNED

    api = aws.IdentityPoolApi(IDENTITY_POOL, endpoint_url=closed_url())
    assert api.client.meta.config.signature_version is UNSIGNED
    assert api.region == "eu-west-1"
    assert aws.login_provider(POOL_ID) == PROVIDER


def test_the_profile_user_is_the_default_and_none_is_a_usage_error(
    setup: Offline, identity_server: IdentityServer
) -> None:
    nobody = setup.run("aws-credentials")
    assert nobody.exit_code == 2, nobody.output
    assert "config set user=NAME" in nobody.stderr and nobody.stdout == ""
    setup.write_profile(identity_pool_id=IDENTITY_POOL, user="carol")
    result = setup.run("aws-credentials")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["AccessKeyId"] == "ASIAEXAMPLE00001"


def test_cached_credentials_never_sit_in_botocores_refresh_window() -> None:
    """botocore asks credential_process again once less than its advisory window is left;
    handing back cached credentials inside it would have every call run the command."""
    from botocore.credentials import RefreshableCredentials

    assert RefreshableCredentials._advisory_refresh_timeout <= aws.REFRESH_MARGIN_SECONDS
