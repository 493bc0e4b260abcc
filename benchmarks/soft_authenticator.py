"""The software authenticator: assertions through the whole client path
(``SoftAuthenticator.get``: WebAuthn JSON, python-fido2's ``Fido2Client``, CTAP2
getAssertion, the soft device, the store) against raw ECDSA P-256 signatures with
``cryptography`` (the floor), measured in alternating slices so both see the same load;
and the file store's signature counter under 1 and 4 processes, with a check that no
update was lost.

    python -m benchmarks.soft_authenticator [--seconds 3] [--updates 1000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._bench import Figure, header, table

RP_ID = "example.com"
ORIGIN = "https://example.com"
RAW = "raw ECDSA P-256 sign"
MEMORY = "soft assertion, whole client path, memory store"
FILE = "soft assertion, whole client path, file store"
FIDO2_ALONE = "python-fido2 client alone, soft device's answers replayed"
FLOOR = "durable atomic replace of a store-sized file (file store floor)"
BOTH = "memory-store assertion and one durable replace, in one call"
COUNTER_1 = "file store counter updates, 1 process"
COUNTER_4 = "file store counter updates, 4 processes"
ROWS = (MEMORY, FIDO2_ALONE, FILE, FLOOR, BOTH, COUNTER_1, COUNTER_4)


def _per_call(action: Callable[[], object], seconds: float) -> float:
    """Seconds per call of ``action`` over a slice of about ``seconds``."""
    count = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds or count < 3:
        action()
        count += 1
    return elapsed / count


def alternating(
    actions: dict[str, Callable[[], object]], seconds: float, slices: int = 7
) -> dict[str, float]:
    """Median seconds per call of each action, over ``slices`` slices taken in turn."""
    for action in actions.values():
        for _ in range(3):
            action()  # warm-up
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(slices):
        for name, action in actions.items():
            samples[name].append(_per_call(action, seconds / slices))
    return {name: statistics.median(values) for name, values in samples.items()}


def raw_sign() -> Callable[[], object]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    message = b"\x01" * 37 + b"\x02" * 32  # authenticatorData + clientDataHash, like an assertion
    algorithm = ec.ECDSA(hashes.SHA256())
    return lambda: key.sign(message, algorithm)


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


def assertion(store: Any) -> Callable[[], object]:
    authenticator, server, credential = registered(store)
    options, state = server.authenticate_begin([credential])
    request = dict(options)
    # One verification by an independent server shows the assertions are real.
    server.authenticate_complete(
        state, [credential], authenticator.get(request, origin=ORIGIN, rp_id=RP_ID)
    )
    return lambda: authenticator.get(request, origin=ORIGIN, rp_id=RP_ID)


def fido2_alone() -> Callable[[], object]:
    """python-fido2's own share of an assertion: its ``Fido2Client`` (kept per device, as
    ours is) runs the same getAssertion flow against a device that answers each command
    with what the soft device answered in a recorded ceremony, at no cost. No WebAuthn JSON,
    no origin check, no soft device: what is left when everything of ours is free."""
    from cognito_passkey.authenticator.fido2_cache import DeviceClient
    from cognito_passkey.authenticator.soft import MemoryCredentialStore
    from fido2.client import DefaultClientDataCollector, UserInteraction
    from fido2.ctap import CtapDevice

    authenticator, server, credential = registered(MemoryCredentialStore())
    real = authenticator.device
    answers: dict[tuple[int, bytes], list[bytes]] = {}
    seen: dict[tuple[int, bytes], int] = {}
    recording = [True]

    class Replay(CtapDevice):
        capabilities = real.capabilities

        def call(
            self, cmd: int, data: bytes = b"", event: Any = None, on_keepalive: Any = None
        ) -> bytes:
            key = (cmd, bytes(data[:1]))  # the CTAP command byte; answers in recorded order
            if recording[0]:
                answer: bytes = real.call(cmd, data, event, on_keepalive)
                answers.setdefault(key, []).append(answer)
                return answer
            count = seen[key] = seen.get(key, 0) + 1
            recorded = answers[key]
            return recorded[(count - 1) % len(recorded)]

        @classmethod
        def list_devices(cls) -> Any:
            return iter(())

    kept = DeviceClient(Replay())
    collector = DefaultClientDataCollector(ORIGIN)
    options, _state = server.authenticate_begin([credential])

    def once() -> None:
        seen.clear()
        client = kept.for_ceremony(collector, UserInteraction())
        client.get_assertion(options.public_key).get_response(0)

    once()  # a new client reads GetInfo once more; record a steady ceremony next
    answers.clear()
    once()
    recording[0] = False
    return once


def durable_replace(path: Path) -> Callable[[], object]:
    """One write of the file store's own kind (temporary file, fsync, rename, fsync of the
    folder) of a file as large as the store at ``path``: what each assertion must write."""
    from cognito_passkey.authenticator._files import write_atomically

    data = path.read_bytes()
    target = path.with_name("floor.json")
    return lambda: write_atomically(target, data)


def both(store_path: Path) -> Callable[[], object]:
    """A memory-store assertion followed by the floor's write, as one action: what a file
    store would cost if its own code were free. More than the two rows added up, as the
    process sleeps in each fsync and resumes with cold caches."""
    from cognito_passkey.authenticator.soft import MemoryCredentialStore

    sign = assertion(MemoryCredentialStore())
    write = durable_replace(store_path)
    return lambda: (sign(), write())


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
        done = each * processes
        intact = final is not None and final.sign_count == start_count + done
        return done / elapsed, intact


def figures(seconds: float, updates: int) -> list[Figure]:
    from cognito_passkey.authenticator.soft import FileCredentialStore, MemoryCredentialStore

    header("software authenticator")
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        store_path = Path(folder) / "store.json"
        file_assertion = assertion(FileCredentialStore(store_path))
        costs = alternating(
            {
                RAW: raw_sign(),
                MEMORY: assertion(MemoryCredentialStore()),
                FIDO2_ALONE: fido2_alone(),
                FILE: file_assertion,
                FLOOR: durable_replace(store_path),
                BOTH: both(store_path),
            },
            seconds,
        )
    raw = costs[RAW]
    rows = []
    for name, limit in ((MEMORY, 25.0), (FILE, 60.0)):
        ratio = costs[name] / raw
        rows.append(
            Figure(
                name,
                f"{costs[name] * 1e3:.2f} ms ({1 / costs[name]:.0f}/s)",
                f"{raw * 1e6:.0f} us ({RAW})",
                ratio,
                f"<= {limit:g}x",
                ratio <= limit,
            )
        )
    alone = costs[FIDO2_ALONE]
    rows.insert(
        1,
        Figure(
            FIDO2_ALONE,
            f"{alone * 1e3:.2f} ms; memory store = this x {costs[MEMORY] / alone:.2f}",
            f"{raw * 1e6:.0f} us ({RAW})",
            alone / raw,
        ),
    )
    floor = costs[FLOOR]
    rows.append(
        Figure(
            FLOOR,
            f"{floor * 1e3:.2f} ms; file store = floor x {costs[FILE] / floor:.2f}",
            f"{raw * 1e6:.0f} us ({RAW})",
            floor / raw,
        )
    )
    rows.append(
        Figure(
            BOTH,
            f"{costs[BOTH] * 1e3:.2f} ms; file store = this x {costs[FILE] / costs[BOTH]:.2f}",
            f"{raw * 1e6:.0f} us ({RAW})",
            costs[BOTH] / raw,
        )
    )
    one, intact_one = counter_updates(updates, 1)
    four, intact_four = counter_updates(updates, 4)
    rows.append(Figure(COUNTER_1, f"{one:.0f}/s", "-", None, "no update lost", intact_one))
    rows.append(
        Figure(
            COUNTER_4,
            f"{four:.0f}/s",
            f"{one:.0f}/s (1 process)",
            four / one,
            "no update lost",
            intact_four,
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--updates", type=int, default=1000)
    args = parser.parse_args()
    print(table(figures(args.seconds, args.updates)))


if __name__ == "__main__":
    main()
