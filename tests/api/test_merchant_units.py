"""Finding 11 of the security review: a merchant serves one org unit, and a grid's admin
manages only the merchants of their unit: adds them, reads their settlements, issues their
credentials, and sells their rewards only within the merchant's unit."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from access import Role
from tests.api.conftest import ADMIN, AUDITOR
from tests.api.helpers import assert_problem, bearer, make_token

Client = AsyncTestClient  # type: ignore[type-arg]


async def staff(engine: AsyncEngine, role: Role, unit: str) -> dict[str, str]:
    raw, _ = await make_token(engine, role, unit, label=f"{role} of {unit}")
    return bearer(raw)


async def add(client: Client, headers: dict[str, str], **body: Any) -> Any:
    return await client.post(
        "/api/merchants", json={"code": "g1-tea", "name": "一网格茶水站", **body}, headers=headers
    )


async def test_a_grid_admin_adds_merchants_of_their_grid_only(
    client: Client, demo_engine: AsyncEngine
) -> None:
    grid_admin = await staff(demo_engine, Role.ADMIN, "yzs-g1")
    refused = await add(client, grid_admin, code="street-shop", org_unit="yanshan")
    assert_problem(refused, 403, "forbidden")
    made = await add(client, grid_admin)
    assert made.status_code == 201, made.text
    assert made.json()["org_unit"] == "yzs-g1"
    street = await add(client, ADMIN, code="street-shop", name="街道便民店")
    assert street.status_code == 201, street.text
    assert street.json()["org_unit"] == "yanshan"  # the admin's own unit by default
    # the same again is no change; the same code for another unit is refused
    assert (await add(client, grid_admin)).status_code in (200, 201)
    assert_problem(await add(client, ADMIN, org_unit="yzs-g2"), 422, "invalid_catalog")


async def test_settlements_are_read_over_the_merchants_unit(
    client: Client, demo_engine: AsyncEngine
) -> None:
    grid_admin = await staff(demo_engine, Role.ADMIN, "yzs-g1")
    grid_auditor = await staff(demo_engine, Role.AUDITOR, "yzs-g1")
    yaotou = await staff(demo_engine, Role.ADMIN, "yaotou")
    assert (await add(client, grid_admin)).status_code == 201
    for headers in (grid_admin, grid_auditor):
        refused = await client.get("/api/merchants/market/settlement", headers=headers)
        assert_problem(refused, 403, "forbidden")
        for suffix in ("", ".csv", ".xlsx"):
            own = await client.get(f"/api/merchants/g1-tea/settlement{suffix}", headers=headers)
            assert own.status_code == 200, own.text
    assert_problem(
        await client.get("/api/merchants/g1-tea/settlement.csv", headers=yaotou), 403, "forbidden"
    )
    for headers in (ADMIN, AUDITOR):
        for code in ("market", "g1-tea"):
            seen = await client.get(f"/api/merchants/{code}/settlement", headers=headers)
            assert seen.status_code == 200, seen.text
    # the list: what serves the caller's unit (the street's merchants serve every grid)
    listed = await client.get("/api/merchants", headers=grid_admin)
    assert {"market", "g1-tea"} <= {m["code"] for m in listed.json()}
    other = await client.get("/api/merchants", headers=yaotou)
    assert "g1-tea" not in {m["code"] for m in other.json()}
    assert "market" in {m["code"] for m in other.json()}


async def test_a_merchants_rewards_lie_within_its_unit(
    client: Client, demo_engine: AsyncEngine
) -> None:
    grid_admin = await staff(demo_engine, Role.ADMIN, "yzs-g1")
    assert (await add(client, grid_admin)).status_code == 201
    reward = {"code": "g1-tea-cup", "name": "一杯茶", "kind": "goods", "cost_points": 5,
              "merchant": "g1-tea"}  # fmt: skip
    wide = await client.post(
        "/api/rewards", json={**reward, "org_unit": "yanzishan"}, headers=ADMIN
    )
    assert_problem(wide, 422, "invalid_catalog")
    made = await client.post("/api/rewards", json={**reward, "org_unit": "yzs-g1"}, headers=ADMIN)
    assert made.status_code == 201, made.text


async def test_merchant_credentials_follow_the_merchants_unit(
    client: Client, demo_engine: AsyncEngine
) -> None:
    grid_admin = await staff(demo_engine, Role.ADMIN, "yzs-g1")
    assert (await add(client, grid_admin)).status_code == 201

    async def issue(code: str, headers: dict[str, str]) -> Any:
        return await client.post(
            "/api/tokens",
            json={"role": "merchant", "scope": code, "label": f"{code} till"},
            headers=headers,
        )

    assert_problem(await issue("market", grid_admin), 403, "credential_out_of_reach")
    made = await issue("g1-tea", grid_admin)
    assert made.status_code == 201, made.text
    token_id = made.json()["credential"]["id"]
    listed = await client.get("/api/tokens?role=merchant", headers=grid_admin)
    assert listed.status_code == 200, listed.text
    assert {t["scope"] for t in listed.json()["credentials"]} == {"g1-tea"}
    yaotou = await staff(demo_engine, Role.ADMIN, "yaotou")
    refused = await client.post(f"/api/tokens/{token_id}/revocation", headers=yaotou)
    assert_problem(refused, 403, "credential_out_of_reach")
    revoked = await client.post(f"/api/tokens/{token_id}/revocation", headers=grid_admin)
    assert revoked.status_code == 200, revoked.text
    assert (await issue("market", ADMIN)).status_code == 201
