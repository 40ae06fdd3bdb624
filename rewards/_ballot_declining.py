"""Declining and lapsing: a place given up goes to the next applicant in drawn order.

Invariants protected here: a place given up (declined, its voucher cancelled by its holder, or
its voucher not used within the claim period) goes to the next applicant in drawn order who
can take it now: still active, still in the reward's org unit, under the reward's limit, and
(their application hold having been released at the draw) with the points available for a
new hold; anyone who cannot is skipped with the reason, in the same transaction. Offered
vouchers are locked in id order before any is changed; a used voucher's place is claimed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

import community
from i18n import _
from rewards._ballot_drawing import offer_place
from rewards._ballot_errors import (
    NoPlaceOffered,
)
from rewards._ballot_reading import (
    application_by_id,
    applications_of,
    find_application,
    lock_ballot,
)
from rewards._ballot_types import (
    Application,
    ApplicationStatus,
    Ballot,
    BallotSweep,
)
from rewards._catalog import reward_by_id
from rewards._redemption import close_unused
from rewards._tables import ballot, ballot_application
from rewards._time import utcnow
from rewards._types import Reward, VoucherStatus
from rewards._vouchers import lock_voucher
from rewards.errors import SoldOut

SWEEP_ACTOR = "system:ballot-sweep"

_APPLICATION_WORDS = {
    ApplicationStatus.APPLIED: _("applied, waiting for the draw"),
    ApplicationStatus.WITHDRAWN: _("withdrawn"),
    ApplicationStatus.CANCELLED: _("cancelled"),
    ApplicationStatus.WAITING: _("waiting for a place"),
    ApplicationStatus.CLAIMED: _("claimed"),
    ApplicationStatus.DECLINED: _("declined"),
    ApplicationStatus.LAPSED: _("lapsed"),
    ApplicationStatus.SKIPPED: _("skipped"),
}
"""An application's state as a reader says it, in a refusal."""


async def decline_place(
    conn: AsyncConnection,
    *,
    ballot_code: str,
    passbook_number: str,
    actor: str,
    now: datetime | None = None,
) -> Application:
    """A winner gives up the place: the voucher is cancelled (points, stock and limit back)
    and the place goes to the next in drawn order. Declining again answers the same."""
    now = now or utcnow()
    current = await lock_ballot(conn, ballot_code)
    found = await find_application(conn, ballot_code, passbook_number)
    if found.status is ApplicationStatus.DECLINED:
        return found
    if found.status is not ApplicationStatus.OFFERED:
        raise NoPlaceOffered(
            _(
                "Passbook {passbook_number} holds no place of ballot {ballot_code} to "
                "decline (its application is {status}).",
                passbook_number=passbook_number,
                ballot_code=ballot_code,
                status=_APPLICATION_WORDS.get(found.status, found.status.value),
            )
        )
    await settle_offers(conn, current, now=now, actor=actor, declining=found.id)
    return await application_by_id(conn, found.id)


async def ballot_offer_of(conn: AsyncConnection, voucher_id: int) -> tuple[str, str] | None:
    """The (ballot code, passbook number) whose offered place ``voucher_id`` is, if it is one:
    cancelling such a voucher is declining the place, so the place passes on at once."""
    row = (
        await conn.execute(
            select(ballot.c.code, community.volunteer.c.passbook_number)
            .join(ballot_application, ballot_application.c.ballot_id == ballot.c.id)
            .join(
                community.volunteer,
                community.volunteer.c.id == ballot_application.c.volunteer_id,
            )
            .where(
                ballot_application.c.voucher_id == voucher_id,
                ballot_application.c.status == ApplicationStatus.OFFERED,
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def settle_offers(
    conn: AsyncConnection,
    current: Ballot,
    *,
    now: datetime,
    actor: str,
    declining: int | None = None,
) -> BallotSweep:
    """Bring every offered place of a drawn ballot up to date: used vouchers are claimed
    places; a declined place (``declining``, or a voucher cancelled by its holder) and one
    whose voucher is past its date go on to the next in drawn order."""
    offered = await applications_of(conn, current.id, statuses=[ApplicationStatus.OFFERED])
    vouchers = {}
    for app in sorted(offered, key=lambda a: a.voucher_id or 0):
        assert app.voucher_id is not None
        vouchers[app.id] = await lock_voucher(conn, voucher_id=app.voucher_id)
    lapsed = points_back = freed = 0
    for app in offered:
        held = vouchers[app.id]
        state = held.state(now)
        if state is VoucherStatus.USED:
            await _close_application(conn, app, ApplicationStatus.CLAIMED, now, "claimed")
            continue
        if app.id == declining and state is VoucherStatus.ISSUED:
            await close_unused(conn, held, VoucherStatus.CANCELLED, actor=actor, now=now)
            state = VoucherStatus.CANCELLED
        if state is VoucherStatus.CANCELLED:
            await _close_application(conn, app, ApplicationStatus.DECLINED, now, "declined")
            freed += 1
        elif state is VoucherStatus.EXPIRED:
            if held.status is VoucherStatus.ISSUED:
                await close_unused(conn, held, VoucherStatus.EXPIRED, actor=SWEEP_ACTOR, now=now)
                lapsed, points_back = lapsed + 1, points_back + held.points
            await _close_application(conn, app, ApplicationStatus.LAPSED, now, "not_claimed")
            freed += 1
    passed = 0
    if freed:
        reward_ = await reward_by_id(conn, current.reward_id)
        for _ in range(freed):
            if not await _pass_on(conn, current, reward_, now=now, actor=actor):
                break
            passed += 1
    return BallotSweep(lapsed, points_back, passed, 0)


async def _close_application(
    conn: AsyncConnection, app: Application, status: ApplicationStatus, now: datetime, reason: str
) -> None:
    await conn.execute(
        update(ballot_application)
        .where(
            ballot_application.c.id == app.id,
            ballot_application.c.status == ApplicationStatus.OFFERED,
        )
        .values(status=status, closed_at=now, reason=reason)
    )


async def _pass_on(
    conn: AsyncConnection, current: Ballot, reward_: Reward, *, now: datetime, actor: str
) -> bool:
    """Offer one freed place to the next waiting applicant who can take it."""
    if not reward_.active:
        return False
    for app in await applications_of(conn, current.id, statuses=[ApplicationStatus.WAITING]):
        try:
            if await offer_place(conn, current, reward_, app, now=now, actor=actor):
                return True
        except SoldOut:
            return False  # the stock was cut meanwhile: the place is gone, not passed on
    return False
