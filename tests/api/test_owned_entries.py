"""The generic reversal (``POST /api/entries/{id}/reversal``) takes only entries that belong to
no domain object. An entry a sheet, a sheet line, a bonus, a grant or a voucher owns is
refused (409 ``entry_belongs_to``) naming the object and what to do instead, so the object and
its points never disagree (issue 13, finding 3)."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

import db
import ledger
import office
from tests.api.conftest import ADMIN
from tests.api.helpers import (
    assert_problem,
    balance,
    entry_count,
    scalar,
    statement_lines,
    verify,
    writing,
)
from tests.api.rewards_helpers import add_reward, redeemed, scan
from tests.api.test_entries import reverse
from tests.api.test_grants import confirm, propose, second_admin
from tests.api.test_sheet_corrections import publish_big_rule
from tests.api.test_sheets import approved, taken_back

Client = AsyncTestClient  # type: ignore[type-arg]


async def refused_as_owned(client: Client, entry_id: int, owner: str) -> dict[str, Any]:
    """Reverse ``entry_id`` generically: refused as belonging to ``owner``, nothing posted."""
    entries = await entry_count(client)
    body = assert_problem(await reverse(client, entry_id, writing(ADMIN)), 409, "entry_belongs_to")
    assert (body["entry_id"], body["owner"]) == (entry_id, owner)
    assert str(entry_id) in body["detail"]
    assert body["use_instead"] in body["detail"]
    assert await entry_count(client) == entries
    return body


async def test_a_sheets_points_are_taken_back_once(client: Client) -> None:
    """The issue's case: the admin's reversal of a sheet's entry is refused, pointing at the
    sheet's take-back; a later line correction takes the sheet's points, once."""
    start = (await balance(client, "YZS1-0001"))["posted"]
    sheet = await approved(client, [("YZS1-0001", 2)])
    points = sum(line["points"] for line in sheet["lines"])
    assert points > 0
    assert (await balance(client, "YZS1-0001"))["posted"] == start + points

    body = await refused_as_owned(client, sheet["entry_id"], "scoring_sheet")
    assert body["owner_id"] == sheet["id"]
    assert f"POST /api/sheets/{sheet['id']}/reversal" in body["use_instead"]
    shown = (await client.get(f"/api/sheets/{sheet['id']}", headers=ADMIN)).json()
    assert shown["status"] == "approved"
    assert (await balance(client, "YZS1-0001"))["posted"] == start + points

    after = await taken_back(client, f"/api/sheets/{sheet['id']}/lines/1/correction")
    assert after["lines"][0]["corrected"] is True
    assert (await balance(client, "YZS1-0001"))["posted"] == start  # taken once, not twice
    assert (await verify(client))["ok"] is True


async def test_a_correction_entry_is_refused_not_500(client: Client) -> None:
    sheet = await approved(client, [("YZS1-0001", 2)])
    after = await taken_back(client, f"/api/sheets/{sheet['id']}/lines/1/correction")
    correction = after["lines"][0]["correction_entry_id"]
    body = await refused_as_owned(client, correction, "sheet_line")
    assert f"line 1 of scoring sheet {sheet['id']}" in body["detail"]
    assert "POST /api/sheets" in body["use_instead"]
    assert (await verify(client))["ok"] is True


async def test_a_sheet_reversal_and_its_bonus_are_refused(client: Client) -> None:
    await publish_big_rule(client)
    sheet = await approved(client, [("YZS1-0001", 2)], rule="flood-relief")  # 120 -> 220: bonus
    bonus = (await statement_lines(client, "YZS1-0001"))[-1]
    assert bonus["kind"] == "incentive"
    body = await refused_as_owned(client, bonus["entry_id"], "incentive_award")
    assert f"POST /api/sheets/{sheet['id']}/reversal" in body["use_instead"]

    after = await taken_back(client, f"/api/sheets/{sheet['id']}/reversal")
    assert after["reversal_entry_id"] is not None
    await refused_as_owned(client, after["reversal_entry_id"], "scoring_sheet")
    assert (await verify(client))["ok"] is True


async def test_a_grants_entry_is_refused(client: Client, demo_engine: AsyncEngine) -> None:
    proposed = await propose(client)
    assert proposed.status_code == 201, proposed.text
    done = await confirm(client, proposed.json()["id"], await second_admin(demo_engine))
    assert done.status_code == 200, done.text
    grant = done.json()
    body = await refused_as_owned(client, grant["entry_id"], "points_grant")
    assert body["owner_id"] == grant["id"]
    assert f"grant {grant['id']}" in body["detail"]
    assert "/adjustments" in body["use_instead"]


async def test_a_used_vouchers_entry_is_refused(client: Client, demo_engine: AsyncEngine) -> None:
    """A consume entry touches the merchant's account, which no admin's scope reaches today
    (403); the owner lookup refuses it whoever asks, telling that the voucher stays used."""
    await add_reward(client, "soap", cost_points=7, stock_total=5)
    voucher = (await redeemed(client, "soap"))["vouchers"][0]
    used = await scan(client, "consume", voucher["code"])
    assert used.status_code == 200, used.text
    entry_id = used.json()["entry_id"]
    entries = await entry_count(client)

    async def owner_of(conn: db.Connection) -> ledger.EntryOwner | None:
        return await office.entry_owner(conn, entry_id)

    owner = await db.run_in_transaction(demo_engine, owner_of)
    assert owner is not None
    assert (owner.owner, owner.owner_id) == ("voucher", voucher["id"])
    assert voucher["code"] in str(owner.what)
    assert "stays used" in str(owner.use_instead)
    response = await reverse(client, entry_id, writing(ADMIN))
    assert response.status_code in (403, 409), response.text
    assert response.json()["code"] in ("forbidden", "entry_belongs_to")
    assert await entry_count(client) == entries
    assert (await scan(client, "verify", voucher["code"])).json()["verdict"] == "used"


def test_every_column_that_records_an_entry_has_an_owner() -> None:
    """A new table recording entries is refused by the schema's foreign keys at once; this
    asks that its package also name it (add it to the owner lookups and here)."""
    assert ledger.recording_columns() == [
        ("incentive_award", "entry_id"),
        ("ledger_hold", "settle_entry_id"),
        ("points_grant", "entry_id"),
        ("scoring_sheet", "entry_id"),
        ("scoring_sheet", "reversal_entry_id"),
        ("sheet_line", "correction_entry_id"),
        ("sheet_takeback", "entry_id"),
        ("voucher", "settle_entry_id"),
    ]


async def test_an_unowned_entry_is_still_reversed(client: Client) -> None:
    """The demo's own postings (a clean-up posted straight into the ledger) belong to no
    object: an admin reverses them as before."""
    cleanup = (await statement_lines(client, "YZS3-0001"))[1]["entry_id"]
    response = await reverse(client, cleanup, writing(ADMIN))
    assert response.status_code == 201, response.text


async def test_a_reversal_that_would_take_lifetime_earned_below_zero_is_409(
    client: Client, demo_engine: AsyncEngine
) -> None:
    """An unowned correction posted straight into the ledger: reversing it would take the
    issuance account's lifetime earned below zero. Refused clearly, never a 500."""
    issuance = await scalar(
        demo_engine, "SELECT issuance_account_id FROM org_unit WHERE code = 'yzs-g1'"
    )
    account = await scalar(
        demo_engine, "SELECT account_id FROM volunteer WHERE passbook_number = 'YZS1-0001'"
    )

    async def post(conn: db.Connection) -> ledger.Entry:
        return await ledger.post_entry(
            conn,
            idempotency_key="test:unowned-correction",
            kind=ledger.CORRECTION_KIND,
            legs=[ledger.Leg(account, -5), ledger.Leg(issuance, 5)],
            actor="test",
        )

    entry = await db.run_in_transaction(demo_engine, post)
    body = assert_problem(
        await reverse(client, entry.id, writing(ADMIN)), 409, "lifetime_earned_below_zero"
    )
    assert body["account_id"] == issuance
    assert str(entry.id) in body["detail"]
    assert (await verify(client))["ok"] is True
