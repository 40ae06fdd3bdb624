"""Transactions: one use case is one transaction, committed here and nowhere else.

What a use case notes for the metrics (:func:`observe.note`) inside a write transaction is
counted only once that transaction committed: a rollback or a retried attempt drops it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import observe
from db._domain_error import Retryable
from db._engine import SINGLE_STATEMENT
from db._errors import is_transient

Connection = AsyncConnection
T = TypeVar("T")
P = ParamSpec("P")


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction: commits when the block ends normally, rolls back otherwise.
    The metrics' events noted inside are counted after the commit, and only then."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(passbook_write=True)
        with observe.held() as events:
            async with conn.begin():
                yield conn
            events.release()


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
    statement (a kept balance). It sends no BEGIN and no ROLLBACK: each statement is a
    transaction of its own and sees the last commit (autocommit on PostgreSQL; on SQLite the
    driver's autocommit mode, which a write transaction of another connection never blocks
    under WAL). Never for reads that must agree with each other: use :func:`read_transaction`."""
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")
        else:
            yield await conn.execution_options(**{SINGLE_STATEMENT: True})


@asynccontextmanager
async def single_write(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for one write statement that is all-or-nothing by itself (a conditional
    UPDATE). On PostgreSQL the statement commits on its own (autocommit: no BEGIN and COMMIT
    round trips); on SQLite it is a write transaction, as :func:`transaction`. Never for two
    statements: each would commit apart."""
    if engine.dialect.name != "postgresql":
        async with transaction(engine) as conn:
            yield conn
        return
    async with engine.connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")


async def run_in_transaction(
    engine: AsyncEngine,
    use_case: Callable[[AsyncConnection], Awaitable[T]],
    *,
    attempts: int = 5,
) -> T:
    """Run ``use_case`` in a write transaction, retrying the whole of it on transient errors
    (deadlock, serialization failure, busy, a dropped connection) and on every
    :class:`Retryable` race (an idempotency key taken by a concurrent request).

    A retry starts from nothing: the failed attempt was rolled back in full.
    """
    for attempt in range(1, attempts + 1):
        try:
            async with transaction(engine) as conn:
                return await use_case(conn)
        except Exception as error:
            if attempt == attempts or not (is_transient(error) or isinstance(error, Retryable)):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


class Transactions:
    """How an entry point (API, pages, command line) runs use cases on one engine: each call
    is one use case in one transaction, given the connection as its first argument.

    ``write`` commits (retrying transient errors and :class:`Retryable` races), ``read`` sees
    one consistent snapshot and changes nothing, ``single_read`` is for one statement."""

    __slots__ = ("engine",)

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def write(
        self,
        use_case: Callable[Concatenate[AsyncConnection, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        return await run_in_transaction(self.engine, lambda conn: use_case(conn, *args, **kwargs))

    async def read(
        self,
        use_case: Callable[Concatenate[AsyncConnection, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        async with read_transaction(self.engine) as conn:
            return await use_case(conn, *args, **kwargs)

    async def single_read(
        self,
        use_case: Callable[Concatenate[AsyncConnection, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        async with single_read(self.engine) as conn:
            return await use_case(conn, *args, **kwargs)
