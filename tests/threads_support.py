"""Running work on threads started together, collecting every error (not only the first)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable


def side_by_side(count: int, work: Callable[[int], object]) -> Counter[str]:
    """Run ``work(i)`` on ``count`` threads started together; every error, by type and text."""
    barrier = threading.Barrier(count)
    errors: Counter[str] = Counter()
    lock = threading.Lock()

    def run(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except Exception as exc:  # every failure is the finding, not only the first
            with lock:
                errors[f"{type(exc).__name__}: {exc}"] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not any(thread.is_alive() for thread in threads)
    return errors
