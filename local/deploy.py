"""Deploy the project's CloudFormation templates to a local AWS endpoint.

The same templates users deploy to AWS (``cognito_passkey/lambdas/templates``) go through
``create-stack`` unchanged: the function and layer zips are built, uploaded to a local S3
bucket, and passed as the templates' code parameters. Only the boto3 calls here carry the
dummy credentials; the process environment is left alone.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from cognito_passkey.client.stack_import import profile_from_outputs
from cognito_passkey.local import build
from cognito_passkey.local.defaults import (
    BACKEND_LOGINID,
    BACKEND_SELFHOSTED,
    CHALLENGE_TTL_RANGE,
    DEFAULT_CHALLENGE_TTL_SECONDS,
    DEFAULT_ORIGIN,
    DEFAULT_RP_ID,
)
from cognito_passkey.local.errors import LocalAwsError
from cognito_passkey.local.server import DUMMY_CREDENTIALS, REGION
from cognito_passkey.protocol.management import local_function_url

if TYPE_CHECKING:
    from cognito_passkey.authenticator.base import Authenticator
    from cognito_passkey.client.passkey_client import PasskeyClient
    from mypy_boto3_cloudformation.client import CloudFormationClient

TEMPLATES: Final = {
    BACKEND_SELFHOSTED: "TemplateSelfHosted.yaml",
    BACKEND_LOGINID: "Template.yaml",
}
ARTIFACT_BUCKET: Final = "cognito-passkey-artifacts"
_RUNTIME_CHOICES = re.compile(
    r"^  LambdaRuntime:\n(?:    .*\n)*?    AllowedValues: \[([^\]]*)\]", re.MULTILINE
)
_DEFAULT_RUNTIME: Final = "python3.13"


@dataclass(frozen=True)
class DeploySpec:
    """What to deploy: the backend and its settings (never logged: it may hold a key)."""

    backend: str = BACKEND_SELFHOSTED
    stack_name: str = "cognito-passkey"
    rp_id: str = DEFAULT_RP_ID
    rp_name: str = "cognito-passkey (local)"
    origins: Sequence[str] = (DEFAULT_ORIGIN,)
    user_verification: str = "preferred"
    fast_signin: bool = True
    challenge_ttl_seconds: int = DEFAULT_CHALLENGE_TTL_SECONDS
    """How long a WebAuthn challenge stays valid (selfhosted ``ChallengeTtlSeconds``); it is
    also the timeout the options give the authenticator."""
    id_token_max_age_seconds: int = 600
    """How recent a sign-in must be to add a passkey (``IdTokenMaxAgeSeconds``)."""
    require_access_token: bool = False
    """Adding a passkey needs the live access token too (``RequireAccessTokenProof``)."""
    max_passkeys: int = 10
    """The most passkeys per user (``MaxPasskeysPerUser``)."""
    audit_topic_arn: str = ""
    """SNS topic for passkey audit events (``AuditTopicArn``); empty for logs only."""
    management_concurrency: int = 10
    """Reserved concurrency of the management function (selfhosted
    ``ManagementReservedConcurrency``)."""
    identity_pool: bool = False
    """Add the Cognito identity pool for AWS credentials (``CreateIdentityPool``)."""
    loginid_base_url: str | None = None
    loginid_private_key: str | None = field(default=None, repr=False)
    loginid_api_key_id: str | None = field(default=None, repr=False)
    """Optional LoginID API key id (``LOGINIDApiKeyID``, kept in Secrets Manager)."""
    loginid_private_key_file: Path | None = None
    """Where the key was read from; recorded (the key never is) so a reset can redeploy."""

    def __post_init__(self) -> None:
        if self.loginid_private_key is None and self.loginid_private_key_file is not None:
            key = read_private_key(Path(self.loginid_private_key_file))
            object.__setattr__(self, "loginid_private_key", key)
        if self.backend not in TEMPLATES:
            raise LocalAwsError(f"unknown backend {self.backend!r}: use selfhosted or loginid")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,127}", self.stack_name):
            raise LocalAwsError(f"{self.stack_name!r} is not a valid stack name")
        if not self.origins:
            raise LocalAwsError("at least one allowed origin is needed")
        if self.backend == BACKEND_LOGINID and not (
            self.loginid_base_url and self.loginid_private_key
        ):
            raise LocalAwsError("the loginid backend needs a LoginID base URL and private key")
        low, high = CHALLENGE_TTL_RANGE
        ttl = self.challenge_ttl_seconds
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not low <= ttl <= high:
            raise LocalAwsError(f"the challenge TTL must be {low} to {high} seconds, not {ttl!r}")
        if self.backend == BACKEND_LOGINID and ttl != DEFAULT_CHALLENGE_TTL_SECONDS:
            raise LocalAwsError("the challenge TTL is a selfhosted setting (LoginID keeps its own)")


@dataclass(frozen=True)
class Deployment:
    """A deployed stack: its outputs, and the settings a client needs to use it."""

    stack_name: str
    backend: str
    endpoint: str
    outputs: Mapping[str, str]
    rp_id: str
    origin: str

    @property
    def user_pool_id(self) -> str:
        return self.outputs["UserPoolId"]

    @property
    def client_id(self) -> str:
        return self.outputs["UserPoolClientId"]

    @property
    def management_url(self) -> str | None:
        """The management API's base URL as reachable on the local endpoint (selfhosted)."""
        url = self.outputs.get("ManagementUrl")
        return local_function_url(self.endpoint, url) if url else None

    def profile_settings(self) -> dict[str, str]:
        """The client profile keys (contracts: the config API) for this deployment: what
        its outputs give, as ``config import-stack`` reads them, with the local server's
        region and endpoint and the relying party it was deployed for."""
        return {
            **profile_from_outputs(self.outputs, endpoint_url=self.endpoint),
            "region": REGION,
            "endpoint_url": self.endpoint,
            "rp_id": self.rp_id,
            "origin": self.origin,
        }

    def passkey_client(self, authenticator: Authenticator | None, **options: Any) -> PasskeyClient:
        """The project's client for this deployment, with the local dummy credentials;
        ``options`` go to :class:`~cognito_passkey.client.PasskeyClient` over these (another
        app client, another session, ``fast_signin``...)."""
        from cognito_passkey.client.passkey_client import PasskeyClient

        settings: dict[str, Any] = {
            "user_pool_id": self.user_pool_id,
            "client_id": self.client_id,
            "endpoint_url": self.endpoint,
            "rp_id": self.rp_id,
            "origin": self.origin,
            "authenticator": authenticator,
            "boto_session": session(),
            **options,
        }
        return PasskeyClient(**settings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack_name": self.stack_name,
            "backend": self.backend,
            "endpoint": self.endpoint,
            "outputs": dict(self.outputs),
            "rp_id": self.rp_id,
            "origin": self.origin,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Deployment:
        return cls(
            stack_name=str(data["stack_name"]),
            backend=str(data["backend"]),
            endpoint=str(data["endpoint"]),
            outputs={str(k): str(v) for k, v in data["outputs"].items()},
            rp_id=str(data["rp_id"]),
            origin=str(data["origin"]),
        )


def read_private_key(path: Path) -> str:
    """The PEM text of a LoginID private key file (checked to look like PEM, never echoed)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise LocalAwsError(f"cannot read the private key file {path}: {exc.strerror}") from exc
    if "PRIVATE KEY-----" not in text:
        raise LocalAwsError(f"{path} does not hold a PEM private key")
    return text


def session() -> boto3.session.Session:
    """A boto3 session with the local dummy credentials (the environment stays untouched)."""
    return boto3.session.Session(
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )


def client(endpoint: str, service: str) -> Any:
    """A boto3 client of ``service`` on the local endpoint."""
    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5)
    return session().client(service, endpoint_url=endpoint, config=config)  # type: ignore[call-overload]


def template_body(backend: str) -> str:
    """The text of the template users deploy to AWS for ``backend`` (new user pool)."""
    path = resources.files("cognito_passkey.lambdas") / "templates" / TEMPLATES[backend]
    return path.read_text(encoding="utf-8")


def lambda_runtime(python_version: str, backend: str = BACKEND_SELFHOSTED) -> str:
    """The template's LambdaRuntime choice that matches the interpreter running the Lambdas.

    Locally the Lambdas run on ministack's interpreter whatever the runtime says; naming the
    matching runtime keeps the stack honest. Without a match, the template's default.
    """
    match = _RUNTIME_CHOICES.search(template_body(backend))
    choices = [c.strip() for c in match.group(1).split(",")] if match else []
    runtime = f"python{python_version}"
    return runtime if runtime in choices else _DEFAULT_RUNTIME


def upload_artifacts(
    endpoint: str, python_version: str, build_dir: Path, cache_dir: Path | None = None
) -> tuple[str, str]:
    """Build the function and layer zips and put them in the local bucket; returns the keys."""
    try:
        function = build.build_function_zip(build_dir, python_version=python_version)
        layer = build.build_layer_zip(
            build_dir,
            python_version=python_version,
            arch=build.machine_arch(),
            cache_dir=cache_dir,
        )
    except build.BuildError as exc:
        raise LocalAwsError(f"could not build the Lambda artifacts: {exc}") from exc
    s3 = client(endpoint, "s3")
    try:
        s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise LocalAwsError(f"could not create the artifact bucket: {exc}") from exc
    for artifact in (function, layer):
        s3.upload_file(str(artifact.path), ARTIFACT_BUCKET, artifact.path.name)
    return function.path.name, layer.path.name


def stack_parameters(
    spec: DeploySpec, function_key: str, layer_key: str, python_version: str
) -> dict[str, str]:
    """The template parameters for ``spec`` on the local AWS."""
    parameters = {
        "ArtifactBucket": ARTIFACT_BUCKET,
        "FunctionCodeKey": function_key,
        "LayerKey": layer_key,
        "LambdaRuntime": lambda_runtime(python_version, spec.backend),
        "LambdaArchitecture": build.machine_arch(),
        "FastSignIn": "true" if spec.fast_signin else "false",
        "LogLevel": "INFO",
        "IdTokenMaxAgeSeconds": str(spec.id_token_max_age_seconds),
        "RequireAccessTokenProof": "true" if spec.require_access_token else "false",
        "MaxPasskeysPerUser": str(spec.max_passkeys),
        "AuditTopicArn": spec.audit_topic_arn,
        "CreateIdentityPool": "true" if spec.identity_pool else "false",
    }
    if spec.backend == BACKEND_SELFHOSTED:
        parameters.update(
            RelyingPartyId=spec.rp_id,
            RelyingPartyName=spec.rp_name,
            AllowedOrigins=",".join(spec.origins),
            UserVerification=spec.user_verification,
            ChallengeTtlSeconds=str(spec.challenge_ttl_seconds),
            ManagementReservedConcurrency=str(spec.management_concurrency),
        )
    else:
        assert spec.loginid_base_url is not None and spec.loginid_private_key is not None
        parameters.update(
            LOGINIDBaseURL=spec.loginid_base_url,
            LOGINIDPrivateKey=spec.loginid_private_key,
            RelyingPartyId=spec.rp_id,
        )
        if spec.loginid_api_key_id:
            parameters["LOGINIDApiKeyID"] = spec.loginid_api_key_id
    return parameters


def deploy_stack(
    endpoint: str,
    spec: DeploySpec,
    *,
    python_version: str,
    build_dir: Path,
    cache_dir: Path | None = None,
    timeout: float = 120.0,
) -> Deployment:
    """Build, upload and create (or update) the stack; wait for it and return its outputs."""
    function_key, layer_key = upload_artifacts(endpoint, python_version, build_dir, cache_dir)
    parameters = stack_parameters(spec, function_key, layer_key, python_version)
    cloudformation: CloudFormationClient = client(endpoint, "cloudformation")
    arguments: dict[str, Any] = {
        "StackName": spec.stack_name,
        "TemplateBody": template_body(spec.backend),
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        "Capabilities": ["CAPABILITY_IAM"],
    }
    try:
        existing = _stack_status(cloudformation, spec.stack_name)
        if existing is None:
            cloudformation.create_stack(**arguments)
        else:
            try:
                cloudformation.update_stack(**arguments)
            except ClientError as exc:
                if "No updates are to be performed" not in str(exc):
                    raise
        outputs = _wait(cloudformation, spec.stack_name, timeout)
    except (ClientError, BotoCoreError) as exc:
        raise LocalAwsError(f"deploying stack {spec.stack_name} failed: {exc}") from exc
    if spec.backend == BACKEND_SELFHOSTED:
        _enable_ttl(endpoint, outputs.get("PasskeyTableName"))
    return Deployment(
        stack_name=spec.stack_name,
        backend=spec.backend,
        endpoint=endpoint,
        outputs=outputs,
        rp_id=spec.rp_id,
        origin=spec.origins[0],
    )


def _stack_status(cloudformation: CloudFormationClient, name: str) -> str | None:
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
        return None
    return stacks[0]["StackStatus"]


def _wait(cloudformation: CloudFormationClient, name: str, timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            raise LocalAwsError(f"stack {name} still {status} after {timeout:.0f} s")
        time.sleep(0.1)
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        reasons = [
            f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
            for event in cloudformation.describe_stack_events(StackName=name)["StackEvents"]
            if event["ResourceStatus"].endswith("_FAILED")
        ]
        raise LocalAwsError(
            f"stack {name} ended {status}: "
            + ("; ".join(reasons[:5]) or stack.get("StackStatusReason", "no reason given"))
        )
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _enable_ttl(endpoint: str, table_name: str | None) -> None:
    """ministack 1.5.33 ignores the table's TimeToLiveSpecification; turn TTL on directly."""
    if not table_name:
        return
    dynamodb = client(endpoint, "dynamodb")
    described = dynamodb.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    if described.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        return
    dynamodb.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
    )


def stack_outputs(endpoint: str, stack_name: str) -> dict[str, str] | None:
    """The outputs of a completed stack on the local endpoint, or None when there is none."""
    cloudformation: CloudFormationClient = client(endpoint, "cloudformation")
    try:
        status = _stack_status(cloudformation, stack_name)
        if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            return None
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except (ClientError, BotoCoreError):
        return None
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
