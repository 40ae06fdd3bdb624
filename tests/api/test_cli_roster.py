"""``passbook import volunteers`` and ``passbook export volunteers`` against this test's demo
database, and ``passbook report issuance --xlsx``: the same use cases as the API, as the
operator."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
from sqlalchemy.ext.asyncio import AsyncEngine

import council
import scheme_time
from tests.api.helpers import scalar
from tests.api.test_cli import passbook

BAD = (
    "存折号,姓名,网格,电话,入册日期\r\n"
    "YZS1-0301,好,yzs-g1,,\r\n"
    "YZS1-O3O1,像,yzs-g1,,\r\n"  # 3: lookalike of row 2
    "YZS1-0302,坏,yzs-g1,0531-1234,\r\n"  # 4: bad phone
)


async def count(engine: AsyncEngine) -> int:
    return int(await scalar(engine, "SELECT count(*) FROM volunteer"))


async def test_import_volunteers_is_all_or_nothing_and_idempotent(
    database_url: str, demo_engine: AsyncEngine, tmp_path: Path
) -> None:
    before = await count(demo_engine)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(BAD.encode("gbk"))
    dry = await passbook("import", "volunteers", "--database-url", database_url, "--dry-run", str(bad))  # fmt: skip
    assert dry.exit_code == 1
    assert "would register 1, 0 unchanged" in dry.stdout
    assert "row 3, 存折号 (passbook_number_lookalike)" in dry.stderr
    assert "row 4, 电话 (invalid_phone)" in dry.stderr
    refused = await passbook("import", "volunteers", "--database-url", database_url, str(bad))
    assert refused.exit_code == 1
    assert "nothing was saved" in refused.output
    assert "row 3, 存折号 (passbook_number_lookalike)" in refused.output
    assert await count(demo_engine) == before

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["存折号", "姓名", "网格", "电话", "入册日期"])
    sheet.append(["YZS1-0301", "好", "燕子山第一网格", "0531-86123456", datetime(2016, 2, 3)])
    sheet.append(["YZS1-0001", "王秀兰", "yzs-g1", None, None])
    good = tmp_path / "good.xlsx"
    book.save(good)
    done = await passbook("import", "volunteers", "--database-url", database_url, str(good))
    assert done.exit_code == 0, done.output
    assert "registered 1, 1 unchanged" in done.stdout
    again = await passbook("import", "volunteers", "--database-url", database_url, str(good))
    assert "registered 0, 2 unchanged" in again.stdout
    assert await count(demo_engine) == before + 1

    out = tmp_path / "roster.xlsx"
    exported = await passbook(
        "export", "volunteers", "--database-url", database_url, "--unit", "yzs-g1",
        "--output", str(out),
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    mine = next(r for r in rows if r[0] == "YZS1-0301")
    assert mine[4:6] == ("0531-86123456", datetime(2016, 2, 3))
    back = await passbook("import", "volunteers", "--database-url", database_url, str(out))
    assert back.exit_code == 0, back.output
    assert f"registered 0, {len(rows) - 1} unchanged" in back.stdout
    as_csv = tmp_path / "roster.csv"
    await passbook("export", "volunteers", "--database-url", database_url, "--format", "csv", "--output", str(as_csv))  # fmt: skip
    assert as_csv.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "YZS7-0001" in as_csv.read_text("utf-8-sig")  # every unit by default


async def test_the_issuance_report_as_xlsx(database_url: str, tmp_path: Path) -> None:
    today = scheme_time.scheme_today()
    since = council.month_of(today.replace(day=1) - timedelta(days=100))
    out = tmp_path / "issuance.xlsx"
    result = await passbook(
        "report", "issuance", "--database-url", database_url, "--since", since,
        "--until", council.month_of(today), "--xlsx", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(io.BytesIO(out.read_bytes())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "网格 grid"
    assert len(rows) > 1
    assert all(isinstance(row[7], int) for row in rows[1:])
