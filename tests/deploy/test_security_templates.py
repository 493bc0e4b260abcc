"""The templates' registration guards, audit topic, LoginID API key handling and the
management function's throttle (the rules cfn-lint cannot know)."""

from __future__ import annotations

from typing import Any

import pytest
from templates_support import ALL, LOGINID, SELFHOSTED, load, resources_of

TRIGGERS = ("CreateAuthFunction", "VerifyAuthFunction")
REGISTRATION_ENV = {
    "PASSKEY_ID_TOKEN_MAX_AGE_SECONDS": "IdTokenMaxAgeSeconds",
    "PASSKEY_REQUIRE_ACCESS_TOKEN": "RequireAccessTokenProof",
    "PASSKEY_MAX_PASSKEYS": "MaxPasskeysPerUser",
    "PASSKEY_AUDIT_TOPIC_ARN": "AuditTopicArn",
}


def variables(template: dict[str, Any], function: str) -> dict[str, Any]:
    env: dict[str, Any] = template["Resources"][function]["Properties"]["Environment"]
    return dict(env["Variables"])


@pytest.mark.parametrize("name", ALL)
def test_registration_guards_are_parameters_with_safe_defaults(name: str) -> None:
    template = load(name)
    parameters = template["Parameters"]
    assert parameters["IdTokenMaxAgeSeconds"]["Default"] == 600
    assert parameters["IdTokenMaxAgeSeconds"]["MinValue"] >= 10
    assert parameters["RequireAccessTokenProof"]["Default"] == "false"  # the WebSDK works
    assert parameters["MaxPasskeysPerUser"]["Default"] == 10
    assert parameters["AuditTopicArn"]["Default"] == ""
    for function in TRIGGERS:
        env = variables(template, function)
        for variable, parameter in REGISTRATION_ENV.items():
            assert env[variable] == {"Ref": parameter}, (function, variable)


@pytest.mark.parametrize("name", ALL)
def test_the_audit_topic_is_publishable_only_when_given(name: str) -> None:
    template = load(name)
    assert template["Conditions"]["HasAuditTopic"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AuditTopicArn"}, ""]}]
    }
    policies = {
        logical_id: resource
        for logical_id, resource in resources_of(template, "AWS::IAM::Policy").items()
        if "sns" in repr(resource)
    }
    roles = ["ChallengeRole"] + (["ManagePasskeysRole"] if name in SELFHOSTED else [])
    assert sorted(r["Properties"]["Roles"][0]["Ref"] for r in policies.values()) == sorted(roles)
    for policy in policies.values():
        assert policy["Condition"] == "HasAuditTopic"
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement == {
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": {"Ref": "AuditTopicArn"},
        }
    if name in SELFHOSTED:
        manage = variables(template, "ManagePasskeysFunction")
        assert manage["PASSKEY_AUDIT_TOPIC_ARN"] == {"Ref": "AuditTopicArn"}


@pytest.mark.parametrize("name", LOGINID)
def test_the_loginid_api_key_id_is_secret(name: str) -> None:
    template = load(name)
    assert template["Parameters"]["LOGINIDApiKeyID"]["NoEcho"] is True
    secret = template["Resources"]["LoginIDApiKeySecret"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Condition"] == "HasApiKeyId"
    assert secret["Properties"]["SecretString"] == {"Ref": "LOGINIDApiKeyID"}
    for function in resources_of(template, "AWS::Lambda::Function"):
        env = variables(template, function)
        assert "LOGINID_API_KEY_ID" not in env
        assert "LOGINIDApiKeyID" not in repr(env)
    for function in TRIGGERS:
        assert variables(template, function)["LOGINID_API_KEY_SECRET_NAME"] == {
            "Fn::If": ["HasApiKeyId", {"Ref": "LoginIDApiKeySecret"}, {"Ref": "AWS::NoValue"}]
        }
    policy = template["Resources"]["ChallengeRoleApiKeyPolicy"]
    assert policy["Condition"] == "HasApiKeyId"
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "secretsmanager:GetSecretValue"
    assert statement["Resource"] == {"Ref": "LoginIDApiKeySecret"}
    assert "LOGINIDApiKeyID" not in repr(template["Outputs"])


@pytest.mark.parametrize("name", SELFHOSTED)
def test_the_public_management_function_is_throttled(name: str) -> None:
    template = load(name)
    parameter = template["Parameters"]["ManagementReservedConcurrency"]
    assert parameter["Type"] == "Number"
    assert parameter["Default"] == 10
    assert parameter["MinValue"] >= 1
    function = template["Resources"]["ManagePasskeysFunction"]["Properties"]
    assert function["ReservedConcurrentExecutions"] == {"Ref": "ManagementReservedConcurrency"}


@pytest.mark.parametrize("name", SELFHOSTED)
def test_attestation_and_cross_origin_policy_are_parameters_closed_by_default(name: str) -> None:
    template = load(name)
    parameters = template["Parameters"]
    assert parameters["AllowedAaguids"]["Default"] == ""  # any model, statement verified
    assert parameters["AllowCrossOrigin"]["Default"] == "false"
    for function in TRIGGERS:  # Create asks for the attestation; Verify checks it
        env = variables(template, function)
        assert env["PASSKEY_ALLOWED_AAGUIDS"] == {"Ref": "AllowedAaguids"}, function
        assert env["PASSKEY_ALLOW_CROSS_ORIGIN"] == {"Ref": "AllowCrossOrigin"}, function
