"""A kept balance read by :func:`db.single_read`: one statement, no BEGIN and no ROLLBACK on
either database, and still the books as last committed: never a stale snapshot from the
pooled connection's previous use, never held up by a write transaction in progress."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import db
import ledger
from ledger import AccountId
from tests.api.round_trips import driver_calls, round_trips
from tests.ledger.conftest import Books, new_key

WAIT_SECONDS = 5.0


async def _balance(engine: AsyncEngine, account_id: AccountId) -> int:
    async with db.single_read(engine) as conn:
        return (await ledger.get_balance(conn, account_id)).posted


async def test_a_single_read_sends_its_statement_and_nothing_else(books: Books) -> None:
    await _balance(books.engine, books.alice)  # the statement prepared, the pool filled
    with round_trips(books.engine) as seen, driver_calls(books.engine) as calls:
        await _balance(books.engine, books.alice)
    assert len(seen) == 1, seen  # no BEGIN (nor, on PostgreSQL, ROLLBACK)
    assert seen[0].lstrip().upper().startswith("SELECT"), seen
    if books.engine.dialect.name == "sqlite":
        # Each call a hop to aiosqlite's thread: the statement's cursor, run, rows and close.
        assert calls == ["cursor", "execute", "fetchall", "close"], calls


async def test_a_single_read_sees_each_write_as_soon_as_it_is_committed(books: Books) -> None:
    for n in range(1, 4):
        await books.award(books.alice, 10)
        # The same pooled connection each time: it holds no snapshot between two reads.
        assert await _balance(books.engine, books.alice) == 10 * n


async def _award(conn: db.Connection, books: Books, points: int) -> None:
    """Post ``points`` to Alice inside the caller's transaction (committed with it)."""
    await ledger.post_entry(
        conn,
        idempotency_key=new_key(),
        kind="award",
        legs=[ledger.Leg(books.issuance, -points), ledger.Leg(books.alice, points)],
        actor="council:1",
    )


async def test_a_single_read_beside_a_write_in_progress_is_not_blocked(books: Books) -> None:
    await books.award(books.alice, 10)
    written = asyncio.Event()
    finish = asyncio.Event()

    async def long_write(conn: db.Connection) -> None:
        await _award(conn, books, 5)
        written.set()
        await finish.wait()  # the write lock (SQLite) and the row locks held meanwhile

    writer = asyncio.create_task(db.run_in_transaction(books.engine, long_write, attempts=1))
    try:
        await asyncio.wait_for(written.wait(), WAIT_SECONDS)
        # The uncommitted posting is not seen, and the read does not wait for it.
        assert await asyncio.wait_for(_balance(books.engine, books.alice), WAIT_SECONDS) == 10
    finally:
        finish.set()
        await writer
    assert await _balance(books.engine, books.alice) == 15


async def test_a_write_that_fails_is_still_rolled_back(books: Books) -> None:
    """The SQLite engine skips a rollback only when there is nothing to roll back."""

    class Refused(Exception):
        pass

    async def posts_then_fails(conn: db.Connection) -> None:
        await _award(conn, books, 7)
        raise Refused

    with pytest.raises(Refused):
        await db.run_in_transaction(books.engine, posts_then_fails, attempts=1)
    assert await _balance(books.engine, books.alice) == 0
    await books.award(books.alice, 3)  # the connection came back clean: it writes again
    assert await _balance(books.engine, books.alice) == 3
