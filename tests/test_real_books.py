"""A street office opens real books and runs them, from an empty database to a settlement, on
this run's database (SQLite or PostgreSQL), through the command line and the API as its
people would: ``passbook init``; a community and two grids; two staff credentials; a GBK CSV
roster and an ``.xlsx`` roster with Chinese headers, each first sent with bad rows; paper
passbooks carried over, entered by one person and confirmed by another; a scoring sheet
approved by a second council member; a reward redeemed, its voucher scanned at the counter,
the month's settlement as ``.xlsx``; and at the end ``passbook verify`` passes.

Along the way it checks the refusals a new office meets: a demo token in real books, the demo
loaded into them, a file with bad rows (nothing saved, every bad row named), the proposer
confirming their own opening balance, a second opening balance, a one-person reversal (no
points move) and a revoked credential.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from cli import main
from config import Settings
from scheme_time import scheme_today

Client = AsyncTestClient  # type: ignore[type-arg]
TOKEN = re.compile(r"\bpb_[A-Za-z0-9_-]{30,}")

BAD_ROSTER = (
    "存折号,姓名,网格,电话,入册日期\r\n"
    "YS1-0001,王秀兰,yzs-g1,13912340001,2019-03-01\r\n"  # row 2: good
    "YS1-0002,李建国,nosuch,13912340002,2019-03-01\r\n"  # row 3: no such grid
    "YS1-0003,张桂芳,yzs-g1,12345,2019-03-01\r\n"  # row 4: not a phone number
    "YS1-0004,刘德明,yzs-g1,0531-86123456,2019-02-30\r\n"  # row 5: no such day
    "YS1-0001,王秀兰,yzs-g1,13912340001,2019-03-01\r\n"  # row 6: the same number again
    "YS1-OOO1,陈玉珍,yzs-g1,,2020-05-01\r\n"  # row 7: O for 0, like row 2's number
)
GOOD_ROSTER = (
    "存折号,姓名,网格,电话,入册日期\r\n"
    "YS1-0001,王秀兰,yzs-g1,13912340001,2019-03-01\r\n"
    "YS1-0002,李建国,yzs-g1,13912340002,2019-03-01\r\n"
    "ＹＳ１－０００３,张桂芳,燕子山第一网格,0531-86123456,2019年4月1日\r\n"
)


async def passbook(*args: str) -> Result:
    """The ``passbook`` command, in a worker thread (it runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def workbook(header: list[str], rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def balance(client: Client, number: str, headers: dict[str, str]) -> int:
    found = await ok(await client.get(f"/api/passbooks/{number}", headers=headers))
    return int(found["posted"])


async def test_a_street_office_opens_real_books_and_runs_them(
    database_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    url = ["--database-url", database_url]
    opened = await passbook("init", *url, "--street", "yanshan", "--name", "燕山街道")
    assert opened.exit_code == 0, opened.output
    tokens = TOKEN.findall(opened.stdout)
    assert len(tokens) == 1
    street = bearer(tokens[0])
    again = await passbook("init", *url, "--street", "other", "--name", "别的街道")
    assert again.exit_code != 0
    assert "wrote nothing" in again.output
    demo = await passbook("demo", *url)
    assert demo.exit_code != 0

    app = create_app(Settings(database_url=database_url))
    async with AsyncTestClient(app=app) as client:
        me = await ok(await client.get("/api/me", headers=street))
        assert (me["role"], me["scope"]) == ("admin", "yanshan")
        assert (await client.get("/api/me", headers=bearer("pb_demo_admin"))).status_code == 401

        # the org tree: a community and a grid through the API, a second grid at the command line
        for body in (
            {"code": "yanzishan", "name": "燕子山社区", "kind": "community", "parent": "yanshan"},
            {"code": "yzs-g1", "name": "燕子山第一网格", "kind": "grid", "parent": "yanzishan"},
        ):
            await ok(await client.post("/api/org-units", json=body, headers=street), 201)
        grid_two = await passbook(
            "org", "add", *url, "--kind", "grid", "--parent", "yanzishan",
            "--code", "yzs-g2", "--name", "燕子山第二网格",
        )  # fmt: skip
        assert grid_two.exit_code == 0, grid_two.output
        tree = await ok(await client.get("/api/org-units", headers=street))
        assert [u["code"] for u in tree["units"]] == ["yanshan", "yanzishan", "yzs-g1", "yzs-g2"]

        # two staff members of the community, each with a credential of their own
        staff = []
        for name in ("燕子山社区 张会计", "燕子山社区 李主任"):
            made = await ok(
                await client.post(
                    "/api/tokens",
                    json={"role": "admin", "scope": "yanzishan", "label": name},
                    headers=street,
                ),
                201,
            )
            staff.append(bearer(made["token"]))
        first, second = staff

        # the roster: a GBK CSV with bad rows saves nothing and names each; then the good one
        csv_headers = {**first, "Content-Type": "text/csv"}
        refused = await client.post(
            "/api/volunteers/import", content=BAD_ROSTER.encode("gbk"), headers=csv_headers
        )
        assert refused.status_code == 422, refused.text
        problems = refused.json()["problems"]
        assert {p["row"] for p in problems} == {3, 4, 5, 6, 7}
        assert {p["column"] for p in problems if p["row"] == 3} == {"网格"}
        assert {p["column"] for p in problems if p["row"] == 4} == {"电话"}
        assert {p["column"] for p in problems if p["row"] == 5} == {"入册日期"}
        listed = await ok(await client.get("/api/volunteers?unit=yanzishan", headers=first))
        assert listed["volunteers"] == []
        imported = await ok(
            await client.post(
                "/api/volunteers/import", content=GOOD_ROSTER.encode("gbk"), headers=csv_headers
            )
        )
        assert (imported["new"], imported["problems"]) == (3, [])
        same = await ok(
            await client.post(
                "/api/volunteers/import", content=GOOD_ROSTER.encode("gbk"), headers=csv_headers
            )
        )
        assert (same["new"], same["unchanged"]) == (0, 3)

        # an .xlsx roster with Chinese headers and real date cells, at the command line
        header = ["存折号", "姓名", "网格", "电话", "入册日期"]
        day = scheme_today().replace(year=2020, month=6, day=1)
        bad_book = tmp_path / "名册-有错.xlsx"
        bad_book.write_bytes(
            workbook(header, [["YS2-0001", "赵大爷", "yzs-g2", "", day], ["YS2-0002", "", "yzs-g2", "", day]])
        )  # fmt: skip
        failed = await passbook("import", "volunteers", *url, str(bad_book))
        assert failed.exit_code == 1
        assert "row 3, 姓名" in failed.output
        good_book = tmp_path / "名册.xlsx"
        good_book.write_bytes(
            workbook(header, [["YS2-0001", "赵大爷", "yzs-g2", "", day], ["YS2-0002", "钱阿姨", "yzs-g2", "", day]])
        )  # fmt: skip
        loaded = await passbook("import", "volunteers", *url, str(good_book))
        assert loaded.exit_code == 0, loaded.output
        listed = await ok(await client.get("/api/volunteers?unit=yanzishan", headers=first))
        numbers = sorted(v["passbook_number"] for v in listed["volunteers"])
        assert numbers == ["YS1-0001", "YS1-0002", "YS1-0003", "YS2-0001", "YS2-0002"]

        # the paper passbooks carried over: a file proposed by one, confirmed by the other
        paper = "存折号,余额,日期\r\nYS1-0001,120,2025-06-30\r\nYS1-0002,45,2025-06-30\r\n"
        batch = await ok(
            await client.post(
                "/api/opening-balances/import", content=paper.encode("gbk"), headers=csv_headers
            ),
            201,
        )
        confirm = f"/api/grant-batches/{batch['batch']}/confirmation"
        assert (await client.post(confirm, headers=first)).status_code == 403
        assert await balance(client, "YS1-0001", first) == 0
        await ok(await client.post(confirm, headers=second))
        assert await balance(client, "YS1-0001", first) == 120
        # one by one, and never twice for one passbook
        one = await ok(
            await client.post(
                "/api/passbooks/YS2-0001/opening-balance",
                json={"points": 30, "as_of": "2025-05-31"},
                headers=keyed(first, "opening-ys2-0001"),
            ),
            201,
        )
        await ok(await client.post(f"/api/grants/{one['id']}/confirmation", headers=second))
        twice = await client.post(
            "/api/passbooks/YS2-0001/opening-balance",
            json={"points": 30, "as_of": "2025-05-31"},
            headers=second,
        )
        assert (twice.status_code, twice.json()["code"]) == (409, "opening_balance_exists")
        statement = await ok(await client.get("/api/passbooks/YS1-0001/statement", headers=first))
        carried = [line for line in statement["lines"] if "纸质存折余额结转" in line["what_for"]]
        assert [(line["date"], line["points"], line["kind"]) for line in carried] == [
            ("2025-06-30", 120, "opening")
        ]

        # scoring: two council members of grid one, a published rule, a sheet, four eyes
        council = []
        for code, name in (("yzs-g1-a", "孙委员"), ("yzs-g1-b", "周委员")):
            body = {"code": code, "name": name, "grid": "yzs-g1"}
            await ok(await client.post("/api/council-members", json=body, headers=first), 201)
            made = await ok(
                await client.post(
                    f"/api/council-members/{code}/tokens", json={}, headers=first
                ),
                201,
            )  # fmt: skip
            council.append(bearer(made["token"]))
        rule = {
            "code": "corridor", "name": "楼道清理", "category": "property", "points_per_unit": 2,
            "unit": "hour", "daily_cap_units": 4, "valid_from": "2025-01-01", "org_unit": "yanshan",
        }  # fmt: skip
        await ok(await client.post("/api/savings-rules", json=rule, headers=street), 201)
        sheet = {
            "rule": "corridor", "activity_date": scheme_today().isoformat(), "place": "3号楼",
            "lines": [{"passbook": "YS1-0001", "units": 3}, {"passbook": "YS1-0002", "units": 2}],
            "submit": True,
        }  # fmt: skip
        drafted = await ok(await client.post("/api/sheets", json=sheet, headers=council[0]), 201)
        own = await client.post(f"/api/sheets/{drafted['id']}/approve", headers=council[0])
        assert own.status_code == 403
        approved = await ok(
            await client.post(f"/api/sheets/{drafted['id']}/approve", headers=council[1])
        )
        assert approved["status"] == "approved"
        assert await balance(client, "YS1-0001", first) == 126
        # taking points back is proposed by one member and moves nothing on its own
        reversal = await client.post(
            f"/api/sheets/{drafted['id']}/reversal", json={"reason": "记错了"}, headers=council[0]
        )
        assert reversal.status_code == 202, reversal.text
        assert await balance(client, "YS1-0001", first) == 126

        # a merchant, a reward, a redemption for the volunteer, the scan at the counter
        market = {"code": "market", "name": "燕山便民超市"}
        await ok(await client.post("/api/merchants", json=market, headers=street), 201)
        reward = {
            "code": "tissues", "name": "抽纸一提", "kind": "goods", "cost_points": 20,
            "merchant": "market", "org_unit": "yanshan",
        }  # fmt: skip
        await ok(await client.post("/api/rewards", json=reward, headers=street), 201)
        till = await ok(
            await client.post(
                "/api/tokens",
                json={"role": "merchant", "scope": "market", "label": "超市收银台"},
                headers=street,
            ),
            201,
        )
        cashier = bearer(till["token"])
        redemption = await ok(
            await client.post(
                "/api/rewards/tissues/redemptions",
                json={"passbook": "YS1-0001"},
                headers=keyed(first, "redeem-ys1-0001"),
            ),
            201,
        )
        code = redemption["vouchers"][0]["code"]
        checked = await ok(
            await client.post("/api/scan/verify", json={"code": code}, headers=cashier)
        )
        assert checked["verdict"] == "valid"
        consumed = await ok(
            await client.post(
                "/api/scan/consume", json={"code": code}, headers=keyed(cashier, "scan-1")
            )
        )
        assert (consumed["verdict"], consumed["replayed"]) == ("used", False)
        assert await balance(client, "YS1-0001", first) == 106

        # the month's settlement as a workbook: real dates, numbers as numbers
        sheet_file = await client.get("/api/merchants/market/settlement.xlsx", headers=cashier)
        assert sheet_file.status_code == 200, sheet_file.text
        rows = list(openpyxl.load_workbook(io.BytesIO(sheet_file.content)).active.iter_rows())  # type: ignore[union-attr]
        lines = [row for row in rows[1:] if row[1].value == code]
        assert len(lines) == 1
        assert lines[0][0].is_date
        assert 20 in [cell.value for cell in lines[0]]

        # a lost till's credential is revoked, and stops at once
        revoked = await client.post(
            f"/api/tokens/{till['credential']['id']}/revocation", headers=street
        )
        assert revoked.status_code == 200, revoked.text
        assert (await client.get("/api/me", headers=cashier)).status_code == 401

    verified = await passbook("verify", *url)
    assert verified.exit_code == 0, verified.output
    assert "OK: the books balance and every chain is intact" in verified.stdout
