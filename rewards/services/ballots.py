"""Use cases of ballots for scarce rewards: open, apply, withdraw, draw, decline, pass places
on, cancel, and the public record that lets anyone check a draw.

Who may do what: admins open, draw, process and cancel the ballots of rewards in their own org
unit, and see the applications (with names) of the passbooks they may act for; a volunteer
applies, withdraws and declines for their own passbook, an admin on behalf of a passbook in
their unit; anyone signed in lists and reads ballots (public facts, never a seed before the
draw); the public record needs no one at all, and names no one: pseudonyms only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import rewards
from access import Principal, Role
from i18n import Message, _
from rewards import ApplicationStatus
from rewards.services._rules import require_admin_of
from scheme_time import utcnow

__all__ = [
    "ApplicationView",
    "BallotRecord",
    "DrawResult",
    "Pass",
    "PublicApplicant",
    "apply_to_ballot",
    "cancel_ballot",
    "decline_place",
    "draw_ballot",
    "list_applications",
    "list_ballots",
    "open_ballot",
    "process_ballot",
    "public_ballot",
    "see_application",
    "see_ballot",
    "withdraw_application",
]

_PASSES = (ApplicationStatus.DECLINED, ApplicationStatus.LAPSED, ApplicationStatus.SKIPPED)
_WINNERS = (ApplicationStatus.OFFERED, ApplicationStatus.CLAIMED)


@dataclass(frozen=True, slots=True)
class ApplicationView:
    """An application with the voucher of its place (while offered or once claimed), the
    voucher's state as of ``as_of``."""

    application: rewards.Application
    voucher: rewards.Voucher | None
    as_of: datetime


@dataclass(frozen=True, slots=True)
class PublicApplicant:
    """An application as the public record shows it: a pseudonym, never a name or number."""

    pseudonym: str
    points: int
    rank: int | None
    lottery_key: str | None
    score: str | None
    status: ApplicationStatus


@dataclass(frozen=True, slots=True)
class Pass:
    """A place given up (declined, lapsed) or an applicant skipped when its turn came."""

    pseudonym: str
    outcome: ApplicationStatus
    reason: str | None
    at: datetime | None


@dataclass(frozen=True, slots=True)
class DrawResult:
    winners: list[str]
    """Pseudonyms holding (offered) or having taken (claimed) a place."""
    waiting: list[str]
    """Next in line, in drawn order."""
    passes: list[Pass]
    """Oldest first."""


@dataclass(frozen=True, slots=True)
class BallotRecord:
    """What anyone may check about a ballot: its terms and commitment, the seed once drawn,
    the applicants (by pseudonym, in drawn order once drawn), and the result."""

    ballot: rewards.Ballot
    applicants: list[PublicApplicant]
    result: DrawResult | None
    """None before the draw."""


def _outside(principal: Principal, what: Message, path: str) -> Message:
    return _(
        "{what} is for {path}, outside this admin token's scope ({scope}).",
        what=what,
        path=path,
        scope=principal.scope,
    )


async def _administered(conn: AsyncConnection, principal: Principal, code: str) -> rewards.Ballot:
    """The ballot ``code``, if ``principal`` is an admin of its reward's org unit."""
    access.require_role(principal, Role.ADMIN)
    found = await rewards.get_ballot(conn, code)
    path = found.org_unit_path
    require_admin_of(
        principal, path, _outside(principal, _("Ballot {code}", code=found.code), path)
    )
    return found


async def _view(
    conn: AsyncConnection, found: rewards.Application, now: datetime
) -> ApplicationView:
    voucher = (
        await rewards.get_voucher(conn, found.voucher_id) if found.voucher_id is not None else None
    )
    return ApplicationView(found, voucher, now)


async def _own_application(
    conn: AsyncConnection, principal: Principal, code: str, number: str
) -> rewards.Application:
    await rewards.get_ballot(conn, code)
    passbook = await access.passbook_acted_for(conn, principal, number)
    return await rewards.find_application(conn, code, passbook.number)


