"""The scan throttle is atomic and shared (finding 8 of issue 13): 100 concurrent verifies with
unknown codes let exactly the limit reach the voucher lookup, the rest are paused (429), and a
new app instance on the same database (a restart, or another worker process) still refuses."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

import rewards
from api.app import create_app
from config import Settings
from tests.api.conftest import MAX_BODY_BYTES
from tests.api.rewards_helpers import CARWASH, MARKET

_VOUCHER_LOOKUP = re.compile(r"\bFROM voucher\b", re.IGNORECASE)


@asynccontextmanager
async def running_app(database_url: str) -> AsyncIterator[tuple[Litestar, httpx.AsyncClient]]:
    """One app instance (as one worker process would run it), called concurrently."""
    app = create_app(Settings(database_url=database_url, max_body_bytes=MAX_BODY_BYTES))
    async with (
        app.lifespan(),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        ) as client,
    ):
        yield app, client


def count_lookups(engine: AsyncEngine, seen: list[str]) -> Any:
    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _VOUCHER_LOOKUP.search(statement):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    return record


async def verify(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/api/scan/verify", json={"code": rewards.new_code()}, headers=headers)


async def test_a_hundred_concurrent_unknown_codes_let_exactly_the_limit_through(
    database_url: str, demo_engine: AsyncEngine
) -> None:
    limit = rewards.ScanThrottle().limit
    async with running_app(database_url) as (app, client):
        engine: AsyncEngine = app.state.engine
        # how many voucher lookups one unknown code costs (another scanner: its own count)
        seen: list[str] = []
        record = count_lookups(engine, seen)
        try:
            assert (await verify(client, CARWASH)).status_code == 404
            per_lookup = len(seen)
            assert per_lookup >= 1
            seen.clear()
            responses = await asyncio.gather(*(verify(client, MARKET) for _ in range(100)))
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [404] * limit + [429] * (100 - limit), statuses
        assert len(seen) == limit * per_lookup
        paused = next(r for r in responses if r.status_code == 429)
        assert 1 <= int(paused.headers["Retry-After"]) <= 60

    # a restart (or another worker process): a new app on the same database still refuses
    async with running_app(database_url) as (_, client):
        again = await verify(client, MARKET)
        assert again.status_code == 429, again.text
        assert again.json()["code"] == "too_many_invalid_codes"
        assert (await verify(client, CARWASH)).status_code == 404  # others scan on


async def test_a_retry_with_the_scans_key_is_answered_while_the_scanner_is_paused(
    client: Any,
) -> None:
    from tests.api.helpers import writing
    from tests.api.rewards_helpers import add_reward, redeemed

    await add_reward(client, "retried-lantern", cost_points=3)
    code = (await redeemed(client, "retried-lantern"))["vouchers"][0]["code"]
    keyed = writing(MARKET, "till-1-scan-1")
    first = await client.post("/api/scan/consume", json={"code": code}, headers=keyed)
    assert first.status_code == 200, first.text
    for n in range(11):  # a guesser on the same credential fills the window
        await client.post(
            "/api/scan/verify", json={"code": f"ZZZZ-ZZZZ-ZZZZ-ZZZ{n % 10}"}, headers=MARKET
        )
    paused = await client.post("/api/scan/verify", json={"code": code}, headers=MARKET)
    assert paused.status_code == 429, paused.text
    again = await client.post("/api/scan/consume", json={"code": code}, headers=keyed)
    assert again.status_code == 200, again.text
    assert (again.json()["replayed"], again.json()["entry_id"]) == (True, first.json()["entry_id"])
