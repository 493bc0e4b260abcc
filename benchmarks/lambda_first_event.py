"""The first invocation of Create and Verify in a fresh interpreter (what a Lambda cold
start pays: the handler's import plus the first event, which loads fido2 and the AWS SDK
and builds the DynamoDB client), against ``import boto3`` in a fresh interpreter and against
the floor: a fresh interpreter that only imports the SDK the handlers use and builds the
client the first event needs (what any trigger calling DynamoDB pays). Also the peak memory
of a Verify invocation. The events are real: a round-1 Create for a user with a passkey on
the local AWS's DynamoDB, then Verify with the soft key's assertion of those options.

Every child reads compiled bytecode from a private cache filled by an untimed first round
(:func:`benchmarks.cli_startup.bytecode_env`), as the SDK's own modules are read; every
figure is timed inside the child, from before its first import to its end, and the
children run interleaved so that all see the same load.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from ._bench import PEAK_PROBE, Figure, peak_rss_mib, ratio_figure
from .cli_startup import bytecode_env

CREATE = "Create first invocation (fresh interpreter: import + first event)"
VERIFY = "Verify first invocation (fresh interpreter: import + first event)"
FLOOR = "floor: import the SDK + build the DynamoDB client (fresh interpreter)"
CREATE_FLOOR = "Create first invocation / floor"
VERIFY_FLOOR = "Verify first invocation / floor"
VERIFY_MEMORY = "peak memory of a Verify invocation"
ROWS = (CREATE, VERIFY, FLOOR, CREATE_FLOOR, VERIFY_FLOOR, VERIFY_MEMORY)

_TIMED = (
    "import json, time; t = time.perf_counter()\n{code}\nprint(json.dumps(time.perf_counter() - t))"
)
_BOTO3 = "import boto3"
# what the handlers' first events build, and nothing else (store.dynamodb_client's timeout)
_FLOOR = (
    "from cognito_passkey.lambdas import aws_clients\n"
    'aws_clients.client("dynamodb", read_timeout=5)'
)

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


def _seconds(code: str, env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _TIMED.format(code=code)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(done.stdout.splitlines()[-1]))


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
    sub = next(
        a["Value"]
        for a in client.api.call(
            "admin_get_user", UserPoolId=deployment.user_pool_id, Username=username
        )["UserAttributes"]
        if a["Name"] == "sub"
    )
    with tempfile.TemporaryDirectory(prefix="bench-first-event-") as folder:
        bytecode = bytecode_env(Path(folder))
        create_env = {**_environment(endpoint, stack, "CreateAuth"), **bytecode}
        verify_env = {**_environment(endpoint, stack, "VerifyAuth"), **bytecode}
        return _figures(deployment, client, username, sub, create_env, verify_env, repeat)


def _figures(
    deployment: Any,
    client: Any,
    username: str,
    sub: str,
    create_env: dict[str, str],
    verify_env: dict[str, str],
    repeat: int,
) -> list[Figure]:
    from cognito_passkey.client.exchange import assertion_answer
    from cognito_passkey.protocol import dialect

    metadata = {dialect.META_AUTHENTICATION_TYPE: dialect.FIDO2_GET}
    create_event = _event(
        "CreateAuthChallenge_Authentication",
        deployment,
        username,
        sub,
        {"challengeName": "CUSTOM_CHALLENGE", "session": [], "clientMetadata": metadata},
    )
    create_s, verify_s, boto3_s, floor_s, traced, rss = [], [], [], [], [], []
    for run in range(-1, repeat + 1):  # round -1 fills the bytecode cache, untimed
        trace = run == repeat  # the last pair measures memory, the others time
        boto3_once = _seconds(_BOTO3, create_env)
        floor_once = _seconds(_FLOOR, create_env)
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
        elif run >= 0:
            create_s.append(created["seconds"])
            verify_s.append(verified["seconds"])
            boto3_s.append(boto3_once)
            floor_s.append(floor_once)
    boto3, floor, create, verify = (
        statistics.median(samples) * 1000 for samples in (boto3_s, floor_s, create_s, verify_s)
    )
    boto3_rss = peak_rss_mib(_BOTO3)
    label, floor_label = "`import boto3`", "floor"
    return [
        ratio_figure(CREATE, create, boto3, label, limit=1.3),
        ratio_figure(VERIFY, verify, boto3, label, limit=1.3),
        ratio_figure(FLOOR, floor, boto3, label),
        ratio_figure(CREATE_FLOOR, create, floor, floor_label),
        ratio_figure(VERIFY_FLOOR, verify, floor, floor_label),
        Figure(
            VERIFY_MEMORY,
            f"{rss[0]:.0f} MiB process peak; {traced[0] / 2**20:.1f} MiB allocated "
            "by the invocation (tracemalloc)",
            f'{boto3_rss:.0f} MiB (`python -c "import boto3"`)',
            rss[0] / boto3_rss,
        ),
    ]
