"""The posting path keeps every invariant on both databases: PostgreSQL posts through the
server-side ``ledger_post_entry`` (migration 0010), SQLite through the Python path.

The chain each writes must be the formula of ``ledger._chain`` exactly (so verify, which
recomputes it in Python, agrees); a refusal writes nothing and leaves the transaction usable;
concurrent entries over shared accounts, listed in any order, never deadlock, never take a
passbook below zero, and one key makes one entry however many post it at once.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from ledger import AccountId, Entry, Leg, _chain
from ledger._tables import account, entry, posting
from ledger.errors import IdempotencyConflict, InsufficientPoints
from tests.ledger.conftest import Books, new_key, read, run
from tests.ledger.test_concurrency import once, open_passbooks, outcomes, together


async def test_every_stored_link_is_the_python_formula(books: Books) -> None:
    await books.award(books.alice, 50, memo='见面 "quoted" \\ and\nnewline')
    await books.transfer(books.alice, books.bob, 20)
    await books.post([(books.bob, -5), (books.carol, 3), (books.alice, 2)], kind="split")

    async def query(conn: AsyncConnection) -> tuple[list[Any], dict[int, str]]:
        rows = list(
            await conn.execute(
                select(posting, entry.c.entry_hash)
                .join(entry, entry.c.id == posting.c.entry_id)
                .order_by(posting.c.account_id, posting.c.account_seq)
            )
        )
        heads = {r.id: r.head_hash for r in await conn.execute(select(account))}
        return rows, heads

    rows, heads = await read(books.engine, query)
    previous: dict[int, str] = {}
    for row in rows:
        expected = _chain.chain_link(
            previous.get(row.account_id, "0" * 64),
            entry_hash=row.entry_hash,
            account_id=row.account_id,
            seq=row.account_seq,
            amount=row.amount,
            balance_after=row.balance_after,
        )
        assert row.chain_hash == expected
        previous[row.account_id] = expected
    assert {a: h for a, h in heads.items() if a in previous} == previous
    assert (await books.verify()).ok


async def test_a_refusal_writes_nothing_and_the_transaction_goes_on(books: Books) -> None:
    await books.award(books.alice, 5)
    before = await books.snapshot()

    async def use_case(conn: AsyncConnection) -> tuple[InsufficientPoints | None, Entry]:
        refused = None
        try:
            await ledger.post_entry(
                conn,
                idempotency_key=new_key(),
                kind="spend",
                legs=[Leg(books.alice, -6), Leg(books.bob, 6)],
                actor="t",
            )
        except InsufficientPoints as error:
            refused = error
        posted = await ledger.post_entry(
            conn,
            idempotency_key=new_key(),
            kind="spend",
            legs=[Leg(books.alice, -5), Leg(books.bob, 5)],
            actor="t",
        )
        return refused, posted

    refused, posted = await run(books.engine, use_case)
    assert refused is not None
    assert (refused.account_id, refused.available, refused.needed) == (books.alice, 5, 6)
    counts, _ = before
    after_counts, balances = await books.snapshot()
    assert (after_counts.entries, after_counts.postings) == (
        counts.entries + 1,
        counts.postings + 2,
    )
    assert balances[books.alice].posted == 0
    assert [p.balance_after for p in posted.postings] == [0, 5]
    assert (await books.verify()).ok


async def test_many_wide_entries_over_shared_accounts_keep_the_books(books: Books) -> None:
    crowd = await open_passbooks(books, 12)
    for passbook in crowd:
        await books.award(passbook, 3)
    rng = random.Random(15)
    entries = []
    for _ in range(24):
        chosen = rng.sample(crowd, 8)
        rng.shuffle(chosen)  # legs in no particular order: the locks must still be in id order
        entries.append([(a, -1) for a in chosen[:4]] + [(a, 1) for a in chosen[4:]])

    results = await together(*(once(books).post(legs, kind="wide") for legs in entries))

    # Some may run short (a passbook paying more than 3 in a row), none may fail otherwise.
    assert set(outcomes(results)) <= {"Entry", "InsufficientPoints"}
    posted = [legs for legs, r in zip(entries, results, strict=True) if isinstance(r, Entry)]
    expected = dict.fromkeys(crowd, 3)
    for legs in posted:
        for a, n in legs:
            expected[a] += n
    for a, want in expected.items():
        balance = await books.balance(AccountId(a))
        assert balance.posted == want >= 0
    assert (await books.verify()).ok


async def test_one_key_posted_at_once_for_two_requests_makes_one_entry(books: Books) -> None:
    await books.award(books.alice, 10)
    await books.award(books.bob, 10)
    key = new_key("twice")
    first = [books.post([(books.alice, -1), (books.carol, 1)], key=key) for _ in range(6)]
    other = [books.post([(books.bob, -2), (books.merchant, 2)], key=key) for _ in range(6)]

    results = await together(*first, *other)

    entries = [r for r in results if isinstance(r, Entry)]
    assert {r.id for r in entries} == {entries[0].id}
    assert sum(not r.replayed for r in entries) == 1
    conflicts = [r for r in results if isinstance(r, IdempotencyConflict)]
    assert len(entries) + len(conflicts) == 12
    assert len(entries) == 6  # every request like the winner's replays; the others conflict
    counts = await books.counts()
    assert counts.entries == 3
    assert (await books.verify()).ok


async def alone(books: Books, legs: list[tuple[AccountId, int]], key: str) -> Entry:
    return await ledger.post_entry_alone(
        books.engine,
        idempotency_key=key,
        kind="spend",
        legs=[Leg(a, n) for a, n in legs],
        actor="t",
        attempts=1,
    )


async def test_entries_alone_at_once_never_take_a_passbook_below_zero(books: Books) -> None:
    await books.award(books.alice, 9)
    others = await open_passbooks(books, 5)

    results = await together(
        *(alone(books, [(books.alice, -1), (others[n % 5], 1)], new_key()) for n in range(24))
    )

    assert outcomes(results) == {"Entry": 9, "InsufficientPoints": 15}
    assert (await books.balance(books.alice)).posted == 0
    assert sum([(await books.balance(o)).posted for o in others]) == 9
    assert (await books.verify()).ok


async def test_an_entry_alone_sent_many_times_at_once_posts_once(books: Books) -> None:
    await books.award(books.alice, 10)
    key = new_key("alone")

    results = await together(
        *(alone(books, [(books.alice, -3), (books.bob, 3)], key) for _ in range(12))
    )

    assert outcomes(results) == {"Entry": 12}
    assert len({r.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert (await books.balance(books.alice)).posted == 7
    with pytest.raises(IdempotencyConflict):
        await alone(books, [(books.alice, -4), (books.bob, 4)], key)
    counts = await books.counts()
    assert (counts.entries, counts.postings) == (2, 4)
    assert (await books.verify()).ok
