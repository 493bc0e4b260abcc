"""A local AWS (ministack) running the same CloudFormation templates users deploy to AWS.

``LocalAws`` starts and stops the server of a state directory and deploys stacks to it;
``cognito_passkey.local.cli:local`` is the ``cognito-passkey local`` command group.
The names below load on first use (boto3 and the layer builder come with them), so the
command group's ``--help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cognito_passkey.local.defaults import (
    BACKEND_LOGINID,
    BACKEND_SELFHOSTED,
    default_state_dir,
)
from cognito_passkey.local.errors import LocalAwsError

if TYPE_CHECKING:
    from cognito_passkey.local.deploy import Deployment, DeploySpec
    from cognito_passkey.local.local_aws import LocalAws

_LAZY = {
    "DeploySpec": "cognito_passkey.local.deploy",
    "Deployment": "cognito_passkey.local.deploy",
    "LocalAws": "cognito_passkey.local.local_aws",
}

__all__ = [
    "BACKEND_LOGINID",
    "BACKEND_SELFHOSTED",
    "DeploySpec",
    "Deployment",
    "LocalAws",
    "LocalAwsError",
    "default_state_dir",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
