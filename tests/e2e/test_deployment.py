"""The deployed self-hosted stack, checked with boto3 and HTTP only: the template as users
deploy it, the triggers wired and reached, the 2-call dialect's first round."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cognito_passkey.lambdas.config import jwks_url
from cognito_passkey.local.deploy import Deployment, client
from cognito_passkey.protocol import dialect
from e2e_support import new_user

pytestmark = pytest.mark.e2e


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def round_one(idp: Any, deployment: Deployment, username: str) -> dict[str, Any]:
    return dict(
        idp.initiate_auth(
            ClientId=deployment.client_id,
            AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": username},
        )
    )


def test_stack_outputs_and_trigger_wiring(selfhosted: Deployment, idp: Any) -> None:
    cloudformation = client(selfhosted.endpoint, "cloudformation")
    stack = cloudformation.describe_stacks(StackName=selfhosted.stack_name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    pool = idp.describe_user_pool(UserPoolId=selfhosted.user_pool_id)["UserPool"]
    assert pool["LambdaConfig"]["DefineAuthChallenge"] == selfhosted.outputs["DefineAuthArn"]
    assert pool["LambdaConfig"]["CreateAuthChallenge"] == selfhosted.outputs["CreateAuthArn"]
    assert (
        pool["LambdaConfig"]["VerifyAuthChallengeResponse"] == selfhosted.outputs["VerifyAuthArn"]
    )
    app = idp.describe_user_pool_client(
        UserPoolId=selfhosted.user_pool_id, ClientId=selfhosted.client_id
    )["UserPoolClient"]
    assert app["PreventUserExistenceErrors"] == "ENABLED"
    assert "ClientSecret" not in app
    assert set(app["ExplicitAuthFlows"]) == {
        "ALLOW_CUSTOM_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    lambda_client = client(selfhosted.endpoint, "lambda")
    for key in ("DefineAuthArn", "CreateAuthArn", "VerifyAuthArn"):
        policy = json.loads(
            lambda_client.get_policy(FunctionName=selfhosted.outputs[key])["Policy"]
        )
        (statement,) = policy["Statement"]
        assert statement["Principal"] == {"Service": "cognito-idp.amazonaws.com"}
        assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == pool["Arn"]


def test_passkey_table_has_ttl_on(selfhosted: Deployment) -> None:
    dynamodb = client(selfhosted.endpoint, "dynamodb")
    table = selfhosted.outputs["PasskeyTableName"]
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
    assert ttl["AttributeName"] == "ttl"


def test_round_one_offers_fast_signin_options(selfhosted: Deployment, idp: Any) -> None:
    username = new_user(idp, selfhosted, "round1-")
    reply = round_one(idp, selfhosted, username)
    assert reply["ChallengeName"] == "CUSTOM_CHALLENGE"
    parameters = reply["ChallengeParameters"]
    assert parameters[dialect.PARAM_CHALLENGE] == dialect.AUTH_PARAMS
    options = json.loads(parameters[dialect.PARAM_PUBLIC_KEY])
    assert options["rpId"] == selfhosted.rp_id
    assert len(b64url_decode(options["challenge"])) >= 16
    # A user without passkeys gets believable options all the same (no existence oracle).
    assert options["allowCredentials"], options
    assert all(c["type"] == "public-key" for c in options["allowCredentials"])
    again = json.loads(round_one(idp, selfhosted, username)["ChallengeParameters"]["public_key"])
    assert again["challenge"] != options["challenge"]
    assert [c["id"] for c in again["allowCredentials"]] == [
        c["id"] for c in options["allowCredentials"]
    ]


def test_three_call_dialect_reaches_round_two(selfhosted: Deployment, idp: Any) -> None:
    username = new_user(idp, selfhosted, "round2-")
    first = round_one(idp, selfhosted, username)
    second = idp.respond_to_auth_challenge(
        ClientId=selfhosted.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": username, "ANSWER": dialect.AUTH_PARAMS},
        ClientMetadata={dialect.META_AUTHENTICATION_TYPE: dialect.FIDO2_GET},
    )
    assert second["ChallengeName"] == "CUSTOM_CHALLENGE"
    options = json.loads(second["ChallengeParameters"][dialect.PARAM_PUBLIC_KEY])
    assert options["rpId"] == selfhosted.rp_id
    assert "AuthenticationResult" not in second


@pytest.mark.parametrize(
    "answer",
    [
        "not json",
        json.dumps({"assertion_response": {"id": "AAAA", "type": "public-key", "response": {}}}),
        "x" * 20_000,
    ],
)
def test_bad_fast_signin_answers_are_refused(selfhosted: Deployment, idp: Any, answer: str) -> None:
    username = new_user(idp, selfhosted, "bad-")
    first = round_one(idp, selfhosted, username)
    with pytest.raises(ClientError) as failure:
        idp.respond_to_auth_challenge(
            ClientId=selfhosted.client_id,
            ChallengeName="CUSTOM_CHALLENGE",
            Session=first["Session"],
            ChallengeResponses={"USERNAME": username, "ANSWER": answer},
            ClientMetadata={
                dialect.META_AUTHENTICATION_TYPE: dialect.FIDO2_GET,
                dialect.META_FAST_SIGNIN: "true",
            },
        )
    assert failure.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_jwks_rule_reaches_the_local_pool(selfhosted: Deployment) -> None:
    url = jwks_url(selfhosted.user_pool_id, env={"AWS_ENDPOINT_URL": selfhosted.endpoint})
    assert url.startswith(selfhosted.endpoint)
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - loopback URL
        keys = json.loads(reply.read())["keys"]
    assert keys and all(key["kty"] == "RSA" and key["alg"] == "RS256" for key in keys)


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/passkeys", {}),
        ("GET", "/passkeys", {"Authorization": "Bearer not-a-token"}),
        ("DELETE", "/passkeys/abc", {"Authorization": "Basic dXNlcjpwYXNz"}),
    ],
)
def test_management_url_refuses_requests_without_a_valid_token(
    selfhosted: Deployment, method: str, path: str, headers: dict[str, str]
) -> None:
    assert selfhosted.management_url is not None
    request = urllib.request.Request(  # noqa: S310 - loopback URL
        selfhosted.management_url + path, method=method, headers=headers
    )
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    assert failure.value.code == 401
    body = json.loads(failure.value.read())
    assert set(body) >= {"error", "message"}
