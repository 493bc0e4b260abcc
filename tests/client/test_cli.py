"""The CLI in-process (click's CliRunner).

Output formats and exit codes run with no server: a real PasskeyClient on a stubbed boto3
client (``cli_offline``). A few smoke tests run against the real local user pool, its
trigger Lambdas and management API, with a software key; each has a user of its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from cognito_passkey.client import PasskeyClient, config, exit_codes
from cognito_passkey.client import errors as e
from cognito_passkey.client.cache import CacheEntry, CacheKey, TokenCache
from cognito_passkey.client.cli import cli
from cognito_passkey.client.cli_support import ReportingGroup, _load_lazy
from cognito_passkey.local.deploy import Deployment
from stack_fixtures import PASSWORD, new_user, passkey_client, unique_username

from .cli_offline import Offline, offline_setup, stubbed_cognito
from .conftest import JwksServer, SigningKey, closed_url
from .pools import write_soft_profile


@dataclass
class Setup:
    deployment: Deployment
    username: str
    store: Path
    runner: CliRunner
    idp: Any

    def run(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        return self.runner.invoke(cli, list(args), input=input, env=env)

    def client(self) -> PasskeyClient:
        return passkey_client(self.deployment)

    def key(self) -> CacheKey:
        profile = config.load_profile("default")
        return CacheKey(
            "default",
            self.deployment.user_pool_id,
            self.deployment.client_id,
            profile["endpoint_url"],
        )

    def cached(self, username: str | None = None) -> CacheEntry | None:
        return TokenCache().load(self.key(), username or self.username)


@pytest.fixture
def setup(selfhosted: Deployment, idp: Any, tmp_path: Path) -> Setup:
    username = new_user(idp, selfhosted, "cli-")
    store = tmp_path / "soft.json"
    write_soft_profile(selfhosted, store)
    return Setup(selfhosted, username, store, CliRunner(), idp)


@pytest.fixture
def enrolled(setup: Setup) -> Setup:
    created = setup.run("soft", "create", str(setup.store))
    assert created.exit_code == 0, created.output
    added = setup.run("add-passkey", setup.username, "--password-stdin", input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert added.stdout == ""
    assert f"Passkey added for {setup.username}" in added.stderr
    return setup


@pytest.fixture
def offline(signing_key: SigningKey, tmp_path: Path) -> Iterator[Offline]:
    with stubbed_cognito() as cognito:
        yield offline_setup(cognito, signing_key, tmp_path)


@pytest.fixture
def offline_enrolled(offline: Offline) -> Offline:
    """Signed in with a passkey in the software key, as ``add-passkey`` leaves it."""
    offline.enrol()
    offline.signed_in()
    return offline


# -- smoke tests on the local AWS -------------------------------------------------------------


def test_sign_in_prints_no_token_by_default(enrolled: Setup) -> None:
    assert enrolled.run("sign-out", enrolled.username, "--local-only").exit_code == 0
    assert enrolled.cached() is None
    result = enrolled.run("sign-in", enrolled.username)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"Signed in as {enrolled.username} (passkey)" in result.stderr
    entry = enrolled.cached()
    assert entry is not None
    assert entry.tokens.id_token not in result.output
    claims = enrolled.client().verify_token(entry.tokens.id_token)
    assert claims["cognito:username"] == enrolled.username


def test_expired_cache_is_refreshed_before_the_key(enrolled: Setup) -> None:
    entry = enrolled.cached()
    assert entry is not None
    TokenCache().save(enrolled.key(), enrolled.username, replace(entry.tokens, expires_at=1))
    os.remove(enrolled.store)  # the key is gone: asking it would fail
    result = enrolled.run("token", enrolled.username)
    assert result.exit_code == 0, result.output
    fresh = enrolled.cached()
    assert fresh is not None
    assert result.stdout.strip() == fresh.tokens.id_token != entry.tokens.id_token
    assert fresh.tokens.refresh_token == entry.tokens.refresh_token
    assert fresh.tokens.expires_at > entry.tokens.expires_at - 5
    assert enrolled.client().verify_token(fresh.tokens.id_token)


def test_sign_out_revokes_and_forgets(enrolled: Setup) -> None:
    entry = enrolled.cached()
    assert entry is not None and entry.tokens.refresh_token
    client = enrolled.client()
    assert client.refresh(entry.tokens.refresh_token).id_token  # valid before
    result = enrolled.run("sign-out", enrolled.username)
    assert result.exit_code == 0, result.output
    assert f"Signed {enrolled.username} out" in result.stderr
    with pytest.raises(e.NotAuthorizedError):
        client.refresh(entry.tokens.refresh_token)
    assert enrolled.cached() is None
    after = enrolled.run("token", enrolled.username, "--cached-only")
    assert after.exit_code == exit_codes.AUTH_FAILED
    assert after.stderr.startswith("error: no valid cached token")


def test_passkeys_commands(enrolled: Setup) -> None:
    url = enrolled.deployment.management_url
    assert url
    user = enrolled.username  # whose passkeys: named, as a command given no user refuses

    def passkeys(*args: str, input: str | None = None) -> Result:
        # Options first, then "--": a base64url passkey ID may start with "-".
        command, *rest = args
        return enrolled.run(
            "passkeys", command, "--management-url", url, "--user", user, "--", *rest, input=input
        )

    def listed() -> list[dict[str, Any]]:
        shown = enrolled.run(
            "passkeys", "list", "-o", "json", "--management-url", url, "--user", user
        )
        assert shown.exit_code == 0, shown.output
        items: list[dict[str, Any]] = json.loads(shown.stdout)
        return items

    (passkey,) = listed()
    passkey_id = passkey["id"]
    table = enrolled.run("passkeys", "list", "--management-url", url, "--user", user)
    header, row = table.stdout.splitlines()
    assert header == "id\tname\tcreated_at\tlast_used_at"
    assert row.startswith(f"{passkey_id}\t{passkey['name']}\t")
    renamed = passkeys("rename", passkey_id, "Laptop")
    assert renamed.exit_code == 0, renamed.output
    assert [p["name"] for p in listed()] == ["Laptop"]
    refused = passkeys("delete", passkey_id, input="n\n")
    assert refused.exit_code == 1
    assert [p["id"] for p in listed()] == [passkey_id]
    deleted = enrolled.run(
        "passkeys", "delete", "--yes", "--management-url", url, "--user", user, "--", passkey_id
    )
    assert deleted.exit_code == 0, deleted.output
    assert listed() == []
    missing = enrolled.run(
        "passkeys", "delete", "--yes", "--management-url", url, "--user", user, "--", passkey_id
    )
    assert missing.exit_code == exit_codes.FAILURE and "no such passkey" in missing.stderr
    gone = enrolled.run("sign-in", enrolled.username, "--force")
    assert gone.exit_code in (exit_codes.AUTH_FAILED, exit_codes.NO_AUTHENTICATOR), gone.output


def test_sign_up_with_code_on_stdin(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    from cognito_passkey.client import passkey_client as module

    made: list[str] = []
    real = module.generate_password

    def remembered() -> str:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(module, "generate_password", remembered)
    setup.run("soft", "create", str(setup.store))
    name = unique_username("zoe-")
    # The local AWS accepts any code (AWS checks the emailed one); 123456 is the one it issues.
    result = setup.run(
        "sign-up", name, "--email", f"{name}@example.com", "-o", "json", input="123456\n"
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert setup.client().verify_token(document["id_token"])["cognito:username"] == name
    assert f"Confirmation code for {name}" in result.stderr
    rows = json.loads(setup.run("soft", "list", str(setup.store), "-o", "json").stdout)
    assert [row["user_name"] for row in rows] == [name]
    (password,) = made
    assert password not in result.output
    user = setup.idp.admin_get_user(UserPoolId=setup.deployment.user_pool_id, Username=name)
    assert user["UserStatus"] == "CONFIRMED"


def test_sign_up_admin_and_attribute_errors(setup: Setup) -> None:
    setup.run("soft", "create", str(setup.store))
    name = unique_username("yan-")
    bad = setup.run("sign-up", name, "-a", "novalue")
    assert bad.exit_code == exit_codes.USAGE
    good = setup.run("sign-up", name, "--confirm", "admin", "-a", "name=Yan")
    assert good.exit_code == 0, good.output
    user = setup.idp.admin_get_user(UserPoolId=setup.deployment.user_pool_id, Username=name)
    assert {"Name": "name", "Value": "Yan"} in user["UserAttributes"]
    assert user["UserStatus"] == "CONFIRMED"


# -- output formats and exit codes, with no server --------------------------------------------


def test_output_formats(offline: Offline, jwks_server: JwksServer) -> None:
    offline.endpoint_url = jwks_server.url  # Cognito is stubbed: only the JWKS is fetched
    offline.write_profile()
    offline.enrol()
    name = offline.username
    offline.cognito.challenge()
    offline.cognito.signed_in(offline.tokens())
    as_json = offline.run("sign-in", name, "--force", "-o", "json")
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert set(document) == {
        "id_token",
        "access_token",
        "refresh_token",
        "expires_at",
        "token_type",
        "username",
    }
    assert document["username"] == name
    client = PasskeyClient(
        user_pool_id=offline.user_pool_id,
        client_id=offline.client_id,
        endpoint_url=jwks_server.url,
    )
    client.verify_token(document["id_token"])
    client.verify_token(document["access_token"], token_use="access")

    bare = offline.run("token", name)
    assert bare.exit_code == 0
    assert bare.stdout.strip() == document["id_token"]  # from the cache
    access = offline.run("token", name, "--type", "access")
    assert access.stdout.strip() == document["access_token"]

    env = offline.run("token", name, "-o", "env", "--type", "all")
    lines = env.stdout.strip().splitlines()
    assert f"export COGNITO_ID_TOKEN={document['id_token']}" in lines
    assert f"export COGNITO_ACCESS_TOKEN={document['access_token']}" in lines
    assert any(line.startswith("export COGNITO_REFRESH_TOKEN=") for line in lines)

    one = offline.run("token", name, "-o", "json", "--type", "id", "--verify")
    assert json.loads(one.stdout) == {"id_token": document["id_token"]}


def test_token_cache_hit_needs_no_network(offline_enrolled: Offline) -> None:
    result = offline_enrolled.run("token", offline_enrolled.username)
    assert result.exit_code == 0, result.output
    entry = offline_enrolled.cached()
    assert entry is not None
    assert result.stdout.strip() == entry.tokens.id_token
    # Nothing stubbed: the real client meets the profile's closed port.
    forced = offline_enrolled.run("sign-in", offline_enrolled.username, "--force", stubbed=False)
    assert forced.exit_code == exit_codes.NETWORK  # the pool is really unreachable


def test_configuration_precedence(offline: Offline) -> None:
    config.write_profile("other", {"user_pool_id": "us-east-1_Prof1", "client_id": "profile"})
    env = {"COGNITO_PASSKEY_CLIENT_ID": "from-env", "COGNITO_PASSKEY_PROFILE": "other"}
    shown = json.loads(offline.run("config", "show", env=env).stdout)
    assert shown["profile"] == "other"
    assert shown["client_id"] == "from-env"
    assert shown["user_pool_id"] == "us-east-1_Prof1"
    assert shown["region"] == "us-east-1"
    flagged = json.loads(offline.run("config", "show", "--client-id", "flag", env=env).stdout)
    assert flagged["client_id"] == "flag"
    default = json.loads(offline.run("config", "show", "--profile", "default", env=env).stdout)
    assert default["user_pool_id"] == offline.user_pool_id
    assert default["client_id"] == "from-env"


def test_config_set_and_show_mask_the_secret(offline: Offline) -> None:
    result = offline.run("config", "set", "--profile", "ci", "client-secret=abc", "client_id=x")
    assert result.exit_code == 0, result.output
    assert config.load_profile("ci") == {"client_secret": "abc", "client_id": "x"}
    shown = offline.run("config", "show", "--profile", "ci")
    assert "abc" not in shown.stdout and json.loads(shown.stdout)["client_secret"] == "********"
    bad = offline.run("config", "set", "colour=blue")
    assert bad.exit_code == exit_codes.CONFIG
    assert "unknown profile key" in bad.stderr
    assert "default" in offline.run("config", "list").stdout


@pytest.mark.parametrize(
    ("args", "cognito_error", "code", "message"),
    [
        # An unknown user: UserNotFoundException locally, a refused decoy on AWS.
        (["sign-in", "{ghost}"], "UserNotFoundException", exit_codes.AUTH_FAILED, "error: "),
        (["sign-in", "{user}", "--user-pool-id", "bad"], None, exit_codes.CONFIG, "malformed"),
        (
            ["sign-in", "{user}", "--profile", "empty"],
            None,
            exit_codes.CONFIG,
            "no such profile 'empty'",  # named but not in the file (was: missing user_pool_id)
        ),
        (
            ["sign-in", "{user}", "--client-id", "nope"],
            "ResourceNotFoundException",
            exit_codes.CONFIG,
            "not found",
        ),
        (["sign-in"], None, exit_codes.USAGE, "Missing argument"),
        (["sign-in", "{user}", "--output", "xml"], None, exit_codes.USAGE, "Invalid value"),
        (["passkeys", "list"], None, exit_codes.CONFIG, "no management URL"),
    ],
)
def test_exit_codes(
    offline: Offline, args: list[str], cognito_error: str | None, code: int, message: str
) -> None:
    if cognito_error:
        offline.cognito.error("initiate_auth", cognito_error)
    ghost = unique_username("ghost-")
    result = offline.run(*(a.format(user=offline.username, ghost=ghost) for a in args))
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_network_error_exit_code(offline: Offline) -> None:
    closed = closed_url()
    result = offline.run("sign-in", offline.username, "--endpoint-url", closed, stubbed=False)
    assert result.exit_code == exit_codes.NETWORK
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: cannot reach")


def test_no_usb_key_exit_code(offline_enrolled: Offline) -> None:
    offline_enrolled.cognito.challenge()
    result = offline_enrolled.run(
        "sign-in", offline_enrolled.username, "--force", "--authenticator", "usb"
    )
    assert result.exit_code == exit_codes.NO_AUTHENTICATOR, result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_trace(offline: Offline) -> None:
    offline.cognito.error("initiate_auth", "UserNotFoundException", "User does not exist.")
    result = offline.run("sign-in", unique_username("ghost-"), "--debug")
    assert result.exit_code == exit_codes.AUTH_FAILED
    assert "Traceback" in result.stderr


def test_soft_commands(offline_enrolled: Offline) -> None:
    listed = offline_enrolled.run("soft", "list", str(offline_enrolled.store), "-o", "json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert len(rows) == 1
    assert rows[0]["rp_id"] == offline_enrolled.rp_id
    assert rows[0]["user_name"] == offline_enrolled.username
    assert "private" not in listed.stdout
    again = offline_enrolled.run("soft", "create", str(offline_enrolled.store))
    assert again.exit_code == exit_codes.USAGE
    removed = offline_enrolled.run(
        "soft", "delete", "--yes", "--", str(offline_enrolled.store), rows[0]["credential_id"]
    )
    assert removed.exit_code == 0, removed.output
    assert (
        json.loads(
            offline_enrolled.run("soft", "list", str(offline_enrolled.store), "-o", "json").stdout
        )
        == []
    )
    from fido2.utils import websafe_decode

    offline_enrolled.cognito.challenge(allow=[websafe_decode(rows[0]["credential_id"])])
    signed = offline_enrolled.run("sign-in", offline_enrolled.username, "--force")
    assert signed.exit_code == exit_codes.NO_AUTHENTICATOR


def test_help_lists_exit_codes_and_local() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Exit codes: 0 ok; 1 other failure; 2 usage error; 3 authentication failed" in text
    assert "local" in result.stdout


def test_missing_lazy_group_is_a_clear_error() -> None:
    command = _load_lazy("ghost", "cognito_passkey.client.no_such_module:cli", "Ghost commands.")
    group = ReportingGroup(name="g", lazy={})
    group.add_command(command)
    result = CliRunner().invoke(group, ["ghost"])
    assert result.exit_code == exit_codes.CONFIG
    assert "not available" in result.stderr
    assert isinstance(command, click.Command)


def test_sign_up_without_a_code_is_a_clear_error(offline: Offline) -> None:
    offline.run("soft", "create", str(offline.store))
    result = offline.run("sign-up", unique_username("nia-"), input="")  # no SignUp is sent
    # Nothing to read the code from: refused before SignUp (issue: sign-up checks first).
    assert result.exit_code == exit_codes.USAGE, result.output
    assert "--confirm admin" in result.stderr
    assert "Traceback" not in result.output


def test_first_passkey_needs_a_password_hint(offline: Offline) -> None:
    offline.run("soft", "create", str(offline.store))
    offline.cognito.challenge()
    result = offline.run("add-passkey", offline.username)
    # The empty software key holds no passkey for the site: "no authenticator" (4).
    assert result.exit_code == exit_codes.NO_AUTHENTICATOR, result.output
    assert "--with-password" in result.stderr


def test_interrupt_exits_130(offline: Offline, monkeypatch: pytest.MonkeyPatch) -> None:
    from cognito_passkey.client import token_source

    def interrupted(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(token_source, "obtain_tokens", interrupted)
    result = offline.run("sign-in", offline.username)
    assert result.exit_code == exit_codes.INTERRUPTED
    assert result.stderr == "error: interrupted\n"


def test_sign_out_when_cognito_is_unreachable_still_forgets(offline_enrolled: Offline) -> None:
    result = offline_enrolled.run("sign-out", offline_enrolled.username, stubbed=False)
    assert result.exit_code == exit_codes.NETWORK
    assert "forgotten anyway" in result.stderr
    assert offline_enrolled.cached() is None
