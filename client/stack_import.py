"""A client profile from a deployed stack's CloudFormation outputs (``config import-stack``).

The templates in ``lambdas/templates`` name their outputs the same way, so one mapping serves
all four; a template without an output (an existing pool has no app client of ours) leaves
that key for ``config set``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from cognito_passkey.client.errors import ConfigurationError, NetworkError
from cognito_passkey.client.setting_names import PROFILE_KEYS
from cognito_passkey.protocol.management import local_function_url

if TYPE_CHECKING:
    import boto3

OUTPUT_KEYS: Final = {
    "UserPoolId": "user_pool_id",
    "UserPoolClientId": "client_id",
    "Region": "region",
    "RelyingPartyId": "rp_id",
    "ManagementUrl": "management_url",
    "IdentityPoolId": "identity_pool_id",
}
"""Stack output -> profile key; keys the config does not know yet are skipped."""


def profile_from_outputs(
    outputs: Mapping[str, str], *, endpoint_url: str | None = None
) -> dict[str, str]:
    """The profile keys a stack's outputs give (:data:`OUTPUT_KEYS`; empty outputs left out).

    With ``endpoint_url`` (a local AWS) the management URL is the one that reaches its
    function there. ``config import-stack`` and the local deployments both read outputs here.
    """
    profile = {
        key: outputs[output]
        for output, key in OUTPUT_KEYS.items()
        if outputs.get(output) and key in PROFILE_KEYS
    }
    if endpoint_url and profile.get("management_url"):
        profile["management_url"] = local_function_url(endpoint_url, profile["management_url"])
    return profile


def profile_from_stack(
    stack_name: str,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    boto_session: boto3.Session | None = None,
) -> dict[str, str]:
    """The profile keys stack ``stack_name`` provides (``DescribeStacks``' Outputs)."""
    import boto3
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
    )

    session = boto_session or boto3.session.Session(region_name=region)
    try:
        cloudformation = session.client(
            "cloudformation", region_name=region, endpoint_url=endpoint_url
        )
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except NoRegionError:
        raise ConfigurationError(
            "no AWS region for the stack: pass --region or set AWS_REGION"
        ) from None
    except NoCredentialsError:
        raise ConfigurationError(
            "no AWS credentials to read the stack with (aws configure, or AWS_PROFILE)"
        ) from None
    except EndpointConnectionError as exc:
        raise NetworkError(f"cannot reach CloudFormation: {exc}") from None
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message") or str(exc)
        raise ConfigurationError(f"cannot read stack {stack_name!r}: {message}") from None
    except BotoCoreError as exc:
        raise NetworkError(f"cannot read stack {stack_name!r}: {exc}") from None
    if not stacks:
        raise ConfigurationError(f"no stack named {stack_name!r}")
    stack = stacks[0]
    outputs = {
        o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", []) if "OutputKey" in o
    }
    if "UserPoolId" not in outputs:
        raise ConfigurationError(
            f"stack {stack_name!r} ({stack['StackStatus']}) has no UserPoolId output: "
            "is it deployed from one of the cognito-passkey templates?"
        )
    profile = profile_from_outputs(outputs, endpoint_url=endpoint_url)
    if "region" not in profile and cloudformation.meta.region_name:
        profile["region"] = cloudformation.meta.region_name
    return profile
