"""Reversals: a mistake is undone by a new entry that names the one it corrects, once."""

from __future__ import annotations

import pytest

from ledger import CORRECTION_KIND, REVERSAL_KIND, EntryId, Posting
from ledger.errors import (
    EntryAlreadyReversed,
    EntryNotFound,
    IdempotencyConflict,
    InsufficientPoints,
    LifetimeEarnedBelowZero,
    ReversalNotAllowed,
)
from tests.ledger.conftest import Books


async def test_a_reversal_negates_the_original_and_names_it(books: Books) -> None:
    award = await books.award(books.alice, 30, memo="garbage-sorting duty")

    reversal = await books.reverse(award.id, memo="scored the wrong volunteer")

    assert reversal.id != award.id
    assert reversal.kind == REVERSAL_KIND
    assert reversal.reverses_entry_id == award.id
    assert reversal.memo == "scored the wrong volunteer"
    assert set(reversal.postings) == {
        Posting(books.issuance, 30, 0, 2),
        Posting(books.alice, -30, 0, 2),
    }
    assert await books.entry(reversal.id) == reversal
    assert (await books.entry(award.id)).postings == award.postings, "the original is untouched"
    alice = await books.balance(books.alice)
    assert (alice.posted, alice.lifetime_earned, alice.posting_count) == (0, 0, 2)
    assert (await books.balance(books.issuance)).posted == 0
    assert (await books.verify()).ok


async def test_reversing_a_spend_gives_points_back_without_counting_them_as_earned(
    books: Books,
) -> None:
    await books.award(books.alice, 30)
    spend = await books.transfer(books.alice, books.merchant, 10)

    await books.reverse(spend.id)

    alice = await books.balance(books.alice)
    merchant = await books.balance(books.merchant)
    assert (alice.posted, alice.lifetime_earned) == (30, 30)
    assert (merchant.posted, merchant.lifetime_earned) == (0, 0)
    assert (await books.verify()).ok


async def test_an_entry_is_reversed_at_most_once(books: Books) -> None:
    award = await books.award(books.alice, 30)
    first = await books.reverse(award.id)
    before = await books.snapshot()

    with pytest.raises(EntryAlreadyReversed) as refused:
        await books.reverse(award.id)

    assert (refused.value.entry_id, refused.value.reversal_id) == (award.id, first.id)
    assert await books.snapshot() == before


async def test_a_reversal_is_never_itself_reversed(books: Books) -> None:
    award = await books.award(books.alice, 30)
    reversal = await books.reverse(award.id)
    before = await books.snapshot()

    with pytest.raises(ReversalNotAllowed):
        await books.reverse(reversal.id)

    assert await books.snapshot() == before


async def test_a_reversal_that_would_overdraw_a_passbook_is_refused(books: Books) -> None:
    award = await books.award(books.alice, 10)
    await books.transfer(books.alice, books.merchant, 8)
    before = await books.snapshot()

    with pytest.raises(InsufficientPoints) as refused:
        await books.reverse(award.id)

    error = refused.value
    assert (error.account_id, error.available, error.needed, error.short) == (books.alice, 2, 10, 8)
    assert f"entry {award.id}" in str(error)
    assert await books.snapshot() == before


async def test_held_points_count_against_a_reversal(books: Books) -> None:
    award = await books.award(books.alice, 10)
    await books.place_hold(books.alice, 6)

    with pytest.raises(InsufficientPoints) as refused:
        await books.reverse(award.id)

    assert (refused.value.available, refused.value.short) == (4, 6)


async def test_replaying_a_reversal_key_returns_the_same_reversal(books: Books) -> None:
    award = await books.award(books.alice, 30)
    reversal = await books.reverse(award.id, key="fix-42", memo="duplicate sheet")
    before = await books.snapshot()

    again = await books.reverse(award.id, key="fix-42", memo="duplicate sheet")

    assert again.replayed is True
    assert again.id == reversal.id
    assert again.reverses_entry_id == award.id
    assert await books.snapshot() == before


async def test_a_reversal_key_reused_for_another_request_conflicts(books: Books) -> None:
    award = await books.award(books.alice, 30)
    other = await books.award(books.bob, 5)
    await books.reverse(award.id, key="fix-42", memo="duplicate sheet")
    before = await books.snapshot()

    with pytest.raises(IdempotencyConflict):
        await books.reverse(other.id, key="fix-42", memo="duplicate sheet")
    with pytest.raises(IdempotencyConflict):
        await books.reverse(award.id, key="fix-42", memo="another reason")
    with pytest.raises(IdempotencyConflict):
        await books.award(books.alice, 1, key="fix-42")

    assert await books.snapshot() == before


async def test_reversing_an_unknown_entry_is_refused(books: Books) -> None:
    with pytest.raises(EntryNotFound) as refused:
        await books.reverse(EntryId(4242))

    assert refused.value.entry_id == 4242
    assert (await books.counts()).entries == 0


async def test_a_correction_takes_credited_points_off_lifetime_earned(books: Books) -> None:
    await books.award(books.alice, 30)
    await books.post([(books.alice, -10), (books.issuance, 10)], kind=CORRECTION_KIND)
    alice = await books.balance(books.alice)
    assert (alice.posted, alice.lifetime_earned) == (20, 20)
    # an ordinary debit (a spend) leaves lifetime earned alone
    await books.transfer(books.alice, books.merchant, 5)
    assert (await books.balance(books.alice)).lifetime_earned == 20
    report = await books.verify()
    assert report.ok, report.problems
    # and verification recomputes lifetime earned the same way
    await books.post([(books.alice, -5), (books.issuance, 5)], kind=CORRECTION_KIND)
    assert (await books.balance(books.alice)).lifetime_earned == 15
    assert (await books.verify()).ok


async def test_a_reversal_taking_lifetime_earned_below_zero_is_refused_with_figures(
    books: Books,
) -> None:
    """Reversing a correction would take back, off the issuance account's lifetime earned,
    points the correction never counted there: refused clearly (once a CHECK failure, a 500),
    nothing changed; the same key again is refused the same way."""
    await books.award(books.alice, 30)
    correction = await books.post([(books.alice, -10), (books.issuance, 10)], kind=CORRECTION_KIND)
    before = await books.snapshot()
    for _ in range(2):
        with pytest.raises(LifetimeEarnedBelowZero) as refused:
            await books.reverse(correction.id, key="undo-correction")
        assert refused.value.code == "lifetime_earned_below_zero"
        assert refused.value.figures == {
            "account_id": books.issuance,
            "lifetime_earned": 0,
            "taken": 10,
        }
        assert f"Reversing entry {correction.id}" in str(refused.value)
    assert await books.snapshot() == before
    assert (await books.verify()).ok
