"""Every export through the API (issuance, leaderboard, settlement, roster; CSV and .xlsx)
holds formula-like names as text with an apostrophe first, keeps numbers as numbers, answers
CSV with one charset, and a roster export imports back unchanged (findings 7 and 12)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import openpyxl
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import export
import rewards
from tests.api.conftest import ADMIN, AUDITOR
from tests.api.helpers import execute
from tests.api.rewards_helpers import MARKET, add_reward, redeemed, scan
from tests.api.test_council_reports import MONTH
from tests.api.test_roster import XLSX, post_roster
from tests.api.test_sheets import approved

Client = AsyncTestClient  # type: ignore[type-arg]
HOSTILE = {
    "YZS1-0001": '=HYPERLINK("http://x","y")',
    "YZS1-0002": "@SUM(1)",
    "YZS1-0003": "+1",
    "YZS1-0004": "-1",
}
GRID_NAME = "=cmd|' /C calc'!A0"
REWARD_NAME = '=HYPERLINK("http://x","soap")'


async def hostile_books(client: Client, engine: AsyncEngine) -> None:
    """Volunteers, a grid and a reward with names a spreadsheet would run, with points."""
    for number, name in HOSTILE.items():
        await execute(
            engine,
            "UPDATE volunteer SET name = :name WHERE passbook_number = :number",
            name=name,
            number=number,
        )
    await execute(engine, "UPDATE org_unit SET name = :name WHERE code = 'yzs-g1'", name=GRID_NAME)
    await approved(client, [(number, 2) for number in HOSTILE])


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"  # one charset
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def xlsx_cells(response: Any) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == export.XLSX_MEDIA_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows()]


def assert_no_formula_text(values: list[str]) -> None:
    for value in values:
        assert not value.startswith(export.FORMULA_STARTS), value


async def test_reports_hold_names_as_text_and_numbers_as_numbers(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await hostile_books(client, demo_engine)
    params = {"since": MONTH, "until": MONTH, "limit": 200}
    board = csv_rows(await client.get("/api/reports/leaderboard.csv", params=params, headers=ADMIN))
    names = {row[1]: row[2] for row in board[1:]}
    for number, name in HOSTILE.items():
        assert names[number] == "'" + name
    assert_no_formula_text([cell for row in board for cell in row])
    issuance = csv_rows(await client.get("/api/reports/issuance.csv", params=params, headers=ADMIN))
    assert "'" + GRID_NAME in [row[1] for row in issuance]
    assert_no_formula_text([cell for row in issuance for cell in row])

    cells = xlsx_cells(
        await client.get("/api/reports/leaderboard.xlsx", params=params, headers=ADMIN)
    )
    by_number = {row[1].value: row for row in cells[1:]}
    for number, name in HOSTILE.items():
        cell = by_number[number][2]
        assert (cell.data_type, cell.value) == ("s", "'" + name)
        assert by_number[number][4].data_type == "n"  # points stay a number
    cells = xlsx_cells(await client.get("/api/reports/issuance.xlsx", params=params, headers=ADMIN))
    grid = next(row for row in cells[1:] if row[0].value == "yzs-g1")
    assert (grid[1].data_type, grid[1].value) == ("s", "'" + GRID_NAME)
    assert all(cell.data_type == "n" for cell in grid[3:])


async def test_a_settlement_holds_reward_names_as_text(client: Client) -> None:
    await add_reward(client, "soap", name=REWARD_NAME, cost_points=6)
    voucher = (await redeemed(client, "soap"))["vouchers"][0]
    assert (await scan(client, "consume", voucher["code"], MARKET)).status_code == 200
    today = rewards.local_date(datetime.now(UTC)).isoformat()
    params = {"from": today, "to": today}
    rows = csv_rows(
        await client.get("/api/merchants/market/settlement.csv", params=params, headers=AUDITOR)
    )
    soap = next(row for row in rows if row[2] == "soap")
    assert soap[3] == "'" + REWARD_NAME
    assert soap[4] == "6"
    cells = xlsx_cells(
        await client.get("/api/merchants/market/settlement.xlsx", params=params, headers=AUDITOR)
    )
    soap_cells = next(row for row in cells if row[2].value == "soap")
    assert (soap_cells[3].data_type, soap_cells[3].value) == ("s", "'" + REWARD_NAME)
    assert (soap_cells[4].data_type, soap_cells[4].value) == ("n", 6)


async def test_a_roster_export_is_neutralised_and_imports_back_unchanged(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await hostile_books(client, demo_engine)
    exported = await client.get("/api/volunteers/export.csv?unit=yzs-g1", headers=ADMIN)
    rows = csv_rows(exported)
    names = {row[0]: row[1] for row in rows[1:]}
    for number, name in HOSTILE.items():
        assert names[number] == "'" + name
    assert "'" + GRID_NAME in {row[3] for row in rows[1:]}
    again = (await post_roster(client, exported.content)).json()
    assert (again["new"], again["problems"]) == (0, [])
    assert again["unchanged"] == len(rows) - 1

    workbook = await client.get("/api/volunteers/export.xlsx?unit=yzs-g1", headers=ADMIN)
    cells = xlsx_cells(workbook)
    by_number = {row[0].value: row for row in cells[1:]}
    for number, name in HOSTILE.items():
        assert (by_number[number][1].data_type, by_number[number][1].value) == ("s", "'" + name)
    again = (await post_roster(client, workbook.content, XLSX)).json()
    assert (again["new"], again["problems"]) == (0, [])
    assert again["unchanged"] == len(cells) - 1
