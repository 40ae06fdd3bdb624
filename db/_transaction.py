"""Transactions: one use case is one transaction, committed here and nowhere else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db._errors import is_transient

Connection = AsyncConnection
T = TypeVar("T")


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction: commits when the block ends normally, rolls back otherwise."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(passbook_write=True)
        async with conn.begin():
            yield conn


@asynccontextmanager
async def read_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only transaction: every read inside it sees one consistent state of the books.

    It never holds the SQLite write lock, and it is rolled back, not committed, at the end.
    """
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # One 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', no extra round trip.
            conn = await conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        else:
            conn = await conn.execution_options(passbook_write=False)
        async with conn.begin() as tx:
            yield conn
            await tx.rollback()


@asynccontextmanager
async def single_read(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads that need no common snapshot, e.g. one row read by one
    statement (a kept balance). On PostgreSQL it skips BEGIN and ROLLBACK (autocommit)."""
    if engine.dialect.name != "postgresql":
        async with read_transaction(engine) as conn:
            yield conn
        return
    async with engine.connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")


async def run_in_transaction(
    engine: AsyncEngine,
    use_case: Callable[[AsyncConnection], Awaitable[T]],
    *,
    attempts: int = 5,
    retry_on: Callable[[BaseException], bool] = lambda _e: False,
) -> T:
    """Run ``use_case`` in a write transaction, retrying the whole of it on transient errors.

    A retry starts from nothing: the failed attempt was rolled back in full. ``retry_on`` lets
    a domain add its own retryable races (an idempotency key taken by a concurrent request).
    """
    for attempt in range(1, attempts + 1):
        try:
            async with transaction(engine) as conn:
                return await use_case(conn)
        except Exception as error:
            if attempt == attempts or not (is_transient(error) or retry_on(error)):
                raise
    raise AssertionError("unreachable")  # pragma: no cover
