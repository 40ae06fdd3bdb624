"""An in-process app on a fresh migrated database with the demo data and its tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Settings
from seeds import load_demo

ADMIN = {"Authorization": "Bearer pb_demo_admin"}
AUDITOR = {"Authorization": "Bearer pb_demo_auditor"}
COUNCIL_G1 = {"Authorization": "Bearer pb_demo_council_g1"}
VOLUNTEER = {"Authorization": "Bearer pb_demo_volunteer"}  # holds passbook YZS1-0001


@pytest.fixture
async def demo_engine(engine: AsyncEngine) -> AsyncEngine:
    await load_demo(engine)
    return engine


@pytest.fixture
async def client(database_url: str, demo_engine: AsyncEngine) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    app = create_app(Settings(database_url=database_url, max_body_bytes=4096))
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
