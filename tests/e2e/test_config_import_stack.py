"""``config import-stack`` reads a deployed stack's outputs (CloudFormation DescribeStacks over
real HTTP to the local AWS) into a profile the other commands then use."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cognito_passkey.client import config, exit_codes
from cognito_passkey.client.cli import cli
from cognito_passkey.local.deploy import Deployment
from cognito_passkey.local.server import DUMMY_CREDENTIALS, REGION

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("COGNITO_PASSKEY_CONFIG", str(tmp_path / "conf" / "config.ini"))
    for key, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return {"AWS_CONFIG_FILE": str(tmp_path / "no-aws-config")}


def _run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def test_import_stack_writes_the_profile_the_stack_describes(
    selfhosted: Deployment, env: dict[str, str]
) -> None:
    config.write_profile("imp", {"authenticator": "soft:/keep/me.json", "origin": "https://x.io"})
    local = ("--region", REGION, "--endpoint-url", selfhosted.endpoint)
    result = _run(env, "config", "import-stack", selfhosted.stack_name, "--profile", "imp", *local)
    assert result.exit_code == 0, result.output
    stored = config.load_profile("imp")
    expected = selfhosted.profile_settings()
    for key in ("user_pool_id", "client_id", "region", "rp_id", "management_url", "endpoint_url"):
        assert stored[key] == expected[key], key
    assert stored["authenticator"] == "soft:/keep/me.json"  # other keys are kept
    assert "imp" in result.stderr and result.stdout == ""
    # The settings flags before the command work here too.
    again = _run(env, "--profile", "imp2", *local, "config", "import-stack", selfhosted.stack_name)
    assert again.exit_code == 0, again.output
    assert config.load_profile("imp2")["client_id"] == selfhosted.client_id


def test_a_missing_stack_is_a_configuration_error(
    selfhosted: Deployment, env: dict[str, str]
) -> None:
    local = ("--region", REGION, "--endpoint-url", selfhosted.endpoint)
    result = _run(env, "config", "import-stack", "no-such-stack", "--profile", "imp", *local)
    assert result.exit_code == exit_codes.CONFIG, result.output
    assert "no-such-stack" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "imp" not in config.list_profiles()
