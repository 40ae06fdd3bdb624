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


def _run(connection: Connection) -> None:
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
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
