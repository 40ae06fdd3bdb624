"""Ballots on a real database with the clock passed in: the expiry sweep passes on a place
not claimed in time and cancels a ballot not drawn in time; a winner who moved away is
skipped at the draw; a ticket already taken in the ballot is never handed out twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import rewards
from rewards import ApplicationStatus, BallotRule, BallotSpec
from tests.rewards.conftest import NOW, Exchange, key, later


async def ballot(exchange: Exchange, *, places: int = 1) -> rewards.Ballot:
    await exchange.reward(
        "place",
        allocation=rewards.Allocation.BALLOT,
        kind=rewards.RewardKind.PLACE,
        cost_points=20,
        stock_total=places,
        voucher_valid_days=30,
    )
    spec = BallotSpec(
        code="b1",
        reward_code="place",
        rule=BallotRule.POINTS_RANK,
        places=places,
        opens_at=NOW,
        closes_at=later(5),
        claim_days=3,
    )
    opened, created = await exchange.run(
        lambda conn: rewards.open_ballot(conn, spec, actor="staff", now=NOW)
    )
    assert created
    for number in ("P-1", "P-2", "P-3"):
        k = key()
        await exchange.run(
            lambda conn, number=number, k=k: rewards.apply_to_ballot(
                conn,
                ballot_code="b1",
                passbook_number=number,
                idempotency_key=k,
                actor="volunteer:test",
                now=later(1),
            )
        )
    return opened


async def applications(exchange: Exchange) -> dict[str, rewards.Application]:
    async def query(conn: AsyncConnection) -> dict[str, rewards.Application]:
        found = await rewards.get_ballot(conn, "b1")
        return {a.passbook_number: a for a in await rewards.applications_of(conn, found.id)}

    return await exchange.read(query)


async def test_the_sweep_passes_on_a_place_not_claimed_in_time(exchange: Exchange) -> None:
    await ballot(exchange)
    await exchange.run(
        lambda conn: rewards.draw_ballot(conn, ballot_code="b1", actor="staff", now=later(6))
    )
    drawn = await applications(exchange)
    # P-1 and P-3 have 100 lifetime points, P-2 has 30: the tie is broken by the lottery
    first = min(drawn.values(), key=lambda a: a.draw_rank or 0)
    assert first.passbook_number in {"P-1", "P-3"}
    assert first.status is ApplicationStatus.OFFERED
    offered = await exchange.voucher(first.voucher_id or 0)
    assert offered.valid_until.isoformat() == "2026-11-18"  # 3 claim days from the draw
    assert (await exchange.balance(first.passbook_number)).held == 20

    early = await rewards.expire_vouchers(exchange.engine, now=later(7))
    assert (early.vouchers, early.places_passed) == (0, 0)
    swept = await rewards.expire_vouchers(exchange.engine, now=later(9))
    assert (swept.vouchers, swept.points, swept.places_passed) == (1, 20, 1)
    after = await applications(exchange)
    assert after[first.passbook_number].status is ApplicationStatus.LAPSED
    assert (await exchange.balance(first.passbook_number)).held == 0
    second = next(a for a in after.values() if a.draw_rank == 2)
    assert second.status is ApplicationStatus.OFFERED
    assert (await exchange.balance(second.passbook_number)).held == 20
    again = await rewards.expire_vouchers(exchange.engine, now=later(9))
    assert (again.vouchers, again.places_passed) == (0, 0)
    assert (await exchange.verify()).ok


async def test_a_ballot_not_drawn_in_time_is_cancelled_by_the_sweep(exchange: Exchange) -> None:
    await ballot(exchange)
    assert (await exchange.balance("P-1")).held == 20
    deadline = later(5) + rewards.DRAW_WITHIN
    swept = await rewards.expire_vouchers(exchange.engine, now=deadline)
    assert swept.ballots_cancelled == 1
    assert {a.status for a in (await applications(exchange)).values()} == {
        ApplicationStatus.CANCELLED
    }
    for number in ("P-1", "P-2", "P-3"):
        assert (await exchange.balance(number)).held == 0
    with pytest.raises(rewards.errors.RewardsError) as refused:
        await exchange.run(
            lambda conn: rewards.draw_ballot(conn, ballot_code="b1", actor="staff", now=deadline)
        )
    assert refused.value.code == "ballot_cancelled"
    assert (await exchange.verify()).ok


async def test_a_winner_who_moved_away_is_skipped_at_the_draw(exchange: Exchange) -> None:
    await ballot(exchange, places=2)
    await exchange.run(
        lambda conn: conn.execute(
            community.volunteer.update()
            .where(community.volunteer.c.passbook_number == "P-1")
            .values(status="moved_away")
        )
    )
    await exchange.run(
        lambda conn: rewards.draw_ballot(conn, ballot_code="b1", actor="staff", now=later(6))
    )
    drawn = await applications(exchange)
    assert drawn["P-1"].status is ApplicationStatus.SKIPPED
    assert drawn["P-1"].reason == "not_active"
    assert drawn["P-2"].status is drawn["P-3"].status is ApplicationStatus.OFFERED
    assert (await exchange.balance("P-1")).held == 0
    assert (await exchange.verify()).ok


async def test_the_window_and_draw_are_judged_by_the_clock(exchange: Exchange) -> None:
    await ballot(exchange)
    with pytest.raises(rewards.BallotStillOpen):
        await exchange.run(
            lambda conn: rewards.draw_ballot(conn, ballot_code="b1", actor="staff", now=later(4))
        )
    with pytest.raises(rewards.BallotNotOpen):
        await exchange.run(
            lambda conn: rewards.apply_to_ballot(
                conn,
                ballot_code="b1",
                passbook_number="P-3",
                idempotency_key=key(),
                actor="x",
                now=later(5) + timedelta(seconds=1),
            )
        )


async def test_a_ticket_taken_in_the_ballot_is_drawn_again(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = iter(["AAAAAAAAAAAA", "AAAAAAAAAAAA", "BBBBBBBBBBBB", "CCCCCCCCCCCC"])
    monkeypatch.setattr(rewards._ballot_tickets, "new_ticket", lambda: next(drawn))
    await ballot(exchange)
    tickets = {n: a.pseudonym for n, a in (await applications(exchange)).items()}
    assert tickets == {"P-1": "AAAAAAAAAAAA", "P-2": "BBBBBBBBBBBB", "P-3": "CCCCCCCCCCCC"}


async def test_two_applications_drawing_one_ticket_at_once_are_told_apart_by_a_retry(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if a concurrent application had drawn the same ticket after this one checked it was
    free: the UNIQUE constraint refuses the insert, and the retried transaction draws anew."""
    offered = iter(["XXXXXXXXXXXX", "XXXXXXXXXXXX", "YYYYYYYYYYYY", "ZZZZZZZZZZZZ"])

    async def racing_ticket(conn: AsyncConnection, ballot_id: int) -> str:
        return next(offered)  # no check that it is free: the second is P-1's

    monkeypatch.setattr(rewards._ballot_applying, "free_ticket", racing_ticket)
    await ballot(exchange)
    found = await applications(exchange)
    tickets = {n: a.pseudonym for n, a in found.items()}
    assert tickets == {"P-1": "XXXXXXXXXXXX", "P-2": "YYYYYYYYYYYY", "P-3": "ZZZZZZZZZZZZ"}
    assert {a.status for a in found.values()} == {ApplicationStatus.APPLIED}
    assert (await exchange.balance("P-2")).held == 20  # held once, by the retry
    assert (await exchange.verify()).ok
