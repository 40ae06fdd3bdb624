"""Volunteers through the API: registering, reading and listing (phones masked outside the
person and admins), changing details and status, and moving between grids."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
from access import Role
from scheme_time import scheme_today
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER, concurrent_client
from tests.api.helpers import (
    assert_problem,
    balance,
    bearer,
    make_token,
    move_points,
    scalar,
    statement_lines,
)

Client = AsyncTestClient  # type: ignore[type-arg]


def new_volunteer(number: str = "YZS1-0901", **changes: Any) -> dict[str, Any]:
    return {"passbook_number": number, "name": "李秀英", "grid": "yzs-g1", **changes}


async def register(
    client: Client, headers: dict[str, str] = ADMIN, **body: Any
) -> Any:  # an httpx.Response
    return await client.post("/api/volunteers", json=new_volunteer(**body), headers=headers)


async def volunteers_in_books(engine: AsyncEngine) -> int:
    return int(await scalar(engine, "SELECT count(*) FROM volunteer"))


async def test_registering_opens_an_empty_passbook_and_is_idempotent(client: Client) -> None:
    response = await register(
        client,
        number="yzs1-0901",
        name="  李秀英 ",
        phone="138 1234-5678",
        leaderboard_opt_out=True,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "passbook_number": "YZS1-0901",
        "name": "李秀英",
        "grid": {"code": "yzs-g1", "name": "燕子山第一网格"},
        "phone": "13812345678",
        "phone_masked": False,
        "status": "active",
        "leaderboard_opt_out": True,
        "registered_at": created["registered_at"],
        "joined_on": scheme_today().isoformat(),  # today, China Standard Time, unless told
        "sign_in": {"pin_set": False, "wrong_pins_in_a_row": 0, "locked_until": None},
    }
    book = await balance(client, "YZS1-0901")
    assert (book["holder"], book["posted"], book["lines"]) == ("李秀英", 0, 0)

    # the same registration again (a retry) answers 200 with the same volunteer
    again = await register(
        client, number="YZS1-0901", name="李秀英", phone="13812345678", leaderboard_opt_out=True
    )
    assert again.status_code == 200, again.text
    assert again.json() == created


async def test_registering_a_taken_number_with_other_data_is_a_conflict(
    client: Client, demo_engine: AsyncEngine
) -> None:
    assert (await register(client, phone="13812345678")).status_code == 201
    before = await volunteers_in_books(demo_engine)
    for changes, differs in [
        ({"name": "王秀英"}, "name"),
        ({"grid": "yzs-g2"}, "grid"),
        ({"phone": "13912345678"}, "phone"),
        ({"phone": None}, "phone"),
        ({"leaderboard_opt_out": True}, "leaderboard choice"),
    ]:
        body = {"phone": "13812345678", **changes}
        problem = assert_problem(await register(client, **body), 409, "registration_conflict")
        assert differs in problem["detail"], problem
        assert problem["differs"] == [differs]
    # the demo's own volunteer is not overwritten either
    problem = assert_problem(
        await register(client, number="YZS1-0001", name="张三"), 409, "registration_conflict"
    )
    assert "YZS1-0001" in problem["detail"]
    assert await volunteers_in_books(demo_engine) == before
    assert (await client.get("/api/volunteers/YZS1-0001", headers=ADMIN)).json()["name"] == "王秀兰"


async def test_bad_registrations_are_refused_and_write_nothing(
    client: Client, demo_engine: AsyncEngine
) -> None:
    before = await volunteers_in_books(demo_engine)
    refused: list[tuple[dict[str, Any], int, str, str]] = [
        ({"phone": "1381234567"}, 422, "invalid_person_data", "11 digits"),
        ({"phone": "138123456789"}, 422, "invalid_person_data", "11 digits"),
        ({"phone": "23812345678"}, 422, "invalid_person_data", "11 digits"),
        ({"phone": "12812345678"}, 422, "invalid_person_data", "13 to 19"),
        ({"phone": "+8613812345678"}, 422, "invalid_person_data", "no +86"),
        ({"phone": "0531-888888"}, 422, "invalid_person_data", "landline"),
        ({"phone": "0531-08888888"}, 422, "invalid_person_data", "landline"),
        ({"phone": "1381234567a"}, 422, "invalid_person_data", "mobile"),
        ({"name": "   "}, 422, "invalid_request", ""),
        ({"name": "李" * 101}, 422, "invalid_person_data", "1 to 100"),
        ({"name": "李\n秀英"}, 422, "invalid_person_data", "one line"),
        ({"number": "YZS 1"}, 422, "invalid_person_data", "cover"),
        ({"number": "Y1"}, 422, "invalid_person_data", "3-32"),
        ({"grid": "yanzishan"}, 422, "invalid_person_data", "not a grid"),
        ({"grid": "no-such-grid"}, 404, "org_unit_not_found", "no-such-grid"),
        ({"nickname": "小李"}, 422, "invalid_request", ""),
        ({"leaderboard_opt_out": "maybe"}, 422, "invalid_request", ""),
    ]
    for body, status, code, says in refused:
        problem = assert_problem(await register(client, **body), status, code)
        assert says in problem["detail"], (body, problem)
    assert await volunteers_in_books(demo_engine) == before
    # a name of exactly 100 characters is fine
    assert (await register(client, name="李" * 100)).status_code == 201


async def test_landlines_and_full_width_numbers_are_registered_cleaned(client: Client) -> None:
    for number, typed, stored in [
        ("YZS1-0911", "0531-86123456", "0531-86123456"),
        ("ＹＺＳ１－０９１２", "(0531) 8612 3457", "0531-86123457"),
        ("YZS1-0913", "86123458", "86123458"),
    ]:
        response = await register(client, number=number, phone=typed)
        assert response.status_code == 201, response.text
        assert response.json()["phone"] == stored
    assert (await client.get("/api/volunteers/YZS1-0912", headers=ADMIN)).json()["name"] == "李秀英"
    masked = (await client.get("/api/volunteers/YZS1-0912", headers=COUNCIL_G1)).json()
    assert (masked["phone"], masked["phone_masked"]) == ("0531-****3457", True)
    lookalike = await register(client, number="YZS1-O9I3", phone=None)
    problem = assert_problem(lookalike, 409, "passbook_number_lookalike")
    assert "YZS1-0913" in problem["detail"]


async def test_only_admins_in_scope_register(client: Client, demo_engine: AsyncEngine) -> None:
    grid_worker, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g1", label="第一网格 网格员")
    problem = assert_problem(
        await register(client, bearer(grid_worker), grid="yzs-g2"), 403, "forbidden"
    )
    assert "yzs-g2" in problem["detail"]
    for headers in (COUNCIL_G1, VOLUNTEER, AUDITOR):
        assert_problem(await register(client, headers), 403, "forbidden")
    assert (await register(client, bearer(grid_worker))).status_code == 201


async def test_concurrent_identical_registrations_make_one_passbook(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    before = await volunteers_in_books(demo_engine)
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(*(register(concurrent) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201], [
        r.text for r in responses
    ]
    assert await volunteers_in_books(demo_engine) == before + 1
    accounts = await scalar(
        demo_engine,
        "SELECT count(*) FROM ledger_account WHERE owner_ref = 'volunteer:YZS1-0901'",
    )
    assert accounts == 1


async def set_phone(client: Client, number: str, phone: str | None) -> None:
    response = await client.patch(f"/api/volunteers/{number}", json={"phone": phone}, headers=ADMIN)
    assert response.status_code == 200, response.text


async def test_phones_are_masked_for_everyone_but_the_person_and_admins(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await set_phone(client, "YZS1-0001", "13812345678")
    grid_worker, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g1")
    for headers in (ADMIN, bearer(grid_worker), VOLUNTEER):
        body = (await client.get("/api/volunteers/YZS1-0001", headers=headers)).json()
        assert (body["phone"], body["phone_masked"]) == ("13812345678", False)
        assert body["sign_in"] is not None

    body = (await client.get("/api/volunteers/YZS1-0001", headers=COUNCIL_G1)).json()
    assert (body["phone"], body["phone_masked"], body["sign_in"]) == ("138****5678", True, None)
    listed = (await client.get("/api/volunteers", headers=COUNCIL_G1)).json()
    [wang] = [v for v in listed["volunteers"] if v["passbook_number"] == "YZS1-0001"]
    assert (wang["phone"], wang["phone_masked"]) == ("138****5678", True)
    assert all(v["phone"] is None or "****" in v["phone"] for v in listed["volunteers"])

    # nobody outside the grid sees the volunteer at all
    council_g2, _ = await make_token(demo_engine, Role.COUNCIL, "yzs-g2-a")
    admin_g2, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2")
    other_volunteer, _ = await make_token(demo_engine, Role.VOLUNTEER, "YZS2-0001")
    merchant, _ = await make_token(demo_engine, Role.MERCHANT, "yuanyuan-carwash")
    for raw in (council_g2, admin_g2, other_volunteer, merchant):
        response = await client.get("/api/volunteers/YZS1-0001", headers=bearer(raw))
        problem = assert_problem(response, 403, "forbidden")
        assert "1381234" not in response.text
        assert "5678" not in problem["detail"]
    assert_problem(await client.get("/api/volunteers/YZS1-0001", headers=AUDITOR), 403)
    # a volunteer cannot probe other numbers, known or not
    for number in ("YZS1-0002", "NO-SUCH-1"):
        assert_problem(await client.get(f"/api/volunteers/{number}", headers=VOLUNTEER), 403)
    assert_problem(
        await client.get("/api/volunteers/NO-SUCH-1", headers=ADMIN), 404, "passbook_not_found"
    )


async def add_grid(engine: AsyncEngine, code: str) -> None:
    async def use_case(conn: AsyncConnection) -> None:
        await community.add_org_unit(
            conn, code=code, name=f"测试网格 {code}", kind="grid", parent_code="yanzishan"
        )

    await db.run_in_transaction(engine, use_case)


async def test_listing_a_grid_pages_by_passbook_number(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_grid(demo_engine, "test-grid")
    numbers = [f"TST-{n:04d}" for n in (5, 1, 4, 2, 3)]
    for number in numbers:
        assert (await register(client, number=number, grid="test-grid")).status_code == 201
    await client.put(
        "/api/volunteers/TST-0004/status", json={"status": "moved_away"}, headers=ADMIN
    )
    grid_worker, _ = await make_token(demo_engine, Role.ADMIN, "test-grid")

    seen: list[str] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"after": after} if after else {})
        response = await client.get("/api/volunteers", params=params, headers=bearer(grid_worker))
        assert response.status_code == 200, response.text
        page = response.json()
        assert (page["unit"], page["total"]) == ("test-grid", 5)
        assert len(page["volunteers"]) <= 2
        seen += [v["passbook_number"] for v in page["volunteers"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted(numbers)

    active = (
        await client.get(
            "/api/volunteers", params={"unit": "test-grid", "status": "active"}, headers=ADMIN
        )
    ).json()
    assert active["total"] == 4
    assert "TST-0004" not in [v["passbook_number"] for v in active["volunteers"]]

    # a subtree lists every grid under it; the community's list holds the test grid's too
    community_list = (
        await client.get(
            "/api/volunteers", params={"unit": "yanzishan", "limit": 200}, headers=ADMIN
        )
    ).json()
    listed = {v["passbook_number"] for v in community_list["volunteers"]}
    assert set(numbers) <= listed
    assert "YZS1-0001" in listed
    assert community_list["total"] == await scalar(
        demo_engine,
        "SELECT count(*) FROM volunteer v JOIN org_unit g ON g.id = v.grid_id "
        "WHERE g.path LIKE 'yanshan/yanzishan/%'",
    )


async def test_who_may_list(client: Client, demo_engine: AsyncEngine) -> None:
    mine = (await client.get("/api/volunteers", headers=COUNCIL_G1)).json()
    assert mine["unit"] == "yzs-g1"
    assert {v["grid"]["code"] for v in mine["volunteers"]} == {"yzs-g1"}
    assert "YZS1-0001" in {v["passbook_number"] for v in mine["volunteers"]}
    for unit in ("yzs-g2", "yanzishan"):
        response = await client.get("/api/volunteers", params={"unit": unit}, headers=COUNCIL_G1)
        assert_problem(response, 403, "forbidden")
    grid_worker, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g1")
    response = await client.get(
        "/api/volunteers", params={"unit": "yzs-g2"}, headers=bearer(grid_worker)
    )
    assert_problem(response, 403, "forbidden")
    for headers in (VOLUNTEER, AUDITOR):
        assert_problem(await client.get("/api/volunteers", headers=headers), 403, "forbidden")
    response = await client.get("/api/volunteers", params={"unit": "nowhere"}, headers=ADMIN)
    assert_problem(response, 404, "org_unit_not_found")
    for bad in ({"limit": 0}, {"limit": 201}, {"status": "gone"}):
        response = await client.get("/api/volunteers", params=bad, headers=ADMIN)
        assert_problem(response, 422)


async def test_admins_change_details_and_volunteers_their_own_phone_and_choice(
    client: Client, demo_engine: AsyncEngine
) -> None:
    url = "/api/volunteers/YZS1-0001"
    response = await client.patch(
        url, json={"name": " 王秀兰 ", "phone": "13900001111"}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["phone"]) == ("王秀兰", "13900001111")

    response = await client.patch(
        url, json={"phone": "139 0000 2222", "leaderboard_opt_out": True}, headers=VOLUNTEER
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["phone"], body["leaderboard_opt_out"]) == ("13900002222", True)

    # a volunteer may not rename themself; nothing of the request is applied
    problem = assert_problem(
        await client.patch(url, json={"name": "王大妈", "phone": None}, headers=VOLUNTEER), 403
    )
    assert "grid worker" in problem["detail"]
    # council members, other volunteers and admins elsewhere change nothing
    admin_g2, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2")
    other, _ = await make_token(demo_engine, Role.VOLUNTEER, "YZS1-0002")
    for headers in (COUNCIL_G1, bearer(admin_g2), bearer(other), AUDITOR):
        response = await client.patch(url, json={"leaderboard_opt_out": False}, headers=headers)
        assert_problem(response, 403, "forbidden")
    # bad changes are refused whole
    for bad, status in [
        ({}, 422),
        ({"name": None}, 422),
        ({"leaderboard_opt_out": None}, 422),
        ({"phone": "12345", "leaderboard_opt_out": False}, 422),
        ({"name": "", "leaderboard_opt_out": False}, 422),
        ({"grid": "yzs-g2"}, 422),
    ]:
        assert_problem(await client.patch(url, json=bad, headers=ADMIN), status)
    assert_problem(
        await client.patch("/api/volunteers/NO-SUCH-1", json={"phone": None}, headers=ADMIN), 404
    )
    body = (await client.get(url, headers=ADMIN)).json()
    assert (body["name"], body["phone"], body["leaderboard_opt_out"]) == (
        "王秀兰",
        "13900002222",
        True,
    )
    # "phone": null removes the phone
    response = await client.patch(url, json={"phone": None}, headers=VOLUNTEER)
    assert (response.json()["phone"], response.json()["phone_masked"]) == (None, False)


async def test_a_moved_away_volunteer_keeps_the_passbook_but_their_tokens_stop(
    client: Client, demo_engine: AsyncEngine
) -> None:
    url = "/api/volunteers/YZS1-0001/status"
    assert (await client.get("/api/me", headers=VOLUNTEER)).status_code == 200
    for headers in (
        COUNCIL_G1,
        VOLUNTEER,
        AUDITOR,
        bearer((await make_token(demo_engine, Role.ADMIN, "yzs-g2"))[0]),
    ):
        response = await client.put(url, json={"status": "moved_away"}, headers=headers)
        assert_problem(response, 403, "forbidden")
    assert_problem(await client.put(url, json={"status": "gone"}, headers=ADMIN), 422)

    response = await client.put(url, json={"status": "moved_away"}, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "moved_away"
    assert_problem(await client.get("/api/me", headers=VOLUNTEER), 401, "not_authenticated")
    assert (await balance(client, "YZS1-0001"))["posted"] == 120  # the passbook stays

    # made active again, they sign in anew: moving away revoked the old tokens for good
    response = await client.put(url, json={"status": "active"}, headers=ADMIN)
    assert response.json()["status"] == "active"
    assert_problem(await client.get("/api/me", headers=VOLUNTEER), 401, "not_authenticated")


async def test_moving_grid_keeps_the_passbook_and_records_the_move(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await move_points(demo_engine, "YZS1-0002", 7, memo="垃圾分类值守")
    before_lines = await statement_lines(client, "YZS1-0002")
    before_balance = await balance(client, "YZS1-0002")
    staff, _ = await make_token(demo_engine, Role.ADMIN, "yanzishan", label="社区 staff 小张")

    response = await client.post(
        "/api/volunteers/YZS1-0002/move", json={"to_grid": "yzs-g2"}, headers=bearer(staff)
    )
    assert response.status_code == 200, response.text
    moved = response.json()
    assert moved["volunteer"]["grid"] == {"code": "yzs-g2", "name": "燕子山第二网格"}
    assert moved["volunteer"]["passbook_number"] == "YZS1-0002"
    assert moved["move"]["from_grid"]["code"] == "yzs-g1"
    assert moved["move"]["to_grid"]["code"] == "yzs-g2"
    assert "社区 staff 小张" in moved["move"]["actor"]

    after_balance = await balance(client, "YZS1-0002")
    assert after_balance["grid"]["code"] == "yzs-g2"
    assert {k: v for k, v in after_balance.items() if k != "grid"} == {
        k: v for k, v in before_balance.items() if k != "grid"
    }
    assert await statement_lines(client, "YZS1-0002") == before_lines

    history = (await client.get("/api/volunteers/YZS1-0002/moves", headers=ADMIN)).json()
    assert [(m["from_grid"]["code"], m["to_grid"]["code"]) for m in history["moves"]] == [
        ("yzs-g1", "yzs-g2")
    ]
    rows = await scalar(
        demo_engine,
        "SELECT count(*) FROM volunteer_move m JOIN volunteer v ON v.id = m.volunteer_id "
        "WHERE v.passbook_number = 'YZS1-0002'",
    )
    assert rows == 1
    # the new grid's council sees them now, the old grid's no longer
    assert_problem(await client.get("/api/volunteers/YZS1-0002", headers=COUNCIL_G1), 403)
    council_g2, _ = await make_token(demo_engine, Role.COUNCIL, "yzs-g2-a")
    assert (
        await client.get("/api/volunteers/YZS1-0002", headers=bearer(council_g2))
    ).status_code == 200


async def test_bad_moves_are_refused_and_change_nothing(
    client: Client, demo_engine: AsyncEngine
) -> None:
    url = "/api/volunteers/YZS1-0001/move"
    moves = await scalar(demo_engine, "SELECT count(*) FROM volunteer_move")
    grid_worker, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g1")
    cases: list[tuple[dict[str, str], dict[str, str], int, str, str]] = [
        (ADMIN, {"to_grid": "yzs-g1"}, 422, "move_refused", "already in grid"),
        (ADMIN, {"to_grid": "yanzishan"}, 422, "move_refused", "not a grid"),
        (ADMIN, {"to_grid": "yanshan"}, 422, "move_refused", "not a grid"),
        (ADMIN, {"to_grid": "nowhere"}, 404, "org_unit_not_found", "nowhere"),
        (bearer(grid_worker), {"to_grid": "yzs-g2"}, 403, "forbidden", "both the old and the new"),
        (COUNCIL_G1, {"to_grid": "yzs-g2"}, 403, "forbidden", ""),
        (VOLUNTEER, {"to_grid": "yzs-g2"}, 403, "forbidden", ""),
    ]
    for headers, body, status, code, says in cases:
        problem = assert_problem(await client.post(url, json=body, headers=headers), status, code)
        assert says in problem["detail"], problem
    admin_g2, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2")
    response = await client.post(url, json={"to_grid": "yzs-g2"}, headers=bearer(admin_g2))
    assert_problem(response, 403, "forbidden")
    assert (await balance(client, "YZS1-0001"))["grid"]["code"] == "yzs-g1"
    assert await scalar(demo_engine, "SELECT count(*) FROM volunteer_move") == moves


async def test_a_carried_over_volunteer_keeps_the_day_they_joined_and_a_closed_grid_takes_no_one_back(
    client: Client,
) -> None:
    grid = {"code": "yzs-g9", "name": "燕子山第九网格", "kind": "grid", "parent": "yanzishan"}
    assert (await client.post("/api/org-units", json=grid, headers=ADMIN)).status_code == 201
    body = {"passbook_number": "YZS9-0001", "name": "老会员", "grid": "yzs-g9"}
    made = await client.post(
        "/api/volunteers", json=body | {"joined_on": "2018-05-01"}, headers=ADMIN
    )
    assert made.status_code == 201, made.text
    assert made.json()["joined_on"] == "2018-05-01"
    # the same registration with another joining day is not the same person's record
    other_day = await client.post(
        "/api/volunteers", json=body | {"joined_on": "2019-05-01"}, headers=ADMIN
    )
    assert_problem(other_day, 409, "registration_conflict")

    status = "/api/volunteers/YZS9-0001/status"
    moved = await client.put(status, json={"status": "moved_away"}, headers=ADMIN)
    assert moved.status_code == 200, moved.text
    closed = await client.patch("/api/org-units/yzs-g9", json={"closed": True}, headers=ADMIN)
    assert closed.status_code == 200, closed.text
    back = await client.put(status, json={"status": "active"}, headers=ADMIN)
    assert_problem(back, 409, "org_unit_closed")
    seen = await client.get("/api/volunteers/YZS9-0001", headers=ADMIN)
    assert seen.json()["status"] == "moved_away"
