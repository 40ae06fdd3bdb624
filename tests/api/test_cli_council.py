"""``passbook sheet`` and ``passbook report``: a grid office scoring from a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from litestar.testing import AsyncTestClient

import council
import scheme_time
from tests.api.helpers import balance, statement_lines
from tests.api.test_cli import passbook
from tests.api.test_sheets import days_ago

Client = AsyncTestClient  # type: ignore[type-arg]


async def test_draft_from_a_csv_then_approve(
    client: Client, database_url: str, tmp_path: Path
) -> None:
    lines = tmp_path / "lines.csv"
    # as Excel saves it: a byte order mark, Chinese notes
    lines.write_text("\ufeffpassbook,units,note\nYZS1-0001,2,扫楼道\nYZS1-0002,1,\n", "utf-8")
    before = (await balance(client, "YZS1-0001"))["posted"]
    drafted = await passbook(
        "sheet", "draft", "--database-url", database_url, "--member", "yzs-g1-a",
        "--rule", "corridor-cleanup", "--date", days_ago(1), "--place", "5号楼", "--submit",
        str(lines),
    )  # fmt: skip
    assert drafted.exit_code == 0, drafted.output
    assert "(submitted)" in drafted.stdout
    assert "15 points" in drafted.stdout
    sheet_id = drafted.stdout.split()[1]

    same = await passbook(
        "sheet", "approve", "--database-url", database_url, "--member", "yzs-g1-a", sheet_id
    )
    assert same.exit_code == 1
    assert "another council member" in same.output

    approved = await passbook(
        "sheet", "approve", "--database-url", database_url, "--member", "yzs-g1-b", sheet_id
    )
    assert approved.exit_code == 0, approved.output
    assert "(approved)" in approved.stdout
    assert (await balance(client, "YZS1-0001"))["posted"] == before + 10
    last = (await statement_lines(client, "YZS1-0001"))[-1]
    assert "楼道清理" in last["what_for"]
    assert "5号楼" in last["what_for"]


async def test_a_bad_lines_file_is_refused_naming_each_line(
    database_url: str, tmp_path: Path
) -> None:
    lines = tmp_path / "lines.csv"
    lines.write_text("passbook,units\nYZS2-0001,1\nYZS1-0001,9\n", "utf-8")
    result = await passbook(
        "sheet", "draft", "--database-url", database_url, "--member", "yzs-g1-a",
        "--rule", "home-visit", "--date", days_ago(1), str(lines),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "line 1 (YZS2-0001)" in result.output
    assert "outside this grid" in result.output
    assert "line 2 (YZS1-0001)" in result.output
    no_header = tmp_path / "bare.csv"
    no_header.write_text("YZS1-0001,1\n", "utf-8")
    result = await passbook(
        "sheet", "draft", "--database-url", database_url, "--member", "yzs-g1-a",
        "--rule", "home-visit", "--date", days_ago(1), str(no_header),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "header row" in result.output
    unknown = await passbook(
        "sheet", "approve", "--database-url", database_url, "--member", "nobody", "1"
    )
    assert unknown.exit_code == 1
    assert "No serving council member" in unknown.output


async def test_the_issuance_report_as_csv(database_url: str, tmp_path: Path) -> None:
    lines = tmp_path / "lines.csv"
    lines.write_text("passbook,units\nYZS1-0001,2\n", "utf-8")
    drafted = await passbook(
        "sheet", "draft", "--database-url", database_url, "--member", "yzs-g1-a",
        "--rule", "home-visit", "--date", days_ago(1), "--submit", str(lines),
    )  # fmt: skip
    sheet_id = drafted.stdout.split()[1]
    await passbook(
        "sheet", "approve", "--database-url", database_url, "--member", "yzs-g1-b", sheet_id
    )
    today = scheme_time.scheme_today()
    month = council.month_of(today)
    since = council.month_of(today.replace(day=1) - timedelta(days=1))
    result = await passbook(
        "report", "issuance", "--database-url", database_url, "--since", since,
        "--until", month, "--scope", "yzs-g1", "--csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert rows[0][:3] == ["grid", "grid name", "month"]
    assert {row[0] for row in rows[1:]} == {"yzs-g1"}
    assert sum(int(row[4]) for row in rows[1:]) >= 10
