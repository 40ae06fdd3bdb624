"""Ballots for the subject's passbook: what is open to apply to, what they applied to, the
results; one ballot with its terms, applying and withdrawing (each after a confirmation
step), the result, and the public draw with how anyone can recompute it.

Invariants: every figure and every act is a use case of :mod:`rewards.services` (the ones
``api/routes/ballots.py`` calls), for the passbook :func:`pages.subject.subject_number`
names, so the same scope checks apply (an admin's forged acting-for cookie is refused there);
the apply form carries a key made when the confirmation page was drawn, sent as the
application's idempotency key, so a form sent twice applies once; a GET never applies or
withdraws. Nothing here decides who may apply: an offer's reasons are the catalogue's own.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlalchemy.ext.asyncio import AsyncConnection

import access
import community
import db
import rewards
from access import Principal
from api.problems import status_of
from api.routes.ballots import PUBLIC_PATH
from i18n import Message, _
from pages.routes._subject import Subject
from rewards import ApplicationStatus, BallotStatus
from rewards import services as exchange
from scheme_time import utcnow

STATUS_WORDS: dict[str, Message] = {
    "applied": _("Applied: waiting for the draw"),
    "withdrawn": _("Withdrawn"),
    "cancelled": _("The ballot was cancelled"),
    "waiting": _("Not drawn for a place yet: waiting in line"),
    "offered": _("Won a place: use the voucher at the merchant"),
    "claimed": _("Won a place, and it was taken up"),
    "declined": _("Won a place and gave it up"),
    "lapsed": _("Won a place, but it was not taken up in time"),
    "skipped": _("Its turn came, but it could not take the place"),
}
RULE_WORDS: dict[str, Message] = {
    "points_rank": _(
        "Points rank: applicants with more points earned in all come first; a tie goes to "
        "the smaller random key."
    ),
    "weighted_lottery": _(
        "Weighted lottery: a draw in which each applicant's chance is in proportion to the "
        "points they have earned in all."
    ),
}
BALLOT_STATUS_WORDS: dict[str, Message] = {
    "open": _("Open"),
    "drawn": _("Drawn"),
    "cancelled": _("Cancelled"),
}
_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_AFTER_DRAW = {
    ApplicationStatus.WAITING,
    ApplicationStatus.OFFERED,
    ApplicationStatus.CLAIMED,
    ApplicationStatus.DECLINED,
    ApplicationStatus.LAPSED,
    ApplicationStatus.SKIPPED,
}


@dataclass
class ApplyForm:
    form_key: str = ""


Form = Annotated[ApplyForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


@dataclass(frozen=True, slots=True)
class BallotLine:
    """A ballot as the subject sees it: their application (if any) and, while it takes
    applications, why they could not apply (the catalogue's reasons, ballot aside)."""

    ballot: rewards.Ballot
    application: exchange.ApplicationView | None
    offer: rewards.Offer | None
    accepting: bool

    @property
    def applied(self) -> bool:
        a = self.application
        return a is not None and a.application.status is not ApplicationStatus.WITHDRAWN

    @property
    def reasons(self) -> list[rewards.Reason]:
        if self.offer is None:
            return []
        return [r for r in self.offer.reasons if r.code != "allocated_by_ballot"]

    @property
    def cost(self) -> int | None:
        return None if self.offer is None else self.offer.reward.cost_points


async def _application(
    conn: AsyncConnection, principal: Principal, code: str, number: str
) -> exchange.ApplicationView | None:
    try:
        return await exchange.see_application(conn, principal, code=code, passbook=number)
    except rewards.ApplicationNotFound:
        return None


async def _line(
    conn: AsyncConnection, principal: Principal, found: rewards.Ballot, number: str
) -> BallotLine:
    now = utcnow()
    application = await _application(conn, principal, found.code, number)
    catalog = await exchange.see_reward(
        conn, principal, code=found.reward_code, passbook=number, now=now
    )
    offer = catalog.offers[0] if catalog.offers else None
    return BallotLine(found, application, offer, found.accepts_applications(now))


@dataclass(frozen=True, slots=True)
class BallotsPage:
    passbook: community.Passbook
    lines: list[BallotLine]

    @property
    def open_to_apply(self) -> list[BallotLine]:
        return [
            line
            for line in self.lines
            if line.ballot.status is BallotStatus.OPEN
            and not line.applied
            and line.ballot.closes_at > utcnow()
        ]

    @property
    def applied(self) -> list[BallotLine]:
        return [
            line for line in self.lines if line.applied and line.ballot.status is BallotStatus.OPEN
        ]

    @property
    def results(self) -> list[BallotLine]:
        return [
            line
            for line in self.lines
            if line.applied and line.ballot.status is not BallotStatus.OPEN
        ]


async def ballots_of(conn: AsyncConnection, principal: Principal, *, number: str) -> BallotsPage:
    """Every ballot of the subject's unit (the org unit its reward is for holds their grid),
    with their application and the offer's reasons, in one snapshot."""
    passbook = await access.passbook_acted_for(conn, principal, number)
    lines = []
    for found in await exchange.list_ballots(conn, principal):
        mine = community.within(passbook.grid_path, found.org_unit_path)
        if mine or await _application(conn, principal, found.code, number) is not None:
            lines.append(await _line(conn, principal, found, number))
    return BallotsPage(passbook, lines)


@dataclass(frozen=True, slots=True)
class BallotPage:
    passbook: community.Passbook
    line: BallotLine
    record: exchange.BallotRecord

    @property
    def drawn(self) -> bool:
        return self.line.ballot.status is BallotStatus.DRAWN

    @property
    def ticket(self) -> str | None:
        a = self.line.application
        return None if a is None else a.application.pseudonym


async def ballot_of(
    conn: AsyncConnection, principal: Principal, *, code: str, number: str
) -> BallotPage:
    passbook = await access.passbook_acted_for(conn, principal, number)
    found = await exchange.see_ballot(conn, principal, code=code)
    line = await _line(conn, principal, found, number)
    record = await exchange.public_ballot(conn, code=code)
    return BallotPage(passbook, line, record)


def _words() -> dict[str, Any]:
    return {
        "status_words": STATUS_WORDS,
        "rule_words": RULE_WORDS,
        "ballot_status_words": BALLOT_STATUS_WORDS,
        "public_path": PUBLIC_PATH,
    }


@get("/ballots", include_in_schema=False)
async def ballots(subject: NamedDependency[Subject]) -> Template:
    found = await subject.read(ballots_of)
    return subject.page("ballots.html", None, view=found, **_words())


_DONE: dict[str, Message] = {
    "applied": _(
        "You have applied. The points are held until the draw; your ticket is shown below."
    ),
    "withdrawn": _("The application is withdrawn and the held points are free again."),
}


async def _ballot_page(
    subject: Subject, code: str, template: str, *, status_code: int = 200, **context: Any
) -> Template:
    found = await subject.read(ballot_of, code=code)
    done = _DONE.get(subject.request.query_params.get("done") or "")
    return subject.page(
        template,
        None,
        status_code=status_code,
        view=found,
        done=done,
        **_words(),
        **context,
    )


@get("/ballots/{code:str}", include_in_schema=False)
async def ballot(code: FromPath[str], subject: NamedDependency[Subject]) -> Template:
    return await _ballot_page(subject, code, "ballot.html")


@get("/ballots/{code:str}/apply", include_in_schema=False)
async def confirm_apply(code: FromPath[str], subject: NamedDependency[Subject]) -> Template:
    return await _ballot_page(
        subject, code, "ballot_apply.html", form_key=secrets.token_urlsafe(18), refusal=None
    )


@post("/ballots/{code:str}/apply", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def apply(
    code: FromPath[str], data: Form, subject: NamedDependency[Subject]
) -> Template | Redirect:
    key = data.form_key if _FORM_KEY.fullmatch(data.form_key) else secrets.token_urlsafe(18)
    try:
        await subject.tx.write(
            exchange.apply_to_ballot,
            subject.principal,
            code=code,
            passbook=subject.number,
            idempotency_key=f"page:{subject.principal.key_namespace()}:{key}",
            now=utcnow(),
        )
    except db.DomainError as refused:
        status, _title = status_of(refused)
        return await _ballot_page(
            subject,
            code,
            "ballot_apply.html",
            status_code=status,
            form_key=secrets.token_urlsafe(18),
            refusal=refused.message,
        )
    return Redirect(f"/ballots/{code}?done=applied", status_code=HTTP_303_SEE_OTHER)


@get("/ballots/{code:str}/withdraw", include_in_schema=False)
async def confirm_withdraw(code: FromPath[str], subject: NamedDependency[Subject]) -> Template:
    return await _ballot_page(subject, code, "ballot_withdraw.html", refusal=None)


@post("/ballots/{code:str}/withdraw", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def withdraw(code: FromPath[str], subject: NamedDependency[Subject]) -> Template | Redirect:
    try:
        await subject.tx.write(
            exchange.withdraw_application,
            subject.principal,
            code=code,
            passbook=subject.number,
            now=utcnow(),
        )
    except db.DomainError as refused:
        status, _title = status_of(refused)
        return await _ballot_page(
            subject,
            code,
            "ballot_withdraw.html",
            status_code=status,
            refusal=refused.message,
        )
    return Redirect(f"/ballots/{code}?done=withdrawn", status_code=HTTP_303_SEE_OTHER)


ROUTES: list[Any] = [ballots, ballot, confirm_apply, apply, confirm_withdraw, withdraw]
