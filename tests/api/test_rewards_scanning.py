"""A merchant at the counter: verify changes nothing, consume works once and pays the merchant,
mistyped codes are caught by the check character, guessing is slowed down, settlement adds up."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta

import openpyxl
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import export
import rewards
from access import Role
from scheme_time import SCHEME_TZ
from tests.api.conftest import ADMIN, AUDITOR, VOLUNTEER, concurrent_client
from tests.api.helpers import assert_problem, balance, bearer, execute, make_token, verify
from tests.api.rewards_helpers import (
    CARWASH,
    MARKET,
    add_reward,
    mistype,
    pass_its_date,
    redeemed,
    scan,
    stock_used,
)

Client = AsyncTestClient  # type: ignore[type-arg]


async def merchant_points(client: Client, code: str) -> int:
    response = await client.get("/api/books/trial-balance", headers=ADMIN)
    rows = {row["kind"]: row for row in response.json()["rows"]}
    return int(rows.get("merchant", {"posted": 0})["posted"])


async def test_verify_changes_nothing_and_consume_pays_the_merchant_once(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", cost_points=7, stock_total=5)
    voucher = (await redeemed(client, "soap"))["vouchers"][0]
    merchant_before = await merchant_points(client, "market")

    looked = await scan(client, "verify", voucher["code"])
    assert looked.status_code == 200, looked.text
    body = looked.json()
    assert body["verdict"] == "valid"
    assert body["reward"]["name"] == "测试奖品 soap"
    assert body["holder"] == "王*兰"  # masked for the merchant
    assert body["points"] == 7
    assert (await balance(client, "YZS1-0001"))["held"] == 7

    # typed by hand: lower case, spaces instead of dashes
    typed = voucher["code"].lower().replace("-", " ")
    used = await scan(client, "consume", typed)
    assert used.status_code == 200, used.text
    assert used.json()["verdict"] == "used"
    assert used.json()["replayed"] is False
    after = await balance(client, "YZS1-0001")
    assert (after["held"], after["posted"]) == (0, 113)
    assert await merchant_points(client, "market") == merchant_before + 7
    assert await stock_used(demo_engine, "soap") == 1  # a used voucher keeps its stock

    # a scan without a key is a new scan, even from the same scanner at once: refused, saying
    # when (China Standard Time) and by which scanner; so is a scan by another till
    again = assert_problem(
        await scan(client, "consume", voucher["code"]), 409, "voucher_already_used"
    )
    assert again["same_scanner"] is True
    assert again["used_by"] == "燕子山便民超市演示收银台"
    assert "by this scanner (燕子山便民超市演示收银台)" in again["detail"]
    used_at = datetime.fromisoformat(again["used_at_iso"])
    assert abs((used_at - datetime.now(UTC)).total_seconds()) < 60
    assert again["used_at"] == used_at.astimezone(SCHEME_TZ).strftime("%Y-%m-%d %H:%M")
    assert f"Already used on {again['used_at']} (China Standard Time)" in again["detail"]
    assert "no Idempotency-Key" in again["detail"]
    other_scanner, _ = await make_token(demo_engine, Role.MERCHANT, "market", label="till 2")
    body = assert_problem(
        await scan(client, "consume", voucher["code"], bearer(other_scanner)),
        409,
        "voucher_already_used",
    )
    assert "Already used" in body["detail"]
    assert (body["used_by"], body["same_scanner"]) == ("燕子山便民超市演示收银台", False)
    assert "by scanner 燕子山便民超市演示收银台" in body["detail"]
    assert (await scan(client, "verify", voucher["code"])).json()["verdict"] == "used"
    assert await merchant_points(client, "market") == merchant_before + 7
    assert (await verify(client))["ok"] is True


async def test_a_second_scan_with_a_fresh_key_is_refused_at_once(client: Client) -> None:
    """Issue 13, finding 4: a second scan seconds after the first, with a new key, is a new
    scan (two customers, one screenshot), not a retry of the first."""
    await add_reward(client, "soap", stock_total=5)
    voucher = (await redeemed(client, "soap"))["vouchers"][0]
    first = {**MARKET, "Idempotency-Key": "scan-0001"}
    used = await scan(client, "consume", voucher["code"], first)
    assert (used.status_code, used.json()["replayed"]) == (200, False)
    merchant_after = await merchant_points(client, "market")
    fresh = {**MARKET, "Idempotency-Key": "scan-0002"}
    body = assert_problem(
        await scan(client, "consume", voucher["code"], fresh), 409, "voucher_already_used"
    )
    assert body["same_scanner"] is True
    assert "another Idempotency-Key" in body["detail"]
    # the first key still replays the first success
    retry = await scan(client, "consume", voucher["code"], first)
    assert (retry.status_code, retry.json()["replayed"]) == (200, True)
    assert retry.json()["entry_id"] == used.json()["entry_id"]
    assert await merchant_points(client, "market") == merchant_after


async def test_two_tills_sharing_one_credential_are_two_scans(
    client: Client, database_url: str
) -> None:
    """Two tills with one merchant credential, each with its own key, scan one voucher at
    once: one is served, the other is refused as already used."""
    await add_reward(client, "soap", stock_total=5)
    voucher = (await redeemed(client, "soap"))["vouchers"][0]
    async with concurrent_client(database_url) as concurrent:
        answers = await asyncio.gather(
            *(
                scan(concurrent, "consume", voucher["code"], {**MARKET, "Idempotency-Key": k})
                for k in ("till-1-scan-1", "till-2-scan-1")
            )
        )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409)
    assert assert_problem(refused, 409, "voucher_already_used")["same_scanner"] is True
    served = next(a for a in answers if a.status_code == 200)
    assert served.json()["replayed"] is False
    assert (await verify(client))["ok"] is True


async def test_a_retry_with_the_scan_key_is_answered_at_any_time(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", stock_total=5, per_volunteer_limit=5)
    first, second = (await redeemed(client, "soap", quantity=2))["vouchers"]
    keyed = {**MARKET, "Idempotency-Key": "till-1-scan-0001"}
    used = await scan(client, "consume", first["code"], keyed)
    assert used.status_code == 200, used.text
    assert used.json()["replayed"] is False
    merchant_after = await merchant_points(client, "market")
    await execute(
        demo_engine,
        "UPDATE voucher SET closed_at = :t WHERE code = :c",
        t=datetime.now(UTC) - timedelta(days=3),
        c=first["code"].replace("-", ""),
    )
    # three days later, the same key: the stored success, nothing paid again
    retry = await scan(client, "consume", first["code"], keyed)
    assert retry.status_code == 200, retry.text
    assert retry.json()["replayed"] is True
    assert retry.json()["entry_id"] == used.json()["entry_id"]
    # another key, or none, is a second scan of a used voucher
    fresh = {**MARKET, "Idempotency-Key": "till-1-scan-0002"}
    assert_problem(await scan(client, "consume", first["code"], fresh), 409, "voucher_already_used")
    assert_problem(await scan(client, "consume", first["code"]), 409, "voucher_already_used")
    # the key is bound to the voucher it used: another voucher with it is refused, unused
    body = assert_problem(
        await scan(client, "consume", second["code"], keyed), 409, "idempotency_conflict"
    )
    assert "new key for each voucher" in body["detail"]
    assert (await scan(client, "verify", second["code"])).json()["verdict"] == "valid"
    # the same key text from another merchant is another key
    carwash_key = {**CARWASH, "Idempotency-Key": "till-1-scan-0001"}
    assert_problem(await scan(client, "consume", second["code"], carwash_key), 403)
    assert await merchant_points(client, "market") == merchant_after
    assert (await verify(client))["ok"] is True


async def test_one_scan_key_sent_for_two_vouchers_at_once_uses_one(
    client: Client, database_url: str
) -> None:
    await add_reward(client, "soap", stock_total=10, per_volunteer_limit=10)
    vouchers = (await redeemed(client, "soap", quantity=6))["vouchers"]
    keyed = {**MARKET, "Idempotency-Key": "till-1-one-key"}
    async with concurrent_client(database_url) as concurrent:
        answers = await asyncio.gather(
            *(scan(concurrent, "consume", v["code"], keyed) for v in vouchers)
        )
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 1, 409: 5}, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"idempotency_conflict"}
    verdicts = [(await scan(client, "verify", v["code"])).json()["verdict"] for v in vouchers]
    assert Counter(verdicts) == {"used": 1, "valid": 5}
    assert (await balance(client, "YZS1-0001"))["held"] == 5 * vouchers[0]["points"]
    assert (await verify(client))["ok"] is True


async def test_a_merchant_consumes_only_its_own_vouchers(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", stock_total=5)
    voucher = (await redeemed(client, "soap"))["vouchers"][0]
    looked = await scan(client, "verify", voucher["code"], CARWASH)
    assert looked.status_code == 200
    assert looked.json()["verdict"] == "not_yours"
    assert "测试奖品 soap" in looked.json()["message"]
    body = assert_problem(await scan(client, "consume", voucher["code"], CARWASH), 403)
    assert body["code"] == "voucher_not_yours"
    assert (await balance(client, "YZS1-0001"))["held"] == 5
    # only merchants scan
    for headers in (VOLUNTEER, ADMIN):
        assert_problem(await scan(client, "consume", voucher["code"], headers), 403, "forbidden")


async def test_a_voucher_past_its_date_never_scans_valid(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", stock_total=5, voucher_valid_days=1)
    redemption = await redeemed(client, "soap")
    voucher = redemption["vouchers"][0]
    await pass_its_date(demo_engine, voucher["id"])
    assert (await scan(client, "verify", voucher["code"])).json()["verdict"] == "expired"
    assert_problem(await scan(client, "consume", voucher["code"]), 409, "voucher_expired")
    shown = await client.get(f"/api/vouchers/{voucher['id']}", headers=VOLUNTEER)
    assert shown.json()["status"] == "expired"
    assert (await balance(client, "YZS1-0001"))["held"] == 5  # until the sweep
    assert_problem(
        await client.post(f"/api/vouchers/{voucher['id']}/cancel", headers=VOLUNTEER),
        409,
        "voucher_expired",
    )
    # nor its redemption, whose every voucher has expired: it says so, not "already used"
    body = assert_problem(
        await client.post(f"/api/redemptions/{redemption['id']}/cancel", headers=VOLUNTEER),
        409,
        "voucher_expired",
    )
    assert "returned to the passbook" in body["detail"]
    assert (await balance(client, "YZS1-0001"))["held"] == 5


async def test_a_mistyped_character_is_refused_by_the_check_character(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", stock_total=5)
    voucher = (await redeemed(client, "soap"))["vouchers"][0]
    for position in (0, 7, 19):
        body = assert_problem(
            await scan(client, "consume", mistype(voucher["code"], position)),
            422,
            "voucher_code_invalid",
        )
        assert "check character" in body["detail"]
    body = assert_problem(await scan(client, "verify", "ABCD-EFGH"), 422, "voucher_code_invalid")
    assert "20 letters" in body["detail"]
    body = assert_problem(
        await scan(client, "verify", voucher["code"].replace(voucher["code"][0], "O", 1)),
        422,
        "voucher_code_invalid",
    )
    assert "'O'" in body["detail"]
    assert (await balance(client, "YZS1-0001"))["held"] == 5


async def test_a_burst_of_invalid_codes_is_slowed_down(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", stock_total=5)
    voucher = (await redeemed(client, "soap"))["vouchers"][0]
    unknown = rewards.new_code()  # well formed, never issued
    for attempt in range(10):
        code = unknown if attempt % 2 else mistype(voucher["code"], attempt)
        response = await scan(client, "verify", code)
        assert response.status_code in (404, 422), response.text
    paused = await scan(client, "consume", voucher["code"])
    body = assert_problem(paused, 429, "too_many_invalid_codes")
    assert 1 <= int(paused.headers["retry-after"]) <= 60
    assert body["retry_after"] == int(paused.headers["retry-after"])
    assert (await balance(client, "YZS1-0001"))["held"] == 5  # nothing was consumed
    # another merchant's scanner is not slowed down
    assert (await scan(client, "verify", voucher["code"], CARWASH)).status_code == 200


async def test_settlement_lists_consumed_vouchers_as_json_and_csv(
    client: Client, demo_engine: AsyncEngine
) -> None:
    await add_reward(client, "soap", cost_points=6, stock_total=5)
    vouchers = (await redeemed(client, "soap", quantity=3))["vouchers"]
    for voucher in vouchers[:2]:
        assert (await scan(client, "consume", voucher["code"])).status_code == 200
    today = rewards.local_date(datetime.now(UTC)).isoformat()
    params = {"from": today, "to": today}

    response = await client.get("/api/merchants/market/settlement", params=params, headers=MARKET)
    assert response.status_code == 200, response.text
    body = response.json()
    mine = [line for line in body["lines"] if line["reward"]["code"] == "soap"]
    assert [line["voucher"] for line in mine] == [v["code"] for v in vouchers[:2]]
    assert sum(line["points"] for line in mine) == 12
    assert {
        "reward": {"code": "soap", "name": "测试奖品 soap"},
        "vouchers": 2,
        "points": 12,
    } in body["by_reward"]
    assert body["points"] == sum(line["points"] for line in body["lines"])

    exported = await client.get(
        "/api/merchants/market/settlement.csv", params=params, headers=AUDITOR
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0].startswith("使用时间")
    soap_rows = [row for row in rows[1:-1] if row[2] == "soap"]
    assert [row[1] for row in soap_rows] == [v["code"] for v in vouchers[:2]]
    assert all(row[3] == "测试奖品 soap" for row in soap_rows)
    assert rows[-1][4] == str(body["points"])

    workbook = await client.get(
        "/api/merchants/market/settlement.xlsx", params=params, headers=AUDITOR
    )
    assert workbook.status_code == 200, workbook.text
    assert workbook.headers["content-type"] == export.XLSX_MEDIA_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    cells = list(sheet.iter_rows())
    assert cells[0][0].value == rows[0][0]
    soap_cells = [row for row in cells[1:-1] if row[2].value == "soap"]
    assert [row[1].value for row in soap_cells] == [v["code"] for v in vouchers[:2]]
    assert all(row[0].is_date and isinstance(row[0].value, datetime) for row in soap_cells)
    assert [row[0].value.strftime("%Y-%m-%d %H:%M:%S") for row in soap_cells] == [  # type: ignore[union-attr]
        row[0] for row in soap_rows
    ]
    assert all(row[4].value == 6 for row in soap_cells)
    assert cells[-1][4].value == body["points"]

    # another merchant's settlement is not this one's to read; nor a volunteer's
    assert_problem(await client.get("/api/merchants/market/settlement", headers=CARWASH), 403)
    assert_problem(await client.get("/api/merchants/market/settlement", headers=VOLUNTEER), 403)
    bad = await client.get(
        "/api/merchants/market/settlement", params={"month": "2026-13"}, headers=MARKET
    )
    assert_problem(bad, 422)
    swapped = await client.get(
        "/api/merchants/market/settlement",
        params={"from": "2026-11-30", "to": "2026-11-01"},
        headers=MARKET,
    )
    assert_problem(swapped, 422, "invalid_redemption")


async def test_the_demo_settlement_has_the_used_demo_voucher(client: Client) -> None:
    response = await client.get(
        "/api/merchants/market/settlement",
        params={"from": "2000-01-01", "to": "2000-12-31"},
        headers=MARKET,
    )
    assert response.status_code == 200
    assert response.json()["vouchers"] == 0
    month = rewards.local_date(datetime.now(UTC) - timedelta(days=4)).strftime("%Y-%m")
    response = await client.get(
        "/api/merchants/market/settlement", params={"month": month}, headers=MARKET
    )
    assert [line["reward"]["code"] for line in response.json()["lines"]] == ["dumplings"]
