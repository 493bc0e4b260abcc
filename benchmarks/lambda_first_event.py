"""The first invocation of Create and Verify in a fresh interpreter (what a Lambda cold
start pays: the handler's import plus the first event, which loads fido2, PyJWT and boto3),
against ``import boto3`` in a fresh interpreter; and the peak memory of a Verify
invocation. The events are real: a round-1 Create for a user with a passkey on the local
AWS's DynamoDB, then Verify with the soft key's assertion of those options.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any

from ._bench import PEAK_PROBE, Figure, peak_rss_mib, ratio_figure
from .lambda_cold_start import import_seconds

CREATE = "Create first invocation (fresh interpreter: import + first event)"
VERIFY = "Verify first invocation (fresh interpreter: import + first event)"
VERIFY_MEMORY = "peak memory of a Verify invocation"
ROWS = (CREATE, VERIFY, VERIFY_MEMORY)

_PROBE = """
import importlib, json, sys, time, tracemalloc
job = json.load(sys.stdin)
class Context:
    function_name = "bench"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
started = time.perf_counter()
module = importlib.import_module(job["module"])
if job["trace"]:
    tracemalloc.start()
event = module.handler(job["event"], Context())
seconds = time.perf_counter() - started
traced = tracemalloc.get_traced_memory()[1] if job["trace"] else 0
rss = _peak_mib()
print("BENCH " + json.dumps({"seconds": seconds, "event": event, "traced": traced, "rss": rss}))
"""


def _invoke(module: str, event: dict[str, Any], env: dict[str, str], *, trace: bool) -> Any:
    done = subprocess.run(
        [sys.executable, "-c", PEAK_PROBE + _PROBE],
        input=json.dumps({"module": module, "event": event, "trace": trace}),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("BENCH "))
    return json.loads(line[len("BENCH ") :])


def _event(source: str, deployment: Any, username: str, sub: str, request: dict[str, Any]) -> Any:
    return {
        "version": "1",
        "triggerSource": source,
        "region": "us-east-1",
        "userPoolId": deployment.user_pool_id,
        "userName": username,
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": deployment.client_id,
        },
        "request": {"userAttributes": {"sub": sub, "cognito:user_status": "CONFIRMED"}, **request},
        "response": {},
    }


def _environment(endpoint: str, stack: str, logical: str) -> dict[str, str]:
    from cognito_passkey.local.deploy import client
    from cognito_passkey.local.server import DUMMY_CREDENTIALS

    resources = client(endpoint, "cloudformation").list_stack_resources(StackName=stack)
    name = next(
        r["PhysicalResourceId"]
        for r in resources["StackResourceSummaries"]
        if r["ResourceType"] == "AWS::Lambda::Function" and logical in r["LogicalResourceId"]
    )
    config = client(endpoint, "lambda").get_function_configuration(FunctionName=name)
    return {
        **config.get("Environment", {}).get("Variables", {}),
        **DUMMY_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }


def figures(
    endpoint: str, stack: str, deployment: Any, client: Any, username: str, repeat: int
) -> list[Figure]:
    from cognito_passkey.client.exchange import assertion_answer
    from cognito_passkey.protocol import dialect

    sub = next(
        a["Value"]
        for a in client.api.call(
            "admin_get_user", UserPoolId=deployment.user_pool_id, Username=username
        )["UserAttributes"]
        if a["Name"] == "sub"
    )
    create_env = _environment(endpoint, stack, "CreateAuth")
    verify_env = _environment(endpoint, stack, "VerifyAuth")
    metadata = {dialect.META_AUTHENTICATION_TYPE: dialect.FIDO2_GET}
    create_event = _event(
        "CreateAuthChallenge_Authentication",
        deployment,
        username,
        sub,
        {"challengeName": "CUSTOM_CHALLENGE", "session": [], "clientMetadata": metadata},
    )
    create_s, verify_s, traced, rss = [], [], [], []
    for run in range(repeat + 1):
        trace = run == repeat  # the last pair measures memory, the others time
        created = _invoke(
            "cognito_passkey.lambdas.handlers.create_auth_challenge",
            create_event,
            create_env,
            trace=False,
        )
        response = created["event"]["response"]
        options = json.loads(response["publicChallengeParameters"][dialect.PARAM_PUBLIC_KEY])
        credential = client.authenticator.get(options, rp_id=deployment.rp_id)
        verify_event = _event(
            "VerifyAuthChallengeResponse_Authentication",
            deployment,
            username,
            sub,
            {
                "privateChallengeParameters": response["privateChallengeParameters"],
                "challengeAnswer": assertion_answer(options, credential),
                "clientMetadata": {**metadata, dialect.META_FAST_SIGNIN: "true"},
            },
        )
        verified = _invoke(
            "cognito_passkey.lambdas.handlers.verify_auth_challenge",
            verify_event,
            verify_env,
            trace=trace,
        )
        if verified["event"]["response"].get("answerCorrect") is not True:
            raise RuntimeError("the benchmark's Verify event was refused")
        if trace:
            traced.append(verified["traced"])
            rss.append(verified["rss"])
        else:
            create_s.append(created["seconds"])
            verify_s.append(verified["seconds"])
    boto3 = statistics.median(import_seconds("boto3") for _ in range(max(repeat, 2))) * 1000
    boto3_rss = peak_rss_mib("import boto3")
    label = "`import boto3`"
    return [
        ratio_figure(CREATE, statistics.median(create_s) * 1000, boto3, label, limit=1.3),
        ratio_figure(VERIFY, statistics.median(verify_s) * 1000, boto3, label, limit=1.3),
        Figure(
            VERIFY_MEMORY,
            f"{rss[0]:.0f} MiB process peak; {traced[0] / 2**20:.1f} MiB allocated "
            "by the invocation (tracemalloc)",
            f'{boto3_rss:.0f} MiB (`python -c "import boto3"`)',
            rss[0] / boto3_rss,
        ),
    ]
