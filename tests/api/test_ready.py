"""/ready: the database answers and its schema is at the migrations' head; otherwise 503
with what to do. /health stays liveness."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import db
import migrations
from tests.api.helpers import assert_problem

Client = AsyncTestClient  # type: ignore[type-arg]


async def test_ready_when_the_schema_is_at_head(client: Client) -> None:
    answer = await client.get("/ready")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "status": "ready",
        "database": "ok",
        "schema_revision": migrations.head_revision(),
    }


async def test_not_ready_while_the_schema_is_behind(
    client: Client, demo_engine: AsyncEngine
) -> None:
    async def step_back(conn: db.Connection) -> None:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))

    await db.run_in_transaction(demo_engine, step_back)
    answer = await client.get("/ready")
    assert_problem(answer, 503, "not_ready")
    assert "passbook migrate" in answer.json()["detail"]
    assert answer.headers["retry-after"] == "10"
    chinese = await client.get("/ready", headers={"Accept-Language": "zh-CN"})
    assert chinese.json()["code"] == "not_ready"
    assert "passbook migrate" in chinese.json()["detail"]
    assert chinese.json()["detail"] != answer.json()["detail"]
    assert (await client.get("/health")).status_code == 200  # alive all the same
