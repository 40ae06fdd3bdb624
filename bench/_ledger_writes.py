"""The write figures of the ledger benchmark: how fast the engine posts.

* single transfers per second: 1 point between two random passbooks, one entry and one
  transaction each, a fresh idempotency key each, with 1 and with 8 concurrent workers, each
  run in a use case's write transaction (BEGIN, ``ledger.post_entry``, COMMIT);
* the same at 8 workers as entries alone (``ledger.post_entry_alone``: on PostgreSQL one
  statement in autocommit, its own transaction, so BEGIN and COMMIT cost no round trip);
* postings per second in entries of 100 postings (50 passbooks pay 1 point to 50 others),
  with 1 and 4 workers in write transactions, and with 4 workers as entries alone;
* on PostgreSQL the same 8-worker transfers and 4-worker entries with pgbench's C client
  calling the posting function (:mod:`bench._ledger_server`): the server's side alone, each
  right after its Python figure.

The rule it keeps: on PostgreSQL the 8-worker transfers are measured right before pgbench, the
yardstick, and reported as ratios of its tps (:func:`compare_with_pgbench`); a throughput is
the median of one-second windows (:mod:`bench._timing`). Every figure is printed with its
target on PostgreSQL; on SQLite there is one writer at a time, so the figures say what that
one writer (and its fsync per commit) allows, and no target applies.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable

import db
import ledger
from bench._ledger_seed import ACTOR, Books, post
from bench._ledger_server import ServerSide
from bench._pgbench import PGBENCH_SCALE, PgBench
from bench._report import Out, Row, rate, target, workers
from bench._timing import report_errors, timed

__all__ = ["TRANSFER_WORKERS", "compare_with_pgbench", "measure_writes"]

BATCH_POSTINGS = 100
TRANSFER_WORKERS = (1, 8)
BATCH_WORKERS = (1, 4)

# PostgreSQL targets; a figure that misses one is marked in the table.
TARGET_TRANSFER_RATIO = 0.5
TARGET_POSTINGS_PER_S = 50_000.0

_ALONE = "entries alone"
_IN_TRANSACTION = "in a transaction"
_SERVER = "the function from pgbench (no Python)"


async def measure_writes(
    books: Books,
    seconds: float,
    pgbench: PgBench | None,
    server_side: ServerSide | None,
    figures: dict[str, float],
    rows: list[Row],
    out: Out,
) -> None:
    """Time transfers and batches for ``seconds`` each; pgbench runs right after our
    8-worker transfers, and ``server_side`` (if any) after our figures alone. Adds the
    figures, the table's rows and ``errors`` (failed operations)."""
    rng = random.Random(20261127)
    size = min(BATCH_POSTINGS, len(books.passbooks) // 2 * 2)  # 100 but for tiny runs
    postgres = db.dialect_of(books.engine) is db.Dialect.POSTGRESQL

    async def alone(kind: str, legs: list[ledger.Leg]) -> None:
        await ledger.post_entry_alone(
            books.engine, idempotency_key=str(uuid.uuid4()), kind=kind, legs=legs, actor=ACTOR
        )

    async def in_transaction(kind: str, legs: list[ledger.Leg]) -> None:
        await post(books.engine, str(uuid.uuid4()), kind, legs)

    def transfer(
        how: Callable[[str, list[ledger.Leg]], Awaitable[None]],
    ) -> Callable[[], Awaitable[None]]:
        async def once() -> None:
            payer, payee = rng.sample(books.passbooks, 2)
            await how("bench-transfer", [ledger.Leg(payer, -1), ledger.Leg(payee, 1)])

        return once

    def batch(
        how: Callable[[str, list[ledger.Leg]], Awaitable[None]],
    ) -> Callable[[], Awaitable[None]]:
        async def once() -> None:
            chosen = rng.sample(books.passbooks, size)
            half = size // 2
            legs = [ledger.Leg(a, -1) for a in chosen[:half]]
            legs += [ledger.Leg(a, 1) for a in chosen[half:]]
            await how("bench-batch", legs)

        return once

    errors = 0
    most = max(TRANSFER_WORKERS)
    runs: list[tuple[str, int, str, Callable[[], Awaitable[None]], int]] = [
        *(("transfers", n, _IN_TRANSACTION, transfer(in_transaction), 1) for n in TRANSFER_WORKERS),
        ("transfers", most, _ALONE, transfer(alone), 1),
        *(("postings", n, _IN_TRANSACTION, batch(in_transaction), size) for n in BATCH_WORKERS),
        ("postings", max(BATCH_WORKERS), _ALONE, batch(alone), size),
    ]
    for what, n, how, operation, per_op in runs:
        out(
            f"· {'single transfers' if per_op == 1 else f'{size}-posting entries'}, {how}, {workers(n)}, {seconds:g} s"
        )
        run = await timed(n, seconds, operation)
        median, mean = run.rates(per_op)
        errors += report_errors(run, out)
        name = f"{what}_per_s_{n}w" + ("_alone" if how == _ALONE else "")
        figures[name] = median
        figures[f"{name}_mean"] = mean
        if what == "transfers":
            rows.append(Row(f"single transfers/s, {how}, {workers(n)}", rate(median, mean)))
            if how == _ALONE and pgbench is not None:
                # Right after our 8-worker runs, so all of them see much the same machine.
                await pgbench.run(seconds)
                if server_side is not None:
                    _server_row(
                        await server_side.transfers(seconds),
                        "transfers_per_s_8w_server",
                        f"single transfers/s, {_SERVER}, {workers(most)}",
                        "",
                        figures,
                        rows,
                    )
            continue
        wanted = ""
        if postgres and n == max(BATCH_WORKERS):
            wanted = target(median >= TARGET_POSTINGS_PER_S, f">= {TARGET_POSTINGS_PER_S:,.0f}")
        rows.append(
            Row(
                f"postings/s in {size}-posting entries, {how}, {workers(n)}",
                rate(median, mean),
                wanted,
            )
        )
        if how == _ALONE and server_side is not None:
            server_run = await server_side.postings(seconds)
            met = not isinstance(server_run, str) and server_run[0] >= TARGET_POSTINGS_PER_S
            _server_row(
                server_run,
                f"postings_per_s_{n}w_server",
                f"postings/s in {size}-posting entries, {_SERVER}, {workers(n)}",
                target(met, f">= {TARGET_POSTINGS_PER_S:,.0f} (the server alone)"),
                figures,
                rows,
            )
    figures["errors"] = float(errors)


def _server_row(
    run: tuple[float, float] | str,
    name: str,
    label: str,
    wanted: str,
    figures: dict[str, float],
    rows: list[Row],
) -> None:
    if isinstance(run, str):
        rows.append(Row(label, "failed", run[:60]))
        return
    figures[name], figures[f"{name}_mean"] = run
    rows.append(Row(label, rate(*run), wanted))


def compare_with_pgbench(pgbench: PgBench, figures: dict[str, float], rows: list[Row]) -> None:
    """pgbench's tps, and the 8-worker transfers (in a transaction, alone, and the function
    from pgbench) as ratios of it, each with the ratio's target."""
    assert pgbench.tps is not None
    assert pgbench.tps_mean is not None
    figures["pgbench_tps"] = pgbench.tps
    figures["pgbench_tps_mean"] = pgbench.tps_mean
    most = max(TRANSFER_WORKERS)
    rows.append(
        Row(
            f"pgbench tps, tpcb-like, -c 8 -j 2 -T {pgbench.seconds}, scale {PGBENCH_SCALE}",
            rate(pgbench.tps, pgbench.tps_mean),
        )
    )
    for how, suffix in ((_IN_TRANSACTION, ""), (_ALONE, "_alone"), (_SERVER, "_server")):
        if f"transfers_per_s_{most}w{suffix}" not in figures:
            continue  # the server-side run failed or was not made: its row says why
        ours = figures[f"transfers_per_s_{most}w{suffix}"]
        ratio = ours / pgbench.tps if pgbench.tps else 0.0
        figures[f"transfers_to_pgbench_ratio{suffix}"] = ratio
        rows.append(
            Row(
                f"{most}-worker transfers, {how} / pgbench tps",
                f"{ratio:.2f}x",
                target(ratio >= TARGET_TRANSFER_RATIO, f">= {TARGET_TRANSFER_RATIO:g}x"),
            )
        )
        # Put the ratio beside the transfer row too, where a reader looks first.
        for row in rows:
            if row.label == f"single transfers/s, {how}, {workers(most)}":
                row.target = f"see ratio ({ratio:.2f}x)"
