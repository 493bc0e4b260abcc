"""The container's AWS clients: one botocore session for all, built without boto3."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cognito_passkey.lambdas import aws_clients

_PROBE = """
import json, sys
from cognito_passkey.lambdas import aws_clients
dynamodb = aws_clients.client("dynamodb", read_timeout=5)
sns = aws_clients.client("sns")
print(json.dumps({
    "boto3": "boto3" in sys.modules,
    "connect": dynamodb.meta.config.connect_timeout,
    "read": [dynamodb.meta.config.read_timeout, sns.meta.config.read_timeout],
    "attempts": dynamodb.meta.config.retries["total_max_attempts"],
    "region": dynamodb.meta.region_name,
    "endpoint": dynamodb.meta.endpoint_url,
}))
"""


def test_clients_need_no_boto3_and_keep_the_short_timeouts() -> None:
    """A cold start builds its clients from botocore alone: boto3 is never imported."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stdout)
    assert seen == {
        "boto3": False,
        "connect": 2,
        "read": [5, 3.0],
        "attempts": 3,  # the first try and two retries (botocore's max_attempts)
        "region": "eu-west-1",
        "endpoint": "http://127.0.0.1:9",
    }


def test_one_client_per_service_and_endpoint_from_one_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    first = aws_clients.client("dynamodb", region="us-east-1")
    assert aws_clients.client("dynamodb", region="us-east-1") is first
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:10")
    other = aws_clients.client("dynamodb", region="us-east-1")
    assert other is not first and other.meta.endpoint_url == "http://127.0.0.1:10"
    assert aws_clients._session() is aws_clients._session()
