"""Engine construction for the two supported databases.

SQLite is the embedded default, PostgreSQL the production database. The SQLite engine is set up
so that a write transaction takes the write lock when it begins (``BEGIN IMMEDIATE``) and waits
for it up to ``busy_timeout``; read transactions begin deferred and, under WAL, never block a
writer. A connection given :data:`SINGLE_STATEMENT` begins nothing: the driver is in
autocommit mode, so each statement is a transaction of its own (a read sees the last commit).

aiosqlite runs every call on the connection's own thread, a hop there and back each; the
engine spares the hop of a rollback when there is nothing to roll back (returning a connection
to the pool, ending a single statement), which sqlite3 would skip itself anyway.
"""

from __future__ import annotations

import enum
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
SINGLE_STATEMENT = "passbook_single_statement"
"""Execution option: on SQLite, no BEGIN (one statement, committed or ended by itself)."""


class Dialect(enum.StrEnum):
    """The databases Red Passbook runs on."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


def dialect_of(engine_or_url: AsyncEngine | str) -> Dialect:
    """Which supported database an engine or URL points at; anything else is refused."""
    url = engine_or_url.url if isinstance(engine_or_url, AsyncEngine) else make_url(engine_or_url)
    name = url.get_backend_name()
    try:
        return Dialect(name)
    except ValueError:
        raise ValueError(
            f"unsupported database {name!r}: use sqlite+aiosqlite:///path.db "
            "or postgresql+asyncpg://user@host/db"
        ) from None


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An async engine for ``url`` with the pragmas and begin behaviour the ledger relies on."""
    dialect = dialect_of(url)
    if dialect is Dialect.SQLITE:
        return _sqlite_engine(url, pool_size=pool_size, echo=echo)
    # No pre-ping: on asyncpg it costs three round trips per checkout. A connection the
    # server dropped fails its transaction instead, which is_transient() lets the caller retry
    # (every write that moves points is keyed, so a retry after an unknown commit replays).
    # At most 2 x pool_size connections, and every one opened is kept: an overflow connection
    # closed on return costs the next checkout a new server backend and asyncpg's own set-up
    # (at 32 concurrent requests, 53 new sessions in 691 balance reads), so none is made one.
    return create_async_engine(
        url, pool_size=2 * pool_size, max_overflow=0, pool_recycle=1800, echo=echo
    )


def _sqlite_engine(url: str, *, pool_size: int, echo: bool) -> AsyncEngine:
    # A file: at most 2 x pool_size connections, as on PostgreSQL: writers waiting for the one
    # write lock each hold one, and reads must get past them. pool_size of them are kept (a
    # new one costs a driver thread and the pragmas below, some ten hops); the rest close on
    # return, as each keeps a page cache of its own (20 kept: 164 MB a worker). An in-memory
    # database is one connection (SQLAlchemy's StaticPool), which takes no pool size.
    sizes = (
        {}
        if make_url(url).database in (None, "", ":memory:")
        else {
            "pool_size": pool_size,
            "max_overflow": pool_size,
        }
    )
    engine = create_async_engine(
        url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, **sizes
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get(SINGLE_STATEMENT, False):
            return
        write = options.get("passbook_write", True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    _rollback_only_in_transaction(engine)
    return engine


def _rollback_only_in_transaction(engine: AsyncEngine) -> None:
    """Make ``engine`` skip a rollback when its SQLite connection is in no transaction.

    sqlite3 itself does nothing then (its rollback checks ``sqlite3_get_autocommit`` first),
    but aiosqlite still sends the call to the connection's thread and waits for it: the pool's
    reset on return after every commit or rollback, and the end of every single statement."""
    dialect = engine.dialect
    plain = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        if _in_transaction(dbapi_connection):
            plain(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


def _in_transaction(dbapi_connection: Any) -> bool:
    # aiosqlite reads sqlite3's own flag in place (no hop); a closed or broken connection
    # answers True, so that the driver's rollback runs and reports it as before.
    try:
        return bool(dbapi_connection.driver_connection.in_transaction)
    except (ValueError, sqlite3.Error):
        return True
