"""Applying to a ballot and withdrawing: one application per volunteer, its cost held.

Invariants protected here:

* one application per volunteer per ballot (UNIQUE): a concurrent duplicate waits for the
  first, then replays it (same key) or is refused (another key); while an application waits
  for the draw, its cost is held in the ledger, and withdrawing releases that hold once;
* applications and the draw exclude each other: an application reads the ballot row under a
  shared lock, the draw changes it (PostgreSQL; SQLite's writers are serial), so no
  application can slip in after the draw has read the list;
* an application's pseudonym is a random ticket unique within the ballot
  (:mod:`rewards._ballot_tickets`), never derived from the passbook number;
* an applicant is judged by the reward's own rules (as for instant redemption, but the
  ballot itself), its limit per volunteer and, for a weighted lottery, a point to weigh.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from db import constraint_name, metadata
from i18n import _
from ledger.errors import InsufficientPoints
from rewards._ballot_errors import (
    AlreadyApplied,
    ApplicationKeyReused,
    ApplicationRace,
    BallotCancelled,
    BallotClosed,
    BallotNotOpenYet,
    InvalidBallot,
)
from rewards._ballot_reading import (
    application_by_id,
    application_query,
    find_application,
    lock_ballot,
    to_application,
)
from rewards._ballot_tickets import free_ticket
from rewards._ballot_types import (
    Application,
    ApplicationStatus,
    Ballot,
    BallotRule,
    BallotStatus,
)
from rewards._catalog import reward_by_id
from rewards._eligibility import Volunteer, find_volunteer, refusals
from rewards._stock import limit_used
from rewards._tables import ballot_application
from rewards._time import local_date, local_minute, utcnow
from rewards._types import Reward
from rewards.errors import AllocatedByBallot, LimitReached, NotEligible


async def apply_to_ballot(
    conn: AsyncConnection,
    *,
    ballot_code: str,
    passbook_number: str,
    idempotency_key: str,
    actor: str,
    now: datetime | None = None,
) -> Application:
    """Apply for a place: eligibility checked, the points frozen, the cost held until the
    draw, and a random ticket (the application's pseudonym on the public page) handed out; an
    application made again after withdrawing keeps its ticket. ``actor`` is who did it (the
    volunteer, or an admin on their behalf). Replaying ``idempotency_key`` returns the
    application as it stands now."""
    now = now or utcnow()
    if not idempotency_key or len(idempotency_key) > 200:
        raise InvalidBallot(_("An application needs an idempotency key of 1 to 200 characters."))
    digest = hashlib.sha256(f"apply\x1f{ballot_code}\x1f{passbook_number}".encode()).hexdigest()
    replay = (
        await conn.execute(
            application_query().where(ballot_application.c.idempotency_key == idempotency_key)
        )
    ).first()
    if replay is not None:
        if replay.request_digest != digest:
            raise ApplicationKeyReused()
        return to_application(replay, replayed=True)

    current = await lock_ballot(conn, ballot_code, shared=True)
    check_window(current, now)
    reward_ = await reward_by_id(conn, current.reward_id)
    volunteer = await find_volunteer(conn, passbook_number)
    earlier = (
        await conn.execute(
            select(ballot_application.c.id, ballot_application.c.status).where(
                ballot_application.c.ballot_id == current.id,
                ballot_application.c.volunteer_id == volunteer.id,
            )
        )
    ).first()
    if earlier is not None and earlier.status != ApplicationStatus.WITHDRAWN:
        found = await application_by_id(conn, earlier.id)
        raise AlreadyApplied(
            _(
                "Passbook {passbook_number} has applied to ballot {ballot_code} already "
                "(on {applied_at}); one application per volunteer.",
                passbook_number=passbook_number,
                ballot_code=ballot_code,
                applied_at=local_date(found.applied_at),
            ),
            pseudonym=found.pseudonym,
        )
    balance = await ledger.get_balance(conn, volunteer.account_id)
    await _check_eligible(conn, current, reward_, volunteer, balance, now)
    if balance.available < reward_.cost_points:
        raise InsufficientPoints(
            volunteer.account_id,
            balance.available,
            reward_.cost_points,
            action=_(
                "Applying to ballot {ballot_code} ({reward_name})",
                ballot_code=ballot_code,
                reward_name=reward_.name,
            ),
        )
    hold = await ledger.place_hold(
        conn,
        account_id=volunteer.account_id,
        amount=reward_.cost_points,
        expires_at=current.draw_by,
        idempotency_key=f"ballot:{current.id}:apply:{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}",
        actor=actor,
        memo=f"摇号申请 {reward_.name}（摇号 {ballot_code}）",
        now=now,
    )
    values = {
        "status": ApplicationStatus.APPLIED,
        "points": balance.lifetime_earned,
        "hold_id": hold.id,
        "idempotency_key": idempotency_key,
        "request_digest": digest,
        "actor": actor,
        "applied_at": now,
    }
    try:
        if earlier is None:
            application_id = await conn.scalar(
                ballot_application.insert()
                .values(
                    ballot_id=current.id,
                    volunteer_id=volunteer.id,
                    pseudonym=await free_ticket(conn, current.id),
                    **values,
                )
                .returning(ballot_application.c.id)
            )
        else:  # applying again after withdrawing: the same application, held afresh
            await conn.execute(
                update(ballot_application)
                .where(
                    ballot_application.c.id == earlier.id,
                    ballot_application.c.status == ApplicationStatus.WITHDRAWN,
                )
                .values(closed_at=None, reason=None, **values)
            )
            application_id = earlier.id
    except IntegrityError as error:
        if constraint_name(error, metadata) in {
            "uq_ballot_application_ballot_id_volunteer_id",
            "uq_ballot_application_ballot_id_pseudonym",
            "uq_ballot_application_idempotency_key",
        }:
            raise ApplicationRace(idempotency_key) from error
        raise
    assert application_id is not None
    return await application_by_id(conn, int(application_id))


def check_window(current: Ballot, now: datetime) -> None:
    if current.status is BallotStatus.CANCELLED:
        raise BallotCancelled(
            _(
                "Ballot {current_code} was cancelled: {cancel_reason}.",
                current_code=current.code,
                cancel_reason=current.cancel_reason,
            )
        )
    if current.status is BallotStatus.DRAWN:
        raise BallotClosed(
            _(
                "Ballot {current_code} has been drawn; applications are closed.",
                current_code=current.code,
            )
        )
    if now < current.opens_at:
        raise BallotNotOpenYet(
            _(
                "Applications to ballot {current_code} open on {opens_at}.",
                current_code=current.code,
                opens_at=local_minute(current.opens_at),
            ),
            opens_at=current.opens_at.isoformat(),
        )
    if now >= current.closes_at:
        raise BallotClosed(
            _(
                "Applications to ballot {current_code} closed on {closes_at}.",
                current_code=current.code,
                closes_at=local_minute(current.closes_at),
            ),
            closes_at=current.closes_at.isoformat(),
        )


async def _check_eligible(
    conn: AsyncConnection,
    current: Ballot,
    reward_: Reward,
    volunteer: Volunteer,
    balance: ledger.Balance,
    now: datetime,
) -> None:
    """The reward's own rules (those of instant redemption, but the ballot itself), its
    limit per volunteer, and for a weighted lottery at least one point to weigh."""
    refused = [
        r
        for r in refusals(reward_, volunteer, balance, now)
        if not isinstance(r, AllocatedByBallot)
    ]
    if refused:
        raise refused[0]
    if reward_.per_volunteer_limit is not None:
        used = await limit_used(conn, reward_, volunteer.id, now)
        if used >= reward_.per_volunteer_limit:
            raise LimitReached(
                _(
                    "Each volunteer may have {per_volunteer_limit} of {reward_name}; "
                    "passbook {passbook_number} has its share already.",
                    per_volunteer_limit=reward_.per_volunteer_limit,
                    reward_name=reward_.name,
                    passbook_number=volunteer.passbook_number,
                ),
                limit=reward_.per_volunteer_limit,
                limit_left=0,
            )
    if current.rule is BallotRule.WEIGHTED_LOTTERY and balance.lifetime_earned < 1:
        raise NotEligible(
            _(
                "Ballot {current_code} is a lottery weighted by points earned; passbook "
                "{passbook_number} has earned none yet.",
                current_code=current.code,
                passbook_number=volunteer.passbook_number,
            ),
            reason="no_points_to_weigh",
        )


async def withdraw_application(
    conn: AsyncConnection,
    *,
    ballot_code: str,
    passbook_number: str,
    actor: str,
    now: datetime | None = None,
) -> Application:
    """Withdraw before the window closes: the hold is released. Withdrawing again answers
    the same."""
    now = now or utcnow()
    current = await lock_ballot(conn, ballot_code, shared=True)
    found = await find_application(conn, ballot_code, passbook_number)
    if found.status is ApplicationStatus.WITHDRAWN:
        return found
    if found.status is not ApplicationStatus.APPLIED:
        raise BallotClosed(
            _(
                "Ballot {ballot_code} has been drawn; the application stands.",
                ballot_code=ballot_code,
            )
        )
    check_window(current, now)
    changed = await conn.execute(
        update(ballot_application)
        .where(
            ballot_application.c.id == found.id,
            ballot_application.c.status == ApplicationStatus.APPLIED,
        )
        .values(status=ApplicationStatus.WITHDRAWN, closed_at=now, reason="withdrawn")
    )
    if changed.rowcount != 1:  # pragma: no cover - the ballot lock serialises these
        raise ApplicationRace(f"withdraw:{found.id}")
    await release_application_hold(conn, current, found, now, why=f"withdrawn-by:{actor}"[:60])
    return await application_by_id(conn, found.id)


async def release_application_hold(
    conn: AsyncConnection, current: Ballot, app: Application, now: datetime, *, why: str
) -> None:
    if app.hold_id is None:
        return
    hold = await ledger.get_hold(conn, app.hold_id)
    if hold.status is ledger.HoldStatus.HELD:
        await ledger.release_hold(
            conn,
            hold_id=app.hold_id,
            idempotency_key=f"ballot:{current.id}:{app.id}:{app.hold_id}:{why}",
            now=now,
        )
