"""Counting what a request asks of the database: every statement the driver sends.

Every statement SQLAlchemy runs, and on PostgreSQL also what asyncpg sends by itself (its query
log: BEGIN, COMMIT and ROLLBACK, each a round trip). On SQLite (in-process, no round trips) the
BEGIN is one SQLAlchemy runs, and a rollback is not seen; :func:`driver_calls` counts what
costs there instead, the calls aiosqlite sends to its connection's thread."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import aiosqlite.core
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextlib.contextmanager
def round_trips(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements ``engine``'s connections send inside the block, in order, upper-cased
    to their first word where that is all that matters (BEGIN, COMMIT, ROLLBACK; asyncpg logs
    its commit as ``COMMIT;``)."""
    seen: list[str] = []
    pool = engine.sync_engine.pool

    def note(text: str) -> None:
        first = text.split(None, 1)[0].rstrip(";").upper() if text.strip() else ""
        seen.append(first if first in {"BEGIN", "COMMIT", "ROLLBACK"} else text)

    if engine.dialect.name == "postgresql":

        def logged(record: Any) -> None:
            note(record.query)

        def checkout(dbapi_connection: Any, *_args: Any) -> None:
            dbapi_connection._connection.add_query_logger(logged)

        def checkin(dbapi_connection: Any, *_args: Any) -> None:
            if dbapi_connection is not None:
                dbapi_connection._connection.remove_query_logger(logged)

        event.listen(pool, "checkout", checkout)
        event.listen(pool, "checkin", checkin)

    def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        note(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", executed)
        if engine.dialect.name == "postgresql":
            event.remove(pool, "checkout", checkout)
            event.remove(pool, "checkin", checkin)


@contextlib.contextmanager
def driver_calls(engine: AsyncEngine) -> Iterator[list[str]]:
    """On SQLite, the calls ``engine``'s connections send to aiosqlite's thread inside the
    block, by name (``cursor``, ``execute``, ``fetchall``, ``close``, ``commit``,
    ``rollback``...), each a hop there and back. Nothing on PostgreSQL."""
    seen: list[str] = []
    if engine.dialect.name != "sqlite":
        yield seen
        return
    ours: set[int] = set()
    pool = engine.sync_engine.pool

    def checkout(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
        ours.add(id(record.driver_connection))

    plain = aiosqlite.core.Connection._execute

    async def counted(self: aiosqlite.core.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if id(self) in ours:
            seen.append(getattr(fn, "__name__", repr(fn)))
        return await plain(self, fn, *args, **kwargs)

    event.listen(pool, "checkout", checkout)
    aiosqlite.core.Connection._execute = counted  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        aiosqlite.core.Connection._execute = plain  # type: ignore[method-assign]
        event.remove(pool, "checkout", checkout)
