"""Scoring sheets through the API: drafting checks, four eyes, approval posting one entry,
rejection, and the rule version a sheet keeps."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import community
import db
import scheme_time
from access import Role
from api.app import create_app
from config import Settings
from tests.api.conftest import ADMIN, COUNCIL_G1, COUNCIL_G1B, VOLUNTEER, concurrent_client
from tests.api.helpers import (
    assert_problem,
    balance,
    bearer,
    entry_count,
    execute,
    make_token,
    scalar,
    statement_lines,
    verify,
)

Client = AsyncTestClient  # type: ignore[type-arg]
TODAY = scheme_time.scheme_today()


def days_ago(n: int) -> str:
    """A date ``n`` days before today in the scheme's time zone, as the service will judge it
    (computed at each call, so a run that crosses midnight in Jinan still agrees)."""
    return (scheme_time.scheme_today() - timedelta(days=n)).isoformat()


def sheet_body(
    lines: list[tuple[str, int]], *, rule: str = "home-visit", day: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "rule": rule,
        "activity_date": day or days_ago(1),
        "place": "3号楼",
        "lines": [{"passbook": number, "units": units} for number, units in lines],
        **extra,
    }


async def draft(
    client: Client, lines: list[tuple[str, int]], headers: dict[str, str] = COUNCIL_G1, **kw: Any
) -> dict[str, Any]:
    response = await client.post("/api/sheets", json=sheet_body(lines, **kw), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def approved(client: Client, lines: list[tuple[str, int]], **kw: Any) -> dict[str, Any]:
    """A sheet drafted and submitted by member yzs-g1-a and approved by yzs-g1-b."""
    sheet = await draft(client, lines, submit=True, **kw)
    response = await client.post(f"/api/sheets/{sheet['id']}/approve", headers=COUNCIL_G1B)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "approved"
    return body


async def proposed(
    client: Client, url: str, headers: dict[str, str] = COUNCIL_G1, reason: str = "记错了"
) -> dict[str, Any]:
    """A take-back proposed at ``url`` (a sheet's reversal or a line's correction): 202, and
    nothing moves yet."""
    response = await client.post(url, json={"reason": reason}, headers=headers)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "proposed"
    assert "must confirm" in body["next_step"]
    return body


async def confirmed(
    client: Client, takeback_id: int, headers: dict[str, str] = COUNCIL_G1B
) -> dict[str, Any]:
    response = await client.post(f"/api/takebacks/{takeback_id}/confirmation", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "confirmed"
    return body


async def taken_back(
    client: Client,
    url: str,
    *,
    by: dict[str, str] = COUNCIL_G1,
    confirmer: dict[str, str] = COUNCIL_G1B,
    reason: str = "记错了",
) -> dict[str, Any]:
    """Points taken back with four eyes: ``by`` proposes at ``url``, ``confirmer`` confirms;
    answers the sheet as it now is."""
    proposal = await proposed(client, url, by, reason)
    await confirmed(client, proposal["id"], confirmer)
    sheet = await client.get(f"/api/sheets/{proposal['sheet_id']}", headers=ADMIN)
    body: dict[str, Any] = sheet.json()
    return body


async def add_member(engine: AsyncEngine, code: str, grid: str, passbook: str | None = None) -> str:
    """A new council member with a token; returns the raw token."""

    async def use_case(conn: db.Connection) -> None:
        await community.add_council_member(
            conn, code=code, name=f"委员 {code}", grid_code=grid, passbook_number=passbook
        )

    await db.run_in_transaction(engine, use_case)
    raw, _ = await make_token(engine, Role.COUNCIL, code, label=code)
    return raw


async def test_an_approved_sheet_posts_one_entry_into_the_passbooks(client: Client) -> None:
    before = {n: (await balance(client, n))["posted"] for n in ("YZS1-0001", "YZS1-0002")}
    entries = await entry_count(client)
    sheet = await draft(client, [("YZS1-0001", 3), ("YZS1-0002", 2)], note="随管家入户")
    assert sheet["status"] == "draft"
    assert sheet["author"] == "yzs-g1-a"
    assert [(x["passbook"], x["units"], x["points"]) for x in sheet["lines"]] == [
        ("YZS1-0001", 3, 15),
        ("YZS1-0002", 2, 10),
    ]
    assert sheet["total_points"] == 25
    # a draft posts nothing and cannot be approved yet
    assert await entry_count(client) == entries
    early = await client.post(f"/api/sheets/{sheet['id']}/approve", headers=COUNCIL_G1B)
    assert_problem(early, 409, "sheet_state_conflict")

    submitted = await client.post(f"/api/sheets/{sheet['id']}/submit", headers=COUNCIL_G1)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    response = await client.post(f"/api/sheets/{sheet['id']}/approve", headers=COUNCIL_G1B)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "approved"
    assert body["approver"] == "yzs-g1-b"
    assert await entry_count(client) == entries + 1

    after = {n: (await balance(client, n))["posted"] for n in ("YZS1-0001", "YZS1-0002")}
    assert after == {"YZS1-0001": before["YZS1-0001"] + 15, "YZS1-0002": before["YZS1-0002"] + 10}
    entry = (await client.get(f"/api/entries/{body['entry_id']}", headers=ADMIN)).json()
    assert entry["kind"] == "scoring"
    assert sorted(p["points"] for p in entry["postings"]) == [-25, 10, 15]
    assert entry["actor"].startswith("council:第一网格演示议事会第二成员#")

    # the passbook reads like a bank passbook: what for, when, how much, the running balance
    line = (await statement_lines(client, "YZS1-0001"))[-1]
    assert "随物业管家入户走访" in line["what_for"]
    assert days_ago(1) in line["what_for"]
    assert line["date"] == days_ago(1)
    assert line["points"] == 15
    assert line["balance"] == after["YZS1-0001"]
    # the volunteer reads their own passbook too
    own = await client.get("/api/passbooks/YZS1-0001/statement", headers=VOLUNTEER)
    assert own.status_code == 200
    assert (await verify(client))["ok"]


async def test_four_eyes(client: Client, demo_engine: AsyncEngine) -> None:
    sheet = await draft(client, [("YZS1-0002", 1)], submit=True)
    # the author cannot approve their own sheet
    assert_problem(
        await client.post(f"/api/sheets/{sheet['id']}/approve", headers=COUNCIL_G1),
        403,
        "four_eyes",
    )
    # a council member of another grid cannot either
    g2 = await add_member(demo_engine, "yzs-g2-x", "yzs-g2")
    assert_problem(
        await client.post(f"/api/sheets/{sheet['id']}/approve", headers=bearer(g2)),
        403,
        "not_your_grid",
    )
    # nor staff, nor the volunteer: approving is the council's
    for headers in (ADMIN, VOLUNTEER):
        assert_problem(
            await client.post(f"/api/sheets/{sheet['id']}/approve", headers=headers), 403
        )
    # a member who has a line on the sheet cannot approve it
    on_sheet = await add_member(demo_engine, "yzs-g1-c", "yzs-g1", passbook="YZS1-0002")
    assert_problem(
        await client.post(f"/api/sheets/{sheet['id']}/approve", headers=bearer(on_sheet)),
        403,
        "four_eyes",
    )
    # a member who stepped down no longer acts
    await execute(demo_engine, "UPDATE council_member SET active = false WHERE code = 'yzs-g1-b'")
    assert_problem(
        await client.post(f"/api/sheets/{sheet['id']}/approve", headers=COUNCIL_G1B), 401
    )
    assert (await client.get(f"/api/sheets/{sheet['id']}", headers=ADMIN)).json()[
        "status"
    ] == "submitted"


async def test_two_members_approving_at_once_post_one_entry(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    third = await add_member(demo_engine, "yzs-g1-c", "yzs-g1")
    sheet = await draft(client, [("YZS1-0001", 2), ("YZS1-0002", 2)], submit=True)
    entries = await entry_count(client)
    before = (await balance(client, "YZS1-0001"))["posted"]
    async with concurrent_client(database_url) as concurrent:
        answers = await asyncio.gather(
            *(
                concurrent.post(f"/api/sheets/{sheet['id']}/approve", headers=headers)
                for headers in [COUNCIL_G1B, bearer(third)] * 4
            )
        )
    ok = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code != 200]
    # one approver wins; the winner's own repeats are replays; the other is told it's done
    approver = ok[0].json()["approver"]
    assert {a.json()["approver"] for a in ok} == {approver}
    assert sum(not a.json()["replayed"] for a in ok) == 1
    assert len(ok) == 4
    for answer in refused:
        assert_problem(answer, 409, "sheet_state_conflict")
    assert await entry_count(client) == entries + 1
    assert (await balance(client, "YZS1-0001"))["posted"] == before + 10
    assert (await verify(client))["ok"]


async def test_drafting_checks_every_line_and_saves_nothing_when_one_is_wrong(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await execute(
        demo_engine,
        "UPDATE volunteer SET status = 'moved_away' WHERE passbook_number = 'YZS1-0002'",
    )
    sheets = await scalar(demo_engine, "SELECT count(*) FROM scoring_sheet")
    lines = await scalar(demo_engine, "SELECT count(*) FROM sheet_line")
    response = await client.post(
        "/api/sheets",
        json=sheet_body(
            [
                ("YZS1-0001", 1),
                ("YZS2-0001", 1),
                ("YZS1-0002", 1),
                ("NOPE-0001", 1),
                ("YZS1-0001", 1),
            ]
        ),
        headers=COUNCIL_G1,
    )
    body = assert_problem(response, 422, "invalid_scoring_sheet")
    problems = {(p["line"], p["passbook_number"]): p["problem"] for p in body["lines"]}
    assert "registered outside this grid" in problems[(2, "YZS2-0001")]
    assert "yzs-g2" not in problems[(2, "YZS2-0001")]  # nor its grid, nor its holder
    assert "moved away" in problems[(3, "YZS1-0002")]
    assert "no passbook" in problems[(4, "NOPE-0001")]
    assert "already has a line" in problems[(5, "YZS1-0001")]
    assert len(problems) == 4
    # nothing half-written
    assert await scalar(demo_engine, "SELECT count(*) FROM scoring_sheet") == sheets
    assert await scalar(demo_engine, "SELECT count(*) FROM sheet_line") == lines


async def test_community_wide_sheets_take_volunteers_from_the_whole_community(
    client: Client,
) -> None:
    lines = [("YZS1-0001", 1), ("YZS2-0001", 1)]
    assert_problem(
        await client.post("/api/sheets", json=sheet_body(lines), headers=COUNCIL_G1), 422
    )
    sheet = await approved(client, lines, community_wide=True)
    assert sheet["community_wide"] is True
    assert sheet["total_points"] == 10


async def test_a_council_member_never_scores_their_own_service(
    client: Client, demo_engine: AsyncEngine
) -> None:
    own = await add_member(demo_engine, "yzs-g1-c", "yzs-g1", passbook="YZS1-0002")
    body = assert_problem(
        await client.post("/api/sheets", json=sheet_body([("YZS1-0002", 1)]), headers=bearer(own)),
        422,
    )
    assert "own service" in body["lines"][0]["problem"]


async def test_activity_dates_are_not_in_the_future_nor_too_old(client: Client) -> None:
    for day, words in [
        ((TODAY + timedelta(days=1)).isoformat(), "in the future"),
        (days_ago(61), "more than 60 days ago"),
    ]:
        body = assert_problem(
            await client.post(
                "/api/sheets", json=sheet_body([("YZS1-0001", 1)], day=day), headers=COUNCIL_G1
            ),
            422,
        )
        assert words in body["detail"]
    await draft(client, [("YZS1-0001", 1)], day=days_ago(60))
    await draft(client, [("YZS1-0001", 1)], rule="corridor-cleanup", day=TODAY.isoformat())


async def test_bad_requests_are_refused_clearly(client: Client) -> None:
    bad: list[dict[str, Any]] = [
        sheet_body([("YZS1-0001", 0)]),
        sheet_body([("YZS1-0001", -2)]),
        sheet_body([("YZS1-0001", 10**12)]),
        sheet_body([]),
        {**sheet_body([("YZS1-0001", 1)]), "points": 500},
        {**sheet_body([("YZS1-0001", 1)]), "activity_date": "yesterday"},
    ]
    for body in bad:
        assert_problem(await client.post("/api/sheets", json=body, headers=COUNCIL_G1), 422)
    assert_problem(
        await client.post(
            "/api/sheets", json=sheet_body([("YZS1-0001", 1)], rule="no-such"), headers=COUNCIL_G1
        ),
        404,
        "savings_rule_not_found",
    )
    # more units on one line than the rule allows a day
    body = assert_problem(
        await client.post("/api/sheets", json=sheet_body([("YZS1-0001", 5)]), headers=COUNCIL_G1),
        422,
    )
    assert "1 to 4 visits" in body["lines"][0]["problem"]
    assert_problem(await client.get("/api/sheets/999999", headers=ADMIN), 404)


async def test_the_daily_cap_counts_every_live_sheet_of_the_day(client: Client) -> None:
    day = days_ago(3)
    await approved(client, [("YZS1-0001", 3)], day=day)  # home-visit: 4 visits a day at most
    response = await client.post(
        "/api/sheets", json=sheet_body([("YZS1-0001", 2)], day=day), headers=COUNCIL_G1
    )
    body = assert_problem(response, 422, "daily_cap_exceeded")
    assert body["over"] == [
        {"passbook": "YZS1-0001", "name": "王秀兰", "cap": 4, "already": 3, "asked": 2}
    ]
    await draft(client, [("YZS1-0001", 1)], day=day)  # up to the cap is fine
    await draft(client, [("YZS1-0001", 4)], day=days_ago(4))  # another day is another cap

    # two submitted sheets that fit alone: the second approval is refused
    day = days_ago(5)
    first = await draft(client, [("YZS1-0002", 3)], day=day, submit=True)
    second = await draft(client, [("YZS1-0002", 1)], day=day, submit=True)
    assert (
        await client.post(f"/api/sheets/{first['id']}/approve", headers=COUNCIL_G1B)
    ).status_code == 200
    assert (
        await client.post(f"/api/sheets/{second['id']}/approve", headers=COUNCIL_G1B)
    ).status_code == 200
    third = await client.post(
        "/api/sheets", json=sheet_body([("YZS1-0002", 1)], day=day), headers=COUNCIL_G1
    )
    assert_problem(third, 422, "daily_cap_exceeded")


async def test_reject_with_a_reason(client: Client) -> None:
    sheet = await draft(client, [("YZS1-0001", 1)], submit=True)
    assert_problem(
        await client.post(
            f"/api/sheets/{sheet['id']}/reject", json={"reason": " "}, headers=COUNCIL_G1B
        ),
        422,
    )
    response = await client.post(
        f"/api/sheets/{sheet['id']}/reject", json={"reason": "日期填错了"}, headers=COUNCIL_G1B
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "rejected"
    assert response.json()["reject_reason"] == "日期填错了"
    assert_problem(
        await client.post(f"/api/sheets/{sheet['id']}/approve", headers=COUNCIL_G1B), 409
    )
    # a rejected sheet no longer counts towards the daily cap
    await draft(client, [("YZS1-0001", 4)])


async def test_a_sheet_keeps_the_rule_version_it_was_scored_under(client: Client) -> None:
    old = await approved(client, [("YZS1-0001", 2)], rule="garbage-sorting", day=days_ago(10))
    assert old["rule"]["version"] == 1
    assert old["points_per_unit"] == 4
    response = await client.post(
        "/api/savings-rules/garbage-sorting/versions",
        json={"valid_from": days_ago(5), "points_per_unit": 6},
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2
    new = await approved(client, [("YZS1-0001", 2)], rule="garbage-sorting", day=days_ago(2))
    assert (new["rule"]["version"], new["points_per_unit"], new["total_points"]) == (2, 6, 12)
    # the older sheet still says what it was scored under
    again = (await client.get(f"/api/sheets/{old['id']}", headers=ADMIN)).json()
    assert (again["rule"]["version"], again["total_points"]) == (1, 8)
    versions = (await client.get("/api/savings-rules/garbage-sorting", headers=VOLUNTEER)).json()
    assert [(v["version"], v["valid_to"]) for v in versions] == [(1, days_ago(6)), (2, None)]
    # a back-dated sheet before the change is scored at the old rate
    back = await approved(client, [("YZS1-0002", 1)], rule="garbage-sorting", day=days_ago(7))
    assert back["points_per_unit"] == 4
    assert_problem(
        await client.post(
            "/api/savings-rules/garbage-sorting/versions",
            json={"valid_from": days_ago(9), "points_per_unit": 7},
            headers=ADMIN,
        ),
        422,
    )
    assert_problem(
        await client.post(
            "/api/savings-rules/garbage-sorting/versions",
            json={"valid_from": TODAY.isoformat(), "points_per_unit": 7},
            headers=COUNCIL_G1,
        ),
        403,
    )


async def test_a_sheet_of_500_lines_posts_in_one_entry(
    database_url: str, demo_engine: AsyncEngine
) -> None:
    numbers = [f"BIG1-{n:04d}" for n in range(500)]

    async def register(conn: db.Connection) -> None:
        for number in numbers:
            await community.register_volunteer(
                conn, passbook_number=number, name=f"志愿者{number}", grid_code="yzs-g1"
            )

    await db.run_in_transaction(demo_engine, register)
    # the default body limit (1 MiB) takes a sheet of 500 lines; the tests' client is smaller
    async with AsyncTestClient(app=create_app(Settings(database_url=database_url))) as client:
        entries = await entry_count(client)
        sheet = await approved(client, [(n, 1) for n in numbers], rule="corridor-cleanup")
        assert len(sheet["lines"]) == 500
        assert sheet["total_points"] == 2500
        assert await entry_count(client) == entries + 1
        entry = (await client.get(f"/api/entries/{sheet['entry_id']}", headers=ADMIN)).json()
        assert len(entry["postings"]) == 501
        assert (await balance(client, "BIG1-0499"))["posted"] == 5
        assert (await verify(client))["ok"]


async def test_sheets_are_read_within_scope(client: Client, demo_engine: AsyncEngine) -> None:
    sheet = await draft(client, [("YZS1-0001", 1)])
    g2_admin, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2")
    g2_council = await add_member(demo_engine, "yzs-g2-x", "yzs-g2")
    for headers in (ADMIN, COUNCIL_G1, COUNCIL_G1B):
        assert (await client.get(f"/api/sheets/{sheet['id']}", headers=headers)).status_code == 200
    for headers in (bearer(g2_admin), bearer(g2_council), VOLUNTEER):
        assert_problem(await client.get(f"/api/sheets/{sheet['id']}", headers=headers), 403)
    mine = await client.get("/api/sheets", headers=COUNCIL_G1, params={"status": "draft"})
    assert [s["id"] for s in mine.json()["sheets"]] == [sheet["id"]]
    theirs = await client.get("/api/sheets", headers=bearer(g2_council), params={"status": "draft"})
    assert theirs.json()["sheets"] == []
    assert_problem(
        await client.get("/api/sheets", headers=bearer(g2_council), params={"grid": "yzs-g1"}), 403
    )
    # a council member drafts only in their own grid: volunteers of another grid are refused
    body = assert_problem(
        await client.post(
            "/api/sheets", json=sheet_body([("YZS1-0001", 1)]), headers=bearer(g2_council)
        ),
        422,
    )
    assert "outside this grid" in body["lines"][0]["problem"]


async def test_sheets_page_newest_first(client: Client) -> None:
    made = [(await draft(client, [("YZS1-0001", 1)], day=days_ago(n)))["id"] for n in range(1, 6)]
    first = (await client.get("/api/sheets", headers=COUNCIL_G1, params={"limit": 3})).json()
    ours = [s["id"] for s in first["sheets"]]
    assert ours == sorted(made, reverse=True)[:3]
    rest = await client.get(
        "/api/sheets", headers=COUNCIL_G1, params={"limit": 3, "before": first["earlier"]}
    )
    assert [s["id"] for s in rest.json()["sheets"]][:2] == sorted(made, reverse=True)[3:]


async def test_a_retried_draft_with_its_key_answers_the_first_sheet(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    body = sheet_body([("YZS1-0001", 1)], submit=True)
    keyed = {**COUNCIL_G1, "Idempotency-Key": "draft-1"}
    sheets = await scalar(demo_engine, "SELECT count(*) FROM scoring_sheet")
    first = await client.post("/api/sheets", json=body, headers=keyed)
    assert first.status_code == 201, first.text
    assert (first.json()["status"], first.json()["replayed"]) == ("submitted", False)
    again = await client.post("/api/sheets", json=body, headers=keyed)
    assert again.status_code == 201, again.text
    assert (again.json()["id"], again.json()["replayed"]) == (first.json()["id"], True)
    # approved meanwhile: the retry still answers the sheet as it now is
    await client.post(f"/api/sheets/{first.json()['id']}/approve", headers=COUNCIL_G1B)
    late = await client.post("/api/sheets", json=body, headers=keyed)
    assert (late.json()["status"], late.json()["replayed"]) == ("approved", True)
    # the same key for another draft is refused; another member's same key is their own
    other = sheet_body([("YZS1-0002", 1)])
    assert_problem(
        await client.post("/api/sheets", json=other, headers=keyed), 409, "idempotency_conflict"
    )
    theirs = await client.post(
        "/api/sheets", json=other, headers={**COUNCIL_G1B, "Idempotency-Key": "draft-1"}
    )
    assert theirs.status_code == 201
    assert await scalar(demo_engine, "SELECT count(*) FROM scoring_sheet") == sheets + 2
    # ten concurrent sends of one keyed draft make one sheet
    async with concurrent_client(database_url) as concurrent:
        answers = await asyncio.gather(
            *(
                concurrent.post(
                    "/api/sheets",
                    json=sheet_body([("YZS1-0002", 2)], day=days_ago(2)),
                    headers={**COUNCIL_G1, "Idempotency-Key": "draft-2"},
                )
                for _ in range(10)
            )
        )
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(not a.json()["replayed"] for a in answers) == 1
    assert await scalar(demo_engine, "SELECT count(*) FROM scoring_sheet") == sheets + 3
