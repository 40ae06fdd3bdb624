"""The read figure of the ledger benchmark: balance-read latency, and that it does not grow
with the account's history.

``ledger.get_balance`` through ``db.single_read`` (one statement, no BEGIN on PostgreSQL), p50
and p99 over :data:`READS` reads, on an account with 1,000 postings and on one with many
(bulk-loaded by SQL), read alternately so both see the same machine. The rule it keeps: the
1k-posting account is the yardstick of the big one, measured in the same run; the first 50
reads of each warm the pool and the statement caches and are not counted, and every read is
checked to have read the account it should (its posting count).
"""

from __future__ import annotations

import time

import db
import ledger
from bench._ledger_seed import SMALL_ACCOUNT_POSTINGS, Books, bulk_load
from bench._report import Out, Row, target
from bench._scratch import checkpoint
from bench._timing import percentile

__all__ = ["READS", "measure_reads"]

READS = 2_000
WARM_UP_READS = 50
TARGET_READ_P50_MS = 1.0  # PostgreSQL; a figure that misses it is marked in the table


async def measure_reads(
    books: Books, big_postings: int, figures: dict[str, float], rows: list[Row], out: Out
) -> None:
    """Bulk-load the big account, then time the balance reads; adds figures and rows."""
    engine = books.engine
    out(f"· bulk-loading {big_postings:,} postings onto one account with SQL")
    loaded = time.perf_counter()
    big = await bulk_load(engine, big_postings)
    out(f"  loaded in {time.perf_counter() - loaded:.1f} s")
    await checkpoint(engine)
    out(f"· {READS:,} balance reads on each account, alternating")
    timings: dict[ledger.AccountId, list[float]] = {books.small: [], big: []}
    expected = {books.small: SMALL_ACCOUNT_POSTINGS, big: big_postings}
    for n in range(READS + WARM_UP_READS):
        for account_id, samples in timings.items():
            began = time.perf_counter()
            async with db.single_read(engine) as conn:
                balance = await ledger.get_balance(conn, account_id)
            elapsed = time.perf_counter() - began
            if balance.posting_count != expected[account_id]:
                raise RuntimeError(f"account {account_id} has {balance.posting_count} postings")
            if n >= WARM_UP_READS:  # the first reads warm the pool and the statement caches
                samples.append(elapsed * 1000)
    postgres = db.dialect_of(engine) is db.Dialect.POSTGRESQL
    for account_id, name, postings in (
        (books.small, "1k", SMALL_ACCOUNT_POSTINGS),
        (big, "big", big_postings),
    ):
        samples = sorted(timings[account_id])
        p50, p99 = percentile(samples, 50), percentile(samples, 99)
        figures[f"balance_read_p50_ms_{name}"] = p50
        figures[f"balance_read_p99_ms_{name}"] = p99
        wanted = target(p50 <= TARGET_READ_P50_MS, f"p50 <= {TARGET_READ_P50_MS:g} ms")
        rows.append(
            Row(
                f"balance read p50 / p99, {postings:,} postings",
                f"{p50:.3f} / {p99:.3f} ms",
                wanted if postgres and name == "big" else "",
            )
        )
