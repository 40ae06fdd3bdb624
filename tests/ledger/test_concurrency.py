"""Concurrent writers on one engine: each use case its own transaction, all started at once.

On SQLite the writers queue for the write lock (BEGIN IMMEDIATE); on PostgreSQL they run in
parallel and meet on row locks and unique indexes. Either way the books must come out exact.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Awaitable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from ledger import AccountId, Entry, Hold, HoldStatus
from ledger.errors import (
    EntryAlreadyReversed,
    HoldNotOpen,
    InsufficientPoints,
)
from tests.ledger.conftest import Books, read, run


async def together(*calls: Awaitable[Any]) -> list[Any]:
    """Run ``calls`` concurrently; each result is a value or the exception it raised."""
    return await asyncio.gather(*calls, return_exceptions=True)


def outcomes(results: Sequence[object]) -> Counter[str]:
    return Counter(type(r).__name__ for r in results)


def once(books: Books) -> Books:
    """The same books, with each use case run exactly once: a deadlock or a busy database
    then shows up as an error instead of being retried away. Races on an idempotency key are
    the one thing these tests expect to be retried, so they keep the default."""
    return dataclasses.replace(books, attempts=1)


async def open_passbooks(books: Books, count: int) -> list[AccountId]:
    async def use_case(conn: AsyncConnection) -> list[AccountId]:
        return [
            await ledger.open_account(conn, kind="passbook", owner_ref=f"volunteer:crowd-{n}")
            for n in range(count)
        ]

    return await run(books.engine, use_case)


async def test_fifty_spends_of_one_point_from_twenty(books: Books) -> None:
    await books.award(books.alice, 20)
    others = await open_passbooks(books, 10)

    results = await together(
        *(once(books).transfer(books.alice, others[n % len(others)], 1) for n in range(50))
    )

    assert outcomes(results) == {"Entry": 20, "InsufficientPoints": 30}
    refusals = [r for r in results if isinstance(r, InsufficientPoints)]
    assert all((r.available, r.needed, r.short) == (0, 1, 1) for r in refusals)
    alice = await books.balance(books.alice)
    assert (alice.posted, alice.posting_count) == (0, 21)
    received = [(await books.balance(a)).posted for a in others]
    assert sum(received) == 20
    entries = [r for r in results if isinstance(r, Entry)]
    balances_after = sorted(
        p.balance_after for e in entries for p in e.postings if p.account_id == books.alice
    )
    assert balances_after == list(range(20)), "every point left once, one at a time"
    assert (await books.verify()).ok


async def test_twenty_posts_with_one_key_make_one_entry(books: Books) -> None:
    results = await together(
        *(books.award(books.alice, 7, key="sheet-5:alice", memo="weekly visit") for _ in range(20))
    )

    assert outcomes(results) == {"Entry": 20}
    assert len({r.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    counts = await books.counts()
    assert (counts.entries, counts.postings) == (1, 2)
    assert (await books.balance(books.alice)).posted == 7
    assert (await books.verify()).ok


async def test_crossing_transfers_do_not_deadlock(books: Books) -> None:
    a, b, c = books.alice, books.bob, books.carol
    for account_id in (a, b, c):
        await books.award(account_id, 100)
    pairs = [(a, b), (b, a), (b, c), (c, b), (c, a), (a, c)]
    transfers = [
        (*pairs[n % len(pairs)], 1 + n % 3) for n in range(36)
    ]  # each account sends at most 12 transfers of at most 3 points: nobody runs short
    three_way = [
        [(a, -3), (b, 2), (c, 1)],
        [(c, -3), (b, 1), (a, 2)],
        [(b, -2), (c, 1), (a, 1)],
    ] * 4  # legs deliberately listed in different account orders

    results = await together(
        *(once(books).transfer(source, target, points) for source, target, points in transfers),
        *(once(books).post(legs, kind="split") for legs in three_way),
    )

    assert outcomes(results) == {"Entry": len(transfers) + len(three_way)}
    expected = {a: 100, b: 100, c: 100}
    for source, target, points in transfers:
        expected[source] -= points
        expected[target] += points
    for legs in three_way:
        for account_id, points in legs:
            expected[account_id] += points
    for account_id, posted in expected.items():
        balance = await books.balance(account_id)
        assert balance.posted == posted
        assert balance.posting_count == 1 + sum(
            account_id in (s, t) for s, t, _ in transfers
        ) + len(three_way)
    assert sum(expected.values()) == 300
    assert (await books.verify()).ok


async def test_thirty_closes_of_one_hold_have_one_winner(books: Books) -> None:
    await books.award(books.alice, 20)
    hold = await books.place_hold(books.alice, 8)

    results = await together(
        *(
            once(books).settle(hold.id, key=f"scan-{n}") if n % 2 else once(books).release(hold.id)
            for n in range(30)
        )
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, HoldNotOpen)]
    assert len(winners) == 1
    assert outcomes(losers) == {"HoldNotOpen": 29}, outcomes(results)
    closed = await books.hold(hold.id)
    assert {r.status for r in losers} == {closed.status.value}
    alice = await books.balance(books.alice)
    if closed.status == HoldStatus.SETTLED:
        assert (alice.posted, alice.held) == (12, 0)
        assert (await books.counts()).entries == 2
    else:
        assert closed.status == HoldStatus.RELEASED
        assert (alice.posted, alice.held) == (20, 0)
        assert (await books.counts()).entries == 1
    assert (await books.verify()).ok


async def test_concurrent_holds_never_reserve_more_than_is_available(books: Books) -> None:
    await books.award(books.alice, 20)

    results = await together(*(once(books).place_hold(books.alice, 3) for _ in range(30)))

    assert outcomes(results) == {"Hold": 6, "InsufficientPoints": 24}
    held = [r for r in results if isinstance(r, Hold)]
    alice = await books.balance(books.alice)
    assert alice.held == sum(h.amount for h in held) == 18
    assert alice.available == 2
    assert (await books.verify()).ok


async def test_a_double_submitted_spend_replays_instead_of_running_short(books: Books) -> None:
    # The second submission must be answered from the first, not judged on the balance that
    # the first has already spent.
    await books.award(books.alice, 10)

    results = await together(
        *(books.transfer(books.alice, books.merchant, 10, key="voucher-77") for _ in range(10))
    )

    assert outcomes(results) == {"Entry": 10}, results
    assert len({r.id for r in results}) == 1
    assert (await books.balance(books.alice)).posted == 0
    assert (await books.counts()).entries == 2


async def test_an_entry_reversed_concurrently_is_reversed_once(books: Books) -> None:
    award = await books.award(books.alice, 10)

    results = await together(*(once(books).reverse(award.id) for _ in range(10)))

    assert outcomes(results) == {"Entry": 1, "EntryAlreadyReversed": 9}, results
    reversal = next(r for r in results if isinstance(r, Entry))
    refusals = [r for r in results if isinstance(r, EntryAlreadyReversed)]
    assert {(r.entry_id, r.reversal_id) for r in refusals} == {(award.id, reversal.id)}
    assert (await books.counts()).entries == 2
    assert (await books.balance(books.alice)).posted == 0
    assert (await books.verify()).ok


async def test_a_double_submitted_reversal_replays(books: Books) -> None:
    award = await books.award(books.alice, 10)

    results = await together(*(books.reverse(award.id, key="fix-1") for _ in range(10)))

    assert outcomes(results) == {"Entry": 10}, results
    assert len({r.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert (await books.counts()).entries == 2


async def test_spends_and_holds_on_one_passbook_keep_it_whole(books: Books) -> None:
    await books.award(books.alice, 30)

    results = await together(
        *(once(books).transfer(books.alice, books.merchant, 2) for _ in range(15)),
        *(once(books).place_hold(books.alice, 2) for _ in range(15)),
    )

    assert set(outcomes(results)) <= {"Entry", "Hold", "InsufficientPoints"}
    spent = 2 * sum(isinstance(r, Entry) for r in results)
    held = 2 * sum(isinstance(r, Hold) for r in results)
    assert spent + held == 30
    alice = await books.balance(books.alice)
    assert (alice.posted, alice.held, alice.available) == (30 - spent, held, 0)
    assert (await books.verify()).ok


async def test_an_account_opened_concurrently_is_opened_once(books: Books) -> None:
    results = await together(*(books.open("passbook", "volunteer:dora") for _ in range(10)))

    assert outcomes(results) == {"int": 10}, results
    assert len(set(results)) == 1
    trial = await read(books.engine, ledger.trial_balance)
    assert {row.kind: row.accounts for row in trial.rows}["passbook"] == 4
