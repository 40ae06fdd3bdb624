"""The printed table of the ledger benchmark.

The rule it keeps: a figure is never printed alone. The header gives the database and its
durability settings, the machine's cores and its 1-minute load average at the start, and the
run's size; throughputs show the median of one-second windows beside the mean; and where a
yardstick was measured in the same run (pgbench on PostgreSQL) the figure is also given as a
ratio of it, since only a ratio compares across runs on a shared, noisy machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import db

__all__ = ["Out", "Row", "print_table", "rate", "target", "workers"]

Out = Callable[[str], None]
"""Where a benchmark writes its progress and its table (``print`` by default)."""


@dataclass
class Row:
    """One figure of the table: what it is, its value, and the target it meets or misses."""

    label: str
    value: str
    target: str = ""


def rate(median: float, mean: float) -> str:
    return f"{median:,.0f}  (mean {mean:,.0f})"


def target(met: bool, wanted: str) -> str:
    return f"{wanted}: {'met' if met else 'MISSED'}"


def workers(n: int) -> str:
    return f"{n} worker" if n == 1 else f"{n} workers"


def print_table(
    out: Out,
    *,
    kind: db.Dialect,
    server: str,
    load: float,
    seconds: float,
    accounts: int,
    big: int,
    reads: int,
    rows: list[Row],
    notes: list[str],
    elapsed: float,
    errors: int,
) -> None:
    cores = os.cpu_count() or 0
    with_target = any(row.target for row in rows)
    label_width = max(len(row.label) for row in rows)
    value_width = max(len(row.value) for row in rows)
    header = f"{'figure':<{label_width}}  {'value':>{value_width}}"
    if with_target:
        header += "  target (PostgreSQL)"
    out("")
    out(f"Red Passbook ledger benchmark — {kind.value}")
    out(f"  database   {server}, scratch (never the one configured)")
    out(f"  machine    {cores} cores, shared and noisy (1-min load average {load:.2f} at start)")
    out(
        f"  run        {accounts:,} passbooks, {seconds:g} s per throughput figure, "
        f"{reads:,} reads per latency figure, {elapsed:.0f} s in all"
    )
    out("")
    out(header)
    out("-" * len(header))
    for row in rows:
        line = f"{row.label:<{label_width}}  {row.value:>{value_width}}"
        if row.target:
            line += f"  {row.target}"
        out(line)
    out("")
    out("Throughputs are the median of one-second windows (the mean over the run in brackets):")
    out("the machine is shared, so the median is the figure to compare; pgbench's is the median")
    out("of its one-second progress reports. Latency is one read transaction, start to end.")
    out(f"The {big:,}-posting account was bulk-loaded by SQL: its balances, sequence and running")
    out("balances agree, but its hash chain was not computed (verify_books would flag it there).")
    if errors:
        out(f"{errors} operation(s) failed during the timed runs and were not counted.")
    for note in notes:
        out(note)
