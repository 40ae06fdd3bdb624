"""Holds: points reserved for a voucher, then settled, released or expired, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from ledger import AccountId, Hold, HoldId, HoldStatus, Posting
from ledger.errors import (
    AccountNotFound,
    HoldExpired,
    HoldNotFound,
    HoldNotOpen,
    IdempotencyConflict,
    IdempotencyRace,
    InsufficientPoints,
    InvalidEntry,
)
from tests.ledger.conftest import Books, run

BEIJING = timezone(timedelta(hours=8))

NOW = datetime.now(UTC).replace(microsecond=0)


async def test_a_hold_reduces_available_not_posted(books: Books) -> None:
    await books.award(books.alice, 20)
    entries_before = (await books.counts()).entries
    expiry = NOW + timedelta(days=3)

    hold = await books.place_hold(books.alice, 8, expires_at=expiry, memo="voucher: car wash")

    assert (hold.account_id, hold.amount, hold.status) == (books.alice, 8, HoldStatus.HELD)
    assert hold.expires_at == expiry
    assert hold.memo == "voucher: car wash"
    assert (hold.settled_amount, hold.settle_entry_id, hold.closed_at) == (None, None, None)
    assert hold.replayed is False
    alice = await books.balance(books.alice)
    assert (alice.posted, alice.held, alice.available, alice.posting_count) == (20, 8, 12, 1)
    counts = await books.counts()
    assert (counts.entries, counts.holds) == (entries_before, 1)
    assert await books.hold(hold.id) == hold


async def test_placing_a_hold_again_with_its_key_returns_it(books: Books) -> None:
    await books.award(books.alice, 20)
    expiry = NOW + timedelta(days=3)
    hold = await books.place_hold(books.alice, 8, key="voucher-9", expires_at=expiry)
    before = await books.snapshot()

    again = await books.place_hold(books.alice, 8, key="voucher-9", expires_at=expiry)

    assert (again.id, again.replayed) == (hold.id, True)
    assert await books.snapshot() == before
    with pytest.raises(IdempotencyConflict):
        await books.place_hold(books.alice, 9, key="voucher-9", expires_at=expiry)
    assert await books.snapshot() == before


async def test_a_fresh_key_that_is_not_fresh_is_refused_and_writes_nothing(
    books: Books,
) -> None:
    # fresh_key leaves out the lookup by key; the database's unique key still refuses a reuse
    await books.award(books.alice, 20)
    await books.place_hold(books.alice, 8, key="voucher-9")
    before = await books.snapshot()

    async def again(conn: AsyncConnection) -> Hold:
        return await ledger.place_hold(
            conn,
            account_id=books.alice,
            amount=3,
            expires_at=NOW + timedelta(days=3),
            idempotency_key="voucher-9",
            actor="system",
            fresh_key=True,
        )

    with pytest.raises(IdempotencyRace):
        await run(books.engine, again, attempts=1)
    assert await books.snapshot() == before


async def test_cannot_hold_more_than_is_available(books: Books) -> None:
    await books.award(books.alice, 20)
    await books.place_hold(books.alice, 15)
    before = await books.snapshot()

    with pytest.raises(InsufficientPoints) as refused:
        await books.place_hold(books.alice, 6)

    error = refused.value
    assert (error.account_id, error.available, error.needed, error.short) == (books.alice, 5, 6, 1)
    assert await books.snapshot() == before
    await books.place_hold(books.alice, 5)
    assert (await books.balance(books.alice)).available == 0


async def test_malformed_holds_are_refused_and_write_nothing(
    books: Books, subtests: pytest.Subtests
) -> None:
    await books.award(books.alice, 20)
    before = await books.snapshot()

    for amount in (0, -3, 1.5, True):
        with subtests.test(f"amount {amount!r}"):
            with pytest.raises(InvalidEntry, match="positive whole number"):
                await books.place_hold(books.alice, amount)  # type: ignore[arg-type]
            assert await books.snapshot() == before
    with subtests.test("expiring now"):
        with pytest.raises(InvalidEntry, match="future"):
            await books.place_hold(books.alice, 5, expires_at=NOW, now=NOW)
        assert await books.snapshot() == before
    with subtests.test("unknown account"):
        with pytest.raises(AccountNotFound):
            await books.place_hold(AccountId(999), 5)
        assert await books.snapshot() == before
    with subtests.test("empty key"):
        with pytest.raises(InvalidEntry, match="idempotency key"):
            await books.place_hold(books.alice, 5, key="")
        assert await books.snapshot() == before


async def test_settling_in_full_moves_the_points_and_closes_the_hold(books: Books) -> None:
    await books.award(books.alice, 20)
    hold = await books.place_hold(books.alice, 8)

    settled, entry = await books.settle(hold.id, to=books.merchant, now=datetime.now(BEIJING))

    assert settled.status == HoldStatus.SETTLED
    assert (settled.settled_amount, settled.settle_entry_id) == (8, entry.id)
    assert settled.closed_at is not None
    assert repr(settled) == repr(await books.hold(hold.id))  # the answer is the hold as stored
    assert entry.kind == "settlement"
    assert set(entry.postings) == {
        Posting(books.alice, -8, 12, 2),
        Posting(books.merchant, 8, 8, 1),
    }
    alice = await books.balance(books.alice)
    assert (alice.posted, alice.held, alice.available) == (12, 0, 12)
    assert (await books.balance(books.merchant)).posted == 8
    assert (await books.verify()).ok


async def test_settling_part_releases_the_rest(books: Books) -> None:
    await books.award(books.alice, 20)
    hold = await books.place_hold(books.alice, 8)

    settled, entry = await books.settle(hold.id, amount=5)

    assert (settled.status, settled.settled_amount) == (HoldStatus.SETTLED, 5)
    assert settled == await books.hold(hold.id)
    assert sorted(p.amount for p in entry.postings) == [-5, 5]
    alice = await books.balance(books.alice)
    assert (alice.posted, alice.held, alice.available) == (15, 0, 15)
    assert (await books.balance(books.merchant)).posted == 5
    assert (await books.verify()).ok


async def test_a_settlement_stays_within_the_hold(books: Books, subtests: pytest.Subtests) -> None:
    await books.award(books.alice, 20)
    hold = await books.place_hold(books.alice, 8)
    before = await books.snapshot()

    for amount in (0, 9, -1, 2.5, True):
        with subtests.test(f"amount {amount!r}"):
            with pytest.raises(InvalidEntry, match="settles for 1 to 8 points"):
                await books.settle(hold.id, amount=amount)  # type: ignore[arg-type]
            assert await books.snapshot() == before
    with subtests.test("into the account that holds it"):
        with pytest.raises(InvalidEntry):
            await books.settle(hold.id, to=books.alice)
        assert await books.snapshot() == before
    with subtests.test("into an unknown account"):
        with pytest.raises(AccountNotFound):
            await books.settle(hold.id, to=AccountId(999))
        assert await books.snapshot() == before

    assert (await books.hold(hold.id)).status == HoldStatus.HELD


async def test_a_hold_settles_once(books: Books) -> None:
    await books.award(books.alice, 20)
    hold = await books.place_hold(books.alice, 8)
    await books.settle(hold.id, key="scan-1")
    before = await books.snapshot()

    with pytest.raises(HoldNotOpen) as refused:
        await books.settle(hold.id, key="scan-2")

    assert (refused.value.hold_id, refused.value.status) == (hold.id, "settled")
    assert not isinstance(refused.value, HoldExpired)
    assert await books.snapshot() == before


async def test_replaying_a_settlement_returns_the_same_entry(books: Books) -> None:
    await books.award(books.alice, 20)
    hold = await books.place_hold(books.alice, 8)
    settled, entry = await books.settle(hold.id, key="scan-1")
    before = await books.snapshot()

    again_hold, again_entry = await books.settle(hold.id, key="scan-1")

    assert again_hold.replayed is True
    assert again_entry.replayed is True
    assert again_entry.id == entry.id
    assert again_entry.postings == entry.postings
    assert again_hold.settle_entry_id == settled.settle_entry_id
    assert await books.snapshot() == before
    with pytest.raises(IdempotencyConflict):
        await books.settle(hold.id, key="scan-1", amount=3)


async def test_a_settlement_key_used_by_another_entry_conflicts(books: Books) -> None:
    await books.award(books.alice, 20, key="sheet-3:alice")
    hold = await books.place_hold(books.alice, 8)
    before = await books.snapshot()

    with pytest.raises(IdempotencyConflict):
        await books.settle(hold.id, key="sheet-3:alice")

    assert await books.snapshot() == before
    assert (await books.hold(hold.id)).status == HoldStatus.HELD


async def test_releasing_gives_the_points_back(books: Books) -> None:
    await books.award(books.alice, 20)
    hold = await books.place_hold(books.alice, 8)
    entries_before = (await books.counts()).entries

    released = await books.release(hold.id, key="cancel-1")

    assert released.status == HoldStatus.RELEASED
    assert released.closed_at is not None
    assert (released.settled_amount, released.settle_entry_id) == (None, None)
    alice = await books.balance(books.alice)
    assert (alice.posted, alice.held, alice.available) == (20, 0, 20)
    assert (await books.counts()).entries == entries_before

    again = await books.release(hold.id, key="cancel-1")

    assert (again.id, again.status, again.replayed) == (hold.id, HoldStatus.RELEASED, True)
    assert (await books.balance(books.alice)).held == 0
    with pytest.raises(HoldNotOpen):
        await books.release(hold.id, key="cancel-2")
    assert (await books.verify()).ok


async def test_a_release_key_closes_one_hold_only(books: Books) -> None:
    await books.award(books.alice, 20)
    first = await books.place_hold(books.alice, 5)
    second = await books.place_hold(books.alice, 6)
    await books.release(first.id, key="cancel-once")

    with pytest.raises(IdempotencyConflict):
        await books.release(second.id, key="cancel-once")

    still = await books.hold(second.id)
    assert still.status == HoldStatus.HELD
    assert (await books.balance(books.alice)).held == 6


async def test_a_settled_hold_cannot_be_released_nor_a_released_one_settled(books: Books) -> None:
    await books.award(books.alice, 20)
    settled = await books.place_hold(books.alice, 5)
    released = await books.place_hold(books.alice, 5)
    await books.settle(settled.id, key="scan-1")
    await books.release(released.id, key="cancel-1")
    before = await books.snapshot()

    with pytest.raises(HoldNotOpen) as refused:
        await books.release(settled.id, key="scan-1")
    assert refused.value.status == "settled"
    with pytest.raises(HoldNotOpen) as refused:
        await books.settle(released.id, key="cancel-1")
    assert refused.value.status == "released"

    assert await books.snapshot() == before


async def test_an_expired_hold_cannot_be_settled_before_the_sweep(books: Books) -> None:
    await books.award(books.alice, 20)
    expiry = NOW + timedelta(hours=1)
    hold = await books.place_hold(books.alice, 8, expires_at=expiry, now=NOW)
    before = await books.snapshot()

    with pytest.raises(HoldExpired) as refused:
        await books.settle(hold.id, now=expiry + timedelta(seconds=1))
    with pytest.raises(HoldExpired):
        await books.settle(hold.id, now=expiry)

    assert isinstance(refused.value, HoldNotOpen)
    assert refused.value.expires_at == expiry
    assert await books.snapshot() == before
    assert (await books.hold(hold.id)).status == HoldStatus.HELD
    _, entry = await books.settle(hold.id, now=expiry - timedelta(seconds=1))
    assert entry.postings


async def test_expire_holds_releases_due_holds_and_leaves_the_others(books: Books) -> None:
    await books.award(books.alice, 50)
    await books.award(books.bob, 50)
    due_first = await books.place_hold(books.alice, 3, expires_at=NOW + timedelta(hours=1), now=NOW)
    due_bob = await books.place_hold(books.bob, 4, expires_at=NOW + timedelta(hours=2), now=NOW)
    not_due = await books.place_hold(books.alice, 5, expires_at=NOW + timedelta(days=1), now=NOW)
    early_but_settled = await books.place_hold(
        books.alice, 6, expires_at=NOW + timedelta(minutes=30), now=NOW
    )
    await books.settle(early_but_settled.id, now=NOW + timedelta(minutes=1))
    sweep = NOW + timedelta(hours=3)

    expired = await books.expire(now=sweep)

    assert expired == [due_first.id, due_bob.id]
    for hold_id in expired:
        hold = await books.hold(hold_id)
        assert (hold.status, hold.closed_at) == (HoldStatus.EXPIRED, sweep)
    assert (await books.hold(not_due.id)).status == HoldStatus.HELD
    assert (await books.hold(early_but_settled.id)).status == HoldStatus.SETTLED
    alice, bob = await books.balance(books.alice), await books.balance(books.bob)
    assert (alice.posted, alice.held) == (44, 5)
    assert (bob.posted, bob.held) == (50, 0)
    assert await books.expire(now=sweep) == []
    with pytest.raises(HoldNotOpen) as refused:
        await books.settle(due_first.id, now=NOW)
    assert refused.value.status == "expired"
    assert (await books.verify()).ok


async def test_an_unknown_hold_is_not_found(books: Books) -> None:
    with pytest.raises(HoldNotFound):
        await books.settle(HoldId(77))
    with pytest.raises(HoldNotFound):
        await books.release(HoldId(77))
    with pytest.raises(HoldNotFound):
        await books.hold(HoldId(77))


async def test_an_expiry_given_on_a_beijing_clock_is_kept(books: Books) -> None:
    await books.award(books.alice, 20)
    placed = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    expiry = datetime(2026, 3, 1, 18, 0, tzinfo=BEIJING)  # 10:00 UTC
    hold = await books.place_hold(books.alice, 8, expires_at=expiry, now=placed)
    an_hour_late = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)

    with pytest.raises(HoldExpired):
        await books.settle(hold.id, now=an_hour_late)
    assert await books.expire(now=an_hour_late) == [hold.id]
    assert (await books.hold(hold.id)).expires_at == expiry
