"""The posting function alone: pgbench's C client calls ``ledger_post_entry`` with no Python.

The ledger's write figures are the whole path, a Python client (SQLAlchemy, asyncpg, our
checks and hashes) and the server's function. These two runs take the Python away, so that a
missed target can be put where it belongs: pgbench sends the very statement
``ledger._pg_posting`` sends, one call in autocommit (as ``ledger.post_entry_alone`` does),

* single transfers: 1 point between two random passbooks, 8 clients;
* entries of 100 postings (50 passbooks pay 1 point to 50 others), 4 clients;

with the run's scratch books and a fresh key each. Its rule: nothing of the server's work is
left out (locks in id order, the key, the checks, the chain links, the writes), only the
client's; so the entries' own hashes, which the client computes, are a placeholder
(:data:`PLACEHOLDER_HASH`): the timed reads are of other accounts, nothing verifies these
chains, and the scratch books are dropped at the end. The balances still sum to zero, as the
end check asks.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench._pgbench import PgBench

__all__ = ["PLACEHOLDER_HASH", "ServerSide"]

PLACEHOLDER_HASH = "0" * 64

_CALL = (
    "SELECT status FROM ledger_post_entry('bench-pgbench', '', 'pgbench', now(), current_date,"
    " NULL, gen_random_uuid()::text, '{hash}', '{hash}', {accounts}, {amounts},"
    " array_fill(0::bigint, ARRAY[{legs}]), false, 1000000000);\n"
)

_TRANSFER = "\\set a random(0, :n - 2)\n\\set b random(:a + 1, :n - 1)\n" + _CALL.format(
    hash=PLACEHOLDER_HASH,
    accounts="ARRAY[:first::bigint + :a, :first::bigint + :b]",
    amounts="ARRAY[-1::bigint, 1]",
    legs=2,
)

_BATCH = "\\set a random(0, :n - 1)\n" + _CALL.format(
    hash=PLACEHOLDER_HASH,
    # distinct because the step is prime to n; ascending, as the function wants them
    accounts="ARRAY(SELECT :first::bigint + (:a + g * :step) % :n"
    " FROM generate_series(0, 99) AS g ORDER BY 1)",
    amounts="array_fill(-1::bigint, ARRAY[50]) || array_fill(1::bigint, ARRAY[50])",
    legs=100,
)


def _step(n: int) -> int:
    """The smallest step above 100 prime to ``n``: 100 steps from any start are distinct."""
    return next(step for step in range(101, 101 + n) if math.gcd(step, n) == 1)


class ServerSide:
    """pgbench calling the posting function on the scratch books ``database``, whose
    passbooks are the accounts ``first`` to ``first + n - 1``."""

    def __init__(self, pgbench: PgBench, database: str, first: int, n: int) -> None:
        self.pgbench = pgbench
        self.database = database
        self.defines = {"first": first, "n": n, "step": _step(n)}

    @classmethod
    def of(cls, pgbench: PgBench, database: str, passbooks: Sequence[int]) -> ServerSide | str:
        """The runs for these passbooks, or why they cannot be made (ids not one range)."""
        first = min(passbooks)
        if sorted(passbooks) != list(range(first, first + len(passbooks))):
            return "the passbooks' account ids are not one range"
        if len(passbooks) < 100:
            return "fewer than 100 passbooks"
        return cls(pgbench, database, first, len(passbooks))

    async def _run(self, script: str, seconds: float, clients: int) -> tuple[float, float] | str:
        with tempfile.TemporaryDirectory(prefix="passbook-pgbench-") as folder:
            path = Path(folder) / "post.sql"
            path.write_text(script, encoding="utf-8")
            return await self.pgbench.script(
                path, seconds, clients=clients, database=self.database, defines=self.defines
            )

    async def transfers(self, seconds: float) -> tuple[float, float] | str:
        """Single transfers per second at 8 clients (median, mean), or why it failed."""
        self.pgbench.out(
            f"· pgbench calling ledger_post_entry: single transfers, 8 clients, {seconds:g} s"
        )
        return await self._run(_TRANSFER, seconds, clients=8)

    async def postings(self, seconds: float) -> tuple[float, float] | str:
        """Postings per second in 100-posting entries at 4 clients (median, mean)."""
        self.pgbench.out(
            f"· pgbench calling ledger_post_entry: 100-posting entries, 4 clients, {seconds:g} s"
        )
        run = await self._run(_BATCH, seconds, clients=4)
        return run if isinstance(run, str) else (run[0] * 100, run[1] * 100)
