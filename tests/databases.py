"""Fresh copies of a template database on the PostgreSQL test server, made ahead of use.

Invariant: every copy a test is handed was made from the template by ``CREATE DATABASE ...
TEMPLATE`` and was never handed to another test; every copy made is dropped by the end of the
run. Creating a copy and dropping one (``DROP DATABASE`` waits for a checkpoint) take a good
part of a second on a busy server, so two worker threads make a few copies ahead of use and
drop used ones behind the tests, and no test waits for either.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

_counter = itertools.count()


async def admin(server: str, *statements: str) -> None:
    """Run ``statements`` one by one on the server's own database (not a copy)."""
    url = make_url(server)
    dsn = url.set(drivername="postgresql", database=url.database or "postgres")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database file, with its write-ahead log if it has one."""
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + "-wal")
    if wal.exists():  # committed pages not yet checkpointed into the main file
        shutil.copyfile(wal, target.with_name(target.name + "-wal"))


def database_of(url: str) -> str:
    name = make_url(url).database
    assert name
    return name


class ServerDatabases:
    """Copies of ``template`` named ``<prefix>_<pid>_<n>``: :meth:`take` one, :meth:`give_back`
    it when the test is done, :meth:`close` at the end of the run."""

    AHEAD = 2

    def __init__(self, server: str, template: str, prefix: str) -> None:
        self._server = server
        self._template = template
        self._prefix = prefix
        self._workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-databases")
        self._ready: deque[Future[str]] = deque()
        self._drops: list[Future[None]] = []

    def _create(self) -> str:
        name = f"{self._prefix}_{os.getpid()}_{next(_counter)}"
        asyncio.run(admin(self._server, f"CREATE DATABASE {name} TEMPLATE {self._template}"))
        return name

    def _drop(self, name: str) -> None:
        asyncio.run(admin(self._server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    async def take(self) -> str:
        while len(self._ready) <= self.AHEAD:
            self._ready.append(self._workers.submit(self._create))
        name = await asyncio.wrap_future(self._ready.popleft())
        return make_url(self._server).set(database=name).render_as_string(hide_password=False)

    def give_back(self, url: str) -> None:
        self._drops.append(self._workers.submit(self._drop, database_of(url)))

    def close(self) -> None:
        for made in self._ready:
            self._drops.append(self._workers.submit(self._drop, made.result()))
        self._workers.shutdown(wait=True)
        for dropped in self._drops:
            dropped.result()  # surface a failed DROP
