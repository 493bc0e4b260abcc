"""Sign-ins through the local AWS: the 2-call dialect against the same emulator's bare
2-round CUSTOM_AUTH with do-nothing triggers (measured in the same run, interleaved), the
3-call dialect, backend requests per sign-in, concurrent sign-ins, and peak memory of a CLI
sign-in.

    python -m benchmarks.signin [--count 30] [--per-worker 5]

Starts a local AWS of its own in a temporary directory (stopped by PID and removed at the
end; the server also dies with this process), deploys the self-hosted template and a
do-nothing pool (three trivial triggers, :mod:`benchmarks.trivial.triggers`), and counts
the Lambdas' DynamoDB requests through a counting loopback proxy put in front of the
emulator (``AWS_ENDPOINT_URL_DYNAMODB`` of the deployed functions).
"""

from __future__ import annotations

import argparse
import collections
import io
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import lambda_first_event
from ._bench import Figure, header, not_run, peak_rss_mib, percentile, ratio_figure, table

TWO_CALL = "2-call passkey sign-in through the local AWS"
THREE_CALL = "3-call / 2-call passkey sign-in"
COGNITO_CALLS = "Cognito calls per 2-call / 3-call sign-in"
DYNAMO_2 = "self-hosted DynamoDB requests per 2-call sign-in"
DYNAMO_3 = "self-hosted DynamoDB requests per 3-call sign-in"
LOGINID_2 = "LoginID HTTP requests per 2-call sign-in"
LOGINID_3 = "LoginID HTTP requests per 3-call sign-in"
CONCURRENT = "concurrent headless sign-ins ({kind}, N={n})"
CLI_MEMORY = "peak memory of a CLI sign-in (`cognito-passkey sign-in`)"
NS = (1, 4, 16)
KINDS = ("threads", "processes")
ROWS = (
    TWO_CALL,
    THREE_CALL,
    COGNITO_CALLS,
    *lambda_first_event.ROWS,
    *(CONCURRENT.format(kind=k, n=n) for k in KINDS for n in NS),
    CLI_MEMORY,
    DYNAMO_2,
    DYNAMO_3,
    LOGINID_2,
    LOGINID_3,
)


def deploy_trivial(endpoint: str, name: str) -> tuple[str, str]:
    """A user pool whose Define/Create/Verify do nothing; returns (pool id, client id)."""
    import platform

    from cognito_passkey.local.deploy import client, lambda_runtime

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.write(Path(__file__).parent / "trivial" / "triggers.py", "triggers.py")
    lambdas, idp = client(endpoint, "lambda"), client(endpoint, "cognito-idp")
    runtime = lambda_runtime(".".join(platform.python_version_tuple()[:2]))
    arns = {}
    for trigger in ("define", "create", "verify"):
        made = lambdas.create_function(
            FunctionName=f"{name}-{trigger}",
            Runtime=runtime,
            Role="arn:aws:iam::000000000000:role/bench-trivial",
            Handler=f"triggers.{trigger}",
            Code={"ZipFile": code.getvalue()},
            Timeout=5,
        )
        arns[trigger] = made["FunctionArn"]
    pool = idp.create_user_pool(
        PoolName=name,
        LambdaConfig={
            "DefineAuthChallenge": arns["define"],
            "CreateAuthChallenge": arns["create"],
            "VerifyAuthChallengeResponse": arns["verify"],
        },
    )["UserPool"]["Id"]
    app = idp.create_user_pool_client(
        UserPoolId=pool, ClientName=name, ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool, Username="trivial-user", MessageAction="SUPPRESS")
    return pool, app


def trivial_sign_in(idp: Any, client_id: str) -> None:
    """The bare 2-round CUSTOM_AUTH: InitiateAuth, then one answer that is accepted."""
    started = idp.initiate_auth(
        ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "trivial-user"}
    )
    done = idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": "trivial-user", "ANSWER": "ANY"},
    )
    if "AuthenticationResult" not in done:
        raise RuntimeError("the do-nothing sign-in issued no tokens")


# Users with passkeys ----------------------------------------------------------------------


