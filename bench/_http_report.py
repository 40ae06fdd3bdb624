"""The printed table of the HTTP benchmark.

The rule it keeps: a figure is never printed alone and never printed when it is not valid.
Each row gives requests/s, p50 and p99 and the errors beside them; a row with any error (a
non-2xx answer or a broken connection) says INVALID with the statuses and the first error's
body instead of meeting a target. The header gives the database, the server and its workers,
the connections, the load average before and after, the driver's own ceiling and that the
driver shares the processor with the server; the balance read is also given as a ratio of
the bare app measured in the same run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from bench._report import Out
from bench._timing import percentile

__all__ = ["Figure", "figures_of", "print_http_table"]


@dataclass(frozen=True)
class Figure:
    """One kind of request in one scenario."""

    scenario: str
    kind: str
    rate: float
    p50: float
    p99: float
    ok: int
    errors: int
    statuses: dict[str, int]
    first_error: str

    @property
    def valid(self) -> bool:
        return self.errors == 0 and self.ok > 0


def figures_of(found: dict[str, Any]) -> list[Figure]:
    """The driver's JSON document as figures, scenario by scenario."""
    figures = []
    for scenario, run in found.items():
        for kind, tally in sorted(run["kinds"].items()):
            ordered = sorted(tally["samples"])
            statuses = tally["statuses"]
            errors = sum(n for s, n in statuses.items() if not 200 <= int(s) < 300)
            figures.append(
                Figure(
                    scenario=scenario,
                    kind=kind,
                    rate=len(ordered) / run["seconds"] if run["seconds"] else 0.0,
                    p50=percentile(ordered, 50) if ordered else 0.0,
                    p99=percentile(ordered, 99) if ordered else 0.0,
                    ok=len(ordered),
                    errors=errors,
                    statuses=statuses,
                    first_error=tally["first_error"],
                )
            )
    return figures


def _verdict(met: bool, wanted: str) -> str:
    return f"{wanted}: {'met' if met else 'MISSED'}"


def _target(f: Figure, bare: Figure | None) -> str:
    if not f.valid:
        return f"INVALID: {f.errors} error(s), statuses {f.statuses}"
    if f.scenario == "balance" and bare is not None and bare.valid:
        ratio = f.rate / bare.rate
        return _verdict(ratio >= 0.5 and f.p99 <= 50, f"{ratio:.2f}x bare; >= 0.5x, p99 <= 50 ms")
    if f.scenario in ("redeem", "consume"):
        return _verdict(f.rate >= 1000 and f.p99 <= 100, ">= 1,000/s, p99 <= 100 ms")
    if f.scenario == "mix":
        return _verdict(f.p99 <= 100, "p99 <= 100 ms")
    return ""


def print_http_table(
    out: Out,
    *,
    header: list[str],
    service: list[Figure],
    bare: Figure | None,
    ping: Figure | None,
    memory: list[float],
    notes: list[str],
) -> None:
    out("")
    out("Red Passbook HTTP benchmark")
    for line in header:
        out(f"  {line}")
    out(f"  machine    {os.cpu_count()} cores, shared: the load driver runs on the same cores")
    out("             as the server, so every figure is lower than on a machine of its own")
    if ping is not None:
        out(
            f"  driver     {ping.rate:,.0f} req/s against a trivial endpoint (bare app's /ping), "
            f"p99 {ping.p99:.1f} ms{'' if ping.valid else ' (INVALID: errors)'}"
        )
    out("")
    head = (
        f"{'scenario':<10} {'request':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    )
    out(head + "  target (PostgreSQL, 2 workers)")
    out("-" * (len(head) + 32))
    rows = ([bare] if bare is not None else []) + service
    for f in rows:
        name = "bare app" if f is bare else f.scenario
        line = f"{name:<10} {f.kind:<10} {f.rate:8,.0f} {f.p50:8.1f} {f.p99:8.1f} {f.errors:6d}"
        out(f"{line}  {'' if f is bare else _target(f, bare)}")
    if memory:
        worst = max(memory)
        listed = ", ".join(f"{m:.0f}" for m in memory)
        out(
            f"memory     each worker's RSS at the end: {listed} MB  "
            f"{_verdict(worst <= 150, '<= 150 MB each')}"
        )
    for f in rows:
        if f.first_error:
            out(f"  first error of {f.scenario}/{f.kind}: {f.first_error}")
    for note in notes:
        out(note)
