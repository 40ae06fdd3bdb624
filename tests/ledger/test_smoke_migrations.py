"""The migrated schema matches the models: what ``alembic check`` asserts, inside the suite."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from migrations.schema import metadata


async def test_migrations_match_models(engine: AsyncEngine) -> None:
    def diff(sync_conn):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(sync_conn), metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []
