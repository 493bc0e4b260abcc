"""What the benchmarks share: timing, percentiles, one way of printing figures."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def summary(samples: Sequence[float]) -> dict[str, float]:
    """Median, p90, min and mean of timings in seconds, as milliseconds."""
    return {
        "median_ms": statistics.median(samples) * 1000,
        "p90_ms": percentile(samples, 0.9) * 1000,
        "min_ms": min(samples) * 1000,
        "mean_ms": statistics.fmean(samples) * 1000,
    }


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    """Wall times (seconds) of ``repeat`` runs of ``action``."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def run_process(
    command: Sequence[str], *, env: Mapping[str, str] | None = None, repeat: int
) -> list[float]:
    """Wall times of ``repeat`` runs of ``command`` (each must exit 0)."""
    environment = {**os.environ, **(env or {})}

    def once() -> None:
        subprocess.run(
            command, env=environment, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    once()  # warm the page cache; not counted
    return timed(once, repeat)


def row(label: str, figures: Mapping[str, float], baseline: float | None = None) -> str:
    """One printed line: label, median, p90, and the ratio of the median to ``baseline``."""
    line = f"{label:<44} median {figures['median_ms']:8.1f} ms   p90 {figures['p90_ms']:8.1f} ms"
    if baseline:
        line += f"   x{figures['median_ms'] / baseline:5.2f}"
    return line


def header(title: str) -> None:
    print(f"== {title} ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
