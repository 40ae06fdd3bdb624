"""Sheets that never get stuck: a draft is edited or deleted, a rejected sheet is revised and
approved with its history kept, every refusal names the lines to change, and a closed grid
takes no new sheets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import council
import scheme_time
from access import Role
from tests.api.conftest import ADMIN, COUNCIL_G1, COUNCIL_G1B
from tests.api.helpers import (
    assert_problem,
    balance,
    bearer,
    entry_count,
    execute,
    make_token,
    scalar,
)
from tests.api.test_sheets import approved, days_ago, draft, sheet_body

Client = AsyncTestClient  # type: ignore[type-arg]


def lines(*pairs: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"passbook": number, "units": units} for number, units in pairs]


async def test_the_author_edits_a_draft_and_it_is_checked_as_a_new_one(client: Client) -> None:
    sheet = await draft(client, [("YZS1-0001", 1)], day=days_ago(3))
    url = f"/api/sheets/{sheet['id']}"
    edited = await client.patch(
        url,
        json={"place": "7号楼", "lines": lines(("YZS1-0002", 2), ("YZS1-0001", 3))},
        headers=COUNCIL_G1,
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["id"], body["status"], body["place"]) == (sheet["id"], "draft", "7号楼")
    assert [(x["line"], x["passbook"], x["units"], x["points"]) for x in body["lines"]] == [
        (1, "YZS1-0002", 2, 10),
        (2, "YZS1-0001", 3, 15),
    ]
    assert body["activity_date"] == days_ago(3)  # left out, so kept
    # an edit is checked like a draft, names the lines, and changes nothing when refused
    refused = assert_problem(
        await client.patch(
            url, json={"lines": lines(("YZS1-0001", 1), ("NOPE-0001", 1))}, headers=COUNCIL_G1
        ),
        422,
        "invalid_scoring_sheet",
    )
    assert refused["lines"] == [
        {
            "line": 2,
            "passbook_number": "NOPE-0001",
            "problem": "no passbook with this number in this grid (one registered outside this "
            "grid is scored by its own grid's council)",
        }
    ]
    assert "line 2 (NOPE-0001)" in refused["detail"]
    old = assert_problem(
        await client.patch(url, json={"activity_date": days_ago(61)}, headers=COUNCIL_G1),
        422,
    )
    assert old["field"] == "activity_date"
    assert [(x["line"], x["passbook_number"]) for x in old["lines"]] == [
        (1, "YZS1-0002"),
        (2, "YZS1-0001"),
    ]
    unchanged = (await client.get(url, headers=ADMIN)).json()
    assert [x["passbook"] for x in unchanged["lines"]] == ["YZS1-0002", "YZS1-0001"]
    # only the author edits, only a draft
    assert_problem(
        await client.patch(url, json={"place": "x"}, headers=COUNCIL_G1B), 403, "four_eyes"
    )
    assert_problem(await client.patch(url, json={"place": "x"}, headers=ADMIN), 403)
    submitted = await client.patch(url, json={"submit": True}, headers=COUNCIL_G1)
    assert submitted.json()["status"] == "submitted", submitted.text
    assert_problem(
        await client.patch(url, json={"place": "x"}, headers=COUNCIL_G1),
        409,
        "sheet_state_conflict",
    )


async def test_a_draft_over_the_daily_cap_is_fixed_by_editing_it(client: Client) -> None:
    day = days_ago(4)
    stuck = await draft(client, [("YZS1-0002", 1), ("YZS1-0001", 3)], day=day)  # a draft: fits
    await approved(client, [("YZS1-0001", 2)], day=day)  # home-visit: 4 visits a day at most
    refused = assert_problem(
        await client.post(f"/api/sheets/{stuck['id']}/submit", headers=COUNCIL_G1),
        422,
        "daily_cap_exceeded",
    )
    assert [(x["line"], x["passbook_number"], x["already"], x["asked"]) for x in
            refused["lines"]] == [(2, "YZS1-0001", 2, 3)]  # fmt: skip
    assert "line 2 (YZS1-0001)" in refused["detail"]
    fixed = await client.patch(
        f"/api/sheets/{stuck['id']}",
        json={"lines": lines(("YZS1-0002", 1), ("YZS1-0001", 2)), "submit": True},
        headers=COUNCIL_G1,
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["status"] == "submitted"


async def test_deleting_a_draft(client: Client, demo_engine: AsyncEngine) -> None:
    entries = await entry_count(client)
    mine = await draft(client, [("YZS1-0001", 1), ("YZS1-0002", 1)])
    assert_problem(
        await client.delete(f"/api/sheets/{mine['id']}", headers=COUNCIL_G1B), 403, "four_eyes"
    )
    yaotou, _ = await make_token(demo_engine, Role.ADMIN, "yaotou", label="姚头社区")
    assert_problem(await client.delete(f"/api/sheets/{mine['id']}", headers=bearer(yaotou)), 403)
    gone = await client.delete(f"/api/sheets/{mine['id']}", headers=COUNCIL_G1)
    assert gone.status_code == 204, gone.text
    assert_problem(await client.get(f"/api/sheets/{mine['id']}", headers=ADMIN), 404)
    assert_problem(await client.delete(f"/api/sheets/{mine['id']}", headers=COUNCIL_G1), 404)
    left = await scalar(
        demo_engine, "SELECT count(*) FROM sheet_line WHERE sheet_id = :s", s=mine["id"]
    )
    assert left == 0
    # an admin over the grid deletes a draft too; nobody deletes a submitted sheet
    other = await draft(client, [("YZS1-0001", 1)])
    assert (await client.delete(f"/api/sheets/{other['id']}", headers=ADMIN)).status_code == 204
    submitted = await draft(client, [("YZS1-0001", 1)], submit=True)
    assert_problem(
        await client.delete(f"/api/sheets/{submitted['id']}", headers=COUNCIL_G1),
        409,
        "sheet_state_conflict",
    )
    assert await entry_count(client) == entries


async def test_a_rejected_sheet_is_revised_and_approved_with_its_history(client: Client) -> None:
    sheet = await draft(client, [("YZS1-0001", 2), ("YZS1-0002", 1)], submit=True, note="初稿")
    rejected = await client.post(
        f"/api/sheets/{sheet['id']}/reject", json={"reason": "李建国少记一次"}, headers=COUNCIL_G1B
    )
    assert rejected.status_code == 200, rejected.text
    before = (await balance(client, "YZS1-0002"))["posted"]
    change = {"lines": lines(("YZS1-0001", 2), ("YZS1-0002", 2))}
    revised = await client.post(
        f"/api/sheets/{sheet['id']}/revision", json=change, headers=COUNCIL_G1
    )
    assert revised.status_code == 201, revised.text
    revision = revised.json()
    assert revision["status"] == "draft"
    assert revision["revises_sheet_id"] == sheet["id"]
    assert (revision["note"], revision["place"], revision["rule"]["code"]) == (
        "初稿",
        "3号楼",
        "home-visit",
    )  # copied from the rejected sheet
    assert revision["total_points"] == 20
    old = (await client.get(f"/api/sheets/{sheet['id']}", headers=ADMIN)).json()
    assert (old["status"], old["reject_reason"], old["revised_by_sheet_id"]) == (
        "rejected",
        "李建国少记一次",
        revision["id"],
    )
    # the same revision again answers the same draft; another is refused: revised once
    again = await client.post(
        f"/api/sheets/{sheet['id']}/revision", json=change, headers=COUNCIL_G1
    )
    assert (again.status_code, again.json()["id"], again.json()["replayed"]) == (
        201,
        revision["id"],
        True,
    )
    body = assert_problem(
        await client.post(f"/api/sheets/{sheet['id']}/revision", json={}, headers=COUNCIL_G1B),
        409,
        "sheet_already_revised",
    )
    assert body["revised_by_sheet_id"] == revision["id"]
    # only a rejected sheet is revised
    assert_problem(
        await client.post(f"/api/sheets/{revision['id']}/revision", json={}, headers=COUNCIL_G1),
        409,
        "sheet_state_conflict",
    )
    # the revision goes the usual way: submitted by its author, approved by a colleague
    assert (
        await client.post(f"/api/sheets/{revision['id']}/submit", headers=COUNCIL_G1)
    ).status_code == 200
    done = await client.post(f"/api/sheets/{revision['id']}/approve", headers=COUNCIL_G1B)
    assert done.status_code == 200, done.text
    assert done.json()["revises_sheet_id"] == sheet["id"]
    assert (await balance(client, "YZS1-0002"))["posted"] == before + 10


async def test_refusals_at_submission_and_approval_name_the_lines(
    client: Client, demo_engine: AsyncEngine
) -> None:
    # a volunteer moved away since the draft: submitting names their line
    sheet = await draft(client, [("YZS1-0001", 1), ("YZS1-0002", 1)])
    await execute(
        demo_engine,
        "UPDATE volunteer SET status = 'moved_away' WHERE passbook_number = 'YZS1-0002'",
    )
    body = assert_problem(
        await client.post(f"/api/sheets/{sheet['id']}/submit", headers=COUNCIL_G1),
        422,
        "invalid_scoring_sheet",
    )
    assert [(x["line"], x["passbook_number"]) for x in body["lines"]] == [(2, "YZS1-0002")]
    assert "line 2 (YZS1-0002)" in body["detail"]
    await execute(
        demo_engine, "UPDATE volunteer SET status = 'active' WHERE passbook_number = 'YZS1-0002'"
    )
    # over the grid's budget at approval: the lines, largest first
    month = council.month_of(scheme_time.scheme_today() - timedelta(days=1))
    issued = (
        await client.put(
            f"/api/grids/yzs-g1/budgets/{month}", json={"cap_points": 0}, headers=ADMIN
        )
    ).json()["issued_points"]
    await client.put(
        f"/api/grids/yzs-g1/budgets/{month}", json={"cap_points": issued + 12}, headers=ADMIN
    )
    over = await draft(client, [("YZS1-0001", 1), ("YZS1-0002", 3)], submit=True)
    body = assert_problem(
        await client.post(f"/api/sheets/{over['id']}/approve", headers=COUNCIL_G1B),
        409,
        "budget_exceeded",
    )
    assert [(x["line"], x["passbook_number"], x["points"]) for x in body["lines"]] == [
        (2, "YZS1-0002", 15),
        (1, "YZS1-0001", 5),
    ]
    assert "line 2 (YZS1-0002)" in body["detail"]
    # a rule not in force names the field and every line
    body = assert_problem(
        await client.post(
            "/api/sheets",
            json=sheet_body([("YZS1-0001", 1)], rule="no-such-rule"),
            headers=COUNCIL_G1,
        ),
        404,
    )
    assert (body["field"], body["lines"][0]["line"]) == ("rule", 1)


async def test_drafting_in_a_closed_grid_is_refused(
    client: Client, demo_engine: AsyncEngine
) -> None:
    open_draft = await draft(client, [("YZS1-0001", 1)])
    sheets = await scalar(demo_engine, "SELECT count(*) FROM scoring_sheet")
    await execute(
        demo_engine,
        "UPDATE org_unit SET closed_at = CURRENT_TIMESTAMP, closed_by = 'test' "
        "WHERE code = 'yzs-g1'",
    )
    body = assert_problem(
        await client.post("/api/sheets", json=sheet_body([("YZS1-0001", 1)]), headers=COUNCIL_G1),
        409,
        "org_unit_closed",
    )
    assert body["org_unit"] == "yzs-g1"
    assert "closed" in body["detail"]
    # an edit is a new draft's content: refused the same way; deleting stays possible
    assert_problem(
        await client.patch(
            f"/api/sheets/{open_draft['id']}", json={"place": "x"}, headers=COUNCIL_G1
        ),
        409,
        "org_unit_closed",
    )
    assert await scalar(demo_engine, "SELECT count(*) FROM scoring_sheet") == sheets
    gone = await client.delete(f"/api/sheets/{open_draft['id']}", headers=COUNCIL_G1)
    assert gone.status_code == 204


async def test_a_number_typed_in_full_width_or_lower_case_is_the_number_on_the_cover(
    client: Client,
) -> None:
    sheet = await draft(client, [("ｙｚｓ１－０００１", 1), ("yzs1-0002", 2)])
    assert [(x["passbook"], x["units"]) for x in sheet["lines"]] == [
        ("YZS1-0001", 1),
        ("YZS1-0002", 2),
    ]
