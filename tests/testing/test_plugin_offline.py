"""The plugin without a pool: one clear skip, a cheap import, the switch-off, bad options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cognito_passkey.testing.target import NOT_CONFIGURED, PoolTarget


def test_without_a_pool_the_tests_are_skipped_with_one_reason(
    inner: pytest.Pytester, readme_example: str
) -> None:
    inner.makepyfile(test_passkeys=readme_example + "\n\ndef test_plain():\n    pass\n")
    result = inner.runpytest("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=6)
    reasons = {line.split(": ", 1)[1] for line in result.outlines if line.startswith("SKIPPED")}
    assert reasons == {NOT_CONFIGURED}
    for option in ("--passkey-profile", "passkey_profile", "COGNITO_PASSKEY_PROFILE"):
        assert option in NOT_CONFIGURED
    assert "--passkey-local" in NOT_CONFIGURED
    assert "botocore" not in result.stdout.str()


def test_a_profile_without_a_pool_fails_in_one_line(
    inner: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COGNITO_PASSKEY_CONFIG", str(tmp_path / "cfg" / "config.ini"))
    inner.makepyfile("def test_user(passkey_user):\n    pass\n")
    result = inner.runpytest("--passkey-profile", "nowhere", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cognito-passkey: no such profile 'nowhere'*"])
    assert "Traceback" not in result.stdout.str()


def test_the_ini_option_and_the_environment_name_the_profile(
    inner: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COGNITO_PASSKEY_CONFIG", str(tmp_path / "cfg" / "config.ini"))
    inner.makepyfile("def test_user(passkey_user):\n    pass\n")
    inner.makeini("[pytest]\npasskey_profile = from-ini\n")
    from_ini = inner.runpytest("-p", "no:cacheprovider")
    from_ini.stdout.fnmatch_lines(["*no such profile 'from-ini'*"])
    monkeypatch.setenv("COGNITO_PASSKEY_PROFILE", "from-env")
    over_env = inner.runpytest("-p", "no:cacheprovider")
    over_env.stdout.fnmatch_lines(["*no such profile 'from-ini'*"])
    flag = inner.runpytest("--passkey-profile", "from-flag", "-p", "no:cacheprovider")
    flag.stdout.fnmatch_lines(["*no such profile 'from-flag'*"])
    for ini in inner.path.glob("tox.ini"):
        ini.unlink()
    from_env = inner.runpytest("-p", "no:cacheprovider")
    from_env.stdout.fnmatch_lines(["*no such profile 'from-env'*"])


def test_local_and_profile_exclude_each_other(inner: pytest.Pytester) -> None:
    inner.makepyfile("def test_nothing():\n    pass\n")
    result = inner.runpytest("--passkey-local", "--passkey-profile", "x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*either --passkey-local or --passkey-profile*"])


def test_no_cognito_passkey_switches_the_plugin_off(inner: pytest.Pytester) -> None:
    inner.makepyfile("def test_user(passkey_user):\n    pass\n")
    result = inner.runpytest("-p", "no:cognito_passkey", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'passkey_user' not found*"])
    unknown = inner.runpytest("-p", "no:cognito_passkey", "--passkey-local")
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR


def test_the_plugin_is_registered_by_its_entry_point(inner: pytest.Pytester) -> None:
    inner.makepyfile("def test_nothing():\n    pass\n")
    result = inner.runpytest_subprocess("--trace-config", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*cognito_passkey*cognito_passkey/testing/plugin.py*"])


def test_importing_the_plugin_loads_nothing_heavy() -> None:
    probe = (
        "import json, sys, cognito_passkey.testing.plugin\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 'fido2') or m.startswith('cognito_passkey.client'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    assert json.loads(out) == []


def test_collecting_with_the_plugin_loads_nothing_heavy(inner: pytest.Pytester) -> None:
    result = inner.run(sys.executable, "-X", "importtime", "-m", "pytest", "--co", "-q")
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.errlines if "|" in line}
    # pluggy loads the plugin with importlib (not listed); what it imports is.
    assert "cognito_passkey.testing.target" in imported
    heavy = {m for m in imported if m.split(".")[0] in ("boto3", "botocore", "fido2")}
    assert heavy | {m for m in imported if m.startswith("cognito_passkey.client")} == set()


def test_a_target_travels_to_workers_as_json() -> None:
    target = PoolTarget(
        user_pool_id="us-east-1_abc",
        client_id="c1",
        region="us-east-1",
        rp_id="localhost",
        endpoint_url="http://127.0.0.1:4566",
        client_secret="s3cret",
        local=True,
    )
    assert PoolTarget.from_json(target.to_json()) == target
    assert "s3cret" not in repr(target)


@pytest.mark.parametrize(
    ("endpoint", "dummy"),
    [
        ("http://127.0.0.1:4566", True),
        ("http://localhost:4566", True),
        ("http://[::1]:4566", True),
        ("https://cognito-idp.eu-west-1.amazonaws.com", False),
        (None, False),
    ],
)
def test_loopback_profiles_use_the_dummy_credentials(endpoint: str | None, dummy: bool) -> None:
    target = PoolTarget(user_pool_id="eu-west-1_a", client_id="c", region="eu-west-1")
    target = PoolTarget(**{**target.__dict__, "endpoint_url": endpoint})
    assert target.uses_dummy_credentials is dummy


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["single", "xdist"])
def test_a_local_aws_that_cannot_start_fails_in_one_line(
    inner: pytest.Pytester, tmp_path: Path, workers: list[str]
) -> None:
    """Reported once per test that needs a pool, as one line; under xdist the controller's
    failure reaches the workers."""
    not_a_dir = tmp_path / "state"
    not_a_dir.write_text("")
    inner.makepyfile(
        "def test_a(passkey_user):\n    pass\n\ndef test_b(passkey_tokens):\n    pass\n"
    )
    run = inner.runpytest_subprocess if workers else inner.runpytest
    result = run(
        *workers, "--passkey-local", "--passkey-local-dir", str(not_a_dir), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*cognito-passkey: --passkey-local failed: *Not a directory*"])
    assert "Traceback" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()


def test_a_user_shows_no_password_or_token() -> None:
    from cognito_passkey.authenticator import SoftAuthenticator
    from cognito_passkey.client import PasskeyClient, Tokens
    from cognito_passkey.testing.users import PasskeyUser

    key = SoftAuthenticator()
    client = PasskeyClient(
        user_pool_id="us-east-1_abc", client_id="c1", rp_id="localhost", authenticator=key
    )
    user = PasskeyUser(
        "pytest-main-1",
        key,
        client,
        _password="Pw-9-never-shown",
        _tokens=Tokens("id.jwt.x", "access.jwt.x", "refresh.x", 0),
    )
    shown = repr(user)
    assert "pytest-main-1" in shown
    for secret in ("Pw-9-never-shown", "id.jwt.x", "access.jwt.x", "refresh.x"):
        assert secret not in shown
