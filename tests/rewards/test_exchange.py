"""The rewards use cases on a real database, with the clock passed in: validity, expiry,
monthly quotas and limits over time, eligibility, and issuing a voucher for a ballot."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import ledger
import rewards
from rewards import errors
from tests.rewards.conftest import NOW, Exchange, key, later


async def test_a_voucher_is_valid_through_its_last_local_day(exchange: Exchange) -> None:
    await exchange.reward("soap", voucher_valid_days=3)
    (voucher,) = (await exchange.redeem("soap")).vouchers
    # issued 2026-11-10 18:00 Beijing time: valid through 11-12, i.e. until 11-13 00:00 (+08)
    assert voucher.valid_until.isoformat() == "2026-11-12"
    assert voucher.expires_at == rewards.voucher_expiry(NOW, 3)
    assert voucher.expires_at.isoformat() == "2026-11-12T16:00:00+00:00"
    assert voucher.state(voucher.expires_at - timedelta(seconds=1)) is rewards.VoucherStatus.ISSUED
    assert voucher.state(voucher.expires_at) is rewards.VoucherStatus.EXPIRED


async def test_expiry_gives_back_points_stock_and_limit_once(exchange: Exchange) -> None:
    await exchange.reward("soap", stock_total=5, per_volunteer_limit=1, voucher_valid_days=1)
    (voucher,) = (await exchange.redeem("soap")).vouchers
    with pytest.raises(errors.LimitReached):
        await exchange.redeem("soap")

    async def scan(conn: AsyncConnection) -> rewards.Scan:
        return await rewards.verify_voucher(
            conn, code=voucher.code, merchant_code="shop", now=later(2)
        )

    seen = await exchange.read(scan)
    assert seen.verdict is rewards.Verdict.EXPIRED  # before any sweep
    assert (await exchange.balance()).held == 10

    swept = await rewards.expire_vouchers(exchange.engine, now=later(2))
    assert (swept.vouchers, swept.points) == (1, 10)
    again = await rewards.expire_vouchers(exchange.engine, now=later(3))
    assert (again.vouchers, again.points) == (0, 0)
    assert (await exchange.voucher(voucher.id)).status is rewards.VoucherStatus.EXPIRED
    assert (await exchange.balance()).held == 0
    assert (await exchange.get_reward("soap")).stock_left == 5
    assert (await exchange.redeem("soap", now=later(2))).vouchers  # the place came back
    assert (await exchange.verify()).ok


async def test_the_ledgers_own_hold_expiry_does_not_confuse_the_sweep(
    exchange: Exchange,
) -> None:
    await exchange.reward("soap", stock_total=2, voucher_valid_days=1)
    (voucher,) = (await exchange.redeem("soap")).vouchers
    expired = await exchange.run(lambda conn: ledger.expire_holds(conn, now=later(5)))
    assert expired == [voucher.hold_id]
    swept = await rewards.expire_vouchers(exchange.engine, now=later(5))
    assert swept.vouchers == 1
    assert (await exchange.get_reward("soap")).stock_left == 2
    assert (await exchange.verify()).ok


async def test_monthly_quota_and_limit_start_afresh_each_month(exchange: Exchange) -> None:
    await exchange.reward("veg", monthly_quota=2, per_volunteer_limit=1)
    await exchange.redeem("veg", "P-1")
    with pytest.raises(errors.LimitReached) as limited:
        await exchange.redeem("veg", "P-1", now=later(5))
    assert limited.value.figures == {"limit": 1, "limit_left": 0}
    await exchange.redeem("veg", "P-2")
    with pytest.raises(errors.QuotaReached) as full:
        await exchange.redeem("veg", "P-3")
    assert full.value.figures["quota_left"] == 0
    # December (local time) is a new month for the quota and for the limit
    december = later(21)
    await exchange.redeem("veg", "P-1", now=december)
    await exchange.redeem("veg", "P-3", now=december)


async def test_a_redemption_answers_what_reading_it_back_finds(exchange: Exchange) -> None:
    # the answer is built from what the redemption wrote, not read back: it must be the same
    await exchange.reward("soap", stock_total=5, monthly_quota=9, per_volunteer_limit=3)
    made = await exchange.redeem("soap", quantity=2, now=later(1))
    found = await exchange.read(lambda conn: rewards.get_redemption(conn, made.id))
    assert made == found
    assert made.passbook_number == "P-1"
    assert [await exchange.voucher(v.id) for v in made.vouchers] == list(made.vouchers)
    assert [v.claim for v in made.vouchers] == [rewards.StockClaim(True, "2026-11", "2026-11")] * 2


async def test_a_quantity_past_the_quota_or_limit_is_refused_and_takes_nothing(
    exchange: Exchange,
) -> None:
    await exchange.reward("veg", monthly_quota=3, per_volunteer_limit=2)
    before = await exchange.balance()
    # on a month's fresh counters: more than the cap allows at all
    with pytest.raises(errors.QuotaReached) as full:
        await exchange.redeem("veg", quantity=4)
    assert full.value.figures == {"quota": 3, "quota_left": 3}
    with pytest.raises(errors.LimitReached) as limited:
        await exchange.redeem("veg", quantity=3)
    assert limited.value.figures == {"limit": 2, "limit_left": 2}
    assert await exchange.balance() == before
    # on counters that have room for fewer than asked
    await exchange.redeem("veg")
    with pytest.raises(errors.LimitReached) as limited:
        await exchange.redeem("veg", quantity=2)
    assert limited.value.figures == {"limit": 2, "limit_left": 1}
    with pytest.raises(errors.QuotaReached) as full:
        await exchange.redeem("veg", "P-3", quantity=3)
    assert full.value.figures == {"quota": 3, "quota_left": 2}
    assert len((await exchange.redeem("veg", "P-3", quantity=2)).vouchers) == 2
    assert (await exchange.balance()).held == before.held + 10
    assert (await exchange.verify()).ok


async def test_eligibility_is_checked_at_redemption(exchange: Exchange) -> None:
    await exchange.reward("grid2", org_unit_code="g2")
    await exchange.reward("veteran", min_lifetime_points=101)
    await exchange.reward("place", allocation=rewards.Allocation.BALLOT, stock_total=1)
    await exchange.reward("window", sale_starts_at=later(1), sale_ends_at=later(2), stock_total=3)
    with pytest.raises(errors.NotEligible) as outside:
        await exchange.redeem("grid2", "P-1")
    assert outside.value.figures["reason"] == "outside_org_unit"
    assert (await exchange.redeem("grid2", "P-3")).vouchers
    with pytest.raises(errors.NotEligible, match="101 points earned"):
        await exchange.redeem("veteran")
    with pytest.raises(errors.AllocatedByBallot):
        await exchange.redeem("place")
    with pytest.raises(errors.NotOnSale):
        await exchange.redeem("window", now=later(0.5))
    with pytest.raises(errors.NotOnSale):
        await exchange.redeem("window", now=later(2))
    assert (await exchange.redeem("window", now=later(1.5))).vouchers


async def test_months_registered_are_counted_from_registration(exchange: Exchange) -> None:
    await exchange.reward("old-hand", min_months_registered=6)
    registered = await exchange.read(
        lambda conn: conn.scalar(
            select(community.volunteer.c.registered_at).where(
                community.volunteer.c.passbook_number == "P-1"
            )
        )
    )
    assert registered is not None
    with pytest.raises(errors.NotEligible) as young:
        await exchange.redeem("old-hand", now=registered + timedelta(days=150))
    assert young.value.figures["reason"] == "registered_too_recently"
    assert (await exchange.redeem("old-hand", now=registered + timedelta(days=200))).vouchers


async def test_a_refused_redemption_leaves_nothing_behind(exchange: Exchange) -> None:
    await exchange.reward("lamp", cost_points=20, stock_total=5, per_volunteer_limit=3)
    with pytest.raises(ledger.errors.InsufficientPoints):
        await exchange.redeem("lamp", "P-2", quantity=2)  # 40 points, 30 available
    assert (await exchange.get_reward("lamp")).stock_left == 5
    assert (await exchange.balance("P-2")).held == 0
    count = await exchange.read(lambda conn: conn.scalar(text("SELECT count(*) FROM redemption")))
    assert count == 0
    with pytest.raises(errors.InvalidRedemption):
        await exchange.redeem("lamp", quantity=rewards.MAX_QUANTITY + 1)


async def test_a_ballot_issues_a_voucher_on_the_hold_it_placed(exchange: Exchange) -> None:
    """What the ballot module reuses: hold at application, take the place and issue at draw."""
    place = await exchange.reward(
        "place",
        allocation=rewards.Allocation.BALLOT,
        kind=rewards.RewardKind.PLACE,
        cost_points=50,
        stock_total=1,
        per_volunteer_limit=1,
        voucher_valid_days=30,
    )

    async def apply_and_win(conn: AsyncConnection) -> rewards.Voucher:
        volunteer = await rewards.find_volunteer(conn, "P-1")
        hold = await ledger.place_hold(
            conn,
            account_id=volunteer.account_id,
            amount=place.cost_points,
            expires_at=later(10),
            idempotency_key=key(),
            actor="ballot",
            now=NOW,
        )
        claim = await rewards.take_stock(
            conn, place, volunteer_id=volunteer.id, quantity=1, now=later(1)
        )
        return await rewards.issue_voucher(
            conn,
            reward_=place,
            volunteer=volunteer,
            hold=hold,
            claim=claim,
            redemption_id=None,
            now=later(1),
        )

    voucher = await exchange.run(apply_and_win)
    assert voucher.redemption_id is None
    assert voucher.expires_at == later(10)  # never after the hold it settles
    assert (await exchange.get_reward("place")).stock_left == 0

    async def scan(conn: AsyncConnection) -> rewards.Consumption:
        return await rewards.consume_voucher(
            conn, code=voucher.code, merchant_code="shop", scanner="merchant:k", now=later(2)
        )

    used = await exchange.run(scan)
    assert used.voucher.status is rewards.VoucherStatus.USED
    assert used.voucher == await exchange.voucher(voucher.id)  # the answer is the row as stored
    assert (await exchange.balance()).posted == 50

    async def wrong_hold(conn: AsyncConnection) -> object:
        volunteer = await rewards.find_volunteer(conn, "P-3")
        hold = await ledger.place_hold(
            conn,
            account_id=volunteer.account_id,
            amount=10,
            expires_at=later(10),
            idempotency_key=key(),
            actor="ballot",
            now=NOW,
        )
        return await rewards.issue_voucher(
            conn,
            reward_=place,
            volunteer=volunteer,
            hold=hold,
            claim=rewards.StockClaim(False, None, None),
            redemption_id=None,
            now=NOW,
        )

    with pytest.raises(errors.InvalidRedemption, match="50 points"):
        await exchange.run(wrong_hold)
    assert (await exchange.verify()).ok


async def test_a_passbook_not_found_is_said_so(exchange: Exchange) -> None:
    await exchange.reward("soap")
    with pytest.raises(community.PassbookNotFound):
        await exchange.redeem("soap", "NO-SUCH")


async def test_the_periodic_sweep_expires_vouchers_until_cancelled(exchange: Exchange) -> None:
    await exchange.reward("soap", voucher_valid_days=1)
    (voucher,) = (await exchange.redeem("soap")).vouchers  # issued on NOW, long past
    sweeper = asyncio.create_task(rewards.expire_periodically(exchange.engine, 0.01))
    try:
        for _ in range(1000):
            if (await exchange.voucher(voucher.id)).status is rewards.VoucherStatus.EXPIRED:
                break
            await asyncio.sleep(0.01)
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
    assert sweeper.cancelled()
    assert (await exchange.voucher(voucher.id)).status is rewards.VoucherStatus.EXPIRED
    assert (await exchange.balance()).held == 0


async def test_a_consume_answers_the_voucher_as_it_is_stored(exchange: Exchange) -> None:
    await exchange.reward("soap")
    (voucher,) = (await exchange.redeem("soap")).vouchers
    beijing = timezone(timedelta(hours=8))
    at = (NOW + timedelta(hours=1, microseconds=123456)).astimezone(beijing)

    async def scan(conn: AsyncConnection) -> rewards.Consumption:
        return await rewards.consume_voucher(
            conn,
            code=voucher.code,
            merchant_code="shop",
            scanner="merchant:till 1#3",
            idempotency_key="merchant:3:scan-1",
            now=at,
        )

    used = await exchange.run(scan)
    stored = await exchange.voucher(voucher.id)
    assert used.voucher == stored
    assert repr(used.voucher) == repr(stored)  # the moment in UTC too, as an answer shows it
    assert (stored.status, stored.closed_at, stored.closed_by) == (
        rewards.VoucherStatus.USED,
        at,
        "merchant:till 1#3",
    )
    assert (stored.settle_entry_id, stored.consume_key) == (used.entry_id, "merchant:3:scan-1")
    assert used.replayed is False
