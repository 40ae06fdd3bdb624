"""The org tree through the API, on the demo: adding communities and grids (each with its
issuance account, idempotent on the code), listing what a caller's unit holds, renaming, and
closing only what is empty, with the refusal saying what is left; a closed unit takes no new
units nor volunteers. Scope as everywhere: an admin acts only under their own unit."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import db
from access import Role
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER, concurrent_client
from tests.api.helpers import assert_problem, bearer, make_token, scalar

Client = AsyncTestClient  # type: ignore[type-arg]
UNITS = "/api/org-units"


def unit(code: str, parent: str, kind: str = "grid", name: str | None = None) -> dict[str, Any]:
    return {"code": code, "name": name or f"{code} 网格", "kind": kind, "parent": parent}


async def admin_of(engine: AsyncEngine, scope: str) -> dict[str, str]:
    raw, _ = await make_token(engine, Role.ADMIN, scope, label=f"admin of {scope}")
    return bearer(raw)


async def listed(client: Client, headers: dict[str, str] = ADMIN) -> dict[str, dict[str, Any]]:
    response = await client.get(UNITS, headers=headers)
    assert response.status_code == 200, response.text
    return {u["code"]: u for u in response.json()["units"]}


async def close(client: Client, code: str, headers: dict[str, str] = ADMIN) -> Any:
    return await client.patch(f"{UNITS}/{code}", json={"closed": True}, headers=headers)


async def test_adding_a_community_and_grids_opens_issuance_accounts_idempotently(
    client: Client, demo_engine: AsyncEngine
) -> None:
    community_in = unit("beiyuan", "yanshan", kind="community", name="北苑社区")
    added = await client.post(UNITS, json=community_in, headers=ADMIN)
    assert added.status_code == 201, added.text
    assert added.json() == {
        "code": "beiyuan", "name": "北苑社区", "kind": "community", "parent": "yanshan",
        "path": "yanshan/beiyuan", "closed": False, "closed_at": None, "closed_by": None,
        "active_volunteers": 0,
    }  # fmt: skip
    for code in ("by-g1", "by-g2"):
        grid = await client.post(UNITS, json=unit(code, "beiyuan"), headers=ADMIN)
        assert grid.status_code == 201, grid.text
        assert grid.json()["path"] == f"yanshan/beiyuan/{code}"

    again = await client.post(UNITS, json=unit("by-g1", "beiyuan"), headers=ADMIN)
    assert again.status_code == 200, again.text
    assert again.json()["path"] == "yanshan/beiyuan/by-g1"
    accounts = await scalar(
        demo_engine,
        "SELECT count(*) FROM ledger_account a JOIN org_unit o ON o.issuance_account_id = a.id "
        "WHERE a.kind = 'issuance' AND a.owner_ref IN ('org:beiyuan', 'org:by-g1', 'org:by-g2')",
    )
    assert accounts == 3
    units = await listed(client)
    assert [units[c]["parent"] for c in ("beiyuan", "by-g1", "by-g2")] == [
        "yanshan",
        "beiyuan",
        "beiyuan",
    ]


async def test_a_taken_code_is_a_conflict_unless_asked_the_same(
    client: Client, demo_engine: AsyncEngine
) -> None:
    other_parent = await client.post(UNITS, json=unit("yzs-g1", "yaotou"), headers=ADMIN)
    assert_problem(other_parent, 409, "org_unit_conflict")
    other_kind = await client.post(
        UNITS, json=unit("yzs-g1", "yanshan", kind="community"), headers=ADMIN
    )
    assert_problem(other_kind, 409, "org_unit_conflict")
    other_name = await client.post(
        UNITS, json=unit("yzs-g1", "yanzishan", name="改名"), headers=ADMIN
    )
    assert "rename" in assert_problem(other_name, 409, "org_unit_conflict")["detail"]
    # a code taken outside the caller's unit is refused without saying where it is
    yaotou = await admin_of(demo_engine, "yaotou")
    outside = await client.post(UNITS, json=unit("yzs-g1", "yaotou"), headers=yaotou)
    body = assert_problem(outside, 409, "org_unit_conflict")
    assert "yanzishan" not in body["detail"]
    assert "燕子山" not in outside.text


async def test_the_parent_must_exist_and_be_of_the_right_kind(client: Client) -> None:
    assert_problem(await client.post(UNITS, json=unit("g", "nosuch"), headers=ADMIN), 404)
    grid_under_street = await client.post(UNITS, json=unit("g", "yanshan"), headers=ADMIN)
    assert_problem(grid_under_street, 422, "registry_error")
    street = await client.post(UNITS, json=unit("s", "yanshan", kind="street"), headers=ADMIN)
    assert_problem(street, 422, "invalid_request")


async def test_an_admin_adds_and_renames_only_under_their_own_unit(
    client: Client, demo_engine: AsyncEngine
) -> None:
    yaotou = await admin_of(demo_engine, "yaotou")
    grid_worker = await admin_of(demo_engine, "yzs-g1")
    own = await client.post(UNITS, json=unit("yt-g4", "yaotou"), headers=yaotou)
    assert own.status_code == 201, own.text
    for headers, body in [
        (yaotou, unit("yzs-g9", "yanzishan")),  # another community
        (yaotou, unit("nanyuan", "yanshan", kind="community")),  # only the street's admin
        (grid_worker, unit("yzs-g9", "yanzishan")),  # a grid's admin adds nothing
        (AUDITOR, unit("yzs-g9", "yanzishan")),
        (COUNCIL_G1, unit("yzs-g9", "yanzishan")),
    ]:
        assert_problem(await client.post(UNITS, json=body, headers=headers), 403)
    assert await scalar(demo_engine, "SELECT count(*) FROM org_unit WHERE code = 'yzs-g9'") == 0

    renamed = await client.patch(f"{UNITS}/yt-g4", json={"name": "窑头第四网格"}, headers=yaotou)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "窑头第四网格"
    refused = await client.patch(f"{UNITS}/yzs-g1", json={"name": "x"}, headers=yaotou)
    assert_problem(refused, 403)
    assert (await listed(client))["yzs-g1"]["name"] == "燕子山第一网格"


async def test_each_caller_lists_their_own_subtree_with_active_volunteers(
    client: Client, demo_engine: AsyncEngine
) -> None:
    everything = await listed(client)
    assert set(everything) == {
        "yanshan", "yanzishan", "yaotou", *(f"yzs-g{n}" for n in range(1, 8)),
        *(f"yt-g{n}" for n in range(1, 4)),
    }  # fmt: skip
    active = await scalar(demo_engine, "SELECT count(*) FROM volunteer WHERE status = 'active'")
    in_g1 = await scalar(
        demo_engine,
        "SELECT count(*) FROM volunteer v JOIN org_unit o ON o.id = v.grid_id "
        "WHERE o.code = 'yzs-g1' AND v.status = 'active'",
    )
    assert everything["yanshan"]["active_volunteers"] == active
    assert everything["yzs-g1"]["active_volunteers"] == in_g1 > 0
    assert (
        sum(everything[f"yzs-g{n}"]["active_volunteers"] for n in range(1, 8))
        == (everything["yanzishan"]["active_volunteers"])
    )
    assert set(await listed(client, AUDITOR)) == set(everything)
    assert set(await listed(client, COUNCIL_G1)) == {"yzs-g1"}
    yaotou = await listed(client, await admin_of(demo_engine, "yaotou"))
    assert set(yaotou) == {"yaotou", "yt-g1", "yt-g2", "yt-g3"}
    assert_problem(await client.get(UNITS, headers=VOLUNTEER), 403)


async def test_closing_is_refused_while_anything_is_left_and_says_what(
    client: Client, demo_engine: AsyncEngine
) -> None:
    async with db.read_transaction(demo_engine) as conn:
        open_sheets = list(
            await conn.scalars(
                text(
                    "SELECT s.id FROM scoring_sheet s JOIN org_unit o ON o.id = s.grid_id "
                    "WHERE s.status IN ('draft', 'submitted') "
                    "AND o.path LIKE 'yanshan/yanzishan/%' ORDER BY s.id"
                )
            )
        )
    assert open_sheets, "the demo has an open sheet in yanzishan"
    before = await listed(client)
    active = before["yanzishan"]["active_volunteers"]

    refused = assert_problem(await close(client, "yanzishan"), 409, "org_unit_not_empty")

    assert refused["active_volunteers"] == active > 0
    assert refused["open_sheets"] == open_sheets
    assert refused["open_units"] == [f"yzs-g{n}" for n in range(1, 8)]
    assert f"{active} active volunteer(s)" in refused["detail"]
    assert f"ids {', '.join(map(str, open_sheets))}" in refused["detail"]
    assert "(yzs-g1, yzs-g2, yzs-g3" in refused["detail"]
    assert await listed(client) == before


async def test_a_grid_closes_once_its_volunteers_moved_away_and_then_takes_nothing_new(
    client: Client, demo_engine: AsyncEngine
) -> None:
    assert (
        await client.post(UNITS, json=unit("yzs-g8", "yanzishan"), headers=ADMIN)
    ).status_code == 201
    person = {"passbook_number": "YZS8-0001", "name": "新来的", "grid": "yzs-g8"}
    assert (await client.post("/api/volunteers", json=person, headers=ADMIN)).status_code == 201
    refused = assert_problem(await close(client, "yzs-g8"), 409, "org_unit_not_empty")
    assert (refused["active_volunteers"], refused["open_sheets"], refused["open_units"]) == (
        1,
        [],
        [],
    )
    community_admin = await admin_of(demo_engine, "yanzishan")
    assert_problem(await close(client, "yzs-g8", await admin_of(demo_engine, "yzs-g8")), 403)
    assert_problem(await close(client, "yanzishan", community_admin), 403)  # not its own
    moved = await client.put(
        "/api/volunteers/YZS8-0001/status", json={"status": "moved_away"}, headers=ADMIN
    )
    assert moved.status_code == 200, moved.text

    closed = await close(client, "yzs-g8", community_admin)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["closed"] is True
    assert body["closed_by"].startswith("admin:admin of yanzishan#")
    again = await close(client, "yzs-g8")
    assert again.status_code == 200
    assert again.json()["closed_at"] == body["closed_at"]
    assert again.json()["closed_by"] == body["closed_by"]
    assert (await listed(client))["yzs-g8"]["closed"] is True

    assert_problem(
        await client.post("/api/volunteers/YZS1-0001/move", json={"to_grid": "yzs-g8"}, headers=ADMIN),
        409, "org_unit_closed",
    )  # fmt: skip
    replay = await client.post(UNITS, json=unit("yzs-g8", "yanzishan"), headers=ADMIN)
    assert replay.status_code == 200  # the unit as it is: closed
    assert replay.json()["closed"] is True
    renamed = await client.patch(f"{UNITS}/yzs-g8", json={"name": "原第八网格"}, headers=ADMIN)
    assert renamed.status_code == 200
    assert renamed.json()["closed"] is True


async def test_a_closed_community_takes_no_new_grids_and_the_street_never_closes(
    client: Client,
) -> None:
    added = await client.post(
        UNITS, json=unit("xiyuan", "yanshan", kind="community"), headers=ADMIN
    )
    assert added.status_code == 201
    assert (await close(client, "xiyuan")).status_code == 200
    late = await client.post(UNITS, json=unit("xy-g1", "xiyuan"), headers=ADMIN)
    assert "closed" in assert_problem(late, 409, "org_unit_closed")["detail"]
    assert_problem(await close(client, "yanshan"), 422, "registry_error")
    assert_problem(
        await client.patch(f"{UNITS}/yzs-g1", json={"closed": False}, headers=ADMIN), 422
    )
    assert_problem(await client.patch(f"{UNITS}/yzs-g1", json={}, headers=ADMIN), 422)
    assert_problem(await close(client, "nosuch"), 404, "org_unit_not_found")


async def test_the_same_unit_added_at_once_is_added_once(
    database_url: str, demo_engine: AsyncEngine
) -> None:
    async with concurrent_client(database_url) as concurrent:
        responses = await asyncio.gather(
            *(
                concurrent.post(UNITS, json=unit("yzs-g9", "yanzishan"), headers=ADMIN)
                for _ in range(6)
            )
        )
    assert Counter(r.status_code for r in responses) == {201: 1, 200: 5}, [
        r.text for r in responses
    ]
    assert await scalar(demo_engine, "SELECT count(*) FROM org_unit WHERE code = 'yzs-g9'") == 1
    assert (
        await scalar(
            demo_engine, "SELECT count(*) FROM ledger_account WHERE owner_ref = 'org:yzs-g9'"
        )
        == 1
    )


async def test_closing_a_community_while_a_grid_is_added_never_leaves_an_open_grid_in_it(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    for n in range(6):
        code = f"race-{n}"
        made = await client.post(UNITS, json=unit(code, "yanshan", kind="community"), headers=ADMIN)
        assert made.status_code == 201
        async with concurrent_client(database_url) as concurrent:
            requests = [
                close(concurrent, code),
                concurrent.post(UNITS, json=unit(f"{code}-g1", code), headers=ADMIN),
            ]
            if n % 2:  # either one sent first
                requests.reverse()
            answers = await asyncio.gather(*requests)
        closing, adding = answers if n % 2 == 0 else answers[::-1]
        assert (closing.status_code, adding.status_code) in {(200, 409), (409, 201)}, (
            closing.text, adding.text,
        )  # fmt: skip
        open_grids = await scalar(
            demo_engine,
            "SELECT count(*) FROM org_unit g JOIN org_unit c ON c.id = g.parent_id "
            "WHERE c.code = :code AND c.closed_at IS NOT NULL AND g.closed_at IS NULL",
            code=code,
        )
        assert open_grids == 0
