"""An in-process app on a fresh migrated database with the demo data and its tokens.

The demo data is loaded once per run into a template (a copy of the migrated schema template
from ``tests/conftest.py``), and every test gets a fresh copy of that: a file copy on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. So in these tests ``database_url``, ``engine``,
``demo_engine`` and ``client`` all point at one fresh database that already holds the demo.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.datastructures import State
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

import db
from api.app import create_app
from config import Settings
from seeds import load_demo
from tests.databases import ServerDatabases

ADMIN = {"Authorization": "Bearer pb_demo_admin"}
AUDITOR = {"Authorization": "Bearer pb_demo_auditor"}
COUNCIL_G1 = {"Authorization": "Bearer pb_demo_council_g1"}  # council member yzs-g1-a
COUNCIL_G1B = {"Authorization": "Bearer pb_demo_council_g1b"}  # council member yzs-g1-b
VOLUNTEER = {"Authorization": "Bearer pb_demo_volunteer"}  # holds passbook YZS1-0001

MAX_BODY_BYTES = 4096

_counter = itertools.count()


def _server_url() -> str | None:
    return os.environ.get("PASSBOOK_TEST_DATABASE_URL") or None


def _database(url: str) -> str:
    name = make_url(url).database
    assert name
    return name


async def _admin(server: str, *statements: str) -> None:
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _load_demo(url: str) -> None:
    engine = db.create_engine(url)
    try:
        await load_demo(engine)
    finally:
        await engine.dispose()


def _copy_sqlite(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + "-wal")
    if wal.exists():  # committed pages not yet checkpointed into the main file
        shutil.copyfile(wal, target.with_name(target.name + "-wal"))


@pytest.fixture(scope="session")
def demo_template_url(template_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The migrated schema template plus the demo data, made once per run."""
    server = _server_url()
    if server is None:
        path = tmp_path_factory.mktemp("demo-template") / "demo.db"
        _copy_sqlite(Path(_database(template_url)), path)
        url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(_load_demo(url))
        yield url
        return
    name = f"passbook_demo_tpl_{os.getpid()}"
    template = _database(template_url)
    asyncio.run(
        _admin(
            server,
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            f"CREATE DATABASE {name} TEMPLATE {template}",
        )
    )
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_load_demo(url))
    yield url
    asyncio.run(_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def _server_databases(demo_template_url: str) -> Iterator[ServerDatabases | None]:
    server = _server_url()
    if server is None:
        yield None
        return
    databases = ServerDatabases(server, _database(demo_template_url), "passbook_api")
    yield databases
    databases.close()


@pytest.fixture
async def database_url(
    demo_template_url: str, _server_databases: ServerDatabases | None, tmp_path: Path
) -> AsyncIterator[str]:
    """A fresh database of this run's kind holding the migrated schema and the demo data."""
    if _server_databases is None:
        target = tmp_path / "passbook.db"
        _copy_sqlite(Path(_database(demo_template_url)), target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    url = await _server_databases.take()
    yield url
    _server_databases.give_back(url)


@pytest.fixture
async def demo_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine of this test's database; the demo data is already in it."""
    return engine


class _Apps:
    """Apps for the tests' clients, reused: building the app (registering some 300 route
    handlers) costs about 0.3 s of CPU, which every API and page test paid once or more.

    A test still gets the app as a fresh build would give it: its own settings (the lifespan
    reads the settings it captured when it starts, so they point at the test's database before
    its client starts it) and a new ``app.state`` (nothing a handler keeps there, such as the
    scanners' throttle, outlives its test). An app serves one client at a time; a test that
    holds two clients at once gets two apps."""

    def __init__(self) -> None:
        self._free: list[tuple[Litestar, Settings]] = []

    @asynccontextmanager
    async def on(self, database_url: str) -> AsyncIterator[Litestar]:
        if self._free:
            app, settings = self._free.pop()
        else:
            settings = Settings(database_url=database_url, max_body_bytes=MAX_BODY_BYTES)
            app = create_app(settings)
        settings.database_url = database_url
        app.state = State({"settings": settings})
        try:
            yield app
        finally:
            self._free.append((app, settings))


_APPS = _Apps()


@pytest.fixture
async def client(database_url: str, demo_engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with _APPS.on(database_url) as app, AsyncTestClient(app=app) as test_client:
        yield test_client


@asynccontextmanager
async def concurrent_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client on ``database_url`` whose requests really run concurrently.

    Litestar's AsyncTestClient hands each request to a portal thread and blocks the event loop
    until it is answered, so ``asyncio.gather`` over it runs the requests one after another.
    This one calls the app in the caller's own event loop. (A context manager, not a fixture:
    the app's lifespan must start and end in the same task.)"""
    async with (
        _APPS.on(database_url) as app,
        app.lifespan(),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        ) as test_client,
    ):
        yield test_client
