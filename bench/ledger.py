"""The ledger benchmark: how fast the points engine posts and reads, on SQLite or PostgreSQL.

It never touches the database it is pointed at (:mod:`bench._scratch`). On PostgreSQL it makes
a scratch database ``passbook_bench_ledger`` on the same server (dropped first if left over, dropped
again at the end) and, for a yardstick, runs pgbench's built-in TPC-B-like script in a second
scratch database ``passbook_pgbench`` (:mod:`bench._pgbench`). On SQLite it uses a file in a
temporary directory, opened through :func:`db.create_engine`, so the pragmas are the service's
own.

Figures, each printed and returned:

* single transfers per second (1 point between two random passbooks, one entry and one
  transaction each, a fresh idempotency key each), with 1 and with 8 concurrent workers in a
  write transaction, and with 8 as entries alone (``ledger.post_entry_alone``);
* postings per second in entries of 100 postings (50 passbooks pay 1 point to 50 others)
  (both in :mod:`bench._ledger_writes`);
* balance-read latency (``ledger.get_balance`` through ``db.single_read``: one statement, no
  BEGIN on PostgreSQL), p50 and p99, on an account with 1,000 postings and on one with
  ``big_account_postings`` postings (:mod:`bench._ledger_reads`);
* PostgreSQL only: pgbench tps at ``-c 8 -j 2`` and our 8-worker transfers (both ways) as
  ratios of it; and the same transfers and 100-posting entries with pgbench's C client
  calling the posting function, so that what the server costs shows apart from what the
  Python client costs (:mod:`bench._ledger_server`).

The machine is small and shared, so a throughput is the median of one-second windows, and
pgbench's the median of its one-second progress reports, the same way (:mod:`bench._timing`);
figures are compared as ratios to a yardstick measured in the same run, and the table prints
the load average beside them (:mod:`bench._report`). The books are seeded through the engine
(:mod:`bench._ledger_seed`) and must balance at the end.

Run it as ``python -m bench.ledger [--url URL] [--accounts N] [--seconds S] [--big N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import time
from collections.abc import Sequence

from sqlalchemy.engine import make_url

import db
from bench._ledger_reads import READS, measure_reads
from bench._ledger_seed import check_books, seed
from bench._ledger_server import ServerSide
from bench._ledger_writes import TRANSFER_WORKERS, compare_with_pgbench, measure_writes
from bench._pgbench import PgBench
from bench._report import Out, Row, print_table
from bench._scratch import LEDGER_DATABASE, checkpoint, scratch_database, server_version

__all__ = ["main", "run_ledger_bench"]


async def run_ledger_bench(
    database_url: str,
    *,
    accounts: int = 10_000,
    seconds: float = 10.0,
    big_account_postings: int = 1_000_000,
    out: Out = print,
) -> dict[str, float]:
    """Run the ledger benchmark on a scratch database beside ``database_url`` (never in it),
    print a table of the figures through ``out`` and return them by name."""
    if accounts < 2:
        raise ValueError("the benchmark needs at least 2 accounts")
    if seconds <= 0 or big_account_postings < 1:
        raise ValueError("seconds and big_account_postings must be positive")
    kind = db.dialect_of(database_url)
    figures: dict[str, float] = {}
    rows: list[Row] = []
    notes: list[str] = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    began = time.perf_counter()
    pgbench: PgBench | None = None
    if kind is db.Dialect.POSTGRESQL and shutil.which("pgbench") is None:
        notes.append("pgbench was not found on PATH: the pgbench comparison was skipped.")
    server = kind.value
    if kind is db.Dialect.SQLITE:
        notes.append(
            "SQLite has one writer at a time: concurrent workers queue for the write lock"
            " (BEGIN IMMEDIATE) and each commit is an fsync (synchronous=FULL), so more workers"
            " add no write throughput; the PostgreSQL targets do not apply."
        )
    async with scratch_database(database_url, out, LEDGER_DATABASE) as url:
        try:
            if kind is db.Dialect.POSTGRESQL and shutil.which("pgbench") is not None:
                pgbench = PgBench(database_url, out)
                await pgbench.setup()
            engine = db.create_engine(url, pool_size=max(TRANSFER_WORKERS) + 2)
            try:
                server = await server_version(engine)
                books = await seed(engine, accounts, out)
                await checkpoint(engine)
                server_side = None
                if pgbench is not None:
                    made = ServerSide.of(pgbench, make_url(url).database or "", books.passbooks)
                    if isinstance(made, str):
                        notes.append(f"The function was not run from pgbench: {made}.")
                    else:
                        server_side = made
                await measure_writes(books, seconds, pgbench, server_side, figures, rows, out)
                await measure_reads(books, big_account_postings, figures, rows, out)
                await check_books(engine)
            finally:
                await engine.dispose()
        finally:
            if pgbench is not None:
                await pgbench.teardown()
    if pgbench is not None and pgbench.tps is not None:
        compare_with_pgbench(pgbench, figures, rows)
    elif pgbench is not None:
        notes.append(f"pgbench did not report tps: {pgbench.failure}")
    print_table(
        out,
        kind=kind,
        server=server,
        load=load,
        seconds=seconds,
        accounts=accounts,
        big=big_account_postings,
        reads=READS,
        rows=rows,
        notes=notes,
        elapsed=time.perf_counter() - began,
        errors=int(figures.get("errors", 0)),
    )
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ledger",
        description="Benchmark the ledger on a scratch database beside --url (never in it).",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("PASSBOOK_DATABASE_URL") or "sqlite+aiosqlite:///passbook.db",
        help="a database URL naming the server (PostgreSQL) or just the kind (SQLite); "
        "default: $PASSBOOK_DATABASE_URL, else SQLite",
    )
    parser.add_argument("--accounts", type=int, default=10_000, help="passbooks (10,000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per throughput run (10)")
    parser.add_argument(
        "--big", type=int, default=1_000_000, help="postings on the big account (1,000,000)"
    )
    args = parser.parse_args(argv)
    asyncio.run(
        run_ledger_bench(
            args.url, accounts=args.accounts, seconds=args.seconds, big_account_postings=args.big
        )
    )


if __name__ == "__main__":
    main()
