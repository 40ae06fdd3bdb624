"""Love incentives, grid budgets, and correcting posted sheets (whole or one line)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import council
import db
import scheme_time
from tests.api.conftest import ADMIN, COUNCIL_G1, COUNCIL_G1B, VOLUNTEER, concurrent_client
from tests.api.helpers import (
    assert_problem,
    balance,
    entry_count,
    execute,
    move_points,
    scalar,
    statement_lines,
    verify,
)
from tests.api.test_sheets import (
    add_member,
    approved,
    confirmed,
    days_ago,
    draft,
    proposed,
    sheet_body,
    taken_back,
)

Client = AsyncTestClient  # type: ignore[type-arg]
TODAY = scheme_time.scheme_today()


async def publish_big_rule(client: Client) -> None:
    """A rule worth 50 points a time, for crossing milestones in one sheet."""
    response = await client.post(
        "/api/savings-rules",
        json={
            "code": "flood-relief",
            "name": "防汛救灾 flood relief",
            "category": "emergency",
            "points_per_unit": 50,
            "unit": "time",
            "daily_cap_units": 2,
            "valid_from": "2026-01-01",
            "org_unit": "yanzishan",
        },
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text


async def test_a_milestone_pays_its_bonus_once_on_its_own_line(client: Client) -> None:
    await publish_big_rule(client)
    start = await balance(client, "YZS1-0001")
    assert start["lifetime_earned"] == 120  # the demo's opening balance
    sheet = await approved(client, [("YZS1-0001", 2)], rule="flood-relief")  # 120 -> 220
    assert sheet["bonuses"] == [{"passbook": "YZS1-0001", "incentive": "累计满200分", "points": 20}]
    after = await balance(client, "YZS1-0001")
    assert after["posted"] == start["posted"] + 100 + 20
    assert after["lifetime_earned"] == 240
    lines = await statement_lines(client, "YZS1-0001")
    assert [line["kind"] for line in lines[-2:]] == ["scoring", "incentive"]
    assert "爱心激励" in lines[-1]["what_for"]
    assert "200" in lines[-1]["what_for"]
    assert lines[-1]["points"] == 20

    # later sheets pay no second bonus for the same milestone
    again = await approved(client, [("YZS1-0001", 1)], rule="flood-relief", day=days_ago(2))
    assert again["bonuses"] == []
    assert (await verify(client))["ok"]


async def test_a_streak_of_four_weeks_pays_once_per_run(client: Client) -> None:
    monday = TODAY - timedelta(days=TODAY.weekday())
    weeks = [monday - timedelta(weeks=n) for n in (4, 3, 2, 1)]
    paid = []
    for day in weeks:
        sheet = await approved(
            client, [("YZS1-0002", 1)], rule="five-ones-visit", day=day.isoformat()
        )
        paid.append(sheet["bonuses"])
    assert paid[:3] == [[], [], []]
    assert paid[3] == [
        {
            "passbook": "YZS1-0002",
            "incentive": "连续4周服务",
            "points": 10,
        }
    ]
    # the fifth week continues the run but starts no new one
    fifth = await approved(
        client, [("YZS1-0002", 1)], rule="five-ones-visit", day=monday.isoformat()
    )
    assert fifth["bonuses"] == []


async def test_a_monthly_budget_refuses_a_sheet_with_the_figures(client: Client) -> None:
    month = council.month_of(TODAY - timedelta(days=1))
    response = await client.put(
        f"/api/grids/yzs-g1/budgets/{month}", json={"cap_points": 30}, headers=ADMIN
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "grid": "yzs-g1", "month": month, "cap_points": 30, "issued_points": 0, "left": 30
    }  # fmt: skip
    await approved(client, [("YZS1-0001", 4)])  # 20 points, 10 left
    sheet = await draft(client, [("YZS1-0002", 3)], submit=True)  # 15 points
    entries = await entry_count(client)
    body = assert_problem(
        await client.post(f"/api/sheets/{sheet['id']}/approve", headers=COUNCIL_G1B),
        409,
        "budget_exceeded",
    )
    assert (body["cap"], body["issued"], body["adding"], body["over"]) == (30, 20, 15, 5)
    assert "30" in body["detail"]
    assert "5 over" in body["detail"]
    assert await entry_count(client) == entries  # nothing posted
    # raising the budget lets it through
    await client.put(f"/api/grids/yzs-g1/budgets/{month}", json={"cap_points": 40}, headers=ADMIN)
    assert (
        await client.post(f"/api/sheets/{sheet['id']}/approve", headers=COUNCIL_G1B)
    ).status_code == 200
    budgets = (await client.get("/api/grids/yzs-g1/budgets", headers=COUNCIL_G1)).json()
    assert [(b["month"], b["issued_points"], b["left"]) for b in budgets] == [(month, 35, 5)]
    # only staff in scope set budgets; bad months and caps are refused
    assert_problem(
        await client.put(
            f"/api/grids/yzs-g1/budgets/{month}", json={"cap_points": 1}, headers=COUNCIL_G1
        ),
        403,
    )
    for bad_month, cap in [("2026-13", 10), ("26-11", 10), (month, -1)]:
        assert_problem(
            await client.put(
                f"/api/grids/yzs-g1/budgets/{bad_month}", json={"cap_points": cap}, headers=ADMIN
            ),
            422,
        )


async def test_concurrent_approvals_never_pass_the_budget(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    month = council.month_of(TODAY - timedelta(days=1))
    await client.put(f"/api/grids/yzs-g1/budgets/{month}", json={"cap_points": 25}, headers=ADMIN)
    sheets = [
        await draft(client, [("YZS1-0001", 1)], rule=rule, submit=True)
        for rule in ("home-visit", "corridor-cleanup", "garbage-sorting", "help-in-difficulty")
    ]  # 5 + 5 + 4 + 8 = 22 points; any two big ones fit, all four do not
    async with concurrent_client(database_url) as concurrent:
        answers = await asyncio.gather(
            *(
                concurrent.post(f"/api/sheets/{s['id']}/approve", headers=COUNCIL_G1B)
                for s in sheets
            )
        )
    assert {a.status_code for a in answers} <= {200, 409}
    budget = (await client.get("/api/grids/yzs-g1/budgets", headers=ADMIN)).json()[0]
    assert budget["issued_points"] <= 25
    approved_points = sum(a.json()["total_points"] for a in answers if a.status_code == 200)
    assert approved_points == budget["issued_points"]
    assert (await verify(client))["ok"]


async def test_reversing_a_sheet_takes_its_points_and_bonuses_back(client: Client) -> None:
    await publish_big_rule(client)
    start = await balance(client, "YZS1-0001")
    sheet = await approved(client, [("YZS1-0001", 2), ("YZS1-0002", 1)], rule="flood-relief")
    assert sheet["bonuses"]  # YZS1-0001 crossed 200
    after_scoring = await balance(client, "YZS1-0001")
    entries = await entry_count(client)
    proposal = await proposed(
        client, f"/api/sheets/{sheet['id']}/reversal", COUNCIL_G1, reason="活动未举行"
    )
    assert (proposal["kind"], proposal["line"], proposal["points"]) == ("reversal", None, 150)
    # one person alone moves nothing
    assert await entry_count(client) == entries
    assert await balance(client, "YZS1-0001") == after_scoring
    assert not (await client.get(f"/api/sheets/{sheet['id']}", headers=ADMIN)).json()["reversed"]
    done = await confirmed(client, proposal["id"], COUNCIL_G1B)
    assert done["entry_id"] is not None
    assert done["decided_by"].startswith("council:")
    body = (await client.get(f"/api/sheets/{sheet['id']}", headers=ADMIN)).json()
    assert body["reversed"] is True
    assert body["reversal_entry_id"] == done["entry_id"]
    assert body["reversal_reason"] == "活动未举行"
    assert body["bonuses"] == []
    now = await balance(client, "YZS1-0001")
    assert (now["posted"], now["lifetime_earned"]) == (start["posted"], start["lifetime_earned"])
    kinds = [line["kind"] for line in await statement_lines(client, "YZS1-0001")][-4:]
    assert kinds == ["scoring", "incentive", "reversal", "reversal"]
    # once only
    assert_problem(
        await client.post(
            f"/api/sheets/{sheet['id']}/reversal", json={"reason": "again"}, headers=ADMIN
        ),
        409,
    )
    # the milestone can be earned again, since its award was revoked
    again = await approved(client, [("YZS1-0001", 2)], rule="flood-relief", day=days_ago(2))
    assert len(again["bonuses"]) == 1
    assert (await verify(client))["ok"]


async def test_a_reversal_that_would_overdraw_a_passbook_says_by_how_much(
    client: Client, demo_engine: AsyncEngine
) -> None:
    sheet = await approved(client, [("YZS1-0002", 4)])  # +20
    spendable = (await balance(client, "YZS1-0002"))["available"]
    await move_points(demo_engine, "YZS1-0002", -(spendable - 5), kind="spend")  # 5 left
    entries = await entry_count(client)
    proposal = await proposed(client, f"/api/sheets/{sheet['id']}/reversal", reason="重复")
    body = assert_problem(
        await client.post(f"/api/takebacks/{proposal['id']}/confirmation", headers=COUNCIL_G1B),
        409,
        "correction_refused",
    )
    assert (body["passbook"], body["available"], body["needed"], body["short"]) == (
        "YZS1-0002",
        5,
        20,
        15,
    )
    assert "15 short" in body["detail"]
    assert "李建国" in body["detail"]
    # the refused confirmation left the proposal open; while it is, no line is proposed
    still = (await client.get(f"/api/takebacks/{proposal['id']}", headers=ADMIN)).json()
    assert still["status"] == "proposed"
    assert_problem(
        await client.post(
            f"/api/sheets/{sheet['id']}/lines/1/correction",
            json={"reason": "重复"},
            headers=COUNCIL_G1B,
        ),
        409,
        "takeback_conflict",
    )
    withdrawn = await client.post(f"/api/takebacks/{proposal['id']}/withdrawal", headers=COUNCIL_G1)
    assert withdrawn.json()["status"] == "withdrawn", withdrawn.text
    line = await proposed(client, f"/api/sheets/{sheet['id']}/lines/1/correction", reason="重复")
    refused = assert_problem(
        await client.post(f"/api/takebacks/{line['id']}/confirmation", headers=ADMIN),
        409,
        "correction_refused",
    )
    assert refused["short"] == 15
    assert await entry_count(client) == entries
    assert not (await client.get(f"/api/sheets/{sheet['id']}", headers=ADMIN)).json()["reversed"]


async def test_correcting_one_line(client: Client, demo_engine: AsyncEngine) -> None:
    start = {n: await balance(client, n) for n in ("YZS1-0001", "YZS1-0002")}
    sheet = await approved(client, [("YZS1-0001", 2), ("YZS1-0002", 3)])
    body = await taken_back(
        client,
        f"/api/sheets/{sheet['id']}/lines/2/correction",
        by=COUNCIL_G1B,
        confirmer=ADMIN,
        reason="李建国当天不在场",
    )
    lines = body["lines"]
    assert [(x["line"], x["corrected"]) for x in lines] == [(1, False), (2, True)]
    assert lines[1]["correction_reason"] == "李建国当天不在场"
    two = await balance(client, "YZS1-0002")
    assert two["posted"] == start["YZS1-0002"]["posted"]
    assert two["lifetime_earned"] == start["YZS1-0002"]["lifetime_earned"]  # taken back
    one = await balance(client, "YZS1-0001")
    assert one["posted"] == start["YZS1-0001"]["posted"] + 10
    last = (await statement_lines(client, "YZS1-0002"))[-1]
    assert last["kind"] == "correction"
    assert last["points"] == -15
    assert "李建国当天不在场" in last["what_for"]
    # the history of the sheet's take-backs
    history = (await client.get(f"/api/sheets/{sheet['id']}/takebacks", headers=ADMIN)).json()
    assert [(t["kind"], t["line"], t["passbook"], t["points"], t["status"]) for t in
            history["takebacks"]] == [("correction", 2, "YZS1-0002", 15, "confirmed")]  # fmt: skip
    # once per line; the whole sheet can no longer be reversed, other lines can be corrected
    assert_problem(
        await client.post(
            f"/api/sheets/{sheet['id']}/lines/2/correction", json={"reason": "x"}, headers=ADMIN
        ),
        409,
    )
    assert_problem(
        await client.post(
            f"/api/sheets/{sheet['id']}/reversal", json={"reason": "x"}, headers=ADMIN
        ),
        409,
    )
    assert_problem(
        await client.post(
            f"/api/sheets/{sheet['id']}/lines/9/correction", json={"reason": "x"}, headers=ADMIN
        ),
        404,
    )
    # a council member of another grid, and the volunteer, may not correct
    other = await add_member(demo_engine, "yzs-g2-x", "yzs-g2")
    for headers in ({"Authorization": f"Bearer {other}"}, VOLUNTEER):
        assert_problem(
            await client.post(
                f"/api/sheets/{sheet['id']}/lines/1/correction",
                json={"reason": "x"},
                headers=headers,
            ),
            403,
        )
    assert (await verify(client))["ok"]


async def test_concurrent_approvals_never_pass_the_daily_cap(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    third = await add_member(demo_engine, "yzs-g1-c", "yzs-g1")
    day = days_ago(6)
    # home-visit: 4 visits a day; each sheet fits alone, any two together do not
    sheets = [await draft(client, [("YZS1-0001", 3)], day=day) for _ in range(4)]
    for sheet in sheets:  # submitted one by one: each fits while the others are drafts
        response = await client.post(f"/api/sheets/{sheet['id']}/submit", headers=COUNCIL_G1)
        assert response.status_code in (200, 422), response.text
    submitted = [
        s["id"]
        for s in sheets
        if (await client.get(f"/api/sheets/{s['id']}", headers=ADMIN)).json()["status"]
        == "submitted"
    ]
    assert len(submitted) == 1  # the daily cap counts submitted sheets too
    # so put the others in by hand as submitted, as if two offices had raced at submission
    await execute(
        demo_engine,
        "UPDATE scoring_sheet SET status = 'submitted' WHERE status = 'draft' AND author_id = "
        "(SELECT id FROM council_member WHERE code = 'yzs-g1-a')",
    )
    before = (await balance(client, "YZS1-0001"))["posted"]
    async with concurrent_client(database_url) as concurrent:
        answers = await asyncio.gather(
            *(
                concurrent.post(
                    f"/api/sheets/{s['id']}/approve",
                    headers=COUNCIL_G1B if n % 2 else {"Authorization": f"Bearer {third}"},
                )
                for n, s in enumerate(sheets)
            )
        )
    ok = [a for a in answers if a.status_code == 200]
    assert len(ok) == 1, [a.text for a in answers]
    for answer in answers:
        if answer.status_code != 200:
            assert_problem(answer, 422, "daily_cap_exceeded")
    assert (await balance(client, "YZS1-0001"))["posted"] == before + 15
    assert (await verify(client))["ok"]


async def test_concurrent_approvals_pay_a_milestone_once(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    await publish_big_rule(client)
    third = await add_member(demo_engine, "yzs-g1-c", "yzs-g1")
    # 120 lifetime points; each sheet adds 100 and crosses 200 on its own
    sheets = [
        await draft(client, [("YZS1-0001", 2)], rule="flood-relief", day=days_ago(n), submit=True)
        for n in (1, 2, 3, 4)
    ]
    async with concurrent_client(database_url) as concurrent:
        answers = await asyncio.gather(
            *(
                concurrent.post(
                    f"/api/sheets/{s['id']}/approve",
                    headers=COUNCIL_G1B if n % 2 else {"Authorization": f"Bearer {third}"},
                )
                for n, s in enumerate(sheets)
            )
        )
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    bonuses = [b for a in answers for b in a.json()["bonuses"]]
    assert sorted(b["incentive"] for b in bonuses) == [
        "累计满200分",
        "累计满500分",
    ]  # 120 -> 520 across the four: each milestone once
    after = await balance(client, "YZS1-0001")
    assert after["lifetime_earned"] == 120 + 400 + 20 + 50
    assert (await verify(client))["ok"]


async def _member_id(engine: AsyncEngine, code: str) -> int:
    found = await scalar(engine, "SELECT id FROM council_member WHERE code = :c", c=code)
    return int(found)


async def test_an_approval_does_not_wait_for_a_draft_naming_the_same_volunteers(
    client: Client, database_url: str, demo_engine: AsyncEngine
) -> None:
    if demo_engine.dialect.name != "postgresql":
        pytest.skip(
            "SQLite runs one write transaction at a time (BEGIN IMMEDIATE), so a draft and an "
            "approval never overlap; the mixed load below runs on both databases"
        )
    sheet = await draft(client, [("YZS1-0001", 1), ("YZS1-0002", 1)], day=days_ago(2), submit=True)
    # a draft naming the same volunteers is half-way: its lines are written, not committed
    async with db.transaction(demo_engine) as drafting:
        await council.draft_sheet(
            drafting,
            member_id=await _member_id(demo_engine, "yzs-g1-a"),
            rule_code="home-visit",
            activity_date=TODAY - timedelta(days=3),
            place="3号楼",
            note="",
            lines=[council.LineIn("YZS1-0002", 1), council.LineIn("YZS1-0001", 1)],
            actor="test",
            max_age_days=30,
        )
        async with concurrent_client(database_url) as concurrent:
            approving = concurrent.post(f"/api/sheets/{sheet['id']}/approve", headers=COUNCIL_G1B)
            try:
                answer = await asyncio.wait_for(approving, timeout=10)
            except TimeoutError:
                pytest.fail("the approval waited for the uncommitted draft's lines")
    assert answer.status_code == 200, answer.text
    assert (await verify(client))["ok"]


async def test_concurrent_drafts_and_approvals_of_the_same_volunteers_all_go_through(
    client: Client, database_url: str
) -> None:
    numbers = ["YZS1-0001", "YZS1-0002", "YZS1-0003", "YZS1-0004"]
    submitted = [
        await draft(client, [(n, 1) for n in numbers], day=days_ago(day), submit=True)
        for day in range(1, 7)
    ]
    before = (await balance(client, "YZS1-0001"))["posted"]
    async with concurrent_client(database_url) as concurrent:
        answers = await asyncio.gather(
            *(
                concurrent.post(f"/api/sheets/{s['id']}/approve", headers=COUNCIL_G1B)
                for s in submitted
            ),
            *(  # drafts list the volunteers the other way round from the approvals' lock order
                concurrent.post(
                    "/api/sheets",
                    json=sheet_body([(n, 1) for n in reversed(numbers)], day=days_ago(day)),
                    headers=COUNCIL_G1,
                )
                for day in range(7, 19)
            ),
        )
    statuses = [a.status_code for a in answers]
    assert statuses == [200] * 6 + [201] * 12, [a.text for a in answers if a.status_code >= 300]
    assert (await balance(client, "YZS1-0001"))["posted"] == before + 6 * 5
    assert (await verify(client))["ok"]


async def test_an_approval_answers_the_sheet_as_it_is_stored(client: Client) -> None:
    """The approval answers from what it wrote, without reading the sheet back: its answer is
    the stored sheet's, field for field, bonuses included (the same member's replay and a
    plain read are read back from the books)."""
    await publish_big_rule(client)
    sheet = await draft(
        client, [("YZS1-0001", 2), ("YZS1-0002", 1)], rule="flood-relief", submit=True
    )
    url = f"/api/sheets/{sheet['id']}"
    first = await client.post(f"{url}/approve", headers=COUNCIL_G1B)
    assert first.status_code == 200, first.text
    assert first.json()["bonuses"], "YZS1-0001 crosses 200: an answer with bonuses"
    replay = await client.post(f"{url}/approve", headers=COUNCIL_G1B)
    read = await client.get(url, headers=COUNCIL_G1)
    assert (first.json()["replayed"], replay.json()["replayed"]) == (False, True)
    for stored in (replay.json(), read.json()):
        assert {**first.json(), "replayed": None} == {**stored, "replayed": None}
