"""Statements read like a passbook and page by cursor; the trial balance sums to zero."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from ledger import MAX_PAGE, AccountId, EntryId, StatementPage, TrialBalance
from ledger.errors import AccountNotFound
from tests.ledger.conftest import Books, read


async def page(
    books: Books,
    account_id: AccountId,
    *,
    limit: int = 3,
    before: int | None = None,
    after: int | None = None,
) -> StatementPage:
    async def query(conn: AsyncConnection) -> StatementPage:
        return await ledger.statement(conn, account_id, limit=limit, before=before, after=after)

    return await read(books.engine, query)


@pytest.fixture
async def history(books: Books) -> list[EntryId]:
    """Seven lines on Alice's passbook: awards, spends and one reversal. Returns the entry ids."""
    ids = [
        (await books.award(books.alice, 10, memo="home visit")).id,
        (await books.award(books.alice, 5, memo="corridor clean-up")).id,
        (await books.transfer(books.alice, books.merchant, 4)).id,
        (await books.award(books.alice, 7, memo="mediation")).id,
        (await books.transfer(books.alice, books.merchant, 3)).id,
        (await books.award(books.alice, 2, memo="daily check-in")).id,
    ]
    ids.append((await books.reverse(ids[1], memo="scored twice")).id)
    return ids


async def test_the_latest_page_comes_by_default_in_posting_order(
    books: Books, history: list[EntryId]
) -> None:
    latest = await page(books, books.alice)

    assert [line.seq for line in latest.lines] == [5, 6, 7]
    assert [line.entry_id for line in latest.lines] == history[4:]
    assert [(line.amount, line.balance_after) for line in latest.lines] == [
        (-3, 15),
        (2, 17),
        (-5, 12),
    ]
    assert (latest.earlier, latest.later) == (5, None)
    assert latest.account_id == books.alice
    reversal = latest.lines[-1]
    assert (reversal.kind, reversal.memo) == (ledger.REVERSAL_KIND, "scored twice")
    assert reversal.reverses_entry_id == history[1]
    assert latest.lines[1].memo == "daily check-in"
    assert latest.lines[0].kind == "spend"


async def test_paging_back_and_forward_by_cursor(books: Books, history: list[EntryId]) -> None:
    middle = await page(books, books.alice, before=5)
    first = await page(books, books.alice, before=2)
    forward = await page(books, books.alice, after=1)
    last = await page(books, books.alice, after=4)

    assert [line.seq for line in middle.lines] == [2, 3, 4]
    assert (middle.earlier, middle.later) == (2, 4)
    assert [line.seq for line in first.lines] == [1]
    assert (first.earlier, first.later) == (None, 1)
    assert [line.seq for line in forward.lines] == [2, 3, 4]
    assert [line.seq for line in last.lines] == [5, 6, 7]
    assert last.later is None
    assert [line.entry_id for line in first.lines + middle.lines] == history[:4]


async def test_walking_every_page_gives_the_whole_passbook_with_a_running_balance(
    books: Books, history: list[EntryId]
) -> None:
    backwards: list[ledger.StatementLine] = []
    current = await page(books, books.alice, limit=2)
    while True:
        backwards = list(current.lines) + backwards
        if current.earlier is None:
            break
        current = await page(books, books.alice, limit=2, before=current.earlier)

    forwards: list[ledger.StatementLine] = []
    current = await page(books, books.alice, limit=2, after=0)
    while True:
        forwards += current.lines
        if current.later is None:
            break
        current = await page(books, books.alice, limit=2, after=current.later)

    assert backwards == forwards
    assert [line.seq for line in forwards] == list(range(1, 8))
    assert [line.entry_id for line in forwards] == history
    running = 0
    for line in forwards:
        running += line.amount
        assert line.balance_after == running
    assert running == (await books.balance(books.alice)).posted == 12
    assert [line.created_at for line in forwards] == sorted(line.created_at for line in forwards)


async def test_an_account_with_no_postings_has_an_empty_statement(books: Books) -> None:
    empty = await page(books, books.carol)

    assert (empty.lines, empty.earlier, empty.later) == ((), None, None)


async def test_bad_statement_requests_are_refused(books: Books) -> None:
    with pytest.raises(AccountNotFound):
        await page(books, AccountId(31337))
    for limit in (0, MAX_PAGE + 1):
        with pytest.raises(ValueError, match="page size"):
            await page(books, books.alice, limit=limit)
    with pytest.raises(ValueError, match="at most one"):
        await page(books, books.alice, before=3, after=1)


async def test_the_trial_balance_sums_to_zero(books: Books, history: list[EntryId]) -> None:
    await books.award(books.bob, 40)
    hold = await books.place_hold(books.bob, 6)
    await books.settle(hold.id, amount=4)
    await books.place_hold(books.bob, 9)

    trial: TrialBalance = await read(books.engine, ledger.trial_balance)

    rows = {row.kind: row for row in trial.rows}
    assert set(rows) == {"issuance", "merchant", "passbook"}
    assert (rows["issuance"].accounts, rows["issuance"].posted) == (1, -59)
    assert (rows["merchant"].accounts, rows["merchant"].posted) == (1, 11)
    assert (rows["passbook"].accounts, rows["passbook"].posted, rows["passbook"].held) == (3, 48, 9)
    assert trial.total_posted == 0
    assert trial.balanced
    assert trial.entries == len(history) + 2


async def test_the_trial_balance_of_empty_books(books: Books) -> None:
    trial = await read(books.engine, ledger.trial_balance)

    assert trial.balanced
    assert trial.entries == 0
    assert all(row.posted == 0 and row.held == 0 for row in trial.rows)
