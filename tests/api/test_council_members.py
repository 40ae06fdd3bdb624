"""Council members through the API: adding them to a grid, listing them (phones masked unless
admin), stepping one down (their tokens stop at once) and issuing their tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from access import Role
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER
from tests.api.helpers import assert_problem, bearer, make_token, scalar

Client = AsyncTestClient  # type: ignore[type-arg]

G1 = {"code": "yzs-g1", "name": "燕子山第一网格"}


def member(**changes: Any) -> dict[str, Any]:
    return {"code": "yzs-g1-c", "name": "孔秀珍", "grid": "yzs-g1", **changes}


async def add(client: Client, headers: dict[str, str] = ADMIN, **body: Any) -> Any:
    return await client.post("/api/council-members", json=member(**body), headers=headers)


async def members_in_books(engine: AsyncEngine) -> int:
    return int(await scalar(engine, "SELECT count(*) FROM council_member"))


async def test_adding_a_council_member_is_idempotent_on_the_code(
    client: Client, demo_engine: AsyncEngine
) -> None:
    grid_worker, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g1")
    response = await add(client, bearer(grid_worker), phone="13712345678")
    assert response.status_code == 201, response.text
    assert response.json() == {
        "code": "yzs-g1-c",
        "name": "孔秀珍",
        "grid": G1,
        "phone": "13712345678",
        "phone_masked": False,
        "active": True,
        "passbook_number": None,
    }
    again = await add(client, bearer(grid_worker), phone="137 1234 5678")
    assert again.status_code == 200, again.text
    assert again.json() == response.json()

    before = await members_in_books(demo_engine)
    for changes, differs in [
        ({"name": "孔秀英", "phone": "13712345678"}, "name"),
        ({"grid": "yzs-g2", "phone": "13712345678"}, "grid"),
        ({}, "phone"),
    ]:
        problem = assert_problem(await add(client, **changes), 409, "registration_conflict")
        assert differs in problem["detail"]
    assert await members_in_books(demo_engine) == before


async def test_bad_council_members_are_refused(client: Client, demo_engine: AsyncEngine) -> None:
    before = await members_in_books(demo_engine)
    for body, status, code in [
        ({"code": "Yzs G1"}, 422, "invalid_person_data"),
        ({"name": " "}, 422, "invalid_request"),
        ({"name": "孔\t秀珍"}, 422, "invalid_person_data"),
        ({"phone": "10086"}, 422, "invalid_person_data"),
        ({"grid": "yanzishan"}, 422, "invalid_person_data"),
        ({"grid": "nowhere"}, 404, "org_unit_not_found"),
        ({"passbook_number": "NO-SUCH-1"}, 404, "passbook_not_found"),
        ({"role": "chair"}, 422, "invalid_request"),
    ]:
        assert_problem(await add(client, **body), status, code)
    grid_worker, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g1")
    for headers, body in [
        (bearer(grid_worker), {"grid": "yzs-g2", "code": "yzs-g2-c"}),
        # a grid worker cannot tie a member to a passbook of another grid
        (bearer(grid_worker), {"passbook_number": "YZS2-0001"}),
        (COUNCIL_G1, {}),
        (VOLUNTEER, {}),
        (AUDITOR, {}),
    ]:
        assert_problem(await add(client, headers, **body), 403, "forbidden")
    assert await members_in_books(demo_engine) == before


async def test_a_member_who_volunteers_is_tied_to_their_passbook_once(client: Client) -> None:
    response = await add(client, passbook_number="yzs1-0002")
    assert response.status_code == 201, response.text
    assert response.json()["passbook_number"] == "YZS1-0002"
    other = await add(client, code="yzs-g1-d", passbook_number="YZS1-0002")
    problem = assert_problem(other, 409, "registration_conflict")
    assert "yzs-g1-c" in problem["detail"]


async def test_listing_masks_phones_for_council_members(
    client: Client, demo_engine: AsyncEngine
) -> None:
    assert (await add(client, phone="13712345678", passbook_number="YZS1-0002")).status_code == 201

    as_admin = (
        await client.get("/api/council-members", params={"unit": "yzs-g1"}, headers=ADMIN)
    ).json()
    assert as_admin["unit"] == "yzs-g1"
    codes = [m["code"] for m in as_admin["members"]]
    assert {"yzs-g1-a", "yzs-g1-b", "yzs-g1-c"} <= set(codes)
    assert {m["grid"]["code"] for m in as_admin["members"]} == {"yzs-g1"}
    [new] = [m for m in as_admin["members"] if m["code"] == "yzs-g1-c"]
    assert (new["phone"], new["phone_masked"], new["passbook_number"]) == (
        "13712345678",
        False,
        "YZS1-0002",
    )

    as_council = await client.get("/api/council-members", headers=COUNCIL_G1)
    assert as_council.status_code == 200
    assert as_council.json()["unit"] == "yzs-g1"
    [new] = [m for m in as_council.json()["members"] if m["code"] == "yzs-g1-c"]
    assert (new["phone"], new["phone_masked"], new["passbook_number"]) == (
        "137****5678",
        True,
        None,
    )
    assert "13712345678" not in as_council.text

    everything = (await client.get("/api/council-members", headers=ADMIN)).json()
    assert {"yzs-g1-a", "yzs-g7-b", "yzs-g1-c"} <= {m["code"] for m in everything["members"]}

    for headers, params in [
        (COUNCIL_G1, {"unit": "yzs-g2"}),
        (COUNCIL_G1, {"unit": "yanzishan"}),
        (VOLUNTEER, {}),
        (AUDITOR, {}),
    ]:
        response = await client.get("/api/council-members", params=params, headers=headers)
        assert_problem(response, 403, "forbidden")


async def test_issuing_a_token_and_stepping_down(client: Client, demo_engine: AsyncEngine) -> None:
    assert (await add(client)).status_code == 201
    grid_worker, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g1")
    before = datetime.now(UTC)
    response = await client.post(
        "/api/council-members/yzs-g1-c/tokens", json={"valid_days": 30}, headers=bearer(grid_worker)
    )
    assert response.status_code == 201, response.text
    issued = response.json()
    assert issued["token"].startswith("pb_")
    assert issued["member"]["code"] == "yzs-g1-c"
    expires = datetime.fromisoformat(issued["expires_at"])
    assert before + timedelta(days=30) <= expires <= datetime.now(UTC) + timedelta(days=30)
    me = await client.get("/api/me", headers=bearer(issued["token"]))
    assert me.json() == {
        "role": "council",
        "scope": "yanshan/yanzishan/yzs-g1",
        "label": "孔秀珍 (yzs-g1-c)",
    }
    # the token is stored as a hash only, with its member and expiry
    stored = await scalar(
        demo_engine,
        "SELECT count(*) FROM api_token t JOIN council_member m ON m.id = t.council_member_id "
        "WHERE m.code = 'yzs-g1-c' AND t.expires_at IS NOT NULL",
    )
    assert stored == 1
    assert (
        await scalar(
            demo_engine,
            "SELECT count(*) FROM api_token WHERE token_hash = :raw",
            raw=issued["token"],
        )
        == 0
    )

    for headers, code, status in [
        (COUNCIL_G1, "yzs-g1-c", 403),
        (VOLUNTEER, "yzs-g1-c", 403),
        (bearer((await make_token(demo_engine, Role.ADMIN, "yzs-g2"))[0]), "yzs-g1-c", 403),
        (ADMIN, "nobody", 404),
    ]:
        for action in ("tokens", "step-down"):
            body = {} if action == "tokens" else None
            response = await client.post(
                f"/api/council-members/{code}/{action}", json=body, headers=headers
            )
            assert_problem(response, status)
    bad_days = await client.post(
        "/api/council-members/yzs-g1-c/tokens", json={"valid_days": 0}, headers=ADMIN
    )
    assert_problem(bad_days, 422)

    response = await client.post(
        "/api/council-members/yzs-g1-c/step-down", headers=bearer(grid_worker)
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    # the member's tokens stop working at once; the other members' do not
    assert_problem(await client.get("/api/me", headers=bearer(issued["token"])), 401)
    assert (await client.get("/api/me", headers=COUNCIL_G1)).status_code == 200
    # stepping down twice changes nothing; a stepped-down member gets no new token
    again = await client.post("/api/council-members/yzs-g1-c/step-down", headers=ADMIN)
    assert (again.status_code, again.json()["active"]) == (200, False)
    problem = assert_problem(
        await client.post("/api/council-members/yzs-g1-c/tokens", json={}, headers=ADMIN),
        409,
        "council_member_stepped_down",
    )
    assert "new code" in problem["detail"]
    # and they are listed only when asked for
    listed = (
        await client.get("/api/council-members", params={"unit": "yzs-g1"}, headers=ADMIN)
    ).json()
    assert "yzs-g1-c" not in {m["code"] for m in listed["members"]}
    listed = (
        await client.get(
            "/api/council-members",
            params={"unit": "yzs-g1", "include_stepped_down": "true"},
            headers=ADMIN,
        )
    ).json()
    assert "yzs-g1-c" in {m["code"] for m in listed["members"]}
    # re-adding the code is refused: codes are never reused
    assert_problem(await add(client), 409, "registration_conflict")


async def test_stepping_down_the_demo_member_stops_the_demo_council_token(client: Client) -> None:
    assert (await client.get("/api/me", headers=COUNCIL_G1)).status_code == 200
    response = await client.post("/api/council-members/yzs-g1-a/step-down", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert_problem(await client.get("/api/volunteers", headers=COUNCIL_G1), 401)
    assert (
        await client.get("/api/me", headers={"Authorization": "Bearer pb_demo_council_g1b"})
    ).status_code == 200