async def open_ballot(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    reward_code: str,
    rule: rewards.BallotRule,
    places: int,
    closes_at: datetime,
    claim_days: int,
    opens_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[rewards.Ballot, bool]:
    """Open a ballot for a reward allocated by ballot: a secret seed drawn and its commitment
    published. Admins of the reward's org unit only. Opening the same ballot (code and terms)
    again returns it; the flag says whether it was opened now."""
    access.require_role(principal, Role.ADMIN)
    reward = await rewards.get_reward(conn, reward_code)
    path = reward.org_unit_path
    require_admin_of(
        principal, path, _outside(principal, _("Reward {code}", code=reward.code), path)
    )
    spec = rewards.BallotSpec(
        code=code,
        reward_code=reward_code,
        rule=rule,
        places=places,
        opens_at=opens_at,
        closes_at=closes_at,
        claim_days=claim_days,
    )
    return await rewards.open_ballot(conn, spec, actor=principal.actor, now=now)


async def list_ballots(
    conn: AsyncConnection, principal: Principal, *, reward_code: str | None = None
) -> list[rewards.Ballot]:
    """Every ballot (or a reward's), newest first. Anyone signed in: public facts only."""
    return await rewards.list_ballots(conn, reward_code=reward_code)


async def see_ballot(conn: AsyncConnection, principal: Principal, *, code: str) -> rewards.Ballot:
    """One ballot. Anyone signed in: public facts only."""
    return await rewards.get_ballot(conn, code)


async def apply_to_ballot(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    idempotency_key: str,
    passbook: str | None = None,
    now: datetime | None = None,
) -> ApplicationView:
    """Apply ``passbook`` (a volunteer's own by default) for a place: eligibility checked, the
    cost held until the draw. The holder or an admin acting for them; a replayed
    ``idempotency_key`` answers the application as it stands now."""
    now = now or utcnow()
    await rewards.get_ballot(conn, code)
    acting_for = await access.passbook_acted_for(conn, principal, passbook)
    found = await rewards.apply_to_ballot(
        conn,
        ballot_code=code,
        passbook_number=acting_for.number,
        idempotency_key=idempotency_key,
        actor=principal.actor,
        now=now,
    )
    return await _view(conn, found, now)


async def list_applications(
    conn: AsyncConnection, principal: Principal, *, code: str, now: datetime | None = None
) -> list[ApplicationView]:
    """Every application of a ballot, with names, in drawn order once drawn: admins of its
    org unit only, and only the passbooks they may act for."""
    now = now or utcnow()
    found = await _administered(conn, principal, code)
    shown = []
    for application in await rewards.applications_of(conn, found.id):
        passbook = await access.find_passbook(conn, application.passbook_number)
        if access.may_act_for(principal, passbook):
            shown.append(await _view(conn, application, now))
    return shown


async def see_application(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    passbook: str,
    now: datetime | None = None,
) -> ApplicationView:
    """A passbook's application: its holder, or an admin acting for them."""
    now = now or utcnow()
    return await _view(conn, await _own_application(conn, principal, code, passbook), now)


async def withdraw_application(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    passbook: str,
    now: datetime | None = None,
) -> ApplicationView:
    """Withdraw before the window closes: the hold is released. The holder, or an admin
    acting for them; refused once drawn."""
    now = now or utcnow()
    found = await _own_application(conn, principal, code, passbook)
    done = await rewards.withdraw_application(
        conn,
        ballot_code=code,
        passbook_number=found.passbook_number,
        actor=principal.actor,
        now=now,
    )
    return await _view(conn, done, now)


async def decline_place(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    passbook: str,
    now: datetime | None = None,
) -> ApplicationView:
    """A winner gives up the place: its voucher is cancelled and the place goes to the next
    in drawn order. The holder, or an admin acting for them; refused without a place."""
    now = now or utcnow()
    found = await _own_application(conn, principal, code, passbook)
    done = await rewards.decline_place(
        conn,
        ballot_code=code,
        passbook_number=found.passbook_number,
        actor=principal.actor,
        now=now,
    )
    return await _view(conn, done, now)


async def draw_ballot(
    conn: AsyncConnection, principal: Principal, *, code: str, now: datetime | None = None
) -> BallotRecord:
    """Draw, once, after the window closes: the seed revealed, the places offered in drawn
    order. Admins of the ballot's org unit only."""
    await _administered(conn, principal, code)
    await rewards.draw_ballot(conn, ballot_code=code, actor=principal.actor, now=now)
    return await public_ballot(conn, code=code)


async def process_ballot(
    conn: AsyncConnection, principal: Principal, *, code: str, now: datetime | None = None
) -> BallotRecord:
    """Pass on now the places not claimed in time (the expiry sweep does it too), or cancel a
    ballot not drawn in time. Admins of the ballot's org unit only."""
    await _administered(conn, principal, code)
    await rewards.process_ballot(conn, code, now=now, actor=principal.actor)
    return await public_ballot(conn, code=code)


async def cancel_ballot(
    conn: AsyncConnection,
    principal: Principal,
    *,
    code: str,
    reason: str,
    now: datetime | None = None,
) -> rewards.Ballot:
    """Cancel a ballot before its draw, saying why: every hold is released. Admins of the
    ballot's org unit only; a drawn ballot cannot be cancelled."""
    await _administered(conn, principal, code)
    return await rewards.cancel_ballot(
        conn, ballot_code=code, actor=principal.actor, reason=reason, now=now
    )


async def public_ballot(conn: AsyncConnection, *, code: str) -> BallotRecord:
    """The public record of a ballot, from which anyone can recompute the draw. Needs no
    principal: anyone may check it, and it carries pseudonyms only."""
    found = await rewards.get_ballot(conn, code)
    listed = [
        a
        for a in await rewards.applications_of(conn, found.id)
        if a.status is not ApplicationStatus.WITHDRAWN
    ]
    drawn = found.status is rewards.BallotStatus.DRAWN
    result = None
    if drawn:
        passes = sorted(
            (a for a in listed if a.status in _PASSES),
            key=lambda a: (a.closed_at or found.created_at, a.draw_rank or 0),
        )
        result = DrawResult(
            winners=[a.pseudonym for a in listed if a.status in _WINNERS],
            waiting=[a.pseudonym for a in listed if a.status is ApplicationStatus.WAITING],
            passes=[Pass(a.pseudonym, a.status, a.reason, a.closed_at) for a in passes],
        )
    else:
        listed.sort(key=lambda a: a.pseudonym)
    applicants = [
        PublicApplicant(a.pseudonym, a.points, a.draw_rank, a.lottery_key, a.score, a.status)
        for a in listed
    ]
    return BallotRecord(found, applicants, result)
