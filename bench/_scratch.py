"""Scratch databases, shared by every benchmark.

The rule it keeps: a benchmark never touches the database it is pointed at; it only uses that
URL to find the server (PostgreSQL) or the kind (SQLite). On PostgreSQL the scratch databases
:data:`LEDGER_DATABASE` and the others, one name per benchmark (and :data:`PGBENCH_DATABASE`
for the pgbench yardstick; the HTTP bench's :data:`HTTP_DATABASE` and its copy
:data:`BARE_DATABASE`) are made on the same server, dropped first if left over and dropped
again at the end; a URL that names one of them is refused. Two different benchmarks may run
at once; two runs of the same one may not (the second drops the first's database). On SQLite the scratch database is a file in a temporary directory, opened
through :func:`db.create_engine`, so the pragmas are the service's own. Either way it is built
by the migrations, as the service's own database is.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing, suppress
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

import db
import migrations
from bench._report import Out

__all__ = [
    "BARE_DATABASE",
    "HTTP_DATABASE",
    "LEDGER_DATABASE",
    "PAGES_DATABASE",
    "PGBENCH_DATABASE",
    "REWARDS_DATABASE",
    "SERVERS_DATABASE",
    "SHEETS_DATABASE",
    "SIGNIN_DATABASE",
    "admin",
    "checkpoint",
    "scratch_copy",
    "scratch_database",
    "server_version",
]

# One name per benchmark, so that two different benchmarks can run at once: each drops and
# recreates its own scratch database first, which would break another one's run on that name.
LEDGER_DATABASE = "passbook_bench_ledger"
REWARDS_DATABASE = "passbook_bench_rewards"
SHEETS_DATABASE = "passbook_bench_sheets"
SIGNIN_DATABASE = "passbook_bench_signin"
PAGES_DATABASE = "passbook_bench_pages"
PGBENCH_DATABASE = "passbook_pgbench"
HTTP_DATABASE = "passbook_bench_http"
BARE_DATABASE = "passbook_bench_bare"
SERVERS_DATABASE = "passbook_bench_servers"
_SCRATCH = (
    LEDGER_DATABASE,
    REWARDS_DATABASE,
    SHEETS_DATABASE,
    SIGNIN_DATABASE,
    PAGES_DATABASE,
    PGBENCH_DATABASE,
    HTTP_DATABASE,
    BARE_DATABASE,
    SERVERS_DATABASE,
)


def _asyncpg_url(database_url: str, database: str) -> URL:
    return make_url(database_url).set(drivername="postgresql+asyncpg", database=database)


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


async def admin(database_url: str, *statements: str) -> None:
    """Run ``statements`` outside a transaction from the server's maintenance database, or,
    if that cannot be reached, from the named one: a session there reads and writes nothing."""
    named = make_url(database_url).database or "postgres"
    last: Exception | None = None
    for maintenance in dict.fromkeys(["postgres", named]):
        engine = create_async_engine(
            _render(_asyncpg_url(database_url, maintenance)),
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
        )
        try:
            async with engine.connect() as conn:
                for statement in statements:
                    await conn.exec_driver_sql(statement)
            return
        except (DBAPIError, OSError) as error:
            last = error
            if "does not exist" not in str(error) and "permission" not in str(error):
                raise
        finally:
            await engine.dispose()
    assert last is not None
    raise last


def _refuse_own_database(database_url: str) -> None:
    named = make_url(database_url).database
    if named in _SCRATCH:
        raise ValueError(
            f"the benchmark drops and recreates {named!r}; point it at another database on the "
            "same server (it only uses that URL to find the server)"
        )


@asynccontextmanager
async def scratch_database(database_url: str, out: Out, name: str) -> AsyncIterator[str]:
    """A freshly migrated scratch database of the same kind as ``database_url`` (on
    PostgreSQL named ``name``, the calling benchmark's own scratch name), yielded as a URL and
    removed afterwards."""
    assert name in _SCRATCH
    if db.dialect_of(database_url) is db.Dialect.SQLITE:
        folder = tempfile.mkdtemp(prefix="passbook-bench-")
        try:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            out(f"· migrating a scratch SQLite database in {folder}")
            await asyncio.to_thread(_migrate_quietly, url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    _refuse_own_database(database_url)
    out(f"· creating scratch database {name} (dropped first if left over)")
    await admin(
        database_url,
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"CREATE DATABASE {name}",
    )
    try:
        url = _render(_asyncpg_url(database_url, name))
        await asyncio.to_thread(_migrate_quietly, url)
        yield url
    finally:
        out(f"· dropping scratch database {name}")
        await admin(database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@asynccontextmanager
async def scratch_copy(database_url: str, source: str, out: Out, name: str) -> AsyncIterator[str]:
    """A copy of the scratch database ``source`` (nobody connected to it), named ``name`` on
    PostgreSQL or a file beside it on SQLite, yielded as a URL and removed afterwards."""
    assert name in _SCRATCH
    if db.dialect_of(database_url) is db.Dialect.SQLITE:
        original = Path(make_url(source).database or "")
        copy = original.with_name(f"{name}.db")
        await asyncio.to_thread(_sqlite_copy, original, copy)
        try:
            yield f"sqlite+aiosqlite:///{copy}"
        finally:
            copy.unlink(missing_ok=True)
        return
    source_name = make_url(source).database
    out(f"· copying {source_name} into scratch database {name}")
    await admin(
        database_url,
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"CREATE DATABASE {name} TEMPLATE {source_name}",
    )
    try:
        yield _render(_asyncpg_url(database_url, name))
    finally:
        out(f"· dropping scratch database {name}")
        await admin(database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _sqlite_copy(original: Path, copy: Path) -> None:
    with closing(sqlite3.connect(original)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)


def _migrate_quietly(url: str) -> None:
    """Migrate the scratch database without alembic's line per migration, which would bury
    the benchmark's own output."""
    alembic_log = logging.getLogger("alembic")
    before = alembic_log.level
    alembic_log.setLevel(logging.WARNING)
    try:
        migrations.upgrade(url)
    finally:
        alembic_log.setLevel(before)


async def server_version(engine: AsyncEngine) -> str:
    """The server and the durability setting the figures were measured under."""
    async with engine.connect() as conn:
        if db.dialect_of(engine) is db.Dialect.SQLITE:
            version = await conn.scalar(text("SELECT sqlite_version()"))
            await conn.rollback()
            return f"SQLite {version} (WAL, synchronous=FULL, temporary file)"
        version = await conn.scalar(text("SHOW server_version"))
        sync = await conn.scalar(text("SHOW synchronous_commit"))
        await conn.rollback()
        return f"PostgreSQL {version} (synchronous_commit={sync})"


async def checkpoint(engine: AsyncEngine) -> None:
    """Flush what seeding wrote, so a checkpoint is less likely to land inside a timed run."""
    if db.dialect_of(engine) is db.Dialect.SQLITE:
        # Outside any transaction, which the engine's connections always open (BEGIN on use).
        await asyncio.to_thread(_sqlite_checkpoint, engine.url.database or "")
        return
    async with engine.connect() as conn:
        with suppress(DBAPIError):  # needs superuser or pg_checkpoint; only a nicety
            await conn.exec_driver_sql("CHECKPOINT")
        await conn.rollback()


def _sqlite_checkpoint(path: str) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
