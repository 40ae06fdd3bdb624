"""Expiry: a voucher past its date gives its points, stock and limit place back; a ballot's
place not claimed in time goes to the next applicant; a ballot not drawn in time is cancelled.

Invariants protected here: a voucher past ``expires_at`` is treated as expired by every
reader at once (:meth:`Voucher.state`), and the sweep closes each such voucher exactly once,
in its own short transaction (so one sweep never holds many locks, and a busy counter is not
kept waiting). Running the sweep twice, or alongside the ledger's own hold expiry, changes
nothing more. The periodic sweep runs in one process at a time (:func:`sweep_round`, under
:func:`db.exclusive`): when several workers serve, the one that finds the lock taken skips
that round, and a worker that dies drops the lock with it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import db
from rewards._ballot_sweeping import process_ballots
from rewards._redemption import close_unused
from rewards._tables import voucher
from rewards._time import utcnow
from rewards._types import VoucherStatus
from rewards._vouchers import lock_voucher

EXPIRY_ACTOR = "system:voucher-expiry"
EXPIRY_LOCK = "voucher-expiry"
log = logging.getLogger("passbook.rewards")


@dataclass(frozen=True, slots=True)
class ExpirySweep:
    vouchers: int
    """Vouchers expired, ballot vouchers whose claim period ran out included."""
    points: int
    places_passed: int = 0
    """Ballot places passed on to the next in drawn order."""
    ballots_cancelled: int = 0
    """Ballots cancelled because they were not drawn in time."""


async def due_vouchers(conn: AsyncConnection, *, now: datetime, limit: int = 500) -> list[int]:
    """Ids of issued vouchers past their date, oldest first."""
    rows = await conn.scalars(
        select(voucher.c.id)
        .where(voucher.c.status == VoucherStatus.ISSUED, voucher.c.expires_at <= now)
        .order_by(voucher.c.expires_at, voucher.c.id)
        .limit(limit)
    )
    return [int(v) for v in rows]


async def expire_voucher(conn: AsyncConnection, voucher_id: int, *, now: datetime) -> int:
    """Expire one voucher if it is still issued and past its date; the points returned
    (0 if there was nothing to do)."""
    current = await lock_voucher(conn, voucher_id=voucher_id)
    if current.status is not VoucherStatus.ISSUED or current.expires_at > now:
        return 0
    await close_unused(conn, current, VoucherStatus.EXPIRED, actor=EXPIRY_ACTOR, now=now)
    return current.points


async def expire_vouchers(
    engine: AsyncEngine, *, now: datetime | None = None, batch: int = 500
) -> ExpirySweep:
    """Settle the ballots the clock has work for (a place not claimed in time goes to the
    next applicant, in the same transaction as its voucher's expiry), then expire every other
    voucher past its date, one transaction per ballot or voucher."""
    now = now or utcnow()
    ballots = await process_ballots(engine, now=now)
    count, points = ballots.offers_lapsed, ballots.points_back
    while True:
        async with db.read_transaction(engine) as conn:
            due = await due_vouchers(conn, now=now, limit=batch)
        for voucher_id in due:

            async def use_case(conn: AsyncConnection, voucher_id: int = voucher_id) -> int:
                return await expire_voucher(conn, voucher_id, now=now)

            returned = await db.run_in_transaction(engine, use_case)
            if returned:
                count, points = count + 1, points + returned
        if len(due) < batch:
            return ExpirySweep(count, points, ballots.places_passed, ballots.ballots_cancelled)


async def sweep_round(engine: AsyncEngine, *, now: datetime | None = None) -> ExpirySweep | None:
    """One round of the sweep if no other process is sweeping (:data:`EXPIRY_LOCK`); None
    when another holds the lock and this round is skipped."""
    async with db.exclusive(engine, EXPIRY_LOCK) as held:
        if not held:
            return None
        return await expire_vouchers(engine, now=now)


async def expire_periodically(engine: AsyncEngine, interval_seconds: float) -> None:
    """Run the expiry sweep every ``interval_seconds`` until cancelled, skipping a round while
    another worker sweeps. A failed sweep is logged and tried again next time: vouchers past
    their date scan as expired meanwhile."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            swept = await sweep_round(engine)
        except Exception:
            log.exception("voucher expiry sweep failed; trying again in %s s", interval_seconds)
            continue
        if swept is None:
            log.debug("another worker is sweeping; this one skips the round")
            continue
        if swept.vouchers:
            log.info(
                "expired %d vouchers, %d points back to passbooks", swept.vouchers, swept.points
            )
        if swept.places_passed or swept.ballots_cancelled:
            log.info(
                "ballots: %d places passed on, %d undrawn ballots cancelled",
                swept.places_passed,
                swept.ballots_cancelled,
            )
