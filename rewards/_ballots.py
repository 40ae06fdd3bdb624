"""Ballots for scarce rewards: open, apply, withdraw, draw, decline, lapse and pass a place on.

Invariants protected here:

* the seed is drawn from ``secrets`` when the ballot opens and only its SHA-256 (the
  commitment) is shown until the draw; the rule and the number of places are fixed then too;
* one application per volunteer per ballot (UNIQUE): a concurrent duplicate waits for the
  first, then replays it (same key) or is refused (another key); while an application waits
  for the draw, the cost is held in the ledger;
* applications and the draw exclude each other: an application reads the ballot row under a
  shared lock, the draw changes it (PostgreSQL; SQLite's writers are serial), so no
  application can slip in after the draw has read the list;
* a ballot is drawn at most once: ``UPDATE ballot SET status = 'drawn' WHERE id = :id AND
  status = 'open'``; the draw gives each winner a voucher (on a hold exchanged for its
  application hold in the same transaction) and releases every other hold;
* a place given up (declined, or its voucher not used within the claim period) goes to the
  next applicant in drawn order who can take it now: still active, still in the reward's org
  unit, under the reward's limit, and (their application hold having been released at the
  draw) with the points available for a new hold; anyone who cannot is skipped with the
  reason, in the same transaction;
* locks are taken ballot row, voucher rows (by id), reward and counters, then the ledger's
  holds and accounts, everywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import community
import db
import ledger
from db import constraint_name, metadata
from ledger.errors import InsufficientPoints
from rewards._ballot_draw import commitment_of, draw_order, new_seed, pseudonym_of
from rewards._ballot_errors import (
    AlreadyApplied,
    AnotherBallotOpen,
    ApplicationKeyReused,
    ApplicationNotFound,
    ApplicationRace,
    BallotAlreadyDrawn,
    BallotCancelled,
    BallotClosed,
    BallotExists,
    BallotNotFound,
    BallotNotOpenYet,
    BallotPastDrawDeadline,
    BallotStillOpen,
    InvalidBallot,
    NoPlaceOffered,
)
from rewards._ballot_types import (
    Application,
    ApplicationStatus,
    Ballot,
    BallotRule,
    BallotSpec,
    BallotStatus,
    BallotSweep,
)
from rewards._catalog import get_reward, reward_by_id
from rewards._eligibility import Volunteer, find_volunteer, refusals
from rewards._redemption import close_unused
from rewards._stock import limit_used, take_stock
from rewards._tables import ballot, ballot_application, reward, voucher
from rewards._time import CHINA, local_date, utcnow, voucher_expiry
from rewards._types import Allocation, Reward, VoucherStatus
from rewards._vouchers import issue_voucher, lock_voucher
from rewards.errors import AllocatedByBallot, LimitReached, NotEligible, SoldOut

DRAW_WITHIN = timedelta(days=14)
"""How long after the window closes the draw may be made; the applications' holds last that
long, and a ballot not drawn by then is cancelled and every hold released."""
MAX_WINDOW = timedelta(days=366)
MAX_CLAIM_DAYS = 90
SWEEP_ACTOR = "system:ballot-sweep"
_LIVE = (ApplicationStatus.WITHDRAWN, ApplicationStatus.CANCELLED)


# ---------------------------------------------------------------------------------- reading


def _ballot_query() -> Select[Any]:
    unit = community.org_unit
    live = (
        select(func.count())
        .where(
            ballot_application.c.ballot_id == ballot.c.id,
            ballot_application.c.status.not_in([s.value for s in _LIVE]),
        )
        .scalar_subquery()
    )
    return (
        select(
            ballot,
            reward.c.code.label("reward_code"),
            reward.c.name.label("reward_name"),
            unit.c.path.label("org_unit_path"),
            live.label("live_applications"),
        )
        .join(reward, reward.c.id == ballot.c.reward_id)
        .join(unit, unit.c.id == reward.c.org_unit_id)
    )


def _ballot(row: Row[Any]) -> Ballot:
    status = BallotStatus(row.status)
    return Ballot(
        id=row.id,
        code=row.code,
        reward_id=row.reward_id,
        reward_code=row.reward_code,
        reward_name=row.reward_name,
        org_unit_path=row.org_unit_path,
        rule=BallotRule(row.rule),
        places=row.places,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        draw_by=row.draw_by,
        claim_days=row.claim_days,
        commitment=row.commitment,
        seed=row.seed if status is BallotStatus.DRAWN else None,
        status=status,
        created_at=row.created_at,
        created_by=row.created_by,
        drawn_at=row.drawn_at,
        drawn_by=row.drawn_by,
        cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason,
        applications=int(row.live_applications or 0),
    )


async def find_ballot(conn: AsyncConnection, code: str) -> Ballot | None:
    row = (await conn.execute(_ballot_query().where(ballot.c.code == code))).first()
    return _ballot(row) if row is not None else None


async def get_ballot(conn: AsyncConnection, code: str) -> Ballot:
    found = await find_ballot(conn, code)
    if found is None:
        raise BallotNotFound(f"No ballot with code {code!r}. Check the code on the notice.")
    return found


async def _ballot_by_id(conn: AsyncConnection, ballot_id: int) -> Ballot:
    row = (await conn.execute(_ballot_query().where(ballot.c.id == ballot_id))).one()
    return _ballot(row)


async def list_ballots(conn: AsyncConnection, *, reward_code: str | None = None) -> list[Ballot]:
    """Every ballot, newest first (or a reward's)."""
    query = _ballot_query().order_by(ballot.c.id.desc())
    if reward_code is not None:
        query = query.where(reward.c.code == reward_code)
    return [_ballot(row) for row in await conn.execute(query)]


async def _lock_ballot(conn: AsyncConnection, code: str, *, shared: bool = False) -> Ballot:
    """The ballot, its row locked (shared: against the draw only) for the transaction."""
    found = await conn.scalar(
        select(ballot.c.id).where(ballot.c.code == code).with_for_update(read=shared)
    )
    if found is None:
        raise BallotNotFound(f"No ballot with code {code!r}. Check the code on the notice.")
    return await _ballot_by_id(conn, int(found))


def _application_query() -> Select[Any]:
    person = community.volunteer
    return (
        select(
            ballot_application,
            ballot.c.code.label("ballot_code"),
            person.c.passbook_number,
            person.c.name.label("holder_name"),
            person.c.account_id,
        )
        .join(ballot, ballot.c.id == ballot_application.c.ballot_id)
        .join(person, person.c.id == ballot_application.c.volunteer_id)
    )


def _application(row: Row[Any], *, replayed: bool = False) -> Application:
    return Application(
        id=row.id,
        ballot_id=row.ballot_id,
        ballot_code=row.ballot_code,
        volunteer_id=row.volunteer_id,
        passbook_number=row.passbook_number,
        holder_name=row.holder_name,
        account_id=ledger.AccountId(row.account_id),
        pseudonym=row.pseudonym,
        points=row.points,
        status=ApplicationStatus(row.status),
        hold_id=ledger.HoldId(row.hold_id) if row.hold_id is not None else None,
        voucher_id=row.voucher_id,
        draw_rank=row.draw_rank,
        lottery_key=row.lottery_key,
        score=row.score,
        reason=row.reason,
        actor=row.actor,
        applied_at=row.applied_at,
        offered_at=row.offered_at,
        closed_at=row.closed_at,
        replayed=replayed,
    )


async def _application_by_id(conn: AsyncConnection, application_id: int) -> Application:
    query = _application_query().where(ballot_application.c.id == application_id)
    return _application((await conn.execute(query)).one())


async def applications_of(
    conn: AsyncConnection, ballot_id: int, *, statuses: Sequence[ApplicationStatus] = ()
) -> list[Application]:
    """A ballot's applications: in drawn order once drawn, in order of application before."""
    query = _application_query().where(ballot_application.c.ballot_id == ballot_id)
    if statuses:
        query = query.where(ballot_application.c.status.in_([s.value for s in statuses]))
    query = query.order_by(
        ballot_application.c.draw_rank.is_(None),
        ballot_application.c.draw_rank,
        ballot_application.c.id,
    )
    return [_application(row) for row in await conn.execute(query)]


async def find_application(
    conn: AsyncConnection, ballot_code: str, passbook_number: str
) -> Application:
    found = (
        await conn.execute(
            _application_query().where(
                ballot.c.code == ballot_code,
                community.volunteer.c.passbook_number == passbook_number,
            )
        )
    ).first()
    if found is None:
        raise ApplicationNotFound(
            f"Passbook {passbook_number} has not applied to ballot {ballot_code}."
        )
    return _application(found)


# ---------------------------------------------------------------------------------- opening


async def open_ballot(
    conn: AsyncConnection, spec: BallotSpec, *, actor: str, now: datetime | None = None
) -> tuple[Ballot, bool]:
    """Open a ballot for a reward allocated by ballot: a fresh secret seed and its published
    commitment. Opening the same ballot (code and terms) again returns it; the flag says
    whether it was made now."""
    now = now or utcnow()
    if not community.is_code(spec.code):
        raise InvalidBallot(
            f"Ballot code {spec.code!r} must be 1-40 lower-case letters, digits or dashes."
        )
    reward_ = await get_reward(conn, spec.reward_code)
    opens_at = spec.opens_at or now
    if (existing := await find_ballot(conn, spec.code)) is not None:
        same = (
            existing.reward_id == reward_.id
            and existing.rule is spec.rule
            and existing.places == spec.places
            and existing.closes_at == spec.closes_at
            and existing.claim_days == spec.claim_days
            and (spec.opens_at is None or existing.opens_at == spec.opens_at)
        )
        if not same:
            raise BallotExists(
                f"Ballot {spec.code!r} already exists with other terms; choose another code."
            )
        return existing, False
    _check_terms(spec, reward_, opens_at, now)
    if await conn.scalar(
        select(ballot.c.code).where(
            ballot.c.reward_id == reward_.id, ballot.c.status == BallotStatus.OPEN
        )
    ):
        raise AnotherBallotOpen(
            f"{reward_.name} already has a ballot that has not been drawn; draw or cancel it "
            "before opening another."
        )
    seed = new_seed()
    try:
        ballot_id = await conn.scalar(
            ballot.insert()
            .values(
                code=spec.code,
                reward_id=reward_.id,
                rule=spec.rule,
                places=spec.places,
                opens_at=opens_at,
                closes_at=spec.closes_at,
                draw_by=spec.closes_at + DRAW_WITHIN,
                claim_days=spec.claim_days,
                seed=seed,
                commitment=commitment_of(seed),
                status=BallotStatus.OPEN,
                created_at=now,
                created_by=actor,
            )
            .returning(ballot.c.id)
        )
    except IntegrityError as error:
        name = constraint_name(error, metadata)
        if name == "uq_ballot_code":
            raise ApplicationRace(spec.code) from error  # a retry finds the committed one
        if name == "uq_ballot_one_open_per_reward":
            raise AnotherBallotOpen(
                f"{reward_.name} already has a ballot that has not been drawn."
            ) from error
        raise
    assert ballot_id is not None
    return await _ballot_by_id(conn, int(ballot_id)), True


def _check_terms(spec: BallotSpec, reward_: Reward, opens_at: datetime, now: datetime) -> None:
    if reward_.allocation is not Allocation.BALLOT:
        raise InvalidBallot(
            f"{reward_.name} is redeemed first come first served (allocation 'instant'); only "
            "a reward allocated by ballot can have a ballot."
        )
    if not reward_.active:
        raise InvalidBallot(f"{reward_.name} has been withdrawn from the catalog.")
    if not isinstance(spec.rule, BallotRule):
        raise InvalidBallot("The rule is 'points_rank' or 'weighted_lottery'.")
    if not isinstance(spec.places, int) or isinstance(spec.places, bool) or spec.places < 1:
        raise InvalidBallot(f"A ballot allocates at least one place; got {spec.places!r}.")
    if reward_.stock_total is None:
        raise InvalidBallot(
            f"{reward_.name} has no stock total; set how many places there are (its stock) "
            "before opening a ballot for them."
        )
    left = reward_.stock_left or 0
    if spec.places > left:
        raise InvalidBallot(
            f"{reward_.name} has {left} places left in stock; a ballot cannot allocate "
            f"{spec.places}.",
            stock_left=left,
        )
    if not 1 <= spec.claim_days <= min(MAX_CLAIM_DAYS, reward_.voucher_valid_days):
        raise InvalidBallot(
            f"The claim period is 1 to {min(MAX_CLAIM_DAYS, reward_.voucher_valid_days)} days "
            f"(at most the voucher validity of {reward_.name}); got {spec.claim_days}.",
        )
    if not opens_at < spec.closes_at:
        raise InvalidBallot("Applications must open before they close.")
    if spec.closes_at <= now:
        raise InvalidBallot("The application window must close in the future.")
    if spec.closes_at - opens_at > MAX_WINDOW:
        raise InvalidBallot("An application window lasts at most a year.")


# -------------------------------------------------------------------------------- applying


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
    draw. ``actor`` is who did it (the volunteer, or an admin on their behalf). Replaying
    ``idempotency_key`` returns the application as it stands now."""
    now = now or utcnow()
    if not idempotency_key or len(idempotency_key) > 200:
        raise InvalidBallot("An application needs an idempotency key of 1 to 200 characters.")
    digest = hashlib.sha256(f"apply\x1f{ballot_code}\x1f{passbook_number}".encode()).hexdigest()
    replay = (
        await conn.execute(
            _application_query().where(ballot_application.c.idempotency_key == idempotency_key)
        )
    ).first()
    if replay is not None:
        if replay.request_digest != digest:
            raise ApplicationKeyReused()
        return _application(replay, replayed=True)

    current = await _lock_ballot(conn, ballot_code, shared=True)
    _check_window(current, now)
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
        found = await _application_by_id(conn, earlier.id)
        raise AlreadyApplied(
            f"Passbook {passbook_number} has applied to ballot {ballot_code} already (on "
            f"{local_date(found.applied_at)}); one application per volunteer.",
            pseudonym=found.pseudonym,
        )
    balance = await ledger.get_balance(conn, volunteer.account_id)
    await _check_eligible(conn, current, reward_, volunteer, balance, now)
    if balance.available < reward_.cost_points:
        raise InsufficientPoints(
            volunteer.account_id,
            balance.available,
            reward_.cost_points,
            action=f"Applying to ballot {ballot_code} ({reward_.name})",
        )
    hold = await ledger.place_hold(
        conn,
        account_id=volunteer.account_id,
        amount=reward_.cost_points,
        expires_at=current.draw_by,
        idempotency_key=f"ballot:{current.id}:apply:{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}",
        actor=actor,
        memo=f"摇号申请 {reward_.name} (ballot {ballot_code}: application)",
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
                    pseudonym=pseudonym_of(current.code, volunteer.passbook_number),
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
    return await _application_by_id(conn, int(application_id))


def _check_window(current: Ballot, now: datetime) -> None:
    if current.status is BallotStatus.CANCELLED:
        raise BallotCancelled(f"Ballot {current.code} was cancelled: {current.cancel_reason}.")
    if current.status is BallotStatus.DRAWN:
        raise BallotClosed(f"Ballot {current.code} has been drawn; applications are closed.")
    if now < current.opens_at:
        raise BallotNotOpenYet(
            f"Applications to ballot {current.code} open on {_local(current.opens_at)}.",
            opens_at=current.opens_at.isoformat(),
        )
    if now >= current.closes_at:
        raise BallotClosed(
            f"Applications to ballot {current.code} closed on {_local(current.closes_at)}.",
            closes_at=current.closes_at.isoformat(),
        )


def _local(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


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
                f"Each volunteer may have {reward_.per_volunteer_limit} of {reward_.name}; "
                f"passbook {volunteer.passbook_number} has its share already.",
                limit=reward_.per_volunteer_limit,
                limit_left=0,
            )
    if current.rule is BallotRule.WEIGHTED_LOTTERY and balance.lifetime_earned < 1:
        raise NotEligible(
            f"Ballot {current.code} is a lottery weighted by points earned; passbook "
            f"{volunteer.passbook_number} has earned none yet.",
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
    current = await _lock_ballot(conn, ballot_code, shared=True)
    found = await find_application(conn, ballot_code, passbook_number)
    if found.status is ApplicationStatus.WITHDRAWN:
        return found
    if found.status is not ApplicationStatus.APPLIED:
        raise BallotClosed(f"Ballot {ballot_code} has been drawn; the application stands.")
    _check_window(current, now)
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
    await _release_application_hold(conn, current, found, now, why=f"withdrawn-by:{actor}"[:60])
    return await _application_by_id(conn, found.id)


async def _release_application_hold(
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


# --------------------------------------------------------------------------------- drawing


def _check_drawable(current: Ballot, now: datetime) -> None:
    if current.status is BallotStatus.CANCELLED:
        raise BallotCancelled(f"Ballot {current.code} was cancelled: {current.cancel_reason}.")
    if current.status is BallotStatus.DRAWN:
        assert current.drawn_at is not None
        raise BallotAlreadyDrawn(
            f"Ballot {current.code} was drawn on {_local(current.drawn_at)}; a ballot is drawn "
            "once. Its result is public.",
            drawn_at=current.drawn_at.isoformat(),
        )
    if now < current.closes_at:
        raise BallotStillOpen(
            f"Applications to ballot {current.code} close on {_local(current.closes_at)}; draw "
            "after that.",
            closes_at=current.closes_at.isoformat(),
        )
    if now >= current.draw_by:
        raise BallotPastDrawDeadline(
            f"Ballot {current.code} had to be drawn by {_local(current.draw_by)}, when the "
            "applications' holds ran out; cancel it and open a new one.",
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
            f"{reward_.name} has been withdrawn from the catalog; restore it, or cancel the ballot."
        )
    drawn = await conn.execute(
        update(ballot)
        .where(ballot.c.id == current.id, ballot.c.status == BallotStatus.OPEN)
        .values(status=BallotStatus.DRAWN, drawn_at=now, drawn_by=actor)
    )
    if drawn.rowcount != 1:
        _check_drawable(await get_ballot(conn, ballot_code), now)
        raise BallotAlreadyDrawn(f"Ballot {ballot_code} was drawn meanwhile.")  # pragma: no cover
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
        app = await _application_by_id(conn, by_pseudonym[drawn_one.pseudonym].id)
        if await _offer(conn, current, reward_, app, now=now, actor=actor):
            offered += 1
    waiting = await applications_of(conn, current.id, statuses=[ApplicationStatus.WAITING])
    for app in sorted(waiting, key=lambda a: a.hold_id or 0):
        await _release_application_hold(conn, current, app, now, why="drawn-waiting")
    return await _ballot_by_id(conn, current.id)


async def _offer(
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
        await _release_application_hold(conn, current, app, now, why="skipped")
        await conn.execute(
            update(ballot_application)
            .where(ballot_application.c.id == app.id)
            .values(status=ApplicationStatus.SKIPPED, reason=reason, closed_at=now)
        )
        return False
    claim = await take_stock(conn, reward_, volunteer_id=volunteer.id, quantity=1, now=now)
    # The application hold (if still open) is exchanged for one that lasts the claim period:
    # released and placed again in this transaction, the points never become available.
    await _release_application_hold(conn, current, app, now, why="offered")
    hold = await ledger.place_hold(
        conn,
        account_id=volunteer.account_id,
        amount=reward_.cost_points,
        expires_at=voucher_expiry(now, current.claim_days),
        idempotency_key=f"ballot:{current.id}:offer:{app.id}",
        actor=actor,
        memo=f"摇号中签 {reward_.name} (ballot {current.code}: place offered)",
        now=now,
    )
    issued = await issue_voucher(
        conn,
        reward_=reward_,
        volunteer_id=volunteer.id,
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


# ------------------------------------------------------------------- declining and lapsing


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
    current = await _lock_ballot(conn, ballot_code)
    found = await find_application(conn, ballot_code, passbook_number)
    if found.status is ApplicationStatus.DECLINED:
        return found
    if found.status is not ApplicationStatus.OFFERED:
        raise NoPlaceOffered(
            f"Passbook {passbook_number} holds no place of ballot {ballot_code} to decline "
            f"(its application is {found.status.value})."
        )
    await _settle_offers(conn, current, now=now, actor=actor, declining=found.id)
    return await _application_by_id(conn, found.id)


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


async def _settle_offers(
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
            if await _offer(conn, current, reward_, app, now=now, actor=actor):
                return True
        except SoldOut:
            return False  # the stock was cut meanwhile: the place is gone, not passed on
    return False


# -------------------------------------------------------------------- cancelling, sweeping


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
        raise InvalidBallot("Say why the ballot is cancelled (1 to 200 characters).")
    current = await _lock_ballot(conn, ballot_code)
    if current.status is BallotStatus.CANCELLED:
        return current
    if current.status is BallotStatus.DRAWN:
        raise BallotAlreadyDrawn(
            f"Ballot {ballot_code} has been drawn; a drawn ballot cannot be cancelled (winners "
            "may decline their places instead)."
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
        await _release_application_hold(conn, current, app, now, why="cancelled")
    await conn.execute(
        update(ballot_application)
        .where(
            ballot_application.c.ballot_id == current.id,
            ballot_application.c.status == ApplicationStatus.APPLIED,
        )
        .values(status=ApplicationStatus.CANCELLED, closed_at=now, reason="ballot_cancelled")
    )
    return await _ballot_by_id(conn, current.id)


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
    current = await _lock_ballot(conn, ballot_code)
    if current.status is BallotStatus.OPEN and now >= current.draw_by:
        await cancel_ballot(
            conn,
            ballot_code=ballot_code,
            actor=actor,
            reason=f"not drawn by {_local(current.draw_by)}",
            now=now,
        )
        return BallotSweep(ballots_cancelled=1)
    if current.status is BallotStatus.DRAWN:
        return await _settle_offers(conn, current, now=now, actor=actor)
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
