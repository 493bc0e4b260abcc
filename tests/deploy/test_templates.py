"""The four CloudFormation templates: cfn-lint clean, and the security and contract rules that
cfn-lint cannot know (least privilege, handler paths, environment names, outputs)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from templates_support import (
    ALL,
    EXISTING_POOL,
    LOGINID,
    NEW_POOL,
    SELFHOSTED,
    TEMPLATES_DIR,
    load,
    resources_of,
)

HANDLERS = {
    "DefineAuthFunction": "cognito_passkey.lambdas.handlers.define_auth_challenge.handler",
    "CreateAuthFunction": "cognito_passkey.lambdas.handlers.create_auth_challenge.handler",
    "VerifyAuthFunction": "cognito_passkey.lambdas.handlers.verify_auth_challenge.handler",
}
MANAGE_HANDLER = "cognito_passkey.lambdas.handlers.manage_passkeys.handler"
IDENTITY_ROLE = "IdentityPoolAuthenticatedRole"
"""The optional identity pool's role for signed-in users (tests/deploy/test_identity_pool.py)."""


def statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for role in resources_of(template, "AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            found.extend(policy["PolicyDocument"]["Statement"])
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_cfn_lint_is_clean_on_all_four_templates() -> None:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    assert cfn_lint is not None, "cfn-lint (dev extra) is not installed"
    paths = [str(TEMPLATES_DIR / name) for name in ALL]
    result = subprocess.run([cfn_lint, *paths], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ALL)
def test_no_sam_transform_and_runtime_parameterised(name: str) -> None:
    template = load(name)
    assert "Transform" not in template
    runtime = template["Parameters"]["LambdaRuntime"]
    assert runtime["Default"] == "python3.13"
    assert "python3.13" in runtime["AllowedValues"]
    assert all(v.startswith("python3.") for v in runtime["AllowedValues"])
    for function in resources_of(template, "AWS::Lambda::Function").values():
        props = function["Properties"]
        assert props["Runtime"] == {"Ref": "LambdaRuntime"}
        assert props["Code"] == {
            "S3Bucket": {"Ref": "ArtifactBucket"},
            "S3Key": {"Ref": "FunctionCodeKey"},
        }
        assert props["Layers"] == [{"Ref": "DependencyLayer"}]
        assert props["Architectures"] == [{"Ref": "LambdaArchitecture"}]
    layer = resources_of(template, "AWS::Lambda::LayerVersion")["DependencyLayer"]["Properties"]
    assert layer["Content"] == {"S3Bucket": {"Ref": "ArtifactBucket"}, "S3Key": {"Ref": "LayerKey"}}


@pytest.mark.parametrize("name", ALL)
def test_trigger_handlers_and_outputs_follow_the_contract(name: str) -> None:
    template = load(name)
    functions = resources_of(template, "AWS::Lambda::Function")
    for logical_id, handler in HANDLERS.items():
        assert functions[logical_id]["Properties"]["Handler"] == handler
    outputs = template["Outputs"]
    assert outputs["DefineAuthArn"]["Value"] == {"Fn::GetAtt": ["DefineAuthFunction", "Arn"]}
    assert outputs["CreateAuthArn"]["Value"] == {"Fn::GetAtt": ["CreateAuthFunction", "Arn"]}
    assert outputs["VerifyAuthArn"]["Value"] == {"Fn::GetAtt": ["VerifyAuthFunction", "Arn"]}
    backend = "loginid" if name in LOGINID else "selfhosted"
    for function in functions.values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["PASSKEY_BACKEND"] == backend
        assert variables["POWERTOOLS_SERVICE_NAME"] == "cognito-passkey"


@pytest.mark.parametrize("name", ALL)
def test_every_trigger_may_be_invoked_only_by_its_user_pool(name: str) -> None:
    template = load(name)
    source = (
        {"Fn::GetAtt": ["UserPool", "Arn"]} if name in NEW_POOL else {"Ref": "CognitoUserPoolARN"}
    )
    permissions = [
        p["Properties"]
        for p in resources_of(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "cognito-idp.amazonaws.com"
    ]
    targets = {p["FunctionName"]["Fn::GetAtt"][0] for p in permissions}
    assert targets == set(HANDLERS)
    for permission in permissions:
        assert permission["Action"] == "lambda:InvokeFunction"
        assert permission["SourceArn"] == source


@pytest.mark.parametrize("name", NEW_POOL)
def test_new_pool_client_settings(name: str) -> None:
    template = load(name)
    pool = template["Resources"]["UserPool"]["Properties"]
    assert pool["LambdaConfig"] == {
        "DefineAuthChallenge": {"Fn::GetAtt": ["DefineAuthFunction", "Arn"]},
        "CreateAuthChallenge": {"Fn::GetAtt": ["CreateAuthFunction", "Arn"]},
        "VerifyAuthChallengeResponse": {"Fn::GetAtt": ["VerifyAuthFunction", "Arn"]},
    }
    client = template["Resources"]["UserPoolClient"]["Properties"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_CUSTOM_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    # A real boolean (through a condition), not the parameter's string: "false" is truthy
    # to engines that do not coerce it.
    assert client["GenerateSecret"] == {"Fn::If": ["WantClientSecret", True, False]}
    assert template["Conditions"]["WantClientSecret"] == {
        "Fn::Equals": [{"Ref": "GenerateClientSecret"}, "true"]
    }
    assert template["Parameters"]["GenerateClientSecret"]["Default"] == "false"
    for key in ("UserPoolId", "UserPoolClientId", "Region"):
        assert key in template["Outputs"]


@pytest.mark.parametrize("name", EXISTING_POOL)
def test_existing_pool_parameters(name: str) -> None:
    template = load(name)
    assert {"CognitoUserPoolID", "CognitoUserPoolARN"} <= set(template["Parameters"])
    assert not resources_of(template, "AWS::Cognito::UserPool")
    assert not resources_of(template, "AWS::Cognito::UserPoolClient")


@pytest.mark.parametrize("name", LOGINID)
def test_loginid_key_lives_only_in_the_secret(name: str) -> None:
    template = load(name)
    assert template["Parameters"]["LOGINIDPrivateKey"]["NoEcho"] is True
    assert "LOGINIDBaseURL" in template["Parameters"]
    secret = template["Resources"]["LoginIDPrivateKeySecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["SecretString"] == {"Ref": "LOGINIDPrivateKey"}
    # The key parameter is used nowhere else (not in any environment, output or tag).
    others = {k: v for k, v in template["Resources"].items() if k != "LoginIDPrivateKeySecret"}
    assert "LOGINIDPrivateKey" not in repr(others) + repr(template["Outputs"])
    for logical_id in ("CreateAuthFunction", "VerifyAuthFunction"):
        variables = template["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
        assert variables["LOGINID_BASE_URL"] == {"Ref": "LOGINIDBaseURL"}
        assert variables["LOGINID_SECRET_NAME"] == {"Ref": "LoginIDPrivateKeySecret"}
    assert not resources_of(template, "AWS::DynamoDB::Table")


@pytest.mark.parametrize("name", SELFHOSTED)
def test_selfhosted_table_and_management_url(name: str) -> None:
    template = load(name)
    assert not any(p.startswith("LOGINID") for p in template["Parameters"])
    table = template["Resources"]["PasskeyTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert "GlobalSecondaryIndexes" not in table
    manage = template["Resources"]["ManagePasskeysFunction"]["Properties"]
    assert manage["Handler"] == MANAGE_HANDLER
    url = template["Resources"]["ManagePasskeysUrl"]["Properties"]
    assert url["AuthType"] == "NONE"
    assert template["Outputs"]["ManagementUrl"]["Value"] == {
        "Fn::GetAtt": ["ManagePasskeysUrl", "FunctionUrl"]
    }
    variables = manage["Environment"]["Variables"]
    assert {"PASSKEY_TABLE_NAME", "PASSKEY_USER_POOL_ID", "PASSKEY_CLIENT_IDS"} <= set(variables)
    for logical_id in ("CreateAuthFunction", "VerifyAuthFunction"):
        variables = template["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
        assert {
            "PASSKEY_TABLE_NAME",
            "PASSKEY_RP_ID",
            "PASSKEY_RP_NAME",
            "PASSKEY_ALLOWED_ORIGINS",
            "PASSKEY_USER_VERIFICATION",
            "PASSKEY_CHALLENGE_TTL_SECONDS",
        } <= set(variables)


@pytest.mark.parametrize("name", ALL)
def test_roles_are_least_privilege(name: str) -> None:
    template = load(name)
    for statement in statements(template):
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        assert not any("*" in action for action in actions), actions
        assert "*" not in as_list(statement["Resource"]), statement
        service = {action.split(":")[0] for action in actions}
        assert len(service) == 1, actions
        resource = as_list(statement["Resource"])
        if service == {"secretsmanager"}:
            assert actions == ["secretsmanager:GetSecretValue"]
            assert resource == [{"Ref": "LoginIDPrivateKeySecret"}]
        elif service == {"dynamodb"}:
            assert resource == [{"Fn::GetAtt": ["PasskeyTable", "Arn"]}]
        elif service == {"logs"}:
            assert set(actions) == {"logs:CreateLogStream", "logs:PutLogEvents"}
            assert all(r["Fn::GetAtt"][1] == "Arn" for r in resource)
        else:
            pytest.fail(f"unexpected permission {actions}")
    for logical_id, role in resources_of(template, "AWS::IAM::Role").items():
        if logical_id == IDENTITY_ROLE:
            continue  # the users' role, not a function's (test_identity_pool_*)
        assert "ManagedPolicyArns" not in role["Properties"]
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    if name in SELFHOSTED:
        manage = template["Resources"]["ManagePasskeysRole"]["Properties"]["Policies"]
        (table,) = [p for p in manage if p["PolicyName"] == "passkey-table"]
        (statement,) = table["PolicyDocument"]["Statement"]
        assert set(statement["Action"]) == {
            "dynamodb:Query",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        }
    # The trigger that only decides (Define) gets nothing but its logs.
    define_role = template["Resources"]["DefineAuthRole"]["Properties"]["Policies"]
    assert [p["PolicyName"] for p in define_role] == ["logs"]
    if name in LOGINID:
        assert "dynamodb" not in repr(statements(template))
    else:
        assert "secretsmanager" not in repr(statements(template))


SAMPLE_PARAMETERS = {
    "RelyingPartyId": "example.com",
    "RelyingPartyName": "Example",
    "AllowedOrigins": "https://example.com,android:apk-key-hash:abc",
    "UserVerification": "preferred",
    "FastSignIn": "true",
    "ChallengeTtlSeconds": "300",
    "LogLevel": "INFO",
    "LOGINIDBaseURL": "https://app1.api.loginid.io",
    "LOGINIDApiKeyID": "",
    "CognitoUserPoolID": "eu-west-1_AbCdEf123",
    "CognitoAppClientIDs": ["client1", "client2"],
}
SAMPLE_REFS = {
    "PasskeyTable": "stack-PasskeyTable-ABC",
    "LoginIDPrivateKeySecret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:key",
    "UserPool": "eu-west-1_AbCdEf123",
    "UserPoolClient": "client1",
}


def resolve(value: Any, conditions: dict[str, bool]) -> Any:
    """Enough of CloudFormation's intrinsic functions to evaluate an environment block."""
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            if argument == "AWS::NoValue":
                return None
            return SAMPLE_PARAMETERS.get(argument, SAMPLE_REFS.get(argument))
        if function == "Fn::If":
            name, when_true, when_false = argument
            return resolve(when_true if conditions[name] else when_false, conditions)
        if function == "Fn::Join":
            separator, items = argument
            return separator.join(resolve(items, conditions))
    return value


@pytest.mark.parametrize("name", ALL)
def test_function_environments_satisfy_the_lambdas_settings(name: str) -> None:
    """Every function's environment, with sample parameters, passes the Lambdas' own checks."""
    from cognito_passkey.lambdas.config import load_settings

    template = load(name)
    conditions = {
        "HasApiKeyId": False,
        "HasRelyingPartyId": True,
        "WantClientSecret": False,
    }
    for logical_id, function in resources_of(template, "AWS::Lambda::Function").items():
        raw = function["Properties"]["Environment"]["Variables"]
        env = {k: resolve(v, conditions) for k, v in raw.items()}
        env = {k: str(v) for k, v in env.items() if v is not None}
        assert all(v not in ("None", "") for v in env.values()), (logical_id, env)
        if logical_id == "DefineAuthFunction":
            continue  # Define decides from the event alone
        settings = load_settings(env)
        if logical_id == "ManagePasskeysFunction":
            assert settings.user_pool_id == "eu-west-1_AbCdEf123"
            assert settings.client_ids[:1] == ("client1",)
        if name in SELFHOSTED:
            assert settings.allowed_origins == ("https://example.com", "android:apk-key-hash:abc")
