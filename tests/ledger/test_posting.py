"""Posting entries: what a balanced entry changes, what a malformed one is refused with, and
that a refused request writes nothing at all."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from ledger import MAX_POINTS, AccountId, Leg, Posting
from ledger.errors import (
    AccountNotFound,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidEntry,
)
from tests.ledger.conftest import Books, new_key, run


async def test_balanced_entry_posts_and_moves_kept_balances(books: Books) -> None:
    moment = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)

    award = await books.post(
        [(books.issuance, -30), (books.alice, 30)],
        kind="award",
        memo="corridor clean-up",
        actor="council:7",
        effective_date=date(2026, 2, 28),
        now=moment,
    )

    assert award.kind == "award"
    assert award.memo == "corridor clean-up"
    assert award.actor == "council:7"
    assert award.created_at == moment
    assert award.effective_date == date(2026, 2, 28)
    assert award.reverses_entry_id is None
    assert award.replayed is False
    assert set(award.postings) == {
        Posting(books.issuance, -30, -30, 1),
        Posting(books.alice, 30, 30, 1),
    }
    assert await books.entry(award.id) == award

    spend = await books.transfer(books.alice, books.merchant, 12)

    assert set(spend.postings) == {
        Posting(books.alice, -12, 18, 2),
        Posting(books.merchant, 12, 12, 1),
    }
    assert spend.effective_date == spend.created_at.date()
    balances = await books.balances()
    alice, issuance, merchant = (
        balances[books.alice],
        balances[books.issuance],
        balances[books.merchant],
    )
    assert (alice.posted, alice.held, alice.available) == (18, 0, 18)
    assert (alice.lifetime_earned, alice.posting_count) == (30, 2)
    assert (issuance.posted, issuance.lifetime_earned, issuance.posting_count) == (-30, 0, 1)
    assert (merchant.posted, merchant.lifetime_earned, merchant.posting_count) == (12, 12, 1)
    assert (alice.kind, alice.owner_ref) == ("passbook", "volunteer:alice")
    counts = await books.counts()
    assert (counts.entries, counts.postings) == (2, 4)
    assert (await books.verify()).ok


async def test_entry_with_three_legs_balances(books: Books) -> None:
    await books.award(books.alice, 10)

    split = await books.post([(books.alice, -10), (books.bob, 4), (books.carol, 6)])

    assert sorted((p.account_id, p.amount, p.balance_after) for p in split.postings) == [
        (books.alice, -10, 0),
        (books.bob, 4, 4),
        (books.carol, 6, 6),
    ]


async def test_an_issuance_account_may_go_negative(books: Books) -> None:
    await books.award(books.alice, 500)
    await books.award(books.bob, 250)

    issuance = await books.balance(books.issuance)

    assert issuance.posted == -750
    assert issuance.available == -750


# Each case is (what is wrong, legs by account name, other fields of the request). They share
# one set of books: every refusal must leave it exactly as it was for the next case.
REFUSED: list[tuple[str, list[tuple[str, object]], dict[str, object]]] = [
    ("unbalanced", [("issuance", -10), ("alice", 9)], {}),
    ("single leg", [("alice", 10)], {}),
    ("no legs", [], {}),
    ("zero", [("issuance", 0), ("alice", 0)], {}),
    ("one zero leg among others", [("issuance", -5), ("alice", 5), ("bob", 0)], {}),
    ("fraction", [("issuance", -1.5), ("alice", 1.5)], {}),
    ("bool sneaking in as 1", [("issuance", -1), ("alice", True)], {}),
    ("numeric strings", [("issuance", "-3"), ("alice", "3")], {}),
    ("duplicate account", [("issuance", -10), ("alice", 5), ("alice", 5)], {}),
    ("over MAX_POINTS", [("issuance", -(MAX_POINTS + 1)), ("alice", MAX_POINTS + 1)], {}),
    ("empty key", [("issuance", -5), ("alice", 5)], {"key": ""}),
    ("blank key", [("issuance", -5), ("alice", 5)], {"key": "   "}),
    ("key of 201 characters", [("issuance", -5), ("alice", 5)], {"key": "k" * 201}),
    ("memo of 501 characters", [("issuance", -5), ("alice", 5)], {"memo": "m" * 501}),
    ("no kind", [("issuance", -5), ("alice", 5)], {"kind": ""}),
    ("kind too long", [("issuance", -5), ("alice", 5)], {"kind": "k" * 41}),
    ("no actor", [("issuance", -5), ("alice", 5)], {"actor": ""}),
    ("actor too long", [("issuance", -5), ("alice", 5)], {"actor": "a" * 129}),
]


async def test_malformed_entries_are_refused_and_write_nothing(
    books: Books, subtests: pytest.Subtests
) -> None:
    await books.award(books.alice, 20)
    before = await books.snapshot()

    for wrong, legs, request in REFUSED:
        with subtests.test(wrong):
            with pytest.raises(InvalidEntry):
                await books.post(
                    [(getattr(books, name), amount) for name, amount in legs],  # type: ignore[misc]
                    **request,  # type: ignore[arg-type]
                )
            assert await books.snapshot() == before


async def test_unknown_account_is_refused_and_writes_nothing(books: Books) -> None:
    before = await books.snapshot()

    with pytest.raises(AccountNotFound) as refused:
        await books.post([(books.issuance, -5), (AccountId(987654), 5)])

    assert refused.value.account_ids == [987654]
    assert await books.snapshot() == before


async def test_a_balance_past_max_points_is_refused(books: Books) -> None:
    await books.award(books.alice, MAX_POINTS)
    before = await books.snapshot()

    with pytest.raises(InvalidEntry, match="largest balance"):
        await books.award(books.bob, 1)

    assert await books.snapshot() == before
    assert (await books.balance(books.issuance)).posted == -MAX_POINTS


async def test_limits_of_key_and_memo_are_inclusive(books: Books) -> None:
    posted = await books.award(books.alice, 5, key="k" * 200, memo="m" * 500)

    assert posted.idempotency_key == "k" * 200
    assert (await books.entry(posted.id)).memo == "m" * 500


async def test_a_passbook_cannot_go_below_zero(books: Books) -> None:
    await books.award(books.alice, 10)
    before = await books.snapshot()

    with pytest.raises(InsufficientPoints) as refused:
        await books.transfer(books.alice, books.merchant, 15)

    error = refused.value
    assert (error.account_id, error.available, error.needed, error.short) == (
        books.alice,
        10,
        15,
        5,
    )
    assert error.code == "insufficient_points"
    assert await books.snapshot() == before


async def test_held_points_are_not_available_for_posting(books: Books) -> None:
    await books.award(books.alice, 10)
    await books.place_hold(books.alice, 4)
    before = await books.snapshot()

    with pytest.raises(InsufficientPoints) as refused:
        await books.transfer(books.alice, books.merchant, 7)

    assert (refused.value.available, refused.value.needed, refused.value.short) == (6, 7, 1)
    assert await books.snapshot() == before
    await books.transfer(books.alice, books.merchant, 6)
    assert (await books.balance(books.alice)).available == 0


async def test_one_short_leg_refuses_the_whole_entry(books: Books) -> None:
    await books.award(books.alice, 10)
    await books.award(books.bob, 2)
    before = await books.snapshot()

    with pytest.raises(InsufficientPoints) as refused:
        await books.post([(books.alice, -5), (books.bob, -5), (books.merchant, 10)])

    assert refused.value.account_id == books.bob
    assert await books.snapshot() == before


async def test_replaying_a_key_returns_the_first_entry_and_adds_nothing(books: Books) -> None:
    first = await books.award(books.alice, 25, key="sheet-17:alice", memo="home visits")
    before = await books.snapshot()

    again = await books.award(books.alice, 25, key="sheet-17:alice", memo="home visits")

    assert again.replayed is True
    assert first.replayed is False
    assert again.id == first.id
    assert again.postings == first.postings
    assert again.created_at == first.created_at
    assert await books.snapshot() == before
    assert (await books.balance(books.alice)).posted == 25


async def test_a_replay_is_answered_from_the_record_even_if_it_could_not_post_now(
    books: Books,
) -> None:
    await books.award(books.alice, 10)
    spend = await books.transfer(books.alice, books.merchant, 10, key="voucher-1")

    again = await books.transfer(books.alice, books.merchant, 10, key="voucher-1")

    assert again.replayed is True
    assert again.id == spend.id
    assert (await books.balance(books.alice)).posted == 0


async def test_a_replay_may_list_the_legs_in_another_order(books: Books) -> None:
    first = await books.post([(books.issuance, -8), (books.alice, 8)], key="same")

    again = await books.post([(books.alice, 8), (books.issuance, -8)], key="same")

    assert again.id == first.id
    assert again.replayed is True


async def test_the_same_key_with_another_request_conflicts(
    books: Books, subtests: pytest.Subtests
) -> None:
    await books.post([(books.issuance, -5), (books.alice, 5)], key="dup", memo="m", kind="award")
    before = await books.snapshot()
    same_legs = [(books.issuance, -5), (books.alice, 5)]
    changes: dict[str, tuple[list[tuple[AccountId, int]], dict[str, object]]] = {
        "amount": ([(books.issuance, -6), (books.alice, 6)], {}),
        "account": ([(books.issuance, -5), (books.bob, 5)], {}),
        "memo": (same_legs, {"memo": "a different memo"}),
        "kind": (same_legs, {"kind": "bonus"}),
        "effective date": (same_legs, {"effective_date": date(2026, 1, 1)}),
    }

    for changed, (legs, change) in changes.items():
        with subtests.test(changed):
            request: dict[str, object] = {"memo": "m", "kind": "award", **change}
            with pytest.raises(IdempotencyConflict) as refused:
                await books.post(legs, key="dup", **request)  # type: ignore[arg-type]
            assert refused.value.key == "dup"
            assert await books.snapshot() == before


async def test_one_entry_of_one_hundred_postings_posts_in_one_transaction(books: Books) -> None:
    async def open_passbooks(conn: AsyncConnection) -> list[AccountId]:
        return [
            await ledger.open_account(conn, kind="passbook", owner_ref=f"volunteer:team-{n}")
            for n in range(99)
        ]

    team = await run(books.engine, open_passbooks)
    legs = [Leg(books.issuance, -sum(range(1, 100)))] + [
        Leg(account_id, n) for n, account_id in enumerate(team, start=1)
    ]
    key = new_key()

    async def post(conn: AsyncConnection) -> ledger.Entry:
        return await ledger.post_entry(
            conn, idempotency_key=key, kind="award", legs=legs, actor="council:1"
        )

    posted = await run(books.engine, post)

    assert len(posted.postings) == 100
    assert len((await books.entry(posted.id)).postings) == 100
    counts = await books.counts()
    assert (counts.entries, counts.postings) == (1, 100)
    assert (await books.balance(team[41])).posted == 42
    assert (await books.balance(books.issuance)).posted == -4950
    assert (await books.verify()).ok


async def test_a_failure_later_in_the_use_case_rolls_the_entry_back(books: Books) -> None:
    before = await books.snapshot()

    async def award_then_fail(conn: AsyncConnection) -> None:
        await ledger.post_entry(
            conn,
            idempotency_key=new_key(),
            kind="award",
            legs=[Leg(books.issuance, -5), Leg(books.alice, 5)],
            actor="council:1",
        )
        raise RuntimeError("the scoring sheet could not be marked approved")

    with pytest.raises(RuntimeError, match="scoring sheet"):
        await run(books.engine, award_then_fail)

    assert await books.snapshot() == before


async def test_opening_an_account_is_idempotent_and_keeps_its_policy(books: Books) -> None:
    again = await books.open("passbook", "volunteer:alice", allow_negative=True)

    assert again == books.alice
    with pytest.raises(InsufficientPoints):
        await books.transfer(books.alice, books.bob, 1)
