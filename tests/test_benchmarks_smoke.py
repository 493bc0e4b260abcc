"""The benchmark command runs and its table has every row (structure only, never times)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rows() -> tuple[list[str], list[str]]:
    """Every row of the table, and those that need the local AWS."""
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks import cli_startup, lambda_cold_start, signin, soft_authenticator
    finally:
        sys.path.remove(str(ROOT))
    rows = [*cli_startup.ROWS, *soft_authenticator.ROWS, *lambda_cold_start.ROWS, *signin.ROWS]
    return rows, list(signin.ROWS)


def test_quick_offline_run_prints_one_table_with_every_row() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("| ")]  # no rule row
    assert lines[0] == "| figure | measured | baseline | ratio | target | met? |"
    every, need_server = _rows()
    names = [line.split(" | ")[0].removeprefix("| ") for line in lines[1:]]
    assert names == every
    for line in lines[1:]:
        assert line.count(" | ") == 5, line  # six columns on every row
        assert ("not run (--offline)" in line) == (line.split(" | ")[0][2:] in need_server)
