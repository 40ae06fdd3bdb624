"""Savings rules and incentives as published, and the grid reports: issuance per month, the
leaderboard (opt-out respected) and their CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import council
import export
import scheme_time
from access import Role
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER
from tests.api.helpers import assert_problem, bearer, execute, make_token
from tests.api.test_sheets import approved, days_ago, taken_back

Client = AsyncTestClient  # type: ignore[type-arg]
TODAY = scheme_time.scheme_today()
MONTH = council.month_of(TODAY - timedelta(days=1))


async def test_the_demo_publishes_the_articles_savings_rules(client: Client) -> None:
    rules = (await client.get("/api/savings-rules", headers=VOLUNTEER)).json()
    codes = {rule["code"] for rule in rules}
    assert {
        "home-visit",
        "help-in-difficulty",
        "corridor-cleanup",
        "garbage-sorting",
        "dispute-mediation",
        "five-ones-visit",
    } <= codes
    in_force = await client.get("/api/savings-rules", params={"on": "2025-06-01"}, headers=ADMIN)
    assert in_force.json() == []  # the demo's rules start in 2026
    kinds = {i["kind"] for i in (await client.get("/api/incentives", headers=ADMIN)).json()}
    assert kinds == {"milestone", "streak"}


async def test_publishing_rules_and_incentives(client: Client, demo_engine: AsyncEngine) -> None:
    rule = {
        "code": "snow-clearing",
        "name": "扫雪除冰 snow clearing",
        "category": "property",
        "points_per_unit": 6,
        "unit": "hour",
        "daily_cap_units": 3,
        "valid_from": "2026-11-01",
        "org_unit": "yzs-g1",
    }
    made = await client.post("/api/savings-rules", json=rule, headers=ADMIN)
    assert made.status_code == 201, made.text
    assert made.json()["org_unit"] == "yanshan/yanzishan/yzs-g1"
    assert made.json()["version"] == 1
    # the code is taken; a change is a new version
    assert_problem(await client.post("/api/savings-rules", json=rule, headers=ADMIN), 422)
    # staff of another grid cannot publish for this one; council members cannot publish
    g2_admin, _ = await make_token(demo_engine, Role.ADMIN, "yzs-g2")
    assert_problem(
        await client.post(
            "/api/savings-rules", json={**rule, "code": "x-1"}, headers=bearer(g2_admin)
        ),
        403,
    )
    assert_problem(
        await client.post("/api/savings-rules", json={**rule, "code": "x-2"}, headers=COUNCIL_G1),
        403,
    )
    for bad in [
        {**rule, "code": "Bad Code"},
        {**rule, "points_per_unit": 0},
        {**rule, "unit": "day"},
        {**rule, "daily_cap_units": 100},
        {**rule, "valid_to": "2026-10-01"},
        {**rule, "extra": 1},
    ]:
        assert_problem(await client.post("/api/savings-rules", json=bad, headers=ADMIN), 422)
    # a grid's own rule is not for another grid's sheets
    g2_member = "yzs-g2-a"
    g2_council, _ = await make_token(demo_engine, Role.COUNCIL, g2_member)
    refused = await client.post(
        "/api/sheets",
        json={
            "rule": "snow-clearing",
            "activity_date": days_ago(1),
            "lines": [{"passbook": "YZS2-0001", "units": 1}],
        },
        headers=bearer(g2_council),
    )
    assert "does not cover grid yzs-g2" in assert_problem(refused, 422)["detail"]

    incentive = {
        "code": "milestone-1000",
        "name": "累计满1000分",
        "kind": "milestone",
        "threshold": 1000,
        "bonus_points": 100,
        "org_unit": "yanzishan",
    }
    made = await client.post("/api/incentives", json=incentive, headers=ADMIN)
    assert made.status_code == 201, made.text
    assert made.json()["active"] is True
    for bad in [
        {**incentive, "kind": "lottery"},
        {**incentive, "bonus_points": 0},
        {**incentive, "kind": "streak", "threshold": 1},
    ]:
        assert_problem(await client.post("/api/incentives", json=bad, headers=ADMIN), 422)


async def test_issuance_per_grid_and_month(client: Client) -> None:
    baseline = await client.get(
        "/api/reports/issuance", params={"since": MONTH, "until": MONTH}, headers=COUNCIL_G1
    )
    assert baseline.status_code == 200, baseline.text
    before = {(r["grid"], r["month"]): r for r in baseline.json()["rows"]}
    assert set(before) <= {("yzs-g1", MONTH)}  # a council member sees their grid only
    first = await approved(client, [("YZS1-0001", 2), ("YZS1-0002", 2)])  # 20 points
    await approved(client, [("YZS1-0001", 1)], rule="corridor-cleanup")  # 5 points
    await taken_back(client, f"/api/sheets/{first['id']}/lines/2/correction", by=ADMIN)
    report = await client.get(
        "/api/reports/issuance", params={"since": MONTH, "until": MONTH}, headers=ADMIN
    )
    rows = {(r["grid"], r["month"]): r for r in report.json()["rows"]}
    old = before.get(("yzs-g1", MONTH), {"sheets": 0, "scored": 0, "taken_back": 0, "net": 0})
    g1 = rows[("yzs-g1", MONTH)]
    assert g1["sheets"] == old["sheets"] + 2
    assert g1["scored"] == old["scored"] + 25
    assert g1["taken_back"] == old["taken_back"] + 10
    assert g1["net"] == old["net"] + 15
    assert g1["grid_name"] == "燕子山第一网格"
    assert report.json()["total_net"] == sum(r["net"] for r in rows.values())
    assert_problem(
        await client.get(
            "/api/reports/issuance", params={"since": "2026-12", "until": "2026-01"}, headers=ADMIN
        ),
        422,
    )
    assert_problem(
        await client.get(
            "/api/reports/issuance", params={"since": MONTH, "until": MONTH}, headers=VOLUNTEER
        ),
        403,
    )


async def test_the_leaderboard_respects_opt_outs(client: Client, demo_engine: AsyncEngine) -> None:
    await approved(client, [("YZS1-0001", 4), ("YZS1-0002", 2)])
    params = {"since": MONTH, "until": MONTH, "grid": "yzs-g1"}
    board = (await client.get("/api/reports/leaderboard", params=params, headers=COUNCIL_G1)).json()
    ranked = [(r["passbook"], r["points"]) for r in board["rows"]]
    assert ranked.index(("YZS1-0001", 20)) < ranked.index(("YZS1-0002", 10))
    assert all("phone" not in row for row in board["rows"])
    await execute(
        demo_engine,
        "UPDATE volunteer SET leaderboard_opt_out = true WHERE passbook_number = 'YZS1-0001'",
    )
    board = (await client.get("/api/reports/leaderboard", params=params, headers=AUDITOR)).json()
    assert "YZS1-0001" not in {r["passbook"] for r in board["rows"]}
    assert "YZS1-0002" in {r["passbook"] for r in board["rows"]}
    # ties share a rank
    ranks = [r["rank"] for r in board["rows"]]
    assert ranks == sorted(ranks)
    assert ranks[0] == 1


async def test_csv_exports_open_in_excel_with_chinese_intact(client: Client) -> None:
    await approved(client, [("YZS1-0001", 2)])
    params = {"since": MONTH, "until": MONTH}
    for path, header in [
        ("/api/reports/issuance.csv", "网格 grid"),
        ("/api/reports/leaderboard.csv", "名次 rank"),
    ]:
        response = await client.get(path, params=params, headers=ADMIN)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        raw = response.content
        assert raw.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte order mark Excel looks for
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[0][0] == header
        assert len(rows) >= 2
    leaderboard = (
        await client.get(
            "/api/reports/leaderboard.csv", params={**params, "limit": 200}, headers=ADMIN
        )
    ).content.decode("utf-8-sig")
    assert "王秀兰" in leaderboard


async def test_circulation_follows_the_issuance_accounts(client: Client) -> None:
    before = {
        r["code"]: r["issued"]
        for r in (await client.get("/api/reports/circulation", headers=ADMIN)).json()
    }
    assert before["yzs-g1"] >= 120 + 85  # the grid's two opening balances at least
    await approved(client, [("YZS1-0001", 2)])
    after = {
        r["code"]: r["issued"]
        for r in (await client.get("/api/reports/circulation", headers=COUNCIL_G1)).json()
    }
    assert after == {"yzs-g1": before["yzs-g1"] + 10}  # a council member sees their grid only


async def test_months_outside_the_calendar_are_refused(client: Client) -> None:
    for since, until in [("0000-01", "0000-01"), ("9999-12", "9999-12"), ("2026-00", "2026-01")]:
        for path in ("/api/reports/issuance", "/api/reports/leaderboard.csv"):
            response = await client.get(
                path, params={"since": since, "until": until}, headers=ADMIN
            )
            assert_problem(response, 422)
    for month in ("0000-01", "2026-13"):
        assert_problem(
            await client.put(
                f"/api/grids/yzs-g1/budgets/{month}", json={"cap_points": 1}, headers=ADMIN
            ),
            422,
        )


async def test_xlsx_exports_hold_numbers_as_numbers(client: Client) -> None:
    await approved(client, [("YZS1-0001", 2)])
    params = {"since": MONTH, "until": MONTH, "limit": 200}
    for path, header in [
        ("/api/reports/issuance.xlsx", "网格 grid"),
        ("/api/reports/leaderboard.xlsx", "名次 rank"),
    ]:
        response = await client.get(path, params=params, headers=ADMIN)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == export.XLSX_MEDIA_TYPE
        assert ".xlsx" in response.headers["content-disposition"]
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == header
        assert len(rows) >= 2
        assert all(isinstance(row[-1], int) for row in rows[1:])  # net points, points
    board = openpyxl.load_workbook(
        io.BytesIO(
            (
                await client.get("/api/reports/leaderboard.xlsx", params=params, headers=ADMIN)
            ).content
        )
    ).active
    assert board is not None
    assert "王秀兰" in [row[2] for row in board.iter_rows(values_only=True)]
