"""verify_books: quiet on healthy books, and precise about where tampered books break.

To tamper, a test first takes the triggers away, as someone with the database owner's rights
could; the point of the hash chain is that the books still tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

import db
from ledger import Problem
from tests.ledger.conftest import Books


def english(problems: list[Problem]) -> list[Problem]:
    """The problems as an English reader sees them (a problem's words are a catalogue message)."""
    return [Problem(p.entry_id, p.account_id, str(p.message)) for p in problems]


async def execute(books: Books, *statements: str) -> None:
    async with db.transaction(books.engine) as conn:
        for sql in statements:
            await conn.exec_driver_sql(sql)


async def drop_guards(books: Books, db_kind: db.Dialect) -> None:
    if db_kind is db.Dialect.SQLITE:
        await execute(
            books,
            *(
                f"DROP TRIGGER trg_{table}_no_{op}"
                for table in ("ledger_entry", "ledger_posting")
                for op in ("update", "delete")
            ),
        )
    else:
        await execute(
            books,
            "ALTER TABLE ledger_entry DISABLE TRIGGER USER",
            "ALTER TABLE ledger_posting DISABLE TRIGGER USER",
        )


@dataclass(frozen=True)
class Book:
    first: int
    second: int
    last: int


@pytest.fixture
async def book(books: Books) -> Book:
    """Alice earns 10 then 5, then spends 3 at Bob's; the spend is the newest entry."""
    first = await books.award(books.alice, 10, memo="home visit")
    second = await books.award(books.alice, 5, memo="corridor clean-up")
    last = await books.transfer(books.alice, books.bob, 3)
    assert (await books.verify()).ok
    return Book(first.id, second.id, last.id)


async def test_healthy_books_verify(books: Books) -> None:
    now = datetime.now(UTC)
    await books.award(books.alice, 40)
    await books.award(books.bob, 20)
    wrong = await books.award(books.carol, 9)
    await books.reverse(wrong.id)
    spend = await books.transfer(books.alice, books.merchant, 5)
    await books.reverse(spend.id)
    settled = await books.place_hold(books.alice, 8)
    await books.settle(settled.id, amount=6)
    released = await books.place_hold(books.bob, 4)
    await books.release(released.id)
    await books.place_hold(books.alice, 3)
    await books.place_hold(books.bob, 2, expires_at=now + timedelta(hours=1), now=now)
    assert len(await books.expire(now=now + timedelta(hours=2))) == 1

    report = await books.verify()

    assert report.ok, [str(p) for p in report.problems]
    assert report.first_broken_entry is None
    counts = await books.counts()
    assert (report.entries, report.postings, report.holds) == (7, 14, 4)
    assert (counts.entries, counts.postings, counts.holds) == (7, 14, 4)
    assert report.accounts == 5
    assert len(report.digest) == 64
    assert int(report.digest, 16) >= 0


async def test_the_digest_changes_only_when_the_books_do(books: Books) -> None:
    await books.award(books.alice, 10)
    digest = (await books.verify()).digest

    await books.place_hold(books.alice, 2)
    assert (await books.verify()).digest == digest, "a hold posts nothing"
    await books.award(books.alice, 1)
    assert (await books.verify()).digest != digest


async def test_a_changed_posting_amount_is_found_at_its_entry(
    books: Books, book: Book, db_kind: db.Dialect
) -> None:
    await drop_guards(books, db_kind)
    await execute(
        books,
        f"UPDATE ledger_posting SET amount = amount + 1 "
        f"WHERE entry_id = {book.second} AND account_id = {books.alice}",
    )

    report = await books.verify()

    assert not report.ok
    assert report.first_broken_entry == book.second
    assert Problem(book.second, None, "postings sum to 1, not 0") in english(report.problems)
    assert Problem(book.second, None, "content does not match its hash") in english(report.problems)
    assert Problem(book.second, books.alice, "hash chain is broken") in english(report.problems)
    assert Problem(None, books.alice, "kept posted balance 12, postings say 13") in english(
        report.problems
    )


async def test_a_changed_memo_is_found_at_its_entry(
    books: Books, book: Book, db_kind: db.Dialect
) -> None:
    await drop_guards(books, db_kind)
    await execute(
        books, f"UPDATE ledger_entry SET memo = 'free dumplings' WHERE id = {book.second}"
    )

    report = await books.verify()

    assert english(report.problems) == [
        Problem(book.second, None, "content does not match its hash")
    ]
    assert report.first_broken_entry == book.second


async def test_a_changed_running_balance_is_found_at_its_entry(
    books: Books, book: Book, db_kind: db.Dialect
) -> None:
    await drop_guards(books, db_kind)
    await execute(
        books,
        f"UPDATE ledger_posting SET balance_after = 99 "
        f"WHERE entry_id = {book.second} AND account_id = {books.alice}",
    )

    report = await books.verify()

    assert report.first_broken_entry == book.second
    assert {(p.entry_id, p.account_id) for p in report.problems} == {(book.second, books.alice)}
    assert "running balance 99, should be 15" in {str(p.message) for p in report.problems}


async def test_a_deleted_last_posting_is_found_at_its_entry(
    books: Books, book: Book, db_kind: db.Dialect
) -> None:
    await drop_guards(books, db_kind)
    await execute(
        books,
        f"DELETE FROM ledger_posting WHERE entry_id = {book.last} AND account_id = {books.bob}",
    )

    report = await books.verify()

    assert report.first_broken_entry == book.last
    assert Problem(book.last, None, "has 1 postings, records 2") in english(report.problems)
    assert Problem(None, books.bob, "kept posted balance 3, postings say 0") in english(
        report.problems
    )
    assert Problem(None, books.bob, "chain head does not match postings") in english(
        report.problems
    )


async def test_a_deleted_entry_breaks_the_sequence_of_the_next(
    books: Books, book: Book, db_kind: db.Dialect
) -> None:
    await drop_guards(books, db_kind)
    await execute(
        books,
        f"DELETE FROM ledger_posting WHERE entry_id = {book.second}",
        f"DELETE FROM ledger_entry WHERE id = {book.second}",
    )

    report = await books.verify()

    assert report.first_broken_entry == book.last
    assert Problem(book.last, books.alice, "posting 3 follows posting 1") in english(
        report.problems
    )
    assert Problem(None, books.issuance, "kept posting count 2, postings say 1") in english(
        report.problems
    )


async def test_a_changed_account_balance_names_the_account(books: Books, book: Book) -> None:
    # Account rows change with every posting, so no trigger guards them; the postings do.
    await execute(books, f"UPDATE ledger_account SET posted = posted + 5 WHERE id = {books.alice}")

    report = await books.verify()

    assert not report.ok
    assert report.first_broken_entry is None
    assert Problem(None, books.alice, "kept posted balance 17, postings say 12") in english(
        report.problems
    )
    assert Problem(None, None, "balances sum to 5, not 0") in english(report.problems)
    assert all(p.account_id in (books.alice, None) for p in report.problems)
    assert str(report.problems[0]).startswith(f"account {books.alice}: ")


async def test_changed_held_points_name_the_account(books: Books, book: Book) -> None:
    await books.place_hold(books.alice, 4)
    await execute(books, f"UPDATE ledger_account SET held = 1 WHERE id = {books.alice}")

    report = await books.verify()

    assert english(report.problems) == [
        Problem(None, books.alice, "holds 1 points, open holds add up to 4")
    ]


BEIJING = timezone(timedelta(hours=8))


async def test_entries_posted_on_a_beijing_clock_verify(books: Books) -> None:
    moment = datetime(2026, 3, 1, 9, 0, tzinfo=BEIJING)

    posted = await books.post([(books.issuance, -5), (books.alice, 5)], now=moment)

    report = await books.verify()
    assert report.ok, [str(p) for p in report.problems]
    assert (await books.entry(posted.id)).created_at == moment
