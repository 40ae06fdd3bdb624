"""Cancelling a ballot, and what the clock asks of ballots (the expiry sweep).

Invariants protected here: a ballot is cancelled only before its draw, and cancelling releases
every application's hold once; a ballot not drawn by its deadline is cancelled by the sweep;
the sweep handles each ballot in its own transaction, and running it twice changes nothing
more.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import db
from i18n import _
from rewards._ballot_applying import release_application_hold
from rewards._ballot_declining import SWEEP_ACTOR, settle_offers
from rewards._ballot_errors import (
    BallotAlreadyDrawn,
    InvalidBallot,
)
from rewards._ballot_reading import applications_of, ballot_by_id, lock_ballot
from rewards._ballot_types import (
    ApplicationStatus,
    Ballot,
    BallotStatus,
    BallotSweep,
)
from rewards._tables import ballot, ballot_application, voucher
from rewards._time import local_minute, utcnow
from rewards._types import VoucherStatus


async def cancel_ballot(
    conn: AsyncConnection,
    *,
    ballot_code: str,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> Ballot:
    """Cancel a ballot before its draw: every application's hold is released. Cancelling
    again answers the same."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise InvalidBallot(_("Say why the ballot is cancelled (1 to 200 characters)."))
    current = await lock_ballot(conn, ballot_code)
    if current.status is BallotStatus.CANCELLED:
        return current
    if current.status is BallotStatus.DRAWN:
        raise BallotAlreadyDrawn(
            _(
                "Ballot {ballot_code} has been drawn; a drawn ballot cannot be cancelled "
                "(winners may decline their places instead).",
                ballot_code=ballot_code,
            )
        )
    await conn.execute(
        update(ballot)
        .where(ballot.c.id == current.id, ballot.c.status == BallotStatus.OPEN)
        .values(
            status=BallotStatus.CANCELLED,
            cancelled_at=now,
            cancelled_by=actor,
            cancel_reason=reason,
        )
    )
    applied = await applications_of(conn, current.id, statuses=[ApplicationStatus.APPLIED])
    for app in sorted(applied, key=lambda a: a.hold_id or 0):
        await release_application_hold(conn, current, app, now, why="cancelled")
    await conn.execute(
        update(ballot_application)
        .where(
            ballot_application.c.ballot_id == current.id,
            ballot_application.c.status == ApplicationStatus.APPLIED,
        )
        .values(status=ApplicationStatus.CANCELLED, closed_at=now, reason="ballot_cancelled")
    )
    return await ballot_by_id(conn, current.id)


async def process_ballot(
    conn: AsyncConnection,
    ballot_code: str,
    *,
    now: datetime | None = None,
    actor: str = SWEEP_ACTOR,
) -> BallotSweep:
    """What the clock asks of one ballot: cancel it if it was not drawn in time; pass on the
    places whose vouchers were not used within the claim period (or were cancelled)."""
    now = now or utcnow()
    current = await lock_ballot(conn, ballot_code)
    if current.status is BallotStatus.OPEN and now >= current.draw_by:
        await cancel_ballot(
            conn,
            ballot_code=ballot_code,
            actor=actor,
            reason=f"not drawn by {local_minute(current.draw_by)}",
            now=now,
        )
        return BallotSweep(ballots_cancelled=1)
    if current.status is BallotStatus.DRAWN:
        return await settle_offers(conn, current, now=now, actor=actor)
    return BallotSweep()


async def due_ballots(conn: AsyncConnection, *, now: datetime) -> list[str]:
    """Codes of ballots the clock has work for: undrawn past their draw deadline, or with an
    offered place whose voucher is past its date, used or cancelled."""
    undrawn = select(ballot.c.code).where(
        ballot.c.status == BallotStatus.OPEN, ballot.c.draw_by <= now
    )
    offers = (
        select(ballot.c.code)
        .join(ballot_application, ballot_application.c.ballot_id == ballot.c.id)
        .join(voucher, voucher.c.id == ballot_application.c.voucher_id)
        .where(
            ballot.c.status == BallotStatus.DRAWN,
            ballot_application.c.status == ApplicationStatus.OFFERED,
            or_(voucher.c.status != VoucherStatus.ISSUED, voucher.c.expires_at <= now),
        )
    )
    codes = set(await conn.scalars(undrawn)) | set(await conn.scalars(offers))
    return sorted(codes)


async def process_ballots(engine: AsyncEngine, *, now: datetime | None = None) -> BallotSweep:
    """:func:`process_ballot` for every ballot that needs it, one transaction each."""
    now = now or utcnow()
    async with db.read_transaction(engine) as conn:
        due = await due_ballots(conn, now=now)
    total = BallotSweep()
    for code in due:

        async def use_case(conn: AsyncConnection, code: str = code) -> BallotSweep:
            return await process_ballot(conn, code, now=now)

        done = await db.run_in_transaction(engine, use_case)
        total = BallotSweep(
            total.offers_lapsed + done.offers_lapsed,
            total.points_back + done.points_back,
            total.places_passed + done.places_passed,
            total.ballots_cancelled + done.ballots_cancelled,
        )
    return total
