"""Passkey sign-in latency through the local AWS: the 2-call dialect (fast sign-in) against
the original 3-call dialect, on one stack (the client chooses the dialect), with the Cognito
calls each sign-in makes.

    python benchmarks/signin_latency.py [--count 30]

Starts a local AWS of its own in a temporary directory (stopped and removed at the end),
deploys the self-hosted template, creates one user with a passkey in an in-memory software
authenticator, warms the Lambdas, then alternates the dialects so both see the same load.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from typing import Any

from _bench import header, row, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=30, help="sign-ins per dialect")
    args = parser.parse_args()
    from cognito_passkey.authenticator import SoftAuthenticator
    from cognito_passkey.client import PasskeyClient
    from cognito_passkey.client.passwords import generate_password
    from cognito_passkey.local import DeploySpec, LocalAws
    from cognito_passkey.local.deploy import session

    header("passkey sign-in latency through the local AWS")
    with tempfile.TemporaryDirectory(prefix="bench-signin-") as folder:
        aws = LocalAws(folder, stop_with_parent=True)
        started = time.perf_counter()
        aws.start()
        try:
            deployment = aws.deploy(DeploySpec(stack_name="bench"))
            print(f"local AWS up and stack deployed in {time.perf_counter() - started:.1f} s")
            client = PasskeyClient(
                user_pool_id=deployment.user_pool_id,
                client_id=deployment.client_id,
                endpoint_url=deployment.endpoint,
                rp_id=deployment.rp_id,
                origin=deployment.origin,
                authenticator=SoftAuthenticator(),
                boto_session=session(),
            )
            operations: list[str] = []

            def record(model: Any, **_kwargs: Any) -> None:
                operations.append(model.name)

            client.api.client.meta.events.register("before-call", record)
            username = "bench-user"
            password = generate_password()
            client.api.call(
                "sign_up", ClientId=client.client_id, Username=username, Password=password
            )
            client.api.call(
                "admin_confirm_sign_up", UserPoolId=client.user_pool_id, Username=username
            )
            first = client.sign_in_password(username, password)
            del password
            client.add_passkey(username, first.id_token)
            for fast in (True, False, True, False):  # warm every Lambda
                client.fast_signin = fast
                client.sign_in_passkey(username)

            samples: dict[bool, list[float]] = {True: [], False: []}
            calls: dict[bool, list[int]] = {True: [], False: []}
            for _ in range(args.count):
                for fast in (True, False):
                    client.fast_signin = fast
                    mark = len(operations)
                    began = time.perf_counter()
                    client.sign_in_passkey(username)
                    samples[fast].append(time.perf_counter() - began)
                    calls[fast].append(len(operations) - mark)
        finally:
            aws.stop()

    two, three = summary(samples[True]), summary(samples[False])
    print(row("2-call dialect (fast sign-in)", two))
    print(row("3-call dialect (original)", three, two["median_ms"]))
    for fast, label in ((True, "2-call"), (False, "3-call")):
        counts = sorted(set(calls[fast]))
        print(f"{label}: Cognito calls per sign-in: {', '.join(map(str, counts))}")
    print(
        f"({args.count} sign-ins per dialect, alternating, after a warm-up; "
        "ratio = 3-call median / 2-call median)"
    )


if __name__ == "__main__":
    main()
