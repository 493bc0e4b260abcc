"""What the benchmarks share: timing, percentiles, child-process measurements, and the
one table every figure ends up in."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def summary(samples: Sequence[float]) -> dict[str, float]:
    """Median, p90, p95, min and mean of timings in seconds, as milliseconds."""
    return {
        "median_ms": statistics.median(samples) * 1000,
        "p90_ms": percentile(samples, 0.9) * 1000,
        "p95_ms": percentile(samples, 0.95) * 1000,
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


def interleaved(
    commands: Mapping[str, Sequence[str]], *, env: Mapping[str, str] | None = None, repeat: int
) -> dict[str, list[float]]:
    """Wall times of each command, run in turn ``repeat`` times, so all see the same load."""
    environment = {**os.environ, **(env or {})}
    samples: dict[str, list[float]] = {name: [] for name in commands}

    def once(command: Sequence[str]) -> float:
        started = time.perf_counter()
        subprocess.run(
            command, env=environment, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        return time.perf_counter() - started

    for command in commands.values():
        once(command)  # warm the page cache; not counted
    for _ in range(repeat):
        for name, command in commands.items():
            samples[name].append(once(command))
    return samples


PEAK_PROBE = """
def _peak_mib():
    # VmHWM belongs to this process's own memory map (reset by exec); ru_maxrss would also
    # count the parent's pages copied by fork before the exec.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource, sys
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024
"""


def peak_rss_mib(code: str, *, env: Mapping[str, str] | None = None) -> float:
    """Peak resident set size (MiB) of a fresh interpreter running ``code``."""
    program = PEAK_PROBE + code + "\nimport sys\nprint('PEAK', _peak_mib(), file=sys.stderr)\n"
    done = subprocess.run(
        [sys.executable, "-c", program],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("PEAK ")]
    if not peaks:
        raise RuntimeError(f"the measured program failed: {done.stderr[-400:]}")
    return float(peaks[-1])


@dataclass(frozen=True)
class Figure:
    """One row of the table: a figure beside its baseline from the same run."""

    name: str
    measured: str
    baseline: str = "-"
    ratio: float | None = None
    target: str = "report"
    met: bool | None = None  # None: nothing to meet (reported only, or not run)

    @property
    def verdict(self) -> str:
        return "-" if self.met is None else ("yes" if self.met else "NO")


def ratio_figure(
    name: str,
    measured_ms: float,
    baseline_ms: float,
    baseline_label: str,
    *,
    limit: float | None = None,
    absolute_ms: float | None = None,
) -> Figure:
    """``measured / baseline`` against ``limit`` (and ``measured`` against ``absolute_ms``)."""
    ratio = measured_ms / baseline_ms if baseline_ms else math.inf
    targets = []
    met = None
    if limit is not None:
        targets.append(f"<= {limit:g}x")
        met = ratio <= limit
    if absolute_ms is not None:
        targets.append(f"<= {absolute_ms:g} ms")
        met = (met is not False) and measured_ms <= absolute_ms
    return Figure(
        name,
        _ms(measured_ms),
        f"{_ms(baseline_ms)} ({baseline_label})",
        ratio,
        " and ".join(targets) or "report",
        met,
    )


def not_run(name: str, why: str, target: str = "report") -> Figure:
    return Figure(name, f"not run ({why})", target=target)


def _ms(value: float) -> str:
    return f"{value:.3f} ms" if value < 1 else f"{value:.1f} ms"


def table(figures: Sequence[Figure]) -> str:
    """The figures as one Markdown table."""
    lines = [
        "| figure | measured | baseline | ratio | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}x"
        lines.append(
            f"| {f.name} | {f.measured} | {f.baseline} | {ratio} | {f.target} | {f.verdict} |"
        )
    return "\n".join(lines)


def machine() -> str:
    return f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.2f}"


def header(title: str) -> None:
    print(f"== {title} ({machine()})", file=sys.stderr)
