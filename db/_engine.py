"""Engine construction for the two supported databases.

SQLite is the embedded default, PostgreSQL the production database. The SQLite engine is set up
so that a write transaction takes the write lock when it begins (``BEGIN IMMEDIATE``) and waits
for it up to ``busy_timeout``; read transactions begin deferred and, under WAL, never block a
writer.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


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
        return _sqlite_engine(url, echo=echo)
    # No pre-ping: on asyncpg it costs three round trips per checkout. A connection the
    # server dropped fails its transaction instead, which is_transient() lets the caller retry
    # (every write that moves points is keyed, so a retry after an unknown commit replays).
    # At most 2 x pool_size connections, and every one opened is kept: an overflow connection
    # closed on return costs the next checkout a new server backend and asyncpg's own set-up
    # (at 32 concurrent requests, 53 new sessions in 691 balance reads), so none is made one.
    return create_async_engine(
        url, pool_size=2 * pool_size, max_overflow=0, pool_recycle=1800, echo=echo
    )


def _sqlite_engine(url: str, *, echo: bool) -> AsyncEngine:
    engine = create_async_engine(
        url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
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
        write = connection.get_execution_options().get("passbook_write", True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