def make_client(deployment: Any, store: Any = None) -> Any:
    from cognito_passkey.authenticator import SoftAuthenticator

    return deployment.passkey_client(SoftAuthenticator(store))


def enrol(client: Any, username: str) -> None:
    """Create ``username`` and register a passkey for it in ``client``'s authenticator."""
    from cognito_passkey.client.passwords import generate_password

    password = generate_password()
    client.api.call("sign_up", ClientId=client.client_id, Username=username, Password=password)
    client.api.call("admin_confirm_sign_up", UserPoolId=client.user_pool_id, Username=username)
    first = client.sign_in_password(username, password)
    del password
    client.add_passkey(username, first.id_token)


def stored_counters(endpoint: str, table: str) -> dict[str, int]:
    """The server's signature counter of each user's passkey (user name -> count)."""
    from cognito_passkey.local.deploy import client

    dynamodb = client(endpoint, "dynamodb")
    counters: dict[str, int] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            if "sign_count" in item and item["pk"]["S"].startswith("USER#"):
                user = item["pk"]["S"][len("USER#") :]
                counters[user] = max(counters.get(user, 0), int(item["sign_count"]["N"]))
    return counters


def _process_worker(
    settings: dict[str, Any], store_path: str, username: str, count: int, ready: Any, results: Any
) -> None:
    from cognito_passkey.authenticator.soft import FileCredentialStore
    from cognito_passkey.local.deploy import Deployment

    deployment = Deployment.from_dict(settings)
    client = make_client(deployment, FileCredentialStore(store_path))
    client.fast_signin = True
    ready.wait()
    results.put(_sign_ins(client, username, count))


def error_cause(exc: BaseException) -> str:
    """``exc`` and what raised it (the ``__cause__`` chain), by type and message: the
    client's error names what failed, the chain says where (Cognito's code, botocore)."""
    links: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(links) < 4:
        links.append(f"{type(seen).__name__}: {str(seen)[:200]}")
        seen = seen.__cause__
    return " <- ".join(links)


def by_cause(failures: list[str]) -> str:
    """Every distinct failure with its count, most frequent first."""
    return "; ".join(f"{n}x {cause}" for cause, n in collections.Counter(failures).most_common())


def _sign_ins(client: Any, username: str, count: int) -> tuple[list[float], list[str]]:
    latencies, errors = [], []
    for _ in range(count):
        began = time.perf_counter()
        try:
            client.sign_in_passkey(username)
        except Exception as exc:  # counted: the figure is "errors (must be 0)"
            errors.append(error_cause(exc))
            continue
        latencies.append(time.perf_counter() - began)
    return latencies, errors


def enrol_workers(deployment: Any, folder: Path, count: int) -> list[tuple[str, Any]]:
    """``count`` users, each with a passkey in a file store of its own."""
    from cognito_passkey.authenticator.soft import FileCredentialStore

    users = []
    for i in range(count):
        user, store = f"bench-worker-{i}", FileCredentialStore(folder / f"worker-{i}.json")
        enrol(make_client(deployment, store), user)
        users.append((user, store))
    return users


WARM_ROUNDS = 3


def warm_pool(workers_users: list[tuple[str, Any]], deployment: Any) -> list[str]:
    """Side-by-side sign-ins, untimed, until one round has no error (at most
    :data:`WARM_ROUNDS`); returns the failures seen.

    The emulator starts a Lambda worker per concurrent invocation; on a loaded machine a
    cold worker's first event can outlast the functions' 5 s timeout (Cognito's trigger
    limit, which AWS meets by retrying a timed-out trigger). The concurrent figure is the
    warm pool's; the cold starts it needed are reported beside it, by cause.
    """
    clients = [make_client(deployment, store) for _, store in workers_users]
    users = [user for user, _ in workers_users]
    seen: list[str] = []
    for _ in range(WARM_ROUNDS):
        failed = _one_each(clients, users)
        seen += [failure.split(" <- ")[0] for failure in failed]  # the client's error says it
        if not failed:
            break
    return seen


