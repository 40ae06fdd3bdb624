"""Reading ballots and their applications back: the one place that turns their rows into
values.

Invariants protected here: a ballot's seed never leaves this module before the ballot is drawn
(:func:`to_ballot` shows it only once the status is ``drawn``); a ballot's count of
applications leaves out the withdrawn and the cancelled; a ballot's applications come in drawn
order once drawn (by ``draw_rank``), in order of application before; :func:`lock_ballot` is
the one way a use case locks a ballot row, and it takes that lock before any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import ledger
from i18n import _
from rewards._ballot_errors import (
    ApplicationNotFound,
    BallotNotFound,
)
from rewards._ballot_types import (
    Application,
    ApplicationStatus,
    Ballot,
    BallotRule,
    BallotStatus,
)
from rewards._tables import ballot, ballot_application, reward

_LIVE = (ApplicationStatus.WITHDRAWN, ApplicationStatus.CANCELLED)
"""Applications that are no longer in the draw (nor waiting for it)."""


def ballot_query() -> Select[Any]:
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


def to_ballot(row: Row[Any]) -> Ballot:
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
    row = (await conn.execute(ballot_query().where(ballot.c.code == code))).first()
    return to_ballot(row) if row is not None else None


async def get_ballot(conn: AsyncConnection, code: str) -> Ballot:
    found = await find_ballot(conn, code)
    if found is None:
        raise BallotNotFound(
            _("No ballot with code {code!r}. Check the code on the notice.", code=code)
        )
    return found


async def ballot_by_id(conn: AsyncConnection, ballot_id: int) -> Ballot:
    row = (await conn.execute(ballot_query().where(ballot.c.id == ballot_id))).one()
    return to_ballot(row)


async def list_ballots(conn: AsyncConnection, *, reward_code: str | None = None) -> list[Ballot]:
    """Every ballot, newest first (or a reward's)."""
    query = ballot_query().order_by(ballot.c.id.desc())
    if reward_code is not None:
        query = query.where(reward.c.code == reward_code)
    return [to_ballot(row) for row in await conn.execute(query)]


async def lock_ballot(conn: AsyncConnection, code: str, *, shared: bool = False) -> Ballot:
    """The ballot, its row locked (shared: against the draw only) for the transaction."""
    found = await conn.scalar(
        select(ballot.c.id).where(ballot.c.code == code).with_for_update(read=shared)
    )
    if found is None:
        raise BallotNotFound(
            _("No ballot with code {code!r}. Check the code on the notice.", code=code)
        )
    return await ballot_by_id(conn, int(found))


def application_query() -> Select[Any]:
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


def to_application(row: Row[Any], *, replayed: bool = False) -> Application:
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


async def application_by_id(conn: AsyncConnection, application_id: int) -> Application:
    query = application_query().where(ballot_application.c.id == application_id)
    return to_application((await conn.execute(query)).one())


async def applications_of(
    conn: AsyncConnection, ballot_id: int, *, statuses: Sequence[ApplicationStatus] = ()
) -> list[Application]:
    """A ballot's applications: in drawn order once drawn, in order of application before."""
    query = application_query().where(ballot_application.c.ballot_id == ballot_id)
    if statuses:
        query = query.where(ballot_application.c.status.in_([s.value for s in statuses]))
    query = query.order_by(
        ballot_application.c.draw_rank.is_(None),
        ballot_application.c.draw_rank,
        ballot_application.c.id,
    )
    return [to_application(row) for row in await conn.execute(query)]


async def find_application(
    conn: AsyncConnection, ballot_code: str, passbook_number: str
) -> Application:
    found = (
        await conn.execute(
            application_query().where(
                ballot.c.code == ballot_code,
                community.volunteer.c.passbook_number == passbook_number,
            )
        )
    ).first()
    if found is None:
        raise ApplicationNotFound(
            _(
                "Passbook {passbook_number} has not applied to ballot {ballot_code}.",
                passbook_number=passbook_number,
                ballot_code=ballot_code,
            )
        )
    return to_application(found)
