"""A local AWS (ministack) running the same CloudFormation templates users deploy to AWS.

``LocalAws`` starts and stops the server of a state directory and deploys stacks to it;
``cognito_passkey.client.local.cli:local`` is the ``cognito-passkey local`` command group.
"""

from __future__ import annotations

from cognito_passkey.client.local.deploy import (
    BACKEND_LOGINID,
    BACKEND_SELFHOSTED,
    Deployment,
    DeploySpec,
)
from cognito_passkey.client.local.errors import LocalAwsError
from cognito_passkey.client.local.local_aws import LocalAws, default_state_dir

__all__ = [
    "BACKEND_LOGINID",
    "BACKEND_SELFHOSTED",
    "DeploySpec",
    "Deployment",
    "LocalAws",
    "LocalAwsError",
    "default_state_dir",
]
