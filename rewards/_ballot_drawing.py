"""The draw: once, after the window closes, the seed revealed and the places offered.

Invariants protected here:

* a ballot is drawn at most once: ``UPDATE ballot SET status = 'drawn' WHERE id = :id AND
  status = 'open'``, and only between the window's close and the draw deadline;
* the drawn order is :func:`rewards.draw_order` of the revealed seed and the applicants'
  frozen points, nothing else;
* each place offered is a voucher on a hold exchanged for its application hold in the same
  transaction (the points never become available in between), and every other hold is
  released; an applicant who cannot take a place now is skipped with the reason;
* locks are taken ballot row, voucher rows (by id), reward and counters, then the ledger's
  holds and accounts, everywhere.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import ledger
from i18n import _
from rewards._ballot_applying import release_application_hold
from rewards._ballot_draw import draw_order
from rewards._ballot_errors import (
    BallotAlreadyDrawn,
    BallotCancelled,
    BallotPastDrawDeadline,
    BallotStillOpen,
    InvalidBallot,
)
from rewards._ballot_reading import application_by_id, applications_of, ballot_by_id, get_ballot
from rewards._ballot_types import (
    Application,
    ApplicationStatus,
    Ballot,
    BallotStatus,
)
from rewards._catalog import reward_by_id
from rewards._eligibility import Volunteer, find_volunteer
from rewards._stock import limit_used, take_stock
from rewards._tables import ballot, ballot_application
from rewards._time import local_minute, utcnow, voucher_expiry
from rewards._types import Reward
from rewards._vouchers import issue_voucher


def _check_drawable(current: Ballot, now: datetime) -> None:
    if current.status is BallotStatus.CANCELLED:
        raise BallotCancelled(
            _(
                "Ballot {current_code} was cancelled: {cancel_reason}.",
                current_code=current.code,
                cancel_reason=current.cancel_reason,
            )
        )
    if current.status is BallotStatus.DRAWN:
        assert current.drawn_at is not None
        raise BallotAlreadyDrawn(
            _(
                "Ballot {current_code} was drawn on {drawn_at}; a ballot is drawn once. "
                "Its result is public.",
                current_code=current.code,
                drawn_at=local_minute(current.drawn_at),
            ),
            drawn_at=current.drawn_at.isoformat(),
        )
    if now < current.closes_at:
        raise BallotStillOpen(
            _(
                "Applications to ballot {current_code} close on {closes_at}; draw after that.",
                current_code=current.code,
                closes_at=local_minute(current.closes_at),
            ),
            closes_at=current.closes_at.isoformat(),
        )
    if now >= current.draw_by:
        raise BallotPastDrawDeadline(
            _(
                "Ballot {current_code} had to be drawn by {draw_by}, when the "
                "applications' holds ran out; cancel it and open a new one.",
                current_code=current.code,
                draw_by=local_minute(current.draw_by),
            ),
            draw_by=current.draw_by.isoformat(),
        )


async def draw_ballot(
    conn: AsyncConnection, *, ballot_code: str, actor: str, now: datetime | None = None
) -> Ballot:
    """Draw once: reveal the seed, order the applicants by the ballot's rule, offer the places
    in that order (a voucher each), release everyone else's hold."""
    now = now or utcnow()
    current = await get_ballot(conn, ballot_code)
    _check_drawable(current, now)
    reward_ = await reward_by_id(conn, current.reward_id)
    if not reward_.active:
        raise InvalidBallot(
            _(
                "{reward_name} has been withdrawn from the catalog; restore it, or "
                "cancel the ballot.",
                reward_name=reward_.name,
            )
        )
    drawn = await conn.execute(
        update(ballot)
        .where(ballot.c.id == current.id, ballot.c.status == BallotStatus.OPEN)
        .values(status=BallotStatus.DRAWN, drawn_at=now, drawn_by=actor)
    )
    if drawn.rowcount != 1:
        _check_drawable(await get_ballot(conn, ballot_code), now)
        raise BallotAlreadyDrawn(
            _("Ballot {ballot_code} was drawn meanwhile.", ballot_code=ballot_code)
        )  # pragma: no cover
    seed = await conn.scalar(select(ballot.c.seed).where(ballot.c.id == current.id))
    assert seed is not None
    applied = await applications_of(conn, current.id, statuses=[ApplicationStatus.APPLIED])
    by_pseudonym = {app.pseudonym: app for app in applied}
    order = draw_order(seed, current.rule, [(app.pseudonym, app.points) for app in applied])
    for drawn_one in order:
        await conn.execute(
            update(ballot_application)
            .where(ballot_application.c.id == by_pseudonym[drawn_one.pseudonym].id)
            .values(
                status=ApplicationStatus.WAITING,
                draw_rank=drawn_one.rank,
                lottery_key=drawn_one.key,
                score=drawn_one.score,
            )
        )
    offered = 0
    for drawn_one in order:
        if offered == current.places:
            break
        app = await application_by_id(conn, by_pseudonym[drawn_one.pseudonym].id)
        if await offer_place(conn, current, reward_, app, now=now, actor=actor):
            offered += 1
    waiting = await applications_of(conn, current.id, statuses=[ApplicationStatus.WAITING])
    for app in sorted(waiting, key=lambda a: a.hold_id or 0):
        await release_application_hold(conn, current, app, now, why="drawn-waiting")
    return await ballot_by_id(conn, current.id)


