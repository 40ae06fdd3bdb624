"""Truly concurrent requests: stock, per-volunteer limits and single use hold under load, and
after a mix of everything stock and holds add up and the books verify."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import db
from cli import main
from tests.api.conftest import ADMIN, VOLUNTEER, concurrent_client
from tests.api.helpers import balance, execute, scalar, verify
from tests.api.rewards_helpers import (
    MARKET,
    add_reward,
    open_holds,
    pass_its_date,
    redeem,
    redeemed,
    scan,
    stock_used,
)

Client = AsyncTestClient  # type: ignore[type-arg]


async def test_200_concurrent_redemptions_of_a_stock_of_10_give_exactly_10(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    await add_reward(client, "lantern", cost_points=3, stock_total=10)
    passbooks = ["YZS1-0001", "YZS1-0002", "YZS2-0001", "YZS4-0001"]
    held_before = sum([(await open_holds(demo_engine, number))[1] for number in passbooks])
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(
            *(
                redeem(concurrent, "lantern", headers=ADMIN, passbook=passbooks[i % 4])
                for i in range(200)
            )
        )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 10, 409: 190}, statuses
    refused = [r.json() for r in responses if r.status_code == 409]
    assert {body["code"] for body in refused} == {"sold_out"}
    assert all("sold out" in body["detail"] for body in refused)
    assert await stock_used(demo_engine, "lantern") == 10
    held = sum([(await open_holds(demo_engine, number))[1] for number in passbooks])
    assert held == held_before + 10 * 3
    assert (await verify(client))["ok"] is True


async def test_a_limit_of_2_under_50_concurrent_attempts_gives_exactly_2(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    await add_reward(client, "lantern", cost_points=3, stock_total=100, per_volunteer_limit=2)
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(*(redeem(concurrent, "lantern") for _ in range(50)))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 2, 409: 48}, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"limit_reached"}
    assert await stock_used(demo_engine, "lantern") == 2
    assert (await balance(client, "YZS1-0001"))["held"] == 6
    assert (await verify(client))["ok"] is True


async def test_100_concurrent_consumes_of_one_voucher_settle_once(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    await add_reward(client, "lantern", cost_points=9, stock_total=5)
    code = (await redeemed(client, "lantern"))["vouchers"][0]["code"]
    entries_before = await scalar(demo_engine, "SELECT count(*) FROM ledger_entry")
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(*(scan(concurrent, "consume", code) for _ in range(100)))
    # One scan succeeds. Without a key nothing tells a retry from a second till, so every
    # other scan is refused as already used; those beyond the scanner's places in flight are
    # paused (429) before the code is looked at. None is a second success.
    firsts = [r.json() for r in responses if r.status_code == 200]
    assert len(firsts) == 1, Counter(r.status_code for r in responses)
    assert firsts[0]["replayed"] is False
    refused = Counter(r.json()["code"] for r in responses if r.status_code != 200)
    assert set(refused) <= {"voucher_already_used", "too_many_invalid_codes"}, refused
    assert refused["voucher_already_used"] >= 1
    assert await scalar(demo_engine, "SELECT count(*) FROM ledger_entry") == entries_before + 1
    after = await balance(client, "YZS1-0001")
    assert (after["posted"], after["held"]) == (111, 0)
    assert (await verify(client))["ok"] is True


async def test_a_mix_of_redeem_cancel_expire_and_consume_adds_up(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    await add_reward(client, "lantern", cost_points=2, stock_total=40, per_volunteer_limit=30)
    await add_reward(client, "kite", cost_points=3, stock_total=40)
    async with concurrent_client(database_url) as concurrent:
        made = await asyncio.gather(
            *(redeem(concurrent, ("lantern", "kite")[i % 2], quantity=1 + i % 3) for i in range(16))
        )
        assert all(r.status_code == 201 for r in made), [r.text for r in made]
        vouchers = [v for r in made for v in r.json()["vouchers"]]
        consumes = [scan(concurrent, "consume", v["code"]) for v in vouchers[0::3]]
        cancels = [
            concurrent.post(f"/api/vouchers/{v['id']}/cancel", headers=VOLUNTEER)
            for v in vouchers[1::3]
        ]
        whole = [
            concurrent.post(f"/api/redemptions/{r.json()['id']}/cancel", headers=VOLUNTEER)
            for r in made[::5]
        ]
        done = await asyncio.gather(*consumes, *cancels, *whole)
    # a voucher may be cancelled with its whole redemption before its own scan or cancel
    # comes: then that one is refused, as it should be
    # (and a scan beyond the scanner's places in flight is paused, 429, having done nothing)
    for response in done:
        assert response.status_code in (200, 409, 429), response.text
        if response.status_code == 409:
            assert response.json()["code"] in {"voucher_cancelled", "voucher_already_used"}
        if response.status_code == 429:
            assert response.json()["code"] == "too_many_invalid_codes"
    assert any(r.status_code == 200 for r in done[: len(consumes)])
    # the rest expire: their date passes, then the sweep runs (twice changes nothing more)
    await execute(
        demo_engine,
        "UPDATE voucher SET issued_at = :i, expires_at = :t "
        "WHERE status = 'issued' AND reward_id IN "
        "(SELECT id FROM reward WHERE code IN ('lantern', 'kite'))",
        i=datetime.now(UTC) - timedelta(days=3),
        t=datetime.now(UTC) - timedelta(seconds=1),
    )
    for _ in range(2):
        result = await asyncio.to_thread(
            CliRunner().invoke, main, ["expire", "--database-url", database_url]
        )
        assert result.exit_code == 0, result.output
        assert "Expired" in result.stdout

    statuses = Counter(
        (
            row.split(":")[0],
            row.split(":")[1],
        )
        for row in await _voucher_states(demo_engine)
    )
    assert ("lantern", "issued") not in statuses
    assert ("kite", "issued") not in statuses
    for reward in ("lantern", "kite"):
        used = statuses[(reward, "used")]
        assert await stock_used(demo_engine, reward) == used  # only used vouchers keep stock
    points_used = 2 * statuses[("lantern", "used")] + 3 * statuses[("kite", "used")]
    after = await balance(client, "YZS1-0001")
    assert (after["posted"], after["held"]) == (120 - points_used, 0)
    assert await open_holds(demo_engine, "YZS1-0001") == (0, 0)
    report = await verify(client)
    assert report["ok"] is True, report["problems"]


async def _voucher_states(engine: AsyncEngine) -> list[str]:

    async with db.read_transaction(engine) as conn:
        rows = await conn.execute(
            text("SELECT r.code, v.status FROM voucher v JOIN reward r ON r.id = v.reward_id")
        )
        return [f"{code}:{status}" for code, status in rows]


async def test_expire_command_returns_points_of_vouchers_past_their_date(
    client: Client, demo_engine: AsyncEngine, database_url: str
) -> None:
    await add_reward(client, "lantern", cost_points=4, stock_total=3, per_volunteer_limit=1)
    voucher = (await redeemed(client, "lantern"))["vouchers"][0]
    await pass_its_date(demo_engine, voucher["id"])
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["expire", "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    assert "Expired 1 voucher(s); 4 points went back to passbooks." in result.stdout
    shown = await client.get(f"/api/vouchers/{voucher['id']}", headers=VOLUNTEER)
    assert shown.json()["status"] == "expired"
    assert (await balance(client, "YZS1-0001"))["held"] == 0
    assert await stock_used(demo_engine, "lantern") == 0
    assert (await redeem(client, "lantern")).status_code == 201  # the limit place came back
    hold_status = await scalar(
        demo_engine,
        "SELECT h.status FROM ledger_hold h JOIN voucher v ON v.hold_id = h.id WHERE v.id = :v",
        v=voucher["id"],
    )
    assert hold_status == "expired"
    assert (await scan(client, "verify", voucher["code"], MARKET)).json()["verdict"] == "expired"
