"""Test databases, built by the alembic migrations and nothing else.

One run of the suite uses one database kind: SQLite by default, PostgreSQL when
``PASSBOOK_TEST_DATABASE_URL`` names a server (``.ci/run`` runs the suite once with each). The
schema is migrated once per run into a template, and every test gets a fresh copy of it: a file
copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL (made ahead of use and dropped
behind it by :mod:`tests.databases`).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

import db
import migrations
from seeds import load_demo
from tests.databases import ServerDatabases, copy_sqlite, database_of
from tests.databases import admin as _admin

_counter = itertools.count()


def _server_url() -> str | None:
    return os.environ.get("PASSBOOK_TEST_DATABASE_URL") or None


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def db_kind() -> db.Dialect:
    url = _server_url()
    return db.dialect_of(url) if url else db.Dialect.SQLITE


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = _server_url()
    if server is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrations.upgrade(url)
        yield url
        return
    name = f"passbook_tpl_{os.getpid()}"
    asyncio.run(_admin(server, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"))
    url = _with_database(server, name)
    migrations.upgrade(url)
    yield url
    asyncio.run(_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _load_demo(url: str) -> None:
    engine = db.create_engine(url)
    try:
        await load_demo(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def demo_template_url(template_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The migrated schema template plus the demo data, made once per run (here, not in
    ``tests/api/conftest.py``, so the page tests, which use the API tests' fixtures, share it)."""
    server = _server_url()
    if server is None:
        path = tmp_path_factory.mktemp("demo-template") / "demo.db"
        copy_sqlite(Path(database_of(template_url)), path)
        url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(_load_demo(url))
        yield url
        return
    name = f"passbook_demo_tpl_{os.getpid()}"
    template = database_of(template_url)
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
    databases = ServerDatabases(server, database_of(demo_template_url), "passbook_api")
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def _schema_databases(template_url: str) -> Iterator[ServerDatabases | None]:
    server = _server_url()
    if server is None:
        yield None
        return
    databases = ServerDatabases(server, make_url(template_url).database or "", "passbook_t")
    yield databases
    databases.close()


@pytest.fixture
async def database_url(
    template_url: str, _schema_databases: ServerDatabases | None, tmp_path: Path
) -> AsyncIterator[str]:
    """A freshly migrated, empty database of this run's kind, dropped afterwards."""
    if _schema_databases is None:
        source = Path(make_url(template_url).database or "")
        target = tmp_path / "passbook.db"
        shutil.copyfile(source, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    url = await _schema_databases.take()
    yield url
    _schema_databases.give_back(url)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(database_url, pool_size=20)
    yield engine
    await engine.dispose()


@pytest.fixture
async def empty_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A second database of this run's kind with nothing in it (not even the schema): where a
    restore goes. Dropped afterwards."""
    server = _server_url()
    if server is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"passbook_e_{os.getpid()}_{next(_counter)}"
    await _admin(server, f"CREATE DATABASE {name}")
    yield _with_database(server, name)
    await _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
