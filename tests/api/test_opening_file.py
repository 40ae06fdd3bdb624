"""A file of opening balances carried over from paper passbooks, through the API and the
command line, on the demo books: every problem of the file named by row and column with
nothing saved, then a good file proposed as one batch, confirmed by another person, and the
statement showing 纸质存折余额结转 with each paper passbook's date."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import export
from access import Role
from cli import main
from tests.api.conftest import ADMIN
from tests.api.helpers import (
    assert_problem,
    balance,
    bearer,
    entry_count,
    make_token,
    scalar,
    statement_lines,
)

Client = AsyncTestClient  # type: ignore[type-arg]
CSV = {"Content-Type": "text/csv"}
XLSX = {"Content-Type": export.XLSX_MEDIA_TYPE}

# YZS1-0001 carried its paper passbook over already (the demo posted it); YT1-0001 is in
# another community's grid, which a Yanzishan admin does not administer.
BAD_GBK = (
    "存折号,余额,日期,备注\r\n"
    "YZS1-0003,120,2025-06-30,\r\n"  # row 2: good
    "YZS9-9999,10,2025-06-30,\r\n"  # row 3: no such passbook
    "YZS1-0004,十二,2025-06-30,\r\n"  # row 4: not a number
    "YZS1-0005,30,2025-13-01,\r\n"  # row 5: no such day
    "YZS1-0003,5,2025-06-30,\r\n"  # row 6: the same passbook again
    "YZS1-0001,40,2025-06-30,\r\n"  # row 7: opened already
    "YZS1-0006,,2025-06-30,\r\n"  # row 8: no balance
    "YT1-0001,50,2025-06-30,\r\n"  # row 9: outside the community admin's unit
).encode("gbk")


async def post_file(
    client: Client, content: bytes, headers: dict[str, str], media: dict[str, str] = CSV
) -> Any:
    return await client.post(
        "/api/opening-balances/import", content=content, headers={**headers, **media}
    )


async def community_admins(engine: AsyncEngine) -> tuple[dict[str, str], dict[str, str]]:
    first, _ = await make_token(engine, Role.ADMIN, "yanzishan", label="燕子山 staff 1")
    second, _ = await make_token(engine, Role.ADMIN, "yanzishan", label="燕子山 staff 2")
    return bearer(first), bearer(second)


def workbook(rows: list[tuple[Any, ...]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["存折号", "纸质存折余额", "余额日期"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_file_with_bad_rows_saves_nothing_and_names_every_bad_row(
    client: Client, demo_engine: AsyncEngine
) -> None:
    staff, _ = await community_admins(demo_engine)
    grants = await scalar(demo_engine, "SELECT count(*) FROM points_grant")
    problem = assert_problem(await post_file(client, BAD_GBK, staff), 422, "invalid_grant")
    found = {(p["row"], p["column"], p["code"]) for p in problem["problems"]}
    # cells that cannot be read are named first, by the file's own headers
    assert found == {
        (4, "余额", "invalid_points"),
        (5, "日期", "invalid_as_of"),
        (8, "余额", "required"),
    }
    assert await scalar(demo_engine, "SELECT count(*) FROM points_grant") == grants

    # with every cell readable, the rows the books refuse are named, still all at once
    readable = BAD_GBK.replace("十二".encode("gbk"), b"12").replace(b"2025-13-01", b"2025-12-01")
    readable = readable.replace(b"YZS1-0006,,", b"YZS1-0006,60,")
    problem = assert_problem(await post_file(client, readable, staff), 422, "invalid_grant")
    by_row = {p["row"]: (p["code"], p["passbook"]) for p in problem["problems"]}
    assert by_row == {
        3: ("forbidden", "YZS9-9999"),  # unknown and outside the unit are told alike
        6: ("invalid_grant", "YZS1-0003"),
        7: ("opening_balance_exists", "YZS1-0001"),
        9: ("forbidden", "YT1-0001"),
    }
    assert all(p["column"] == "存折号" for p in problem["problems"])
    assert await scalar(demo_engine, "SELECT count(*) FROM points_grant") == grants


async def test_a_workbook_is_proposed_as_one_batch_and_posts_when_another_confirms(
    client: Client, demo_engine: AsyncEngine
) -> None:
    staff, other = await community_admins(demo_engine)
    content = workbook(
        [("YZS1-0003", 120, datetime(2025, 6, 30)), ("ｙｚｓ1－0004", 35, "2025/5/1")]
    )
    entries = await entry_count(client)
    before = (await balance(client, "YZS1-0004"))["posted"]
    proposed = await post_file(client, content, staff, XLSX)
    assert proposed.status_code == 201, proposed.text
    batch = proposed.json()
    assert (batch["points"], batch["replayed"]) == (155, False)
    assert [g["passbook_number"] for g in batch["grants"]] == ["YZS1-0003", "YZS1-0004"]
    assert {g["status"] for g in batch["grants"]} == {"proposed"}
    assert await entry_count(client) == entries  # nothing posts before the confirmation

    again = await post_file(client, content, staff, XLSX)
    assert again.status_code == 201
    assert (again.json()["batch"], again.json()["replayed"]) == (batch["batch"], True)

    url = f"/api/grant-batches/{batch['batch']}/confirmation"
    assert_problem(await client.post(url, headers=staff), 403, "four_eyes")
    assert await entry_count(client) == entries
    confirmed = await client.post(url, headers=other)
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["posted"], confirmed.json()["points"]) == (2, 155)
    assert await entry_count(client) == entries + 2

    lines = await statement_lines(client, "YZS1-0004")
    carried = [line for line in lines if "纸质存折余额结转" in line["what_for"]]
    assert len(carried) == 1
    assert carried[0]["date"] == date(2025, 5, 1).isoformat()
    assert "2025-05-01" in carried[0]["what_for"]
    assert (await balance(client, "YZS1-0004"))["posted"] == before + 35


async def passbook(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def test_the_command_line_proposes_a_file_and_another_person_confirms_it(
    client: Client, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "纸质存折.csv"
    path.write_bytes("存折号,余额,日期\r\nYZS2-0002,88,2025-06-30\r\n".encode("gbk"))
    entries = await entry_count(client)
    proposed = await passbook(
        "import", "openings", str(path), "--by", "张会计", "--database-url", database_url
    )
    assert proposed.exit_code == 0, proposed.output
    batch = proposed.stdout.split("as batch ")[1].split(".")[0]
    same = await passbook(
        "grants", "confirm", "--batch", batch, "--by", "张会计", "--database-url", database_url
    )
    assert same.exit_code == 1
    assert await entry_count(client) == entries
    other = await passbook(
        "grants", "confirm", "--batch", batch, "--by", "李主任", "--database-url", database_url
    )
    assert other.exit_code == 0, other.output
    assert await entry_count(client) == entries + 1
    bad = tmp_path / "bad.csv"
    bad.write_bytes("存折号,余额,日期\r\nYZS2-0003,abc,2025-06-30\r\n".encode("gbk"))
    refused = await passbook(
        "import", "openings", str(bad), "--by", "张会计", "--database-url", database_url
    )
    assert refused.exit_code == 1
    assert "row 2, 余额 (invalid_points)" in refused.output
    assert (await client.get("/api/grants?passbook=YZS2-0003", headers=ADMIN)).json()[
        "grants"
    ] == []
