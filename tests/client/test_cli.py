"""The CLI in-process (click's CliRunner) against the fake pool and a software key."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from cognito_passkey.client import PasskeyClient, config, exit_codes
from cognito_passkey.client.cache import CacheKey, TokenCache
from cognito_passkey.client.cli import cli
from cognito_passkey.client.cli_support import ReportingGroup, _load_lazy

from .conftest import CLIENT_ID, POOL_ID, closed_url
from .fake_cognito import ORIGIN, RP_ID, FakeCognito
from .management_fake import sample_passkey

PASSWORD = "Alice-password-1"


@dataclass
class Setup:
    fake: FakeCognito
    store: Path
    runner: CliRunner

    def run(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        return self.runner.invoke(cli, list(args), input=input, env=env)

    def client(self) -> PasskeyClient:
        return PasskeyClient(user_pool_id=POOL_ID, client_id=CLIENT_ID, endpoint_url=self.fake.url)

    def cached(self, username: str = "alice") -> Any:
        key = CacheKey("default", POOL_ID, CLIENT_ID, self.fake.url)
        return TokenCache().load(key, username)


@pytest.fixture
def setup(make_cognito: Any, tmp_path: Path) -> Setup:
    fake = make_cognito()
    fake.add_user("alice", PASSWORD)
    store = tmp_path / "soft.json"
    config.write_profile(
        "default",
        {
            "user_pool_id": POOL_ID,
            "client_id": CLIENT_ID,
            "endpoint_url": fake.url,
            "authenticator": f"soft:{store}",
            "origin": ORIGIN,
            "rp_id": RP_ID,
        },
    )
    return Setup(fake, store, CliRunner())


@pytest.fixture
def enrolled(setup: Setup) -> Setup:
    created = setup.run("soft", "create", str(setup.store))
    assert created.exit_code == 0, created.output
    added = setup.run("add-passkey", "alice", "--password-stdin", input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert added.stdout == ""
    assert "Passkey added for alice" in added.stderr
    assert len(setup.fake.users["alice"].credentials) == 1
    return setup


def test_sign_in_prints_no_token_by_default(enrolled: Setup) -> None:
    assert enrolled.run("sign-out", "--local-only").exit_code == 0
    result = enrolled.run("sign-in", "alice")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Signed in as alice (passkey)" in result.stderr
    entry = enrolled.cached()
    assert entry is not None
    assert entry.tokens.id_token not in result.output
    assert enrolled.client().verify_token(entry.tokens.id_token)["cognito:username"] == "alice"


def test_output_formats(enrolled: Setup) -> None:
    as_json = enrolled.run("sign-in", "alice", "--force", "-o", "json")
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
    assert document["username"] == "alice"
    client = enrolled.client()
    client.verify_token(document["id_token"])
    client.verify_token(document["access_token"], token_use="access")

    bare = enrolled.run("token", "alice")
    assert bare.exit_code == 0
    assert bare.stdout.strip() == document["id_token"]  # from the cache
    access = enrolled.run("token", "--type", "access")
    assert access.stdout.strip() == document["access_token"]

    env = enrolled.run("token", "-o", "env", "--type", "all")
    lines = env.stdout.strip().splitlines()
    assert f"export COGNITO_ID_TOKEN={document['id_token']}" in lines
    assert f"export COGNITO_ACCESS_TOKEN={document['access_token']}" in lines
    assert any(line.startswith("export COGNITO_REFRESH_TOKEN=") for line in lines)

    one = enrolled.run("token", "-o", "json", "--type", "id", "--verify")
    assert json.loads(one.stdout) == {"id_token": document["id_token"]}


def test_token_cache_hit_needs_no_network(enrolled: Setup) -> None:
    enrolled.fake.stop()  # the endpoint is now a closed port
    result = enrolled.run("token", "alice")
    assert result.exit_code == 0, result.output
    entry = enrolled.cached()
    assert result.stdout.strip() == entry.tokens.id_token


def test_expired_cache_is_refreshed_before_the_key(enrolled: Setup) -> None:
    key = CacheKey("default", POOL_ID, CLIENT_ID, enrolled.fake.url)
    entry = enrolled.cached()
    stale = type(entry.tokens)(**{**entry.tokens.to_dict(), "expires_at": 1})
    TokenCache().save(key, "alice", stale)
    os.remove(enrolled.store)  # the key is gone: asking it would fail
    enrolled.fake.calls.clear()
    result = enrolled.run("token", "alice")
    assert result.exit_code == 0, result.output
    assert [p["AuthFlow"] for op, p in enrolled.fake.calls if op == "InitiateAuth"] == [
        "REFRESH_TOKEN_AUTH"
    ]
    fresh = enrolled.cached()
    assert result.stdout.strip() == fresh.tokens.id_token != entry.tokens.id_token


def test_sign_out_revokes_and_forgets(enrolled: Setup) -> None:
    refresh = enrolled.cached().tokens.refresh_token
    result = enrolled.run("sign-out")
    assert result.exit_code == 0, result.output
    assert "Signed alice out" in result.stderr
    assert refresh in enrolled.fake.revoked
    assert enrolled.cached() is None
    after = enrolled.run("token", "alice", "--cached-only")
    assert after.exit_code == exit_codes.AUTH_FAILED
    assert after.stderr.startswith("error: no valid cached token")


def test_configuration_precedence(setup: Setup) -> None:
    config.write_profile("other", {"user_pool_id": "us-east-1_Prof1", "client_id": "profile"})
    env = {"COGNITO_PASSKEY_CLIENT_ID": "from-env", "COGNITO_PASSKEY_PROFILE": "other"}
    shown = json.loads(setup.run("config", "show", env=env).stdout)
    assert shown["profile"] == "other"
    assert shown["client_id"] == "from-env"
    assert shown["user_pool_id"] == "us-east-1_Prof1"
    assert shown["region"] == "us-east-1"
    flagged = json.loads(setup.run("config", "show", "--client-id", "flag", env=env).stdout)
    assert flagged["client_id"] == "flag"
    default = json.loads(setup.run("config", "show", "--profile", "default", env=env).stdout)
    assert default["user_pool_id"] == POOL_ID and default["client_id"] == "from-env"


def test_config_set_and_show_mask_the_secret(setup: Setup) -> None:
    result = setup.run("config", "set", "--profile", "ci", "client-secret=abc", "client_id=x")
    assert result.exit_code == 0, result.output
    assert config.load_profile("ci") == {"client_secret": "abc", "client_id": "x"}
    shown = setup.run("config", "show", "--profile", "ci")
    assert "abc" not in shown.stdout and json.loads(shown.stdout)["client_secret"] == "********"
    bad = setup.run("config", "set", "colour=blue")
    assert bad.exit_code == exit_codes.CONFIG
    assert "unknown profile key" in bad.stderr
    assert "default" in setup.run("config", "list").stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["sign-in", "nobody"], exit_codes.AUTH_FAILED, "no such user"),
        (["sign-in", "alice", "--user-pool-id", "bad"], exit_codes.CONFIG, "malformed"),
        (["sign-in", "alice", "--profile", "empty"], exit_codes.CONFIG, "missing user_pool_id"),
        (["sign-in"], exit_codes.USAGE, "Missing argument"),
        (["sign-in", "alice", "--output", "xml"], exit_codes.USAGE, "Invalid value"),
        (["passkeys", "list"], exit_codes.CONFIG, "no management URL"),
    ],
)
def test_exit_codes(setup: Setup, args: list[str], code: int, message: str) -> None:
    result = setup.run(*args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_network_error_exit_code(setup: Setup) -> None:
    closed = closed_url()
    result = setup.run("sign-in", "alice", "--endpoint-url", closed)
    assert result.exit_code == exit_codes.NETWORK
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: cannot reach")


def test_no_usb_key_exit_code(enrolled: Setup) -> None:
    result = enrolled.run("sign-in", "alice", "--force", "--authenticator", "usb")
    assert result.exit_code == exit_codes.NO_AUTHENTICATOR, result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_trace(setup: Setup) -> None:
    result = setup.run("sign-in", "nobody", "--debug")
    assert result.exit_code == exit_codes.AUTH_FAILED
    assert "Traceback" in result.stderr


def test_passkeys_commands(enrolled: Setup, make_management: Any) -> None:
    token = enrolled.cached().tokens.access_token
    api = make_management(token)
    api.passkeys = {"k1": sample_passkey("k1", "Soft key")}
    listed = enrolled.run("passkeys", "list", "-o", "json", "--management-url", api.url)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)[0]["name"] == "Soft key"
    table = enrolled.run("passkeys", "list", "--management-url", api.url)
    assert table.stdout.startswith("k1\tSoft key\t")
    renamed = enrolled.run("passkeys", "rename", "k1", "Laptop", "--management-url", api.url)
    assert renamed.exit_code == 0 and api.passkeys["k1"]["name"] == "Laptop"
    refused = enrolled.run("passkeys", "delete", "k1", "--management-url", api.url, input="n\n")
    assert refused.exit_code == 1 and "k1" in api.passkeys
    deleted = enrolled.run("passkeys", "delete", "k1", "--yes", "--management-url", api.url)
    assert deleted.exit_code == 0 and api.passkeys == {}
    missing = enrolled.run("passkeys", "delete", "zz", "--yes", "--management-url", api.url)
    assert missing.exit_code == exit_codes.FAILURE and "no such passkey" in missing.stderr


def test_soft_commands(enrolled: Setup) -> None:
    listed = enrolled.run("soft", "list", str(enrolled.store), "-o", "json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert len(rows) == 1 and rows[0]["rp_id"] == RP_ID and rows[0]["user_name"] == "alice"
    assert "private" not in listed.stdout
    again = enrolled.run("soft", "create", str(enrolled.store))
    assert again.exit_code == exit_codes.USAGE
    removed = enrolled.run("soft", "delete", str(enrolled.store), rows[0]["credential_id"], "--yes")
    assert removed.exit_code == 0, removed.output
    assert json.loads(enrolled.run("soft", "list", str(enrolled.store), "-o", "json").stdout) == []
    signed = enrolled.run("sign-in", "alice", "--force")
    assert signed.exit_code == exit_codes.NO_AUTHENTICATOR


def test_sign_up_with_code_on_stdin(setup: Setup) -> None:
    setup.run("soft", "create", str(setup.store))
    fake = setup.fake
    fake.fixed_code = "424242"
    result = setup.run(
        "sign-up", "zoe", "--email", "zoe@example.com", "-o", "json", input="424242\n"
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert setup.client().verify_token(document["id_token"])["cognito:username"] == "zoe"
    assert "Confirmation code for zoe" in result.stderr
    assert len(fake.users["zoe"].credentials) == 1
    password = next(p for op, p in fake.calls if op == "SignUp")["Password"]
    assert password not in result.output


def test_sign_up_admin_and_attribute_errors(setup: Setup) -> None:
    setup.run("soft", "create", str(setup.store))
    bad = setup.run("sign-up", "yan", "-a", "novalue")
    assert bad.exit_code == exit_codes.USAGE
    good = setup.run("sign-up", "yan", "--confirm", "admin", "-a", "name=Yan")
    assert good.exit_code == 0, good.output
    assert setup.fake.users["yan"].attributes == {"name": "Yan"}


def test_help_lists_exit_codes_and_local(setup: Setup) -> None:
    result = setup.run("--help")
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


def test_sign_up_without_a_code_is_a_clear_error(setup: Setup) -> None:
    setup.run("soft", "create", str(setup.store))
    result = setup.run("sign-up", "nia", input="")
    assert result.exit_code == exit_codes.AUTH_FAILED, result.output
    assert "no confirmation code was given" in result.stderr
    assert "Traceback" not in result.output


def test_first_passkey_needs_a_password_hint(setup: Setup) -> None:
    setup.run("soft", "create", str(setup.store))
    result = setup.run("add-passkey", "alice")
    # The empty software key holds no passkey for the site: "no authenticator" (4).
    assert result.exit_code == exit_codes.NO_AUTHENTICATOR, result.output
    assert "--with-password" in result.stderr


def test_interrupt_exits_130(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    from cognito_passkey.client import session

    def interrupted(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(session, "obtain_tokens", interrupted)
    result = setup.run("sign-in", "alice")
    assert result.exit_code == exit_codes.INTERRUPTED
    assert result.stderr == "error: interrupted\n"


def test_sign_out_when_cognito_is_unreachable_still_forgets(enrolled: Setup) -> None:
    enrolled.fake.stop()
    result = enrolled.run("sign-out", "alice")
    assert result.exit_code == exit_codes.NETWORK
    assert "forgotten anyway" in result.stderr
    assert enrolled.cached() is None
