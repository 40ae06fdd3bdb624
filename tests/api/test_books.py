"""The books as an auditor sees them: the trial balance and the tamper check."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

import db
from access import Role
from tests.api.conftest import ADMIN, AUDITOR, COUNCIL_G1, VOLUNTEER
from tests.api.helpers import (
    assert_problem,
    bearer,
    execute,
    make_token,
    scalar,
    statement_lines,
    tamper,
    verify,
)

Client = AsyncTestClient  # type: ignore[type-arg]

# What the trial balance should say, recomputed from the postings (not the kept balances)
# and the holds, straight from the tables.
BY_KIND = """
    SELECT a.kind, count(DISTINCT a.id),
           coalesce(sum(p.amount), 0)
    FROM ledger_account a LEFT JOIN ledger_posting p ON p.account_id = a.id
    GROUP BY a.kind ORDER BY a.kind
"""
HELD = "SELECT coalesce(sum(h.amount), 0) FROM ledger_hold h JOIN ledger_account a ON a.id = h.account_id WHERE h.status = 'held' AND a.kind = :kind"


async def test_the_trial_balance_sums_to_zero(client: Client, demo_engine: AsyncEngine) -> None:
    async with db.read_transaction(demo_engine) as conn:
        expected = [
            {
                "kind": kind,
                "accounts": accounts,
                "posted": int(posted),
                "held": int(await conn.scalar(text(HELD), {"kind": kind}) or 0),
            }
            for kind, accounts, posted in (await conn.execute(text(BY_KIND))).all()
        ]
        entries = await conn.scalar(text("SELECT count(*) FROM ledger_entry"))
    assert {"issuance", "passbook"} <= {row["kind"] for row in expected}
    assert entries > 11  # the demo is a lived-in book
    for headers in (ADMIN, AUDITOR):
        response = await client.get("/api/books/trial-balance", headers=headers)
        assert response.status_code == 200, response.text
        books = response.json()
        assert books["rows"] == expected
        assert sum(row["posted"] for row in books["rows"]) == books["total"] == 0
        assert books["balanced"] is True
        assert books["entries"] == entries


async def test_only_admins_and_auditors_read_the_books(
    client: Client, demo_engine: AsyncEngine
) -> None:
    merchant, _ = await make_token(demo_engine, Role.MERCHANT, "corner-shop", label="shop")
    for path in ("/api/books/trial-balance", "/api/books/verify"):
        for headers in (VOLUNTEER, COUNCIL_G1, bearer(merchant)):
            body = assert_problem(await client.get(path, headers=headers), 403, "forbidden")
            assert "admin, auditor" in body["detail"]


async def test_verify_passes_on_the_demo_books(client: Client, demo_engine: AsyncEngine) -> None:
    counts = {
        table: await scalar(demo_engine, f"SELECT count(*) FROM {table}")
        for table in ("ledger_entry", "ledger_posting", "ledger_account", "ledger_hold")
    }
    for headers in (ADMIN, AUDITOR):
        response = await client.get("/api/books/verify", headers=headers)
        assert response.status_code == 200
        report = response.json()
        assert report["ok"] is True
        assert report["problems"] == []
        assert report["first_broken_entry"] is None
        assert (report["entries"], report["postings"]) == (
            counts["ledger_entry"],
            counts["ledger_posting"],
        )
        assert (report["accounts"], report["holds"]) == (
            counts["ledger_account"],
            counts["ledger_hold"],
        )
        assert re.fullmatch(r"[0-9a-f]{64}", report["digest"])


async def test_the_database_refuses_to_rewrite_a_posting(
    client: Client, demo_engine: AsyncEngine
) -> None:
    """Without switching the trigger off first, the UPDATE the next tests make is refused."""
    for statement in (
        "UPDATE ledger_posting SET amount = amount + 5 WHERE entry_id = 1 AND amount > 0",
        "DELETE FROM ledger_posting WHERE entry_id = 1",
        "UPDATE ledger_entry SET memo = 'changed' WHERE id = 1",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            await execute(demo_engine, statement)
    assert (await verify(client))["ok"] is True


async def test_verify_finds_a_rewritten_posting(
    client: Client, demo_engine: AsyncEngine, db_kind: db.Dialect
) -> None:
    cleanup = (await statement_lines(client, "YZS3-0001"))[1]["entry_id"]

    await tamper(
        demo_engine,
        db_kind,
        "ledger_posting",
        "amount = amount + 5",
        "entry_id = :entry AND amount > 0",
        entry=cleanup,
    )

    report = await verify(client)
    assert report["ok"] is False
    assert report["first_broken_entry"] == cleanup
    assert report["problems"]
    messages = [p["message"] for p in report["problems"] if p["entry_id"] == cleanup]
    assert "postings sum to 5, not 0" in messages
    assert "content does not match its hash" in messages
    assert "hash chain is broken" in messages
    # the kept balances were not touched, so the trial balance alone would not notice
    books = (await client.get("/api/books/trial-balance", headers=AUDITOR)).json()
    assert books["balanced"] is True


async def test_verify_finds_a_rewritten_memo(
    client: Client, demo_engine: AsyncEngine, db_kind: db.Dialect
) -> None:
    duplicate = (await statement_lines(client, "YZS3-0001"))[2]["entry_id"]

    await tamper(
        demo_engine,
        db_kind,
        "ledger_entry",
        "memo = :memo",
        "id = :entry",
        memo="楼道清理 corridor clean-up (approved)",
        entry=duplicate,
    )

    report = await verify(client)
    assert report["ok"] is False
    assert report["first_broken_entry"] == duplicate
    assert report["problems"] == [
        {"entry_id": duplicate, "account_id": None, "message": "content does not match its hash"}
    ]
