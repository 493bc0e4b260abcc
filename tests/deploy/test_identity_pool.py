"""The templates' optional identity pool: off by default, only signed-in users of this app
client, a role that trusts Cognito identity for this pool alone, managed policies opt-in."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from templates_support import EXISTING_POOL, NEW_POOL, TEMPLATES_DIR, load, resources_of

IDENTITY_RESOURCES = {
    "IdentityPool": "AWS::Cognito::IdentityPool",
    "IdentityPoolAuthenticatedRole": "AWS::IAM::Role",
    "IdentityPoolRoles": "AWS::Cognito::IdentityPoolRoleAttachment",
}


@pytest.mark.parametrize("name", NEW_POOL)
def test_the_identity_pool_is_optional_and_off_by_default(name: str) -> None:
    template = load(name)
    create = template["Parameters"]["CreateIdentityPool"]
    assert create["Default"] == "false"
    assert set(create["AllowedValues"]) == {"true", "false"}
    assert template["Conditions"]["WantIdentityPool"] == {
        "Fn::Equals": [{"Ref": "CreateIdentityPool"}, "true"]
    }
    for logical_id, kind in IDENTITY_RESOURCES.items():
        resource = template["Resources"][logical_id]
        assert resource["Type"] == kind
        assert resource["Condition"] == "WantIdentityPool"
    output = template["Outputs"]["IdentityPoolId"]
    assert output == {**output, "Condition": "WantIdentityPool", "Value": {"Ref": "IdentityPool"}}


@pytest.mark.parametrize("name", NEW_POOL)
def test_only_signed_in_users_of_this_app_client_get_credentials(name: str) -> None:
    pool = load(name)["Resources"]["IdentityPool"]["Properties"]
    assert pool["AllowUnauthenticatedIdentities"] is False
    assert pool["AllowClassicFlow"] is False
    assert pool["CognitoIdentityProviders"] == [
        {
            "ClientId": {"Ref": "UserPoolClient"},
            "ProviderName": {"Fn::GetAtt": ["UserPool", "ProviderName"]},
            "ServerSideTokenCheck": True,
        }
    ]
    assert "SupportedLoginProviders" not in pool and "DeveloperProviderName" not in pool


@pytest.mark.parametrize("name", NEW_POOL)
def test_the_authenticated_role_trusts_this_identity_pool_only(name: str) -> None:
    template = load(name)
    role = template["Resources"]["IdentityPoolAuthenticatedRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Effect"] == "Allow"
    assert trust["Principal"] == {"Federated": "cognito-identity.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {
        "StringEquals": {"cognito-identity.amazonaws.com:aud": {"Ref": "IdentityPool"}},
        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
    }
    assert "Policies" not in role  # what users may do is the deployer's choice
    assert role["ManagedPolicyArns"] == {
        "Fn::If": [
            "HasIdentityPoolRolePolicies",
            {"Ref": "IdentityPoolRolePolicyArns"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    policies = template["Parameters"]["IdentityPoolRolePolicyArns"]
    assert policies["Type"] == "CommaDelimitedList" and policies["Default"] == ""
    attachment = template["Resources"]["IdentityPoolRoles"]["Properties"]
    assert attachment == {
        "IdentityPoolId": {"Ref": "IdentityPool"},
        "Roles": {"authenticated": {"Fn::GetAtt": ["IdentityPoolAuthenticatedRole", "Arn"]}},
    }


@pytest.mark.parametrize("name", EXISTING_POOL)
def test_existing_pool_templates_have_no_identity_pool(name: str) -> None:
    template = load(name)
    assert not resources_of(template, "AWS::Cognito::IdentityPool")
    assert "CreateIdentityPool" not in template["Parameters"]


def test_cfn_lint_is_clean_with_the_identity_pool_and_policies_on(tmp_path: Path) -> None:
    """The conditional parts, made unconditional, still lint clean (cfn-lint checks the
    resources a condition hides less strictly)."""
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    assert cfn_lint is not None, "cfn-lint (dev extra) is not installed"
    paths = []
    for name in NEW_POOL:
        text = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
        document: Any = yaml.load(text, Loader=_cfn_loader())  # noqa: S506 - our own template
        for logical_id in IDENTITY_RESOURCES:
            document["Resources"][logical_id].pop("Condition")
        document["Parameters"]["CreateIdentityPool"]["Default"] = "true"
        document["Parameters"]["IdentityPoolRolePolicyArns"]["Default"] = (
            "arn:aws:iam::aws:policy/ReadOnlyAccess"
        )
        path = tmp_path / name
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        paths.append(str(path))
    result = subprocess.run([cfn_lint, *paths], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _cfn_loader() -> type[yaml.SafeLoader]:
    """A loader that turns ``!Ref X`` into ``{"Ref": X}`` (the JSON form cfn-lint reads)."""

    class Loader(yaml.SafeLoader):
        pass

    def intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type, unused-ignore]
        return {name: value}

    Loader.add_multi_constructor("!", intrinsic)
    return Loader


def test_local_deploys_pass_the_identity_pool_switch_and_profile_its_id(tmp_path: Path) -> None:
    from cognito_passkey.local import deploy as deploying
    from cognito_passkey.local.deploy import Deployment, DeploySpec
    from cognito_passkey.local.local_aws import LocalAws, _spec_record

    off = deploying.stack_parameters(DeploySpec(), "fn.zip", "layer.zip", "3.11")
    assert off["CreateIdentityPool"] == "false"  # the templates' default, for the test stacks
    spec = DeploySpec(stack_name="with-pool", identity_pool=True)
    assert deploying.stack_parameters(spec, "fn", "layer", "3.11")["CreateIdentityPool"] == "true"
    assert LocalAws(tmp_path)._spec_for("with-pool", {"spec": _spec_record(spec)}) == spec
    pool_id = "us-east-1:6b0734ca-b860-4718-bb7b-fe51879ad020"
    deployment = Deployment(
        stack_name="with-pool",
        backend="selfhosted",
        endpoint="http://127.0.0.1:5000",
        outputs={"UserPoolId": "us-east-1_abc", "UserPoolClientId": "c", "IdentityPoolId": pool_id},
        rp_id="localhost",
        origin="https://localhost",
    )
    assert deployment.profile_settings()["identity_pool_id"] == pool_id


def test_local_up_adds_the_identity_pool_unless_told_not_to() -> None:
    from cognito_passkey.local.cli import up

    (option,) = [p for p in up.params if p.name == "identity_pool"]
    assert option.default is True
    assert "--no-identity-pool" in option.secondary_opts
