"""The catalog through the API: staff put rewards in and change them; volunteers browse what
they can redeem now, with the reason when they cannot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from access import Role
from tests.api.conftest import ADMIN, COUNCIL_G1, VOLUNTEER
from tests.api.helpers import assert_problem, bearer, execute, make_token
from tests.api.rewards_helpers import MARKET, add_reward, redeem, redeemed

Client = AsyncTestClient  # type: ignore[type-arg]


def reasons(offer: dict[str, Any]) -> set[str]:
    return {reason["code"] for reason in offer["reasons"]}


async def offers(client: Client, headers: dict[str, str], **params: str) -> dict[str, Any]:
    response = await client.get("/api/rewards", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {offer["reward"]["code"]: offer for offer in response.json()["offers"]}


async def test_the_demo_catalog_as_the_demo_volunteer_sees_it(client: Client) -> None:
    seen = await offers(client, VOLUNTEER)
    demo = {"tissues", "toiletries", "shopping-cart", "dumplings", "vegetables", "car-wash"}
    assert demo | {"kids-class", "cinema", "kindergarten-place"} <= set(seen)
    assert seen["tissues"]["can_redeem"] is True
    assert seen["tissues"]["reward"]["name"] == "抽纸（一提）"
    assert seen["tissues"]["limit_left"] == 2
    assert seen["tissues"]["available_points"] == 120
    # registered today: too recently for the kindergarten ballot, which is not instant anyway
    assert reasons(seen["kindergarten-place"]) >= {"allocated_by_ballot", "not_eligible"}
    assert seen["kindergarten-place"]["can_redeem"] is False
    assert seen["cinema"]["can_redeem"] is True
    assert all(offer["reasons"] or offer["can_redeem"] for offer in seen.values())


async def test_reasons_name_what_is_missing(client: Client, demo_engine: AsyncEngine) -> None:
    await add_reward(client, "pricey", cost_points=500)
    await add_reward(client, "veteran", min_lifetime_points=1000)
    await add_reward(client, "old-hand", min_months_registered=12)
    await add_reward(client, "grid-two", org_unit="yzs-g2")
    await add_reward(client, "gone", stock_total=0)
    await add_reward(client, "once", per_volunteer_limit=1, limit_period="ever")
    await add_reward(client, "monthly", monthly_quota=1)
    await add_reward(
        client, "later", sale_starts_at=(datetime.now(UTC) + timedelta(days=3)).isoformat()
    )
    assert (await redeem(client, "once")).status_code == 201
    assert (await redeem(client, "monthly", headers=ADMIN, passbook="YZS1-0002")).status_code == 201

    seen = await offers(client, VOLUNTEER)
    expected = {
        "pricey": "not_enough_points",
        "veteran": "not_eligible",
        "old-hand": "not_eligible",
        "grid-two": "not_eligible",
        "gone": "sold_out",
        "once": "limit_reached",
        "monthly": "quota_reached",
        "later": "not_on_sale",
    }
    for code, reason in expected.items():
        assert reasons(seen[code]) == {reason}, seen[code]
        assert seen[code]["can_redeem"] is False
        # and redeeming is refused for the same reason
        refused = await redeem(client, code)
        body = assert_problem(refused, 409)
        assert body["code"] == ("insufficient_points" if reason == "not_enough_points" else reason)
    assert "500" in seen["pricey"]["reasons"][0]["message"]
    assert "第二网格" in seen["grid-two"]["reasons"][0]["message"]

    # a volunteer who moved away redeems nothing
    await execute(
        demo_engine,
        "UPDATE volunteer SET status = 'moved_away' WHERE passbook_number = 'YZS1-0001'",
    )
    moved = await offers(client, ADMIN, passbook="YZS1-0001")
    assert "not_eligible" in reasons(moved["tissues"])


async def test_browsing_for_someone_else(client: Client) -> None:
    # an admin or council member may look at a passbook in their scope; a volunteer may not
    for headers in (ADMIN, COUNCIL_G1):
        seen = await offers(client, headers, passbook="YZS1-0002")
        assert seen["tissues"]["available_points"] == 85
    assert_problem(
        await client.get("/api/rewards", params={"passbook": "YZS1-0002"}, headers=VOLUNTEER),
        403,
    )
    assert_problem(
        await client.get("/api/rewards", params={"passbook": "YZS2-0001"}, headers=COUNCIL_G1),
        403,
    )
    # without a passbook: the catalog, judged for nobody
    plain = await offers(client, ADMIN)
    assert plain["tissues"]["can_redeem"] is None
    # a merchant sees its own rewards
    market = {"tissues", "toiletries", "shopping-cart", "dumplings", "vegetables"}
    assert set(await offers(client, MARKET)) == market


async def test_staff_put_rewards_in_and_change_them(
    client: Client, demo_engine: AsyncEngine
) -> None:
    created = await add_reward(client, "lamp", stock_total=2, cost_points=20)
    assert created["stock_left"] == 2
    assert created["eligibility"]["org_unit"] == "yanshan"  # the admin's own scope
    assert_problem(
        await client.post(
            "/api/rewards",
            json={
                "code": "lamp",
                "name": "灯",
                "kind": "goods",
                "cost_points": 1,
                "merchant": "market",
            },
            headers=ADMIN,
        ),
        409,
        "reward_exists",
    )
    for bad in (
        {"cost_points": 0},
        {"cost_points": 2.5},
        {"kind": "cash"},
        {"merchant": "no-such-shop"},
        {"org_unit": "nowhere"},
        {"voucher_valid_days": 0},
        {"sale_starts_at": "2026-12-01T08:00:00"},  # no time zone
        {"unknown": 1},
    ):
        body = {"code": "x-1", "name": "x", "kind": "goods", "cost_points": 1, "merchant": "market"}
        response = await client.post("/api/rewards", json={**body, **bad}, headers=ADMIN)
        assert response.status_code in (404, 422), (bad, response.text)
    assert (await client.get("/api/rewards/x-1", headers=ADMIN)).status_code == 404

    await redeemed(client, "lamp")
    topped = await client.patch("/api/rewards/lamp", json={"stock_total": 5}, headers=ADMIN)
    assert topped.status_code == 200, topped.text
    assert topped.json()["stock_left"] == 4
    below = await client.patch("/api/rewards/lamp", json={"stock_total": 0}, headers=ADMIN)
    assert "already taken 1" in assert_problem(below, 422, "invalid_catalog")["detail"]
    withdrawn = await client.patch("/api/rewards/lamp", json={"active": False}, headers=ADMIN)
    assert withdrawn.json()["active"] is False
    assert "lamp" not in await offers(client, VOLUNTEER)
    assert_problem(await redeem(client, "lamp"), 409, "not_on_sale")
    unlimited = await client.patch(
        "/api/rewards/lamp", json={"stock_total": None, "active": True}, headers=ADMIN
    )
    assert unlimited.json()["stock_left"] is None

    # only admins, and only inside their scope
    for headers in (VOLUNTEER, COUNCIL_G1, MARKET):
        assert_problem(
            await client.patch("/api/rewards/lamp", json={"active": False}, headers=headers), 403
        )
    grid_admin, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2", label="grid 2 worker")
    assert_problem(
        await client.patch("/api/rewards/lamp", json={"active": False}, headers=bearer(grid_admin)),
        403,
    )
    mine = await client.post(
        "/api/rewards",
        json={
            "code": "g2-only",
            "name": "二网格专享",
            "kind": "service",
            "cost_points": 3,
            "merchant": "carwash",
        },
        headers=bearer(grid_admin),
    )
    assert mine.status_code == 201, mine.text
    assert mine.json()["eligibility"]["org_unit"] == "yzs-g2"


async def test_merchants_are_added_by_admins(client: Client) -> None:
    response = await client.post(
        "/api/merchants", json={"code": "bakery", "name": "燕山面包房"}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    assert response.json()["account_id"] > 0
    listed = await client.get("/api/merchants", headers=VOLUNTEER)
    assert {"code": "bakery", "name": "燕山面包房"} in listed.json()
    assert_problem(
        await client.post("/api/merchants", json={"code": "Bad Code", "name": "x"}, headers=ADMIN),
        422,
    )
    assert_problem(
        await client.post("/api/merchants", json={"code": "x", "name": "x"}, headers=MARKET), 403
    )
