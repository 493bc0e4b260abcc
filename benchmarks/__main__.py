"""Run every benchmark and print one table (Markdown on stdout, progress on stderr).

    python -m benchmarks [--quick] [--offline]

``--quick``: few repeats (a smoke run of about a minute); ``--offline``: only the figures
that need no local AWS (the others are listed as not run).
"""

from __future__ import annotations

import argparse
import sys

from . import cli_startup, lambda_cold_start, signin, soft_authenticator
from ._bench import Figure, machine, table


def collect(*, quick: bool, offline: bool) -> list[Figure]:
    rows: list[Figure] = []
    rows += cli_startup.figures(repeat=3 if quick else 20)
    rows += soft_authenticator.figures(
        seconds=0.7 if quick else 3.0, updates=100 if quick else 1000
    )
    rows += lambda_cold_start.figures(repeat=2 if quick else 10)
    if offline:
        rows += signin.offline_rows()
    else:
        rows += signin.figures(count=3 if quick else 30, per_worker=2 if quick else 5)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few repeats (smoke run)")
    parser.add_argument("--offline", action="store_true", help="skip what needs the local AWS")
    args = parser.parse_args(argv)
    rows = collect(quick=args.quick, offline=args.offline)
    print(f"Measured on {machine()}{' (--quick)' if args.quick else ''}; medians.")
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