async def offer_place(
    conn: AsyncConnection,
    current: Ballot,
    reward_: Reward,
    app: Application,
    *,
    now: datetime,
    actor: str,
) -> bool:
    """Offer ``app`` a place (a voucher on a fresh hold lasting the claim period), or skip it
    with the reason it cannot take one now. Whether it was offered."""
    volunteer = await find_volunteer(conn, app.passbook_number)
    reason = await _cannot_take(conn, reward_, volunteer, app, now)
    if reason is not None:
        await release_application_hold(conn, current, app, now, why="skipped")
        await conn.execute(
            update(ballot_application)
            .where(ballot_application.c.id == app.id)
            .values(status=ApplicationStatus.SKIPPED, reason=reason, closed_at=now)
        )
        return False
    claim = await take_stock(conn, reward_, volunteer_id=volunteer.id, quantity=1, now=now)
    # The application hold (if still open) is exchanged for one that lasts the claim period:
    # released and placed again in this transaction, the points never become available.
    await release_application_hold(conn, current, app, now, why="offered")
    hold = await ledger.place_hold(
        conn,
        account_id=volunteer.account_id,
        amount=reward_.cost_points,
        expires_at=voucher_expiry(now, current.claim_days),
        idempotency_key=f"ballot:{current.id}:offer:{app.id}",
        actor=actor,
        memo=f"摇号中签 {reward_.name}（摇号 {current.code}）",
        now=now,
    )
    issued = await issue_voucher(
        conn,
        reward_=reward_,
        volunteer=volunteer,
        hold=hold,
        claim=claim,
        redemption_id=None,
        now=now,
    )
    await conn.execute(
        update(ballot_application)
        .where(ballot_application.c.id == app.id)
        .values(status=ApplicationStatus.OFFERED, voucher_id=issued.id, offered_at=now)
    )
    return True


async def _cannot_take(
    conn: AsyncConnection, reward_: Reward, volunteer: Volunteer, app: Application, now: datetime
) -> str | None:
    """Why the applicant cannot take a place now (a stable code), or ``None``."""
    if volunteer.status != "active":
        return "not_active"
    if not community.within(volunteer.grid_path, reward_.org_unit_path):
        return "outside_org_unit"
    limit = reward_.per_volunteer_limit
    if limit is not None and await limit_used(conn, reward_, volunteer.id, now) >= limit:
        return "limit_reached"
    held = False
    if app.hold_id is not None:
        held = (await ledger.get_hold(conn, app.hold_id)).status is ledger.HoldStatus.HELD
    if not held:
        balance = await ledger.get_balance(conn, volunteer.account_id)
        if balance.available < reward_.cost_points:
            return "not_enough_points"
    return None
