"""What the hot requests ask of the database, counted (see docs/benchmarks.md, "Where an
HTTP request's time goes"): the principal in one statement, a passbook and its kept balance in one more, and on
either database no BEGIN or ROLLBACK around reads that one statement answers (on SQLite each
call to the driver is a hop to its thread and back). A change that adds a round trip or a hop
to these fails here, whatever the machine's speed."""

from __future__ import annotations

import asyncio

from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import db
from access import Role
from tests.api.helpers import bearer, execute, make_token, scalar
from tests.api.round_trips import driver_calls, round_trips

Client = AsyncTestClient  # type: ignore[type-arg]
NUMBER = "YZS1-0001"


def _selects(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


async def _warm(client: Client, headers: dict[str, str], path: str) -> None:
    # The first request notes the token's use (a write of its own, once every few minutes)
    # and prepares the statements on the connection; the counted one is the steady state.
    for _ in range(2):
        assert (await client.get(path, headers=headers)).status_code == 200


async def test_a_balance_read_is_two_statements_and_no_transaction(
    client: Client, demo_engine: AsyncEngine
) -> None:
    raw, _id = await make_token(demo_engine, Role.VOLUNTEER, NUMBER)
    path = f"/api/passbooks/{NUMBER}"
    await _warm(client, bearer(raw), path)
    engine: AsyncEngine = client.app.state.engine
    with round_trips(engine) as seen, driver_calls(engine) as calls:
        response = await client.get(path, headers=bearer(raw))
    assert response.status_code == 200, response.text
    assert response.json()["number"] == NUMBER
    selects = _selects(seen)
    assert len(selects) == 2, seen  # the token; the passbook with its balance row
    assert "api_token" in selects[0]
    assert seen == selects, seen  # not one BEGIN, COMMIT or ROLLBACK
    if engine.dialect.name == "sqlite":
        # Per statement its cursor, run, rows and close: no BEGIN, no rollback on either
        # connection's return to the pool.
        assert calls == ["cursor", "execute", "fetchall", "close"] * 2, calls


async def test_the_principal_is_one_statement_on_every_request(
    client: Client, demo_engine: AsyncEngine
) -> None:
    raw, _id = await make_token(demo_engine, Role.ADMIN, "yanshan")
    await _warm(client, bearer(raw), "/api/me")
    engine: AsyncEngine = client.app.state.engine
    with round_trips(engine) as seen:
        assert (await client.get("/api/me", headers=bearer(raw))).status_code == 200
    assert len(_selects(seen)) == 1, seen
    assert len(seen) == 1, seen


async def test_a_token_revoked_between_two_pooled_requests_is_refused_at_once(
    client: Client, demo_engine: AsyncEngine
) -> None:
    """The lookup runs outside a transaction on a pooled connection: it must still see a
    revocation committed a moment before, by another connection (another worker)."""
    raw, token_id = await make_token(demo_engine, Role.VOLUNTEER, NUMBER)
    path = f"/api/passbooks/{NUMBER}"
    await _warm(client, bearer(raw), path)
    await execute(
        demo_engine,
        "UPDATE api_token SET revoked_at = CURRENT_TIMESTAMP WHERE id = :id",
        id=token_id,
    )
    response = await client.get(path, headers=bearer(raw))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


async def test_noting_a_tokens_use_is_one_statement_that_sticks(
    client: Client, demo_engine: AsyncEngine
) -> None:
    """When a token's use is due to be noted, the note is one conditional UPDATE (committed
    by itself on PostgreSQL) and it is there for the next reader; the request after it
    notes nothing."""
    raw, token_id = await make_token(demo_engine, Role.ADMIN, "yanshan")
    await _warm(client, bearer(raw), "/api/me")
    await execute(
        demo_engine, "UPDATE api_token SET last_used_at = NULL WHERE id = :id", id=token_id
    )
    engine: AsyncEngine = client.app.state.engine
    with round_trips(engine) as seen:
        assert (await client.get("/api/me", headers=bearer(raw))).status_code == 200
    updates = [s for s in seen if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1, seen
    assert await scalar(
        demo_engine, "SELECT last_used_at FROM api_token WHERE id = :id", id=token_id
    )
    if engine.dialect.name == "postgresql":
        assert len(seen) == 2, seen  # the lookup and the note: no BEGIN, no COMMIT
    with round_trips(engine) as seen:
        assert (await client.get("/api/me", headers=bearer(raw))).status_code == 200
    assert not [s for s in seen if s.lstrip().upper().startswith("UPDATE")], seen


async def test_the_pool_keeps_its_connections_and_opens_no_more_than_its_bound(
    database_url: str,
) -> None:
    """A peak of requests opens connections up to twice the pool size, and no more are ever
    open at once. On PostgreSQL every one is kept for the next peak (none is closed on return
    to be opened again: a new server backend each); on SQLite the pool size of them are kept
    (a new one is a driver thread and the connection's pragmas, some ten hops, but each kept
    one holds a page cache of its own)."""
    engine = db.create_engine(database_url, pool_size=2)
    kept = 4 if engine.dialect.name == "postgresql" else 2
    try:
        opened = asyncio.Event()
        held = 0

        async def hold() -> None:
            nonlocal held
            async with db.single_read(engine) as conn:  # on SQLite no BEGIN: none waits
                await conn.execute(text("SELECT 1"))
                held += 1
                if held == 4:
                    opened.set()
                await opened.wait()

        await asyncio.gather(*(hold() for _ in range(4)))
        assert engine.sync_engine.pool.checkedin() == kept  # type: ignore[attr-defined]
        async with engine.connect(), engine.connect(), engine.connect(), engine.connect():
            waiting = asyncio.create_task(hold())
            await asyncio.sleep(0.2)
            assert not waiting.done()  # a fifth waits for one of the four
        await asyncio.wait_for(waiting, 10)
    finally:
        await engine.dispose()
