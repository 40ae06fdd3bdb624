"""The write figures of the ledger benchmark: how fast the engine posts.

* single transfers per second: 1 point between two random passbooks, one entry and one
  transaction each, a fresh idempotency key each, with 1 and with 8 concurrent workers;
* postings per second in entries of 100 postings (50 passbooks pay 1 point to 50 others),
  with 1 and 4 workers.

The rule it keeps: on PostgreSQL the 8-worker transfers are measured right before pgbench, the
yardstick, and reported as a ratio of its tps (:func:`compare_with_pgbench`); a throughput is
the median of one-second windows (:mod:`bench._timing`).
"""

from __future__ import annotations

import random
import uuid

import db
import ledger
from bench._ledger_seed import Books, post
from bench._pgbench import PGBENCH_SCALE, PgBench
from bench._report import Out, Row, rate, target, workers
from bench._timing import report_errors, timed

__all__ = ["TRANSFER_WORKERS", "compare_with_pgbench", "measure_writes"]

BATCH_POSTINGS = 100
TRANSFER_WORKERS = (1, 8)
BATCH_WORKERS = (1, 4)

# PostgreSQL targets; a figure that misses one is marked in the table.
TARGET_TRANSFER_RATIO = 0.35
TARGET_POSTINGS_PER_S = 30_000.0


async def measure_writes(
    books: Books,
    seconds: float,
    pgbench: PgBench | None,
    figures: dict[str, float],
    rows: list[Row],
    out: Out,
) -> None:
    """Time transfers and batches for ``seconds`` each; pgbench runs right after our
    8-worker transfers. Adds the figures, the table's rows and ``errors`` (failed operations)."""
    rng = random.Random(20261127)
    size = min(BATCH_POSTINGS, len(books.passbooks) // 2 * 2)  # 100 but for tiny runs

    async def transfer() -> None:
        payer, payee = rng.sample(books.passbooks, 2)
        legs = [ledger.Leg(payer, -1), ledger.Leg(payee, 1)]
        await post(books.engine, str(uuid.uuid4()), "bench-transfer", legs)

    async def batch() -> None:
        chosen = rng.sample(books.passbooks, size)
        half = size // 2
        legs = [ledger.Leg(a, -1) for a in chosen[:half]]
        legs += [ledger.Leg(a, 1) for a in chosen[half:]]
        await post(books.engine, str(uuid.uuid4()), "bench-batch", legs)

    errors = 0
    for n in TRANSFER_WORKERS:
        out(f"· single transfers, {workers(n)}, {seconds:g} s")
        run = await timed(n, seconds, transfer)
        median, mean = run.rates(1)
        errors += report_errors(run, out)
        figures[f"transfers_per_s_{n}w"] = median
        figures[f"transfers_per_s_{n}w_mean"] = mean
        rows.append(Row(f"single transfers/s, {workers(n)}", rate(median, mean)))
        if n == max(TRANSFER_WORKERS) and pgbench is not None:
            # Right after our 8-worker run, so both see much the same machine.
            await pgbench.run(seconds)
    for n in BATCH_WORKERS:
        out(f"· {size}-posting entries, {workers(n)}, {seconds:g} s")
        run = await timed(n, seconds, batch)
        median, mean = run.rates(size)
        errors += report_errors(run, out)
        figures[f"postings_per_s_{n}w"] = median
        figures[f"postings_per_s_{n}w_mean"] = mean
        wanted = ""
        if db.dialect_of(books.engine) is db.Dialect.POSTGRESQL:
            wanted = target(median >= TARGET_POSTINGS_PER_S, f">= {TARGET_POSTINGS_PER_S:,.0f}")
        rows.append(
            Row(
                f"postings/s in {size}-posting entries, {workers(n)}",
                rate(median, mean),
                wanted,
            )
        )
    figures["errors"] = float(errors)


def compare_with_pgbench(pgbench: PgBench, figures: dict[str, float], rows: list[Row]) -> None:
    """pgbench's tps, and our 8-worker transfers as a ratio of it, with the ratio's target."""
    assert pgbench.tps is not None
    assert pgbench.tps_mean is not None
    figures["pgbench_tps"] = pgbench.tps
    figures["pgbench_tps_mean"] = pgbench.tps_mean
    ours = figures[f"transfers_per_s_{max(TRANSFER_WORKERS)}w"]
    ratio = ours / pgbench.tps if pgbench.tps else 0.0
    figures["transfers_to_pgbench_ratio"] = ratio
    rows.append(
        Row(
            f"pgbench tps, tpcb-like, -c 8 -j 2 -T {pgbench.seconds}, scale {PGBENCH_SCALE}",
            rate(pgbench.tps, pgbench.tps_mean),
        )
    )
    rows.append(
        Row(
            "8-worker transfers / pgbench tps",
            f"{ratio:.2f}x",
            target(ratio >= TARGET_TRANSFER_RATIO, f">= {TARGET_TRANSFER_RATIO:g}x"),
        )
    )
    # Put the transfer target beside the 8-worker row too, where a reader looks first.
    for row in rows:
        if row.label == f"single transfers/s, {workers(max(TRANSFER_WORKERS))}":
            row.target = f"see ratio ({ratio:.2f}x)"
