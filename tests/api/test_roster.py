"""The roster through the API: a file as the request body (GBK CSV with bad rows, UTF-8-BOM
CSV, .xlsx with Chinese headers and a date cell), all or nothing, dry run, idempotent; the
roster export as .csv and .xlsx with real dates and numbers; and the size limit."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime
from typing import Any

import openpyxl
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import export
from api.routes._uploads import MAX_UPLOAD_BYTES
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, concurrent_client
from tests.api.helpers import assert_problem, scalar

Client = AsyncTestClient  # type: ignore[type-arg]
CSV = {"Content-Type": "text/csv"}
XLSX = {"Content-Type": export.XLSX_MEDIA_TYPE}

BAD_GBK = (
    "存折号,姓名,网格,电话,入册日期\r\n"
    "YZS1 0101,坏号,yzs-g1,,\r\n"  # 2: bad number
    "YZS1-0102,无网格,nowhere,,\r\n"  # 3: unknown grid
    "YZS1-0103,坏日期,yzs-g1,,2020-02-30\r\n"  # 4: bad date
    "YZS1-0104,坏电话,yzs-g1,12345,\r\n"  # 5: bad phone
    "YZS1-0105,甲,yzs-g1,,\r\n"
    "YZS1-0105,乙,yzs-g1,,\r\n"  # 7: duplicate
    "YZS1-OOO1,像旧号,yzs-g1,,\r\n"  # 8: lookalike of YZS1-0001
    "YZS1-0106,好人,燕子山第二网格,0531-86123456,2019年3月1日\r\n"  # fine, grid by name
).encode("gbk")
GOOD_BOM = (
    "\ufeffpassbook_number,name,grid,phone,joined_on\r\n"
    "ＹＺＳ１－０２０１,全角号,yzs-g1,053186123456,2018/6/1\r\n"
    "YZS1-0202,座机,yzs-g2,86123456,\r\n"
    "YZS1-0001,王秀兰,yzs-g1,,\r\n"  # registered already with the same data
).encode()


async def volunteer_count(engine: AsyncEngine) -> int:
    return int(await scalar(engine, "SELECT count(*) FROM volunteer"))


async def post_roster(
    client: Client, content: bytes, headers: dict[str, str] = CSV, **params: Any
) -> Any:
    return await client.post(
        "/api/volunteers/import", content=content, params=params, headers={**ADMIN, **headers}
    )


async def test_a_gbk_file_with_bad_rows_saves_nothing_and_names_every_bad_row(
    client: Client, demo_engine: AsyncEngine
) -> None:
    before = await volunteer_count(demo_engine)
    problem = assert_problem(await post_roster(client, BAD_GBK), 422, "roster_rejected")
    assert {(p["row"], p["column"], p["code"]) for p in problem["problems"]} == {
        (2, "存折号", "invalid_passbook_number"),
        (3, "网格", "unknown_grid"),
        (4, "入册日期", "invalid_joined_on"),
        (5, "电话", "invalid_phone"),
        (7, "存折号", "duplicate_in_file"),
        (8, "存折号", "passbook_number_lookalike"),
    }
    assert "YZS1-0001" in next(p["message"] for p in problem["problems"] if p["row"] == 8)
    assert await volunteer_count(demo_engine) == before
    dry = await post_roster(client, BAD_GBK, dry_run="true")
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert (body["dry_run"], body["read_as"], body["rows"], body["new"]) == (True, "gb18030", 8, 2)
    assert len(body["problems"]) == 6
    assert await volunteer_count(demo_engine) == before


async def test_a_good_file_imports_and_again_changes_nothing(
    client: Client, demo_engine: AsyncEngine
) -> None:
    before = await volunteer_count(demo_engine)
    dry = (await post_roster(client, GOOD_BOM, dry_run="true")).json()
    assert (dry["new"], dry["unchanged"], dry["registered"], dry["problems"]) == (2, 1, [], [])
    assert await volunteer_count(demo_engine) == before
    done = await post_roster(client, GOOD_BOM)
    assert done.status_code == 200, done.text
    assert done.json()["registered"] == ["YZS1-0201", "YZS1-0202"]
    assert done.json()["read_as"] == "utf-8-sig"
    shown = (await client.get("/api/volunteers/YZS1-0201", headers=ADMIN)).json()
    assert (shown["name"], shown["phone"]) == ("全角号", "0531-86123456")
    masked = (await client.get("/api/volunteers/YZS1-0201", headers=COUNCIL_G1)).json()
    assert masked["phone"] == "0531-****3456"
    again = (await post_roster(client, GOOD_BOM)).json()
    assert (again["new"], again["unchanged"], again["registered"]) == (0, 3, [])
    assert await volunteer_count(demo_engine) == before + 2


async def test_an_xlsx_roster_keeps_its_joining_days(client: Client) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["存折号", "姓名", "网格", "电话", "入册日期"])
    sheet.append(["YZS2-0301", "表格人", "yzs-g2", 13812340301, datetime(2017, 5, 4)])
    out = io.BytesIO()
    book.save(out)
    done = await post_roster(client, out.getvalue(), XLSX)
    assert done.status_code == 200, done.text
    assert (done.json()["read_as"], done.json()["registered"]) == ("xlsx", ["YZS2-0301"])
    # the roster export shows it back, with the joining day as a real date cell
    exported = await client.get("/api/volunteers/export.xlsx?unit=yzs-g2", headers=ADMIN)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == export.XLSX_MEDIA_TYPE
    rows = list(openpyxl.load_workbook(io.BytesIO(exported.content)).active.iter_rows())  # type: ignore[union-attr]
    assert [c.value for c in rows[0]] == ["存折号", "姓名", "网格", "网格名称", "电话", "入册日期", "状态", "余额"]  # fmt: skip
    mine = next(r for r in rows if r[0].value == "YZS2-0301")
    assert mine[4].value == "13812340301"
    assert mine[5].is_date
    assert mine[5].value == datetime(2017, 5, 4)
    zhang = next(r for r in rows if r[0].value == "YZS2-0001")
    assert zhang[7].value == 200  # the demo's opening balance, a number
    assert zhang[7].data_type == "n"


async def test_the_roster_export_masks_phones_for_auditors(client: Client) -> None:
    await post_roster(client, GOOD_BOM)
    for_admin = await client.get("/api/volunteers/export.csv?unit=yzs-g1", headers=ADMIN)
    assert for_admin.status_code == 200, for_admin.text
    assert for_admin.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(for_admin.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["存折号", "姓名", "网格", "网格名称", "电话"]
    assert rows[[r[0] for r in rows].index("YZS1-0201")][:3] == ["YZS1-0201", "全角号", "yzs-g1"]
    assert "0531-86123456" in for_admin.text
    for_auditor = await client.get("/api/volunteers/export.csv?unit=yzs-g1", headers=AUDITOR)
    assert "0531-86123456" not in for_auditor.text
    assert "0531-****3456" in for_auditor.text
    assert_problem(await client.get("/api/volunteers/export.csv", headers=COUNCIL_G1), 403)
    # what an admin exports imports back unchanged
    again = (await post_roster(client, for_admin.content)).json()
    assert (again["new"], again["problems"]) == (0, [])
    assert again["unchanged"] == len(rows) - 1


async def test_only_admins_import_and_unreadable_or_huge_files_are_refused(
    client: Client,
) -> None:
    refused = await client.post(
        "/api/volunteers/import", content=GOOD_BOM, headers={**COUNCIL_G1, **CSV}
    )
    assert_problem(refused, 403)
    assert_problem(await post_roster(client, b""), 422, "empty_file")
    assert_problem(await post_roster(client, b"PK\x03\x04broken", XLSX), 422, "unreadable_file")
    assert_problem(await post_roster(client, "姓名,姓名\r\n".encode()), 422, "duplicate_headers")
    too_big = await post_roster(client, b"a" * (MAX_UPLOAD_BYTES + 1))
    problem = assert_problem(too_big, 413, "body_too_large")
    assert problem["max_body_bytes"] == MAX_UPLOAD_BYTES
    assert "roster" in problem["detail"]


async def test_the_same_file_imported_twice_at_once_registers_each_volunteer_once(
    database_url: str, demo_engine: AsyncEngine
) -> None:
    before = await volunteer_count(demo_engine)
    rows = "".join(f"YZS3-{n:04d},并发{n},yzs-g3,,\r\n" for n in range(500, 520))
    data = ("存折号,姓名,网格,电话,入册日期\r\n" + rows).encode("gbk")
    async with concurrent_client(database_url) as concurrent:
        answers = await asyncio.gather(
            *(
                concurrent.post("/api/volunteers/import", content=data, headers={**ADMIN, **CSV})
                for _ in range(4)
            )
        )
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    bodies = [a.json() for a in answers]
    # every row was registered by exactly one of the imports; the others found it unchanged
    registered = [n for body in bodies for n in body["registered"]]
    assert sorted(registered) == [f"YZS3-{n:04d}" for n in range(500, 520)]
    assert all(body["new"] + body["unchanged"] == 20 for body in bodies)
    assert await volunteer_count(demo_engine) == before + 20
