"""Consistent copies of the books, taken while the service runs, and loaded back only into an
empty database.

Invariants:

* a backup is one consistent moment of the books: on SQLite, the online backup API copies a
  snapshot page by page while writers go on (WAL); on PostgreSQL, ``pg_dump`` reads one
  repeatable-read snapshot (it is driven here, and the command line says so);
* a restore never mixes books: it refuses a target that already holds any table, and loads a
  SQLite backup only into a new file and a PostgreSQL one only with ``pg_restore`` into an
  empty database; the caller verifies the restored books (:func:`ledger.verify_books`);
* the kind of a backup is in its first bytes (SQLite's header, or pg_dump's ``PGDMP``), so a
  backup of one kind is never loaded into the other.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from db._domain_error import DomainError
from db._engine import Dialect, dialect_of
from i18n import _

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
PAGES_PER_STEP = 256
"""SQLite pages copied per step of an online backup: writers get the lock between steps."""


class BackupError(DomainError):
    """A backup or a restore that cannot be done as asked; nothing was changed."""

    code = "backup_refused"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(_("A backup needs a database file, not an in-memory database."))
    return Path(database)


def _pg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(program: str, *arguments: str) -> None:
    found = shutil.which(program)
    if found is None:
        raise BackupError(
            _(
                "{program} is not installed here; install PostgreSQL's client programs and "
                "try again.",
                program=program,
            )
        )
    done = subprocess.run(  # noqa: S603 - our own arguments, no shell
        [found, *arguments], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(
            _(
                "{program} failed: {error}",
                program=program,
                error=(done.stderr or done.stdout).strip()[-500:],
            )
        )


def backup(url: str, target: Path) -> Dialect:
    """Copy the books at ``url`` into the new file ``target`` as of one moment; which kind of
    backup it is. Refuses a target that exists (a backup never overwrites one)."""
    if target.exists():
        raise BackupError(
            _("{file} exists already; choose a new file for the backup.", file=str(target))
        )
    kind = dialect_of(url)
    partial = target.with_name(target.name + ".partial")
    if kind is Dialect.SQLITE:
        source_path = _sqlite_path(url)
        if not source_path.exists():
            raise BackupError(_("There is no database file {file}.", file=str(source_path)))
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=PAGES_PER_STEP)
        finally:
            copy.close()
            source.close()
    else:
        _run("pg_dump", "--format=custom", "--no-owner", f"--file={partial}", _pg_dsn(url))
    partial.rename(target)  # a backup file exists only once it is whole
    return kind


def _kind_of_file(path: Path) -> Dialect:
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return Dialect.SQLITE
    if head.startswith(PG_DUMP_MAGIC):
        return Dialect.POSTGRESQL
    raise BackupError(
        _("{file} is not a Red Passbook backup (neither SQLite nor pg_dump).", file=str(path))
    )


async def _holds_tables(url: str) -> bool:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return bool(names)


def restore(source: Path, url: str) -> Dialect:
    """Load the backup ``source`` into the empty database at ``url``; which kind it was.
    Synchronous, like the programs it drives: call it from a thread in async code."""
    if not source.is_file():
        raise BackupError(_("There is no backup file {file}.", file=str(source)))
    kind = _kind_of_file(source)
    if kind is not dialect_of(url):
        raise BackupError(
            _(
                "{file} is a {backup} backup and cannot be loaded into a {target} database.",
                file=str(source),
                backup=kind.value,
                target=dialect_of(url).value,
            )
        )
    if kind is Dialect.SQLITE:
        target = _sqlite_path(url)
        if target.exists() and target.stat().st_size > 0:
            raise BackupError(
                _(
                    "{file} exists already; restore only into a new database file.",
                    file=str(target),
                )
            )
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            partial = Path(scratch) / target.name
            backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            copy = sqlite3.connect(partial)
            try:
                backup_db.backup(copy)
            finally:
                copy.close()
                backup_db.close()
            partial.rename(target)
        return kind
    if asyncio.run(_holds_tables(url)):
        raise BackupError(
            _(
                "The target database holds tables already; restore only into an empty "
                "database (createdb a new one)."
            )
        )
    _run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_pg_dsn(url)}", str(source))
    return kind


__all__ = ["BackupError", "backup", "restore"]
