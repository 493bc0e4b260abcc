"""The existing-pool templates, used as the guide says: deploy them next to a user pool made
elsewhere, then set their DefineAuthArn, CreateAuthArn and VerifyAuthArn outputs as the
pool's triggers, and sign in."""

from __future__ import annotations

import time
from importlib import resources
from typing import Any

import pytest
from cognito_passkey.local.deploy import Deployment, client, local_function_url
from e2e_support import PASSWORD, new_user, passkey_client, unique_username

pytestmark = pytest.mark.e2e


def code_parameters(deployment: Deployment) -> dict[str, str]:
    """The artifact parameters the session's stack was deployed with (same zips)."""
    cloudformation = client(deployment.endpoint, "cloudformation")
    stack = cloudformation.describe_stacks(StackName=deployment.stack_name)["Stacks"][0]
    wanted = (
        "ArtifactBucket",
        "FunctionCodeKey",
        "LayerKey",
        "LambdaRuntime",
        "LambdaArchitecture",
    )
    return {
        p["ParameterKey"]: p["ParameterValue"]
        for p in stack["Parameters"]
        if p["ParameterKey"] in wanted
    }


def make_pool(idp: Any) -> tuple[str, str, str]:
    """A user pool and app client made outside CloudFormation; returns (id, arn, client id)."""
    pool = idp.create_user_pool(PoolName=unique_username("existing-"))["UserPool"]
    app = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="existing",
        ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]
    return pool["Id"], pool["Arn"], app["ClientId"]


def deploy_existing(
    endpoint: str, template: str, name: str, parameters: dict[str, str]
) -> dict[str, str]:
    body = (resources.files("cognito_passkey.lambdas") / "templates" / template).read_text()
    cloudformation = client(endpoint, "cloudformation")
    cloudformation.create_stack(
        StackName=name,
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    deadline = time.monotonic() + 60
    while True:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            break
        assert time.monotonic() < deadline, stack["StackStatus"]
        time.sleep(0.1)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def attach_triggers(idp: Any, pool_id: str, outputs: dict[str, str]) -> None:
    idp.update_user_pool(
        UserPoolId=pool_id,
        LambdaConfig={
            "DefineAuthChallenge": outputs["DefineAuthArn"],
            "CreateAuthChallenge": outputs["CreateAuthArn"],
            "VerifyAuthChallengeResponse": outputs["VerifyAuthArn"],
        },
        AutoVerifiedAttributes=["email"],
    )


def sign_in_round_trip(idp: Any, deployment: Deployment) -> None:
    username = new_user(idp, deployment, "existing-user-")
    api = passkey_client(deployment)
    api.add_passkey(username, api.sign_in_password(username, PASSWORD).id_token)
    claims = api.verify_token(api.sign_in_passkey(username).id_token)
    assert claims["cognito:username"] == username


def test_selfhosted_template_for_an_existing_pool(selfhosted: Deployment, idp: Any) -> None:
    pool_id, pool_arn, client_id = make_pool(idp)
    name = unique_username("existing-selfhosted-")
    outputs = deploy_existing(
        selfhosted.endpoint,
        "TemplateSelfHostedExisting.yaml",
        name,
        {
            **code_parameters(selfhosted),
            "CognitoUserPoolID": pool_id,
            "CognitoUserPoolARN": pool_arn,
            "CognitoAppClientIDs": client_id,
            "RelyingPartyId": selfhosted.rp_id,
            "RelyingPartyName": "Existing pool",
            "AllowedOrigins": selfhosted.origin,
        },
    )
    assert outputs["UserPoolId"] == pool_id
    attach_triggers(idp, pool_id, outputs)
    deployment = Deployment(
        stack_name=name,
        backend="selfhosted",
        endpoint=selfhosted.endpoint,
        outputs={"UserPoolId": pool_id, "UserPoolClientId": client_id},
        rp_id=selfhosted.rp_id,
        origin=selfhosted.origin,
    )
    sign_in_round_trip(idp, deployment)

    from cognito_passkey.client.management import PasskeyManager

    username = new_user(idp, deployment, "existing-manage-")
    api = passkey_client(deployment)
    tokens = api.add_passkey(username, api.sign_in_password(username, PASSWORD).id_token)
    manager = PasskeyManager(
        local_function_url(selfhosted.endpoint, outputs["ManagementUrl"]), tokens.access_token
    )
    assert len(manager.list()) == 1


def test_loginid_template_for_an_existing_pool(
    loginid: Deployment, loginid_service: Any, idp: Any
) -> None:
    pool_id, pool_arn, client_id = make_pool(idp)
    name = unique_username("existing-loginid-")
    outputs = deploy_existing(
        loginid.endpoint,
        "TemplateExisting.yaml",
        name,
        {
            **code_parameters(loginid),
            "CognitoUserPoolID": pool_id,
            "CognitoUserPoolARN": pool_arn,
            "LOGINIDBaseURL": loginid_service.base_url,
            "LOGINIDPrivateKey": loginid_service.tenant_key_pem,
        },
    )
    attach_triggers(idp, pool_id, outputs)
    sign_in_round_trip(
        idp,
        Deployment(
            stack_name=name,
            backend="loginid",
            endpoint=loginid.endpoint,
            outputs={"UserPoolId": pool_id, "UserPoolClientId": client_id},
            rp_id=loginid.rp_id,
            origin=loginid.origin,
        ),
    )
