"""An in-process app on a fresh migrated database with the demo data and its tokens.

The demo data is loaded once per run into a template (``demo_template_url`` in
``tests/conftest.py``: a copy of the migrated schema template with the demo), and every test gets a fresh copy of that: a file copy on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. So in these tests ``database_url``, ``engine``,
``demo_engine`` and ``client`` all point at one fresh database that already holds the demo.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.datastructures import State
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from config import Settings
from tests.databases import ServerDatabases, copy_sqlite, database_of

ADMIN = {"Authorization": "Bearer pb_demo_admin"}
AUDITOR = {"Authorization": "Bearer pb_demo_auditor"}
COUNCIL_G1 = {"Authorization": "Bearer pb_demo_council_g1"}  # council member yzs-g1-a
COUNCIL_G1B = {"Authorization": "Bearer pb_demo_council_g1b"}  # council member yzs-g1-b
VOLUNTEER = {"Authorization": "Bearer pb_demo_volunteer"}  # holds passbook YZS1-0001

MAX_BODY_BYTES = 4096


@pytest.fixture
async def database_url(
    demo_template_url: str, _server_databases: ServerDatabases | None, tmp_path: Path
) -> AsyncIterator[str]:
    """A fresh database of this run's kind holding the migrated schema and the demo data."""
    if _server_databases is None:
        target = tmp_path / "passbook.db"
        copy_sqlite(Path(database_of(demo_template_url)), target)
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
