"""The local AWS library's pure parts, without a server: specs, parameters, records, URLs."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cognito_passkey.local import DeploySpec, LocalAws, LocalAwsError, runtime, server
from cognito_passkey.local import deploy as deploying
from cognito_passkey.local.cli import NOT_RUNNING_EXIT, local
from cognito_passkey.local.local_aws import _spec_record

PEM = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----"


def test_function_url_becomes_a_path_on_the_local_endpoint() -> None:
    url = "https://9tm0s4oajf6n92ra6if6sinpi09388vw.lambda-url.us-east-1.on.aws/"
    assert (
        deploying.local_function_url("http://127.0.0.1:4566", url)
        == "http://127.0.0.1:4566/_aws/lambda-url/9tm0s4oajf6n92ra6if6sinpi09388vw"
    )
    other = "https://example.com/api/"
    assert deploying.local_function_url("http://127.0.0.1:4566", other) == "https://example.com/api"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "cloud"}, "unknown backend"),
        ({"stack_name": "bad name!"}, "stack name"),
        ({"origins": ()}, "origin"),
        ({"backend": "loginid"}, "LoginID base URL and private key"),
        ({"backend": "loginid", "loginid_base_url": "http://127.0.0.1:1"}, "private key"),
        ({"challenge_ttl_seconds": 9}, "10 to 900 seconds"),
        ({"challenge_ttl_seconds": 901}, "10 to 900 seconds"),
        ({"challenge_ttl_seconds": "60"}, "10 to 900 seconds"),
        ({"challenge_ttl_seconds": True}, "10 to 900 seconds"),
        (
            {
                "backend": "loginid",
                "loginid_base_url": "http://127.0.0.1:1",
                "loginid_private_key": PEM,
                "challenge_ttl_seconds": 60,
            },
            "selfhosted setting",
        ),
    ],
)
def test_bad_specs_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(LocalAwsError, match=message):
        DeploySpec(**kwargs)  # type: ignore[arg-type]


def test_key_file_is_read_and_checked(tmp_path: Path) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_text(PEM + "\n")
    spec = DeploySpec(
        backend="loginid", loginid_base_url="http://127.0.0.1:1", loginid_private_key_file=key_file
    )
    assert spec.loginid_private_key == PEM
    assert PEM not in repr(spec)
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("hello")
    with pytest.raises(LocalAwsError, match="PEM"):
        DeploySpec(
            backend="loginid",
            loginid_base_url="http://127.0.0.1:1",
            loginid_private_key_file=not_pem,
        )
    with pytest.raises(LocalAwsError, match="cannot read"):
        deploying.read_private_key(tmp_path / "missing.pem")


def test_the_record_of_a_spec_never_holds_the_key(tmp_path: Path) -> None:
    spec = DeploySpec(
        backend="loginid", loginid_base_url="http://127.0.0.1:1", loginid_private_key=PEM
    )
    record = _spec_record(spec)
    assert "PRIVATE KEY" not in json.dumps(record)
    assert record["loginid_private_key_file"] is None


def test_reset_cannot_redeploy_a_loginid_stack_without_its_key_file(tmp_path: Path) -> None:
    aws = LocalAws(tmp_path)
    spec = DeploySpec(
        backend="loginid", loginid_base_url="http://127.0.0.1:1", loginid_private_key=PEM
    )
    entry = {"spec": _spec_record(spec)}
    with pytest.raises(LocalAwsError, match="key file"):
        aws._spec_for("passkey-loginid", entry)


def test_stack_parameters_per_backend() -> None:
    selfhosted = deploying.stack_parameters(DeploySpec(), "fn.zip", "layer.zip", "3.11")
    assert selfhosted["LambdaRuntime"] == "python3.11"
    assert selfhosted["FunctionCodeKey"] == "fn.zip" and selfhosted["LayerKey"] == "layer.zip"
    assert selfhosted["RelyingPartyId"] == "localhost"
    assert selfhosted["AllowedOrigins"] == "https://localhost"
    assert not any(key.startswith("LOGINID") for key in selfhosted)
    assert selfhosted["ChallengeTtlSeconds"] == "300"  # the template's default
    short = DeploySpec(challenge_ttl_seconds=10)
    assert deploying.stack_parameters(short, "fn", "layer", "3.11")["ChallengeTtlSeconds"] == "10"
    loginid = deploying.stack_parameters(
        DeploySpec(
            backend="loginid",
            loginid_base_url="http://127.0.0.1:1",
            loginid_private_key=PEM,
            fast_signin=False,
        ),
        "fn.zip",
        "layer.zip",
        "3.10",
    )
    assert loginid["LambdaRuntime"] == "python3.13"  # 3.10 is not a template choice
    assert loginid["LOGINIDPrivateKey"] == PEM
    assert loginid["FastSignIn"] == "false"
    assert loginid["RelyingPartyId"] == "localhost"
    assert "AllowedOrigins" not in loginid
    assert "ChallengeTtlSeconds" not in loginid  # not a parameter of the LoginID template


def test_every_stack_parameter_is_a_template_parameter() -> None:
    from importlib import resources

    from cfnlint.decode import decode

    specs = {
        "selfhosted": DeploySpec(challenge_ttl_seconds=10),
        "loginid": DeploySpec(
            backend="loginid", loginid_base_url="http://127.0.0.1:1", loginid_private_key=PEM
        ),
    }
    for backend, spec in specs.items():
        path = resources.files("cognito_passkey.lambdas") / "templates"
        template, matches = decode(str(path / deploying.TEMPLATES[backend]))
        assert not matches and template is not None
        given = deploying.stack_parameters(spec, "fn.zip", "layer.zip", "3.11")
        assert set(given) <= set(template["Parameters"]), backend


def test_reset_redeploys_with_the_same_challenge_ttl(tmp_path: Path) -> None:
    spec = DeploySpec(stack_name="short", challenge_ttl_seconds=10)
    again = LocalAws(tmp_path)._spec_for("short", {"spec": _spec_record(spec)})
    assert again == spec


@pytest.mark.parametrize("backend", ["selfhosted", "loginid"])
def test_local_runtime_follows_the_server_interpreter(backend: str) -> None:
    assert deploying.lambda_runtime("3.11", backend) == "python3.11"
    assert deploying.lambda_runtime("3.14", backend) == "python3.14"
    assert deploying.lambda_runtime("3.9", backend) == "python3.13"


def test_templates_are_the_packaged_ones() -> None:
    assert "AWS::Cognito::UserPool" in deploying.template_body("selfhosted")
    assert "LOGINIDPrivateKey" in deploying.template_body("loginid")


def test_profile_settings_of_a_deployment() -> None:
    deployment = deploying.Deployment(
        stack_name="s",
        backend="selfhosted",
        endpoint="http://127.0.0.1:5000",
        outputs={
            "UserPoolId": "us-east-1_abc",
            "UserPoolClientId": "client",
            "ManagementUrl": "https://abc123.lambda-url.us-east-1.on.aws/",
        },
        rp_id="localhost",
        origin="https://localhost",
    )
    assert deployment.profile_settings() == {
        "user_pool_id": "us-east-1_abc",
        "client_id": "client",
        "region": "us-east-1",
        "endpoint_url": "http://127.0.0.1:5000",
        "rp_id": "localhost",
        "origin": "https://localhost",
        "management_url": "http://127.0.0.1:5000/_aws/lambda-url/abc123",
    }
    assert deploying.Deployment.from_dict(deployment.to_dict()) == deployment


def test_only_loopback_endpoints_are_contacted() -> None:
    with pytest.raises(LocalAwsError, match="not a local AWS endpoint"):
        server.answers("https://example.com")
    with pytest.raises(LocalAwsError, match="not a local AWS endpoint"):
        server.reset("file:///etc/passwd")


def test_damaged_state_is_reported(tmp_path: Path) -> None:
    (tmp_path / server.STATE_FILE).write_text("{not json")
    with pytest.raises(LocalAwsError, match="damaged"):
        server.read_info(tmp_path)
    assert server.read_info(tmp_path / "nowhere") is None


def test_free_port_is_bindable() -> None:
    port = server.free_port()
    assert 1024 <= port <= 65535


def test_an_interpreter_without_ministack_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runtime.ENV_PYTHON, sys.executable)  # the client venv: no ministack
    with pytest.raises(LocalAwsError, match="cannot run ministack"):
        runtime.ensure_runtime()


def test_nothing_runs_in_an_empty_state_dir(tmp_path: Path) -> None:
    aws = LocalAws(tmp_path / "state")
    assert aws.info() is None
    assert aws.stop() is False
    assert aws.status() == {"state_dir": str(tmp_path / "state"), "running": False}
    with pytest.raises(LocalAwsError, match="local up"):
        aws.deploy()
    assert not (tmp_path / "state").exists()


def test_cli_status_and_down_without_a_server(tmp_path: Path) -> None:
    state = tmp_path / "state"
    status = CliRunner().invoke(local, ["status", "--state-dir", str(state)])
    assert status.exit_code == NOT_RUNNING_EXIT
    assert json.loads(status.stdout)["running"] is False
    down = CliRunner().invoke(local, ["down", "--state-dir", str(state)])
    assert down.exit_code == 0
    reset = CliRunner().invoke(local, ["reset", "--state-dir", str(state)])
    assert reset.exit_code == 1
    assert "local up" in reset.output


def test_cli_loginid_options_go_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        local, ["up", "--state-dir", str(tmp_path), "--loginid-base-url", "http://127.0.0.1:1"]
    )
    assert result.exit_code == 2
    assert "go together" in result.output


def test_state_files_are_private(tmp_path: Path) -> None:
    aws = LocalAws(tmp_path / "state")
    deployment = deploying.Deployment(
        stack_name="s",
        backend="selfhosted",
        endpoint="http://127.0.0.1:5000",
        outputs={"UserPoolId": "us-east-1_abc", "UserPoolClientId": "client"},
        rp_id="localhost",
        origin="https://localhost",
    )
    aws._record(deployment, DeploySpec(stack_name="s"))
    record = tmp_path / "state" / "deployments.json"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert aws.deployments() == {"s": deployment}


def test_cli_challenge_ttl_is_checked_before_anything_starts(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        local, ["up", "--state-dir", str(tmp_path / "state"), "--challenge-ttl-seconds", "5"]
    )
    assert result.exit_code == 2
    assert "--challenge-ttl-seconds" in result.output
    assert not (tmp_path / "state").exists()
