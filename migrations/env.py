"""Alembic environment: the only way a Red Passbook schema is made, tests included.

The database URL comes from ``config.attributes["url"]`` when the service or the tests run the
migrations, else from ``PASSBOOK_DATABASE_URL`` (the same setting the service reads).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from config import Settings
from db import create_engine
from migrations.schema import metadata

config = context.config


def _url() -> str:
    url = config.attributes.get("url")
    return str(url) if url else Settings().database_url


def _driver_sql(connection: Connection, sql: str) -> list[tuple[object, ...]]:
    """Run ``sql`` on the driver's connection itself, outside any transaction (SQLite ignores
    ``PRAGMA foreign_keys`` inside one)."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _run(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # A batch migration rebuilds a table; with foreign keys on, dropping the old copy of a
        # table that others reference fails. They are checked again once it is done.
        _driver_sql(connection, "PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
            if connection.dialect.name == "sqlite":
                broken = await connection.run_sync(_driver_sql, "PRAGMA foreign_key_check")
                await connection.run_sync(_driver_sql, "PRAGMA foreign_keys=ON")
                if broken:
                    raise RuntimeError(f"The migration left broken foreign keys: {broken[:5]}")
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
