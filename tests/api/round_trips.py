"""Counting what a request asks of the database: every statement the driver sends.

Every statement SQLAlchemy runs, and on PostgreSQL also what asyncpg sends by itself (its query
log: BEGIN, COMMIT and ROLLBACK, each a round trip). On SQLite (in-process, no round trips) the
BEGIN is one SQLAlchemy runs, and a rollback is not seen."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

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
