"""Use cases of taking points back from a posted sheet, with four eyes: propose reversing it
whole or correcting one line, confirm, decline, withdraw, read.

Invariants protected here, on top of what the domain checks (:mod:`council._takebacks`):

* only a council member serving in the sheet's grid, or an admin whose unit holds the grid,
  proposes, confirms, declines or withdraws; the domain compares people
  (:attr:`access.Principal.person`), so the proposer never confirms their own proposal;
* a proposal moves no points; only a confirmation does;
* take-backs are read by whoever reads the sheet (admins, council members, auditors of a unit
  holding its grid).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import council
import db
from access import Principal, Role
from council.services.sheets import read_sheet

TAKERS = (Role.COUNCIL, Role.ADMIN)


async def _taker(conn: AsyncConnection, principal: Principal, sheet_id: int) -> int | None:
    """The council member acting (the domain checks their grid), or None for an admin whose
    scope covers the sheet."""
    access.require_role(principal, *TAKERS)
    if principal.role is Role.COUNCIL:
        return access.require_council_member(principal)
    await read_sheet(conn, principal, sheet_id=sheet_id)
    return None


async def _deciding(conn: AsyncConnection, principal: Principal, takeback_id: int) -> int | None:
    access.require_role(principal, *TAKERS)
    takeback = await council.get_takeback(conn, takeback_id)
    return await _taker(conn, principal, takeback.sheet_id)


async def propose_reversal(
    conn: AsyncConnection,
    principal: Principal,
    *,
    sheet_id: int,
    reason: str,
    now: datetime | None = None,
) -> council.Takeback:
    """Propose reversing a posted sheet whole (its bonuses too), with a reason; another person
    must confirm it before any points move.

    A council member of the sheet's grid may, or an admin of a unit holding it
    (:class:`access.Forbidden`, :class:`council.NotYourGrid`); a sheet not approved, already
    reversed or with a corrected line is :class:`council.SheetStateConflict`; an open
    proposal for it (or one of its lines) is :class:`council.TakebackConflict`. The same
    person proposing the same again gets the open proposal back (``replayed``)."""
    member_id = await _taker(conn, principal, sheet_id)
    return await council.propose_takeback(
        conn, sheet_id=sheet_id, line_no=None, reason=reason, person=principal.person,
        actor=principal.actor, member_id=member_id, now=now,
    )  # fmt: skip


async def propose_correction(
    conn: AsyncConnection,
    principal: Principal,
    *,
    sheet_id: int,
    line: int,
    reason: str,
    now: datetime | None = None,
) -> council.Takeback:
    """Propose taking back the points of line ``line`` of a posted sheet, with a reason;
    another person must confirm it before any points move.

    Who may, and the refusals: as :func:`propose_reversal`; an unknown line is
    :class:`council.SheetNotFound`, a line corrected already
    :class:`council.SheetStateConflict`."""
    member_id = await _taker(conn, principal, sheet_id)
    return await council.propose_takeback(
        conn, sheet_id=sheet_id, line_no=line, reason=reason, person=principal.person,
        actor=principal.actor, member_id=member_id, now=now,
    )  # fmt: skip


async def confirm_takeback(
    conn: AsyncConnection,
    principal: Principal,
    *,
    takeback_id: int,
    now: datetime | None = None,
) -> council.Takeback:
    """Confirm someone else's proposal: the reversal or correction posts now.

    A council member of the sheet's grid or an admin over it, other than the proposer
    (:class:`council.FourEyes`); a decided proposal is :class:`council.TakebackConflict`;
    taking a passbook below zero is :class:`council.CorrectionRefused` (nothing moves, the
    proposal stays open). The same person confirming again gets it back (``replayed``)."""
    member_id = await _deciding(conn, principal, takeback_id)
    return await council.confirm_takeback(
        conn, takeback_id=takeback_id, person=principal.person, actor=principal.actor,
        member_id=member_id, now=now,
    )  # fmt: skip


async def decline_takeback(
    conn: AsyncConnection,
    principal: Principal,
    *,
    takeback_id: int,
    reason: str,
    now: datetime | None = None,
) -> council.Takeback:
    """Decline someone else's proposal, saying why (1 to 500 characters); nothing moves.

    Who may: as :func:`confirm_takeback` (the proposer withdraws instead:
    :class:`council.FourEyes`)."""
    member_id = await _deciding(conn, principal, takeback_id)
    return await council.decline_takeback(
        conn, takeback_id=takeback_id, reason=reason, person=principal.person,
        actor=principal.actor, member_id=member_id, now=now,
    )  # fmt: skip


async def withdraw_takeback(
    conn: AsyncConnection,
    principal: Principal,
    *,
    takeback_id: int,
    now: datetime | None = None,
) -> council.Takeback:
    """The proposer withdraws their open proposal; nothing moves.

    Only its proposer may (:class:`council.FourEyes`), still in scope of the sheet."""
    member_id = await _deciding(conn, principal, takeback_id)
    return await council.withdraw_takeback(
        conn, takeback_id=takeback_id, person=principal.person, actor=principal.actor,
        member_id=member_id, now=now,
    )  # fmt: skip


async def read_takeback(
    conn: AsyncConnection, principal: Principal, *, takeback_id: int
) -> council.Takeback:
    """One take-back and what became of it.

    Whoever reads its sheet may (:class:`access.Forbidden`); an unknown one is
    :class:`council.TakebackNotFound`."""
    access.require_role(principal, Role.ADMIN, Role.COUNCIL, Role.AUDITOR)
    takeback = await council.get_takeback(conn, takeback_id)
    await read_sheet(conn, principal, sheet_id=takeback.sheet_id)
    return takeback


async def list_takebacks(
    conn: AsyncConnection, principal: Principal, *, sheet_id: int
) -> list[council.Takeback]:
    """Every take-back proposed for a sheet, oldest first, open or decided.

    Whoever reads the sheet may (:class:`access.Forbidden`, :class:`council.SheetNotFound`)."""
    await read_sheet(conn, principal, sheet_id=sheet_id)
    return await council.list_takebacks(conn, sheet_id)


async def takebacks_to_decide(
    conn: AsyncConnection,
    principal: Principal,
    *,
    open_only: bool = True,
    before: int | None = None,
    limit: int = 50,
) -> db.Page[council.Takeback]:
    """The take-backs of the sheets in the caller's unit, newest first, a page at a time:
    by default only those still waiting for a second person (the list a council member or
    staff works through); with ``open_only`` False, decided ones too.

    An admin, council member or auditor may list them (:class:`access.Forbidden` otherwise)."""
    access.require_role(principal, Role.ADMIN, Role.COUNCIL, Role.AUDITOR)
    found = await council.takebacks_under(
        conn,
        scope=principal.scope,
        status="proposed" if open_only else None,
        before_id=before,
        limit=db.fetch_size(limit),
    )
    return db.page_of(found, limit, lambda takeback: takeback.id)
