"""Benchmarks: every figure of the speed table beside its baseline from the same run.

``python -m benchmarks`` (or ``bash scripts/bench.sh``) runs them all and prints one table;
each module also runs alone (``python -m benchmarks.soft_authenticator``). They assert
nothing about time; the test suite only checks that the table has every row.
"""