def _one_each(clients: list[Any], users: list[str]) -> list[str]:
    """One 2-call sign-in per client, all started together; the failures."""
    failures: list[str] = []
    lock = threading.Lock()

    def one(client: Any, user: str) -> None:
        client.fast_signin = True
        _, failed = _sign_ins(client, user, 1)
        with lock:
            failures.extend(failed)

    threads = [threading.Thread(target=one, args=pair) for pair in zip(clients, users, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def concurrent(
    kind: str,
    workers_users: list[tuple[str, Any]],
    per_worker: int,
    deployment: Any,
    table_name: str,
) -> Figure:
    """One worker per user (each its own passkey), ``per_worker`` 2-call sign-ins each."""
    n = len(workers_users)
    users = [user for user, _ in workers_users]
    stores = [store for _, store in workers_users]
    cold = warm_pool(workers_users, deployment)
    before = stored_counters(deployment.endpoint, table_name)
    outcomes: list[tuple[list[float], list[str]]] = []
    started = 0.0
    if kind == "threads":
        clients = [make_client(deployment, store) for store in stores]
        barrier = threading.Barrier(n + 1)
        lock = threading.Lock()

        def work(client: Any, user: str) -> None:
            client.fast_signin = True
            barrier.wait()
            outcome = _sign_ins(client, user, per_worker)
            with lock:
                outcomes.append(outcome)

        threads = [
            threading.Thread(target=work, args=(c, u)) for c, u in zip(clients, users, strict=True)
        ]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
    else:
        context = multiprocessing.get_context("spawn")
        ready, results = context.Barrier(n + 1), context.Queue()
        workers = [
            context.Process(
                target=_process_worker,
                args=(deployment.to_dict(), str(store.path), user, per_worker, ready, results),
            )
            for user, store in zip(users, stores, strict=True)
        ]
        for worker in workers:
            worker.start()
        ready.wait()
        started = time.perf_counter()
        outcomes = [results.get(timeout=600) for _ in workers]
        for worker in workers:
            worker.join()
    elapsed = time.perf_counter() - started
    latencies = [s for lat, _ in outcomes for s in lat]
    failures = [e for _, errs in outcomes for e in errs]
    errors = len(failures)
    after = stored_counters(deployment.endpoint, table_name)
    # Every sign-in that succeeded moved the server's counter, to the key's own count.
    lost = sum(
        1
        for user, store in zip(users, stores, strict=True)
        if after.get(user, -1) != store.list_credentials()[0].sign_count
        or after.get(user, 0) - before.get(user, 0) < per_worker - errors
    )
    p50 = percentile(latencies, 0.5) * 1000 if latencies else float("nan")
    p95 = percentile(latencies, 0.95) * 1000 if latencies else float("nan")
    return Figure(
        CONCURRENT.format(kind=kind, n=n),
        f"{len(latencies) / elapsed:.1f} sign-ins/s, p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
        f"{errors} errors, {lost} counters off"
        + (f" (errors by cause: {by_cause(failures)})" if failures else "")
        + (f"; untimed warm-up of the emulator's Lambda pool: {by_cause(cold)}" if cold else ""),
        "-",
        None,
        "0 errors, no lost counter update",
        errors == 0 and lost == 0,
    )


def cli_memory(deployment: Any, folder: Path) -> Figure:
    """Peak RSS of one ``cognito-passkey sign-in`` (soft key on file), vs ``import boto3``."""
    from cognito_passkey.authenticator.soft import FileCredentialStore
    from cognito_passkey.client.config import write_profile
    from cognito_passkey.local.server import DUMMY_CREDENTIALS

    store = folder / "cli-key.json"
    enrol(make_client(deployment, FileCredentialStore(store)), "bench-cli")
    env = {
        "COGNITO_PASSKEY_CONFIG": str(folder / "config.ini"),
        "COGNITO_PASSKEY_CACHE_DIR": str(folder / "cache"),
        **DUMMY_CREDENTIALS,
    }
    write_profile("bench", deployment.profile_settings(), path=env["COGNITO_PASSKEY_CONFIG"])
    argv = [
        "cognito-passkey",
        "sign-in",
        "bench-cli",
        "--profile",
        "bench",
        "--no-cache",
        "--authenticator",
        f"soft:{store}",
    ]
    code = (
        f"import sys\nsys.argv = {argv!r}\n"
        "from cognito_passkey.client.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n"
        "    if exit.code:\n        raise\n"
    )
    measured = peak_rss_mib(code, env=env)
    baseline = peak_rss_mib("import boto3")
    return Figure(
        CLI_MEMORY,
        f"{measured:.0f} MiB",
        f'{baseline:.0f} MiB (`python -c "import boto3"`)',
        measured / baseline,
        "report",
        None,
    )


@contextmanager
def local_aws() -> Iterator[Any]:
    from cognito_passkey.local import LocalAws

    with tempfile.TemporaryDirectory(prefix="bench-signin-") as folder:
        aws = LocalAws(folder, stop_with_parent=True)
        aws.start()
        try:
            yield aws
        finally:
            aws.stop()  # by the PID it recorded


def figures(count: int, per_worker: int) -> list[Figure]:
    from cognito_passkey.local import DeploySpec
    from cognito_passkey.local.deploy import client as aws_client
    from cognito_passkey.local.deploy import stack_outputs

    header("sign-in through the local AWS")
    rows: list[Figure] = []
    with local_aws() as aws, tempfile.TemporaryDirectory(prefix="bench-users-") as users:
        began = time.perf_counter()
        deployment = aws.deploy(DeploySpec(stack_name="bench"))
        outputs = stack_outputs(aws.endpoint, "bench") or {}
        table_name = next((v for k, v in outputs.items() if "table" in k.lower()), "")
        _pool, trivial_client = deploy_trivial(aws.endpoint, "bench-trivial")
        print(
            f"local AWS up, stacks deployed in {time.perf_counter() - began:.1f} s", file=sys.stderr
        )
        idp = aws_client(aws.endpoint, "cognito-idp")
        client = make_client(deployment)
        operations: list[str] = []
        client.api.client.meta.events.register(
            "before-call", lambda model, **_: operations.append(model.name)
        )
        enrol(client, "bench-user")
        _progress("user enrolled; warming the Lambdas")
        for fast in (True, False, True, False):  # warm every Lambda
            client.fast_signin = fast
            client.sign_in_passkey("bench-user")
        trivial_sign_in(idp, trivial_client)
        _progress(f"timing {count} sign-ins of each kind")

        samples: dict[str, list[float]] = {"2": [], "3": [], "trivial": []}
        cognito: dict[str, set[int]] = {"2": set(), "3": set()}
        for _ in range(count):
            for dialect in ("2", "3"):
                client.fast_signin = dialect == "2"
                mark = len(operations)
                t = time.perf_counter()
                client.sign_in_passkey("bench-user")
                samples[dialect].append(time.perf_counter() - t)
                cognito[dialect].add(len(operations) - mark)
            t = time.perf_counter()
            trivial_sign_in(idp, trivial_client)
            samples["trivial"].append(time.perf_counter() - t)

        import statistics

        two, three, bare = (statistics.median(samples[k]) * 1000 for k in ("2", "3", "trivial"))
        rows.append(ratio_figure(TWO_CALL, two, bare, "do-nothing 2-round CUSTOM_AUTH", limit=1.15))
        rows.append(ratio_figure(THREE_CALL, three, two, "2-call"))
        rows.append(
            Figure(
                COGNITO_CALLS,
                f"{'/'.join(map(str, sorted(cognito['2'])))} / "
                f"{'/'.join(map(str, sorted(cognito['3'])))}",
                "-",
                None,
                "2 / 3",
                cognito["2"] == {2} and cognito["3"] == {3},
            )
        )
        _progress("first invocations of Create and Verify")
        rows += lambda_first_event.figures(
            aws.endpoint, "bench", deployment, client, "bench-user", repeat=max(2, count // 5)
        )
        _progress(f"enrolling {max(NS)} users for the concurrent sign-ins")
        workers = enrol_workers(deployment, Path(users), max(NS))
        for kind in KINDS:
            for n in NS:
                _progress(f"concurrent sign-ins: {n} {kind}")
                rows.append(concurrent(kind, workers[:n], per_worker, deployment, table_name))
        rows.append(cli_memory(deployment, Path(users)))
        dynamo = dynamodb_requests(aws.endpoint, client)
        for row, dialect in ((DYNAMO_2, "2"), (DYNAMO_3, "3")):
            per = dynamo.get(dialect)
            if per is None:
                rows.append(not_run(row, "the Lambdas did not answer through the proxy", "<= 2"))
                continue
            ops = ", ".join(f"{k} {v}" for k, v in sorted(per.items())) or "none seen"
            total = sum(per.values())
            rows.append(
                Figure(
                    row,
                    f"{total} ({ops})",
                    "2 (one credential read + one conditional write)" if dialect == "2" else "-",
                    None,
                    "<= 2" if dialect == "2" else "report",
                    total <= 2 if dialect == "2" else None,
                )
            )
        _progress("LoginID requests per sign-in")
        rows += loginid_requests(aws)
    return rows


def loginid_requests(aws: Any) -> list[Figure]:
    """The HTTP requests the deployed Lambdas make to the LoginID API during one sign-in of
    each dialect, as the LoginID-compatible loopback server (tests/loginid_server.py)
    records them. Two are needed: authentication init and complete."""
    from cognito_passkey.local import DeploySpec

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from loginid_server import loginid_server

    rows = []
    with loginid_server(rp_id="localhost", origins=("https://localhost",)) as service:
        deployment = aws.deploy(
            DeploySpec(
                backend="loginid",
                stack_name="bench-loginid",
                rp_id="localhost",
                origins=("https://localhost",),
                loginid_base_url=service.base_url,
                loginid_private_key=service.tenant_key_pem,
            )
        )
        client = make_client(deployment)
        enrol(client, "bench-loginid-user")
        for row, fast in ((LOGINID_2, True), (LOGINID_3, False)):
            client.fast_signin = fast
            client.sign_in_passkey("bench-loginid-user")  # warm: the secret is read once
            before = len(service.requests)
            client.sign_in_passkey("bench-loginid-user")
            paths = collections.Counter(path for _method, path in service.requests[before:])
            listed = ", ".join(f"{path} {n}" for path, n in sorted(paths.items()))
            rows.append(
                Figure(
                    row,
                    f"{sum(paths.values())} ({listed})",
                    "2 (auth/init + auth/complete)",
                    None,
                    "report",
                    None,
                )
            )
    return rows


def dynamodb_requests(endpoint: str, client: Any) -> dict[str, collections.Counter[str]]:
    """The Lambdas' DynamoDB requests during one sign-in of each dialect, counted by a
    proxy the functions are pointed at last (so it cannot slow the timed sign-ins). A
    dialect whose sign-in does not finish within 60 s is left out."""
    from cognito_passkey.local.deploy import client as aws_client
    from cognito_passkey.local.request_counter import dynamodb_counted

    resources = aws_client(endpoint, "cloudformation").list_stack_resources(StackName="bench")
    functions = [
        r["PhysicalResourceId"]
        for r in resources["StackResourceSummaries"]
        if r["ResourceType"] == "AWS::Lambda::Function"
    ]
    counted: dict[str, collections.Counter[str]] = {}
    with dynamodb_counted(endpoint, functions) as proxy:
        for dialect in ("2", "3"):
            client.fast_signin = dialect == "2"
            for attempt in ("warm", "count"):
                seen = proxy.snapshot()
                worker = threading.Thread(
                    target=client.sign_in_passkey, args=("bench-user",), daemon=True
                )
                worker.start()
                worker.join(60)
                if worker.is_alive():
                    return counted
                if attempt == "count":
                    counted[dialect] = proxy.snapshot() - seen
    return counted


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def offline_rows() -> list[Figure]:
    return [not_run(row, "--offline") for row in ROWS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=30, help="sign-ins per dialect")
    parser.add_argument("--per-worker", type=int, default=5)
    args = parser.parse_args()
    print(table(figures(args.count, args.per_worker)))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
