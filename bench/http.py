"""The HTTP benchmark: the real service, served as in production, driven over loopback.

It makes a scratch database (``passbook_bench_http`` on the PostgreSQL server named, or a
temporary SQLite file), loads a street through the engine's use cases (:mod:`bench._street`),
copies it for the yardstick (``passbook_bench_bare``), and then, from a load driver in a
process of its own (:mod:`bench._driver`) at C connections for S seconds a scenario:

1. the bare litestar app (:mod:`bench.bare_app`) under the same server and workers: the
   driver's ceiling on ``/ping``, then the balance read's own queries;
2. ``passbook serve``: balance reads, statement pages, redemptions, consumes of the vouchers
   those redemptions made (as their merchants), sheet approvals, and a mix of them all; then
   the memory of each worker process.

Then the scratch books must verify. The rule it keeps: every figure is printed with its
errors, the load average and the yardstick of the same run; nothing here is a test.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

import db
import ledger
from bench._driver import SCENARIOS
from bench._http_report import Figure, figures_of, print_http_table
from bench._report import Out
from bench._scratch import (
    BARE_DATABASE,
    HTTP_DATABASE,
    checkpoint,
    scratch_copy,
    scratch_database,
    server_version,
)
from bench._service import serve, serve_bare
from bench._service_procs import rss_mb, workers_of
from bench._street import Street, load_street, note_tokens_used
from cli.serving import DEFAULT_SERVER

__all__ = ["Measured", "measure", "run_http_bench"]


def _bare_dsn(url: str) -> str:
    parsed = make_url(url)
    if db.dialect_of(url) is db.Dialect.SQLITE:
        return f"sqlite:{parsed.database}"
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def _drive(
    port: int,
    street: Street | None,
    scenarios: list[str],
    connections: int,
    seconds: float,
    warm_seconds: float = 1.0,
) -> dict[str, Any]:
    """Run the load driver in its own process (after ``warm_seconds`` of untimed balance
    reads that fill the pools); its JSON document."""
    plan: dict[str, Any] = {
        "port": port,
        "connections": connections,
        "seconds": seconds,
        "warm_seconds": warm_seconds,
        "scenarios": scenarios,
        **(street.plan() if street is not None else {}),
    }
    with tempfile.NamedTemporaryFile("w", prefix="passbook-bench-http-", suffix=".json") as f:
        json.dump(plan, f)
        f.flush()
        driver = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench._driver", f.name, stdout=asyncio.subprocess.PIPE
        )
        answered, _ = await driver.communicate()
    if driver.returncode != 0:
        raise RuntimeError(f"the load driver failed (exit {driver.returncode})")
    found: dict[str, Any] = json.loads(answered)
    return found


@dataclass(frozen=True)
class Measured:
    """One run's figures: the driver's ceiling, the bare app's balance read, the service's
    scenarios, and each service worker's memory at the end (MB)."""

    ping: Figure
    bare: Figure
    service: list[Figure]
    memory: list[float]


async def measure(
    url: str,
    bare_url: str,
    street: Street,
    *,
    workers: int,
    connections: int,
    seconds: float,
    warm_seconds: float = 1.0,
    out: Out = print,
) -> Measured:
    """Serve the bare app on ``bare_url`` then ``passbook serve`` on ``url`` (both loaded
    with ``street``), each with ``workers`` workers, and drive them."""
    out(f"· the bare app, {workers} worker(s): /ping, then balance reads")
    async with serve_bare(_bare_dsn(bare_url), workers=workers) as bare_service:
        ping = await _drive(bare_service.port, None, ["ping"], connections, seconds)
        bare = await _drive(
            bare_service.port, street, ["balance"], connections, seconds, warm_seconds
        )
    out(f"· passbook serve, {workers} worker(s): {', '.join(SCENARIOS)}")
    async with serve(url, workers=workers) as service:
        found = await _drive(
            service.port, street, list(SCENARIOS), connections, seconds, warm_seconds
        )
        memory = [rss_mb(pid) for pid in workers_of(service.pid)]
    (ping_figure,) = figures_of(ping)
    (bare_figure,) = figures_of(bare)
    return Measured(ping_figure, bare_figure, figures_of(found), memory)


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.2f} (5 min {five:.2f})"


async def run_http_bench(
    database_url: str,
    *,
    workers: int | None = None,
    connections: int = 64,
    seconds: float = 10.0,
    volunteers: int = 5000,
    grids: int = 10,
    sheets: int | None = None,
    out: Out = print,
) -> list[Figure]:
    """Print the table; return the service's figures (the bare app's and the ceiling last)."""
    kind = db.dialect_of(database_url)
    if workers is None:
        workers = (os.cpu_count() or 1) if kind is db.Dialect.POSTGRESQL else 1
    sheets = sheets if sheets is not None else max(40, int(seconds * 120))
    notes: list[str] = []
    async with scratch_database(database_url, out, HTTP_DATABASE) as url:
        engine = db.create_engine(url, pool_size=grids + 2)
        try:
            out(f"· loading a street: {grids} grids, {volunteers:,} volunteers, {sheets} sheets")
            began = time.perf_counter()
            street = await load_street(engine, grids=grids, volunteers=volunteers, sheets=sheets)
            await note_tokens_used(engine, street)
            out(f"· loaded in {time.perf_counter() - began:.0f} s (load average {_load()})")
            version = await server_version(engine)
            await checkpoint(engine)
        finally:
            await engine.dispose()
        load_start = _load()
        async with scratch_copy(database_url, url, out, BARE_DATABASE) as bare_url:
            measured = await measure(
                url,
                bare_url,
                street,
                workers=workers,
                connections=connections,
                seconds=seconds,
                out=out,
            )
        load_end = _load()
        engine = db.create_engine(url)
        try:
            async with db.read_transaction(engine) as conn:
                report = await ledger.verify_books(conn)
        finally:
            await engine.dispose()
    if not report.ok:
        notes.append(f"THE SCRATCH BOOKS DO NOT VERIFY: {report.problems[:3]}")
    else:
        notes.append(f"The scratch books verified afterwards: {report.entries:,} entries.")
    if kind is db.Dialect.SQLITE:
        writes = [f for f in measured.service if f.scenario in ("redeem", "consume", "approve")]
        best = max((f.rate for f in writes), default=0.0)
        notes.append(
            "SQLite has one writer: every redemption, consume and approval waits for the one "
            f"write lock, across all workers; here that allowed at best {best:,.0f} writes/s, "
            "while reads go on beside it (WAL)."
        )
    ping_figure, bare_figure, service_figures = measured.ping, measured.bare, measured.service
    print_http_table(
        out,
        header=[
            f"database   {version}, scratch (never the one configured)",
            f"server     passbook serve under {DEFAULT_SERVER.value}, {workers} worker "
            "process(es); the bare app under the same server and workers",
            f"load       {connections} connections, {seconds:g} s a scenario, "
            f"{len(street.volunteers):,} volunteers in {grids} grids",
            f"load avg   {load_start} at the start, {load_end} at the end",
        ],
        service=service_figures,
        bare=bare_figure,
        ping=ping_figure,
        memory=measured.memory,
        notes=notes,
    )
    return [*service_figures, bare_figure, ping_figure]
