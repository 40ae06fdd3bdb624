"""One holder at a time across processes: :func:`exclusive` runs a block in at most one
process (one worker of ``passbook serve``) among all that share the database; the others are
told at once that someone else holds it, and skip.

Invariants: the lock is held for the whole block and released when it ends, or when the
holding process dies (a lock that outlived its holder would stop the work for good):

* PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection of its own,
  in autocommit so it never sits idle in a transaction; a dead process's connection closes
  and the server drops its locks.
* SQLite: an exclusive ``flock`` on a file beside the database (``<file>-<name>.lock``).
  SQLite's own write lock cannot be held across the block: the block's own short write
  transactions (other connections) would wait on it, and so would every writer of every
  worker. The kernel drops a dead process's ``flock``. An in-memory database lives in one
  process, so there is nothing to share and the block always runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db._engine import Dialect, dialect_of


def advisory_key(name: str) -> int:
    """The signed 64-bit advisory lock key PostgreSQL knows the lock ``name`` by."""
    digest = hashlib.blake2b(f"passbook:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@asynccontextmanager
async def exclusive(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """Yield True while this process holds the lock ``name`` (for the whole block), False at
    once when another process holds it."""
    if dialect_of(engine) is Dialect.POSTGRESQL:
        async with _advisory(engine, advisory_key(name)) as held:
            yield held
        return
    with _file_lock(engine.url.database, name) as held:
        yield held


@asynccontextmanager
async def _advisory(engine: AsyncEngine, key: int) -> AsyncIterator[bool]:
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        held = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        try:
            yield held
        finally:
            if held:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


@contextlib.contextmanager
def _file_lock(database: str | None, name: str) -> Iterator[bool]:
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        yield True
        return
    descriptor = os.open(f"{database}-{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
