"""The database itself refuses to rewrite history, whoever connects: raw SQL that edits or
deletes posted entries and postings, or that reopens or reshapes a hold, is refused by the
triggers the migration installs, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

import db
from ledger import HoldId, HoldStatus
from tests.ledger.conftest import Books


@dataclass(frozen=True)
class Posted:
    award: int
    spend: int
    reversal: int
    open_hold: int
    settled_hold: int
    released_hold: int


@pytest.fixture
async def posted(books: Books) -> Posted:
    award = await books.award(books.alice, 40)
    spend = await books.transfer(books.alice, books.merchant, 5)
    wrong = await books.award(books.bob, 3)
    reversal = await books.reverse(wrong.id)
    open_hold = await books.place_hold(books.alice, 4)
    settled = await books.place_hold(books.alice, 6)
    await books.settle(settled.id)
    released = await books.place_hold(books.alice, 7)
    await books.release(released.id)
    return Posted(award.id, spend.id, reversal.id, open_hold.id, settled.id, released.id)


async def execute(books: Books, sql: str) -> None:
    async with db.transaction(books.engine) as conn:
        await conn.exec_driver_sql(sql)


def assert_refused_by_trigger(error: IntegrityError, db_kind: db.Dialect) -> None:
    """A trigger said no (not a foreign key or a CHECK that happened to be in the way)."""
    if db_kind is db.Dialect.SQLITE:
        assert getattr(error.orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_TRIGGER"
    else:
        assert getattr(error.orig, "sqlstate", None) == "23001"  # restrict_violation


async def assert_books_untouched(books: Books, before: object, digest: str) -> None:
    report = await books.verify()
    assert report.ok, report.problems
    assert report.digest == digest
    assert await books.snapshot() == before


EDITS = {
    "edit an entry memo": "UPDATE ledger_entry SET memo = 'edited' WHERE id = {award}",
    "unlink a reversal": "UPDATE ledger_entry SET reverses_entry_id = NULL WHERE id = {reversal}",
    "edit every entry": "UPDATE ledger_entry SET actor = 'someone else'",
    "delete an entry": "DELETE FROM ledger_entry WHERE id = {spend}",
    "edit a posting amount": "UPDATE ledger_posting SET amount = amount * 2 WHERE entry_id = {award}",
    "edit a running balance": "UPDATE ledger_posting SET balance_after = 0 WHERE entry_id = {spend}",
    "delete a posting": "DELETE FROM ledger_posting WHERE entry_id = {spend}",
    "delete every posting": "DELETE FROM ledger_posting",
}


async def test_posted_history_cannot_be_edited_or_deleted(
    books: Books, posted: Posted, db_kind: db.Dialect, subtests: pytest.Subtests
) -> None:
    before = await books.snapshot()
    digest = (await books.verify()).digest

    for attempt, sql in EDITS.items():
        with subtests.test(attempt):
            with pytest.raises(IntegrityError) as refused:
                await execute(books, sql.format(**vars(posted)))
            assert_refused_by_trigger(refused.value, db_kind)
            assert "append-only" in str(refused.value.orig)
            await assert_books_untouched(books, before, digest)


async def test_tables_cannot_be_emptied_wholesale(
    books: Books, posted: Posted, db_kind: db.Dialect
) -> None:
    before = await books.snapshot()
    digest = (await books.verify()).digest
    if db_kind is db.Dialect.POSTGRESQL:
        # TRUNCATE fires no row triggers; statement-level BEFORE TRUNCATE triggers refuse it.
        statements = [
            "TRUNCATE ledger_posting",
            "TRUNCATE ledger_entry CASCADE",
            "TRUNCATE ledger_hold CASCADE",
            "TRUNCATE ledger_account CASCADE",
        ]
    else:
        # SQLite has no TRUNCATE; its stand-in is an unfiltered DELETE, which a trigger turns
        # from the fast "truncate optimisation" back into row-by-row deletes that are refused.
        statements = [
            "DELETE FROM ledger_posting",
            "DELETE FROM ledger_entry",
            "DELETE FROM ledger_hold",
        ]

    for sql in statements:
        with pytest.raises(IntegrityError) as refused:
            await execute(books, sql)
        assert_refused_by_trigger(refused.value, db_kind)
    if db_kind is db.Dialect.POSTGRESQL:
        # Without CASCADE, the foreign keys of postings and holds refuse before any trigger.
        with pytest.raises(DBAPIError, match="foreign key"):
            await execute(books, "TRUNCATE ledger_entry")

    await assert_books_untouched(books, before, digest)


HOLD_EDITS = {
    "change the amount of an open hold": "UPDATE ledger_hold SET amount = 1 WHERE id = {open_hold}",
    "change when an open hold expires": (
        "UPDATE ledger_hold SET expires_at = created_at WHERE id = {open_hold}"
    ),
    "move an open hold to another account": (
        "UPDATE ledger_hold SET account_id = account_id + 1 WHERE id = {open_hold}"
    ),
    "delete an open hold": "DELETE FROM ledger_hold WHERE id = {open_hold}",
    "delete a settled hold": "DELETE FROM ledger_hold WHERE id = {settled_hold}",
    "reopen a released hold": (
        "UPDATE ledger_hold SET status = 'held', closed_at = NULL, close_key = NULL "
        "WHERE id = {released_hold}"
    ),
    "reopen a settled hold": (
        "UPDATE ledger_hold SET status = 'held', closed_at = NULL, close_key = NULL, "
        "settled_amount = NULL, settle_entry_id = NULL WHERE id = {settled_hold}"
    ),
    "relabel a released hold as expired": (
        "UPDATE ledger_hold SET status = 'expired' WHERE id = {released_hold}"
    ),
    "change what a settled hold paid": (
        "UPDATE ledger_hold SET settled_amount = 1 WHERE id = {settled_hold}"
    ),
}


async def test_a_hold_changes_only_by_closing_once(
    books: Books, posted: Posted, db_kind: db.Dialect, subtests: pytest.Subtests
) -> None:
    before = await books.snapshot()
    holds = (HoldId(posted.open_hold), HoldId(posted.settled_hold), HoldId(posted.released_hold))
    holds_before = [await books.hold(h) for h in holds]

    for attempt, sql in HOLD_EDITS.items():
        with subtests.test(attempt):
            with pytest.raises(IntegrityError) as refused:
                await execute(books, sql.format(**vars(posted)))
            assert_refused_by_trigger(refused.value, db_kind)
            assert "closes once" in str(refused.value.orig)
            assert await books.snapshot() == before
            assert [await books.hold(h) for h in holds] == holds_before

    assert (await books.verify()).ok


async def test_the_hold_guard_lets_an_open_hold_close(books: Books, posted: Posted) -> None:
    # The control for the test above: the guard is not a blanket refusal, or release_hold
    # could not work. (Raw SQL that closes a hold leaves the account's held points behind,
    # which verify_books reports.)
    closed_at = datetime(2026, 3, 1, tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S")

    await execute(
        books,
        f"UPDATE ledger_hold SET status = 'released', closed_at = '{closed_at}', close_key = 'x' "
        f"WHERE id = {posted.open_hold}",
    )

    assert (await books.hold(HoldId(posted.open_hold))).status == HoldStatus.RELEASED
    report = await books.verify()
    assert [
        (p.account_id, "open holds add up to 0" in str(p.message)) for p in report.problems
    ] == [(books.alice, True)]


async def test_check_constraints_back_up_the_kept_balances(books: Books, posted: Posted) -> None:
    cases = {
        f"UPDATE ledger_account SET posted = held - 1 WHERE id = {books.alice}": (
            "ck_ledger_account_available_non_negative"
        ),
        f"UPDATE ledger_account SET held = -1 WHERE id = {books.bob}": (
            "ck_ledger_account_held_non_negative"
        ),
        f"UPDATE ledger_account SET lifetime_earned = -1 WHERE id = {books.bob}": (
            "ck_ledger_account_lifetime_earned_non_negative"
        ),
    }
    before = await books.snapshot()

    for sql, constraint in cases.items():
        with pytest.raises(IntegrityError) as refused:
            await execute(books, sql)
        assert db.constraint_name(refused.value, db.metadata) == constraint

    assert await books.snapshot() == before
