"""The software authenticator: assertions per second through python-fido2's ``Fido2Client``
(our CTAP path: client data, CTAP2 getAssertion, the soft device, the store) against raw
ECDSA P-256 signatures with ``cryptography`` (the floor), and the file store's signature
counter under 1 and 4 processes (with a check that no update was lost).

    python benchmarks/soft_authenticator.py [--seconds 3] [--updates 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _bench import header

RP_ID = "example.com"
ORIGIN = "https://example.com"


def rate(action: Callable[[], object], seconds: float) -> tuple[float, int]:
    """Calls per second of ``action`` over about ``seconds`` (after a short warm-up)."""
    for _ in range(5):
        action()
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        action()
        count += 1
    return count / elapsed, count


def raw_ecdsa(seconds: float) -> float:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    message = b"\x01" * 37 + b"\x02" * 32  # authenticatorData + clientDataHash, like an assertion
    per_second, _ = rate(lambda: key.sign(message, ec.ECDSA(hashes.SHA256())), seconds)
    return per_second


def registered(store: Any) -> tuple[Any, Any, Any]:
    """A software authenticator on ``store`` with one passkey, and a verifying server."""
    from cognito_passkey.authenticator import SoftAuthenticator
    from fido2.server import Fido2Server
    from fido2.webauthn import PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity

    server = Fido2Server(PublicKeyCredentialRpEntity(id=RP_ID, name="Bench"))
    authenticator = SoftAuthenticator(store, origin=ORIGIN)
    options, state = server.register_begin(
        PublicKeyCredentialUserEntity(id=b"bench-user", name="bench", display_name="Bench")
    )
    created = authenticator.create(dict(options), origin=ORIGIN, rp_id=RP_ID)
    credential = server.register_complete(state, created).credential_data
    return authenticator, server, credential


def assertions(store: Any, seconds: float) -> tuple[float, int]:
    authenticator, server, credential = registered(store)
    options, state = server.authenticate_begin([credential])
    request = dict(options)
    # One verification by an independent server shows the assertions are real.
    server.authenticate_complete(
        state, [credential], authenticator.get(request, origin=ORIGIN, rp_id=RP_ID)
    )
    return rate(lambda: authenticator.get(request, origin=ORIGIN, rp_id=RP_ID), seconds)


def _bump(path: str, credential_id: bytes, count: int, ready: Any) -> None:
    from cognito_passkey.authenticator.soft import FileCredentialStore

    store = FileCredentialStore(path)
    store.check()
    ready.wait()  # every writer started and imported: the timed part begins together
    for _ in range(count):
        store.next_sign_count(credential_id)


def counter_updates(total: int, processes: int) -> tuple[float, bool]:
    """Counter updates per second with ``processes`` writers sharing ``total``; none lost?"""
    from cognito_passkey.authenticator.soft import FileCredentialStore

    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        path = str(Path(folder) / "store.json")
        store = FileCredentialStore(path)
        registered(store)
        credential = store.list_credentials(RP_ID)[0]
        start_count = credential.sign_count
        context = multiprocessing.get_context("spawn")
        ready = context.Barrier(processes + 1)
        each = total // processes
        workers = [
            context.Process(target=_bump, args=(path, credential.credential_id, each, ready))
            for _ in range(processes)
        ]
        for worker in workers:
            worker.start()
        ready.wait()
        started = time.perf_counter()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        if any(worker.exitcode != 0 for worker in workers):
            raise SystemExit("a writer process failed")
        final = store.get_credential(credential.credential_id)
        done = (total // processes) * processes
        intact = final is not None and final.sign_count == start_count + done
        return done / elapsed, intact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--updates", type=int, default=1000)
    args = parser.parse_args()
    from cognito_passkey.authenticator.soft import FileCredentialStore, MemoryCredentialStore

    header("software authenticator")
    baseline = raw_ecdsa(args.seconds)
    print(f"{'raw ECDSA P-256 sign (baseline)':<46} {baseline:9.0f} /s")
    memory, _ = assertions(MemoryCredentialStore(), args.seconds)
    print(
        f"{'assertion via Fido2Client, memory store':<46} {memory:9.0f} /s"
        f"   {baseline / memory:6.1f}x the cost of a raw sign"
    )
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        on_file, _ = assertions(FileCredentialStore(Path(folder) / "store.json"), args.seconds)
    print(
        f"{'assertion via Fido2Client, file store':<46} {on_file:9.0f} /s"
        f"   {baseline / on_file:6.1f}x the cost of a raw sign"
    )
    one, intact_one = counter_updates(args.updates, 1)
    print(
        f"{'file store counter update, 1 process':<46} {one:9.0f} /s   no update lost: {intact_one}"
    )
    four, intact_four = counter_updates(args.updates, 4)
    print(
        f"{'file store counter update, 4 processes':<46} {four:9.0f} /s   no update lost: "
        f"{intact_four}   x{four / one:4.2f} the 1-process rate"
    )
    print(
        f"(rates over ~{args.seconds:g} s each; counter: {args.updates} updates in total, "
        "each a locked read-modify-fsync-rename of the file; timed once every writer is ready)"
    )


if __name__ == "__main__":
    main()
