"""Use cases of the scoring sheets: draft, submit, approve, reject, reverse, correct, read.

Invariants protected here, on top of what the domain checks (four eyes, the daily cap, the
grid budget, a member acting only in their own grid):

* only a council member drafts, submits and decides on sheets, and the books record who did
  it (:attr:`access.Principal.actor`: a token's holder, or ``cli:<member code>``);
* a council member corrects or reverses only their own grid's sheets (the domain checks it);
  community staff (an admin) only the sheets of grids inside their own unit;
* sheets are read only by admins, council members and auditors of a unit holding the sheet's
  grid; a refusal names nothing the caller did not send but the sheet's grid code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

import access
import council
import db
from access import Principal, Role

READERS = (Role.ADMIN, Role.COUNCIL, Role.AUDITOR)
CORRECTORS = (Role.COUNCIL, Role.ADMIN)


async def draft_sheet(
    conn: AsyncConnection,
    principal: Principal,
    *,
    rule: str,
    activity_date: date,
    lines: Sequence[council.LineIn],
    place: str = "",
    note: str = "",
    community_wide: bool = False,
    submit: bool = False,
    max_age_days: int,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> council.Sheet:
    """Draft a sheet for one activity in the council member's grid, under the savings rule
    ``rule`` in force on ``activity_date`` (and with ``submit``, submit it at once).

    Only a council member may (:class:`access.Forbidden` otherwise). Every line is checked and
    all the problems are refused at once (:class:`council.InvalidSheet`, its ``problems``
    figure lists them by line); a day over a volunteer's daily cap is
    :class:`council.DailyCapExceeded`. With an ``idempotency_key`` the same draft again answers
    the first sheet as it now is (``replayed``: a sheet submitted or decided since is not
    submitted again); the key with another draft is :class:`council.DraftKeyConflict`."""
    member_id = access.require_council_member(principal)
    sheet = await council.draft_sheet(
        conn,
        member_id=member_id,
        rule_code=rule,
        activity_date=activity_date,
        place=place,
        note=note,
        community_wide=community_wide,
        lines=lines,
        actor=principal.actor,
        max_age_days=max_age_days,
        idempotency_key=idempotency_key,
        now=now,
    )
    if submit and sheet.status == council.SheetStatus.DRAFT:
        submitted = await council.submit_sheet(
            conn, sheet_id=sheet.id, member_id=member_id, now=now
        )
        sheet = dataclasses.replace(submitted, replayed=sheet.replayed)
    return sheet


async def submit_sheet(
    conn: AsyncConnection, principal: Principal, *, sheet_id: int, now: datetime | None = None
) -> council.Sheet:
    """The author submits their draft for a colleague's approval (a repeat changes nothing).

    Only the sheet's author may (:class:`council.FourEyes`), a council member serving in the
    sheet's grid (:class:`council.NotYourGrid`); only a draft is submitted
    (:class:`council.SheetStateConflict`)."""
    member_id = access.require_council_member(principal)
    return await council.submit_sheet(conn, sheet_id=sheet_id, member_id=member_id, now=now)


async def approve_sheet(
    conn: AsyncConnection, principal: Principal, *, sheet_id: int, now: datetime | None = None
) -> council.Sheet:
    """Approve a colleague's submitted sheet: its points post to the passbooks as one entry,
    the love-incentive bonuses it earns as their own entries.

    Four eyes: only another serving council member of the sheet's grid may, one who has no
    line on it (:class:`council.FourEyes`, :class:`council.NotYourGrid`); the daily cap and
    the grid's monthly budget still hold (:class:`council.DailyCapExceeded`,
    :class:`council.BudgetExceeded`). The same member approving again gets the sheet back
    (``replayed``)."""
    member_id = access.require_council_member(principal)
    return await council.approve_sheet(
        conn, sheet_id=sheet_id, member_id=member_id, actor=principal.actor, now=now
    )


async def reject_sheet(
    conn: AsyncConnection,
    principal: Principal,
    *,
    sheet_id: int,
    reason: str,
    now: datetime | None = None,
) -> council.Sheet:
    """Send a colleague's submitted sheet back, saying why (1 to 500 characters).

    Only another serving council member of the sheet's grid may (:class:`council.FourEyes`,
    :class:`council.NotYourGrid`), and only a submitted sheet
    (:class:`council.SheetStateConflict`)."""
    member_id = access.require_council_member(principal)
    return await council.reject_sheet(
        conn,
        sheet_id=sheet_id,
        member_id=member_id,
        reason=reason,
        actor=principal.actor,
        now=now,
    )


async def reverse_sheet(
    conn: AsyncConnection,
    principal: Principal,
    *,
    sheet_id: int,
    reason: str,
    now: datetime | None = None,
) -> council.Sheet:
    """Reverse a posted sheet whole, its bonuses too, with a reason.

    A council member of the sheet's grid may, or an admin of a unit holding it
    (:class:`access.Forbidden`); a sheet with a corrected line, or one already reversed, is
    :class:`council.SheetStateConflict`; taking a passbook below zero is
    :class:`council.CorrectionRefused`."""
    member_id = await _corrector(conn, principal, sheet_id)
    return await council.reverse_sheet(
        conn,
        sheet_id=sheet_id,
        reason=reason,
        actor=principal.actor,
        member_id=member_id,
        now=now,
    )


async def correct_line(
    conn: AsyncConnection,
    principal: Principal,
    *,
    sheet_id: int,
    line: int,
    reason: str,
    now: datetime | None = None,
) -> council.Sheet:
    """Take back the points of line ``line`` of a posted sheet, with a reason (once a line).

    Who may: as :func:`reverse_sheet`. An unknown line is :class:`council.SheetNotFound`; a
    line corrected already is :class:`council.SheetStateConflict`; taking a passbook below
    zero is :class:`council.CorrectionRefused`."""
    member_id = await _corrector(conn, principal, sheet_id)
    return await council.correct_line(
        conn,
        sheet_id=sheet_id,
        line_no=line,
        reason=reason,
        actor=principal.actor,
        member_id=member_id,
        now=now,
    )


async def read_sheet(
    conn: AsyncConnection, principal: Principal, *, sheet_id: int
) -> council.Sheet:
    """The sheet with its lines and bonuses.

    An admin, council member or auditor of a unit holding the sheet's grid may read it
    (:class:`access.Forbidden` otherwise); an unknown sheet is :class:`council.SheetNotFound`."""
    access.require_role(principal, *READERS)
    sheet = await council.get_sheet(conn, sheet_id)
    if not access.org_unit_in_scope_of(principal, sheet.grid_path):
        raise access.Forbidden(
            f"Sheet {sheet_id} belongs to grid {sheet.grid_code}, outside this token's scope."
        )
    return sheet


async def list_sheets(
    conn: AsyncConnection,
    principal: Principal,
    *,
    status: council.SheetStatus | None = None,
    since: date | None = None,
    until: date | None = None,
    grid: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> db.Page[council.SheetSummary]:
    """A page of the sheets of the grids in the caller's unit (or in ``grid``, which must lie
    inside it), newest first, older than the sheet ``before``; ``earlier`` is set only when
    an older sheet exists.

    An admin, council member or auditor may list them (:class:`access.Forbidden` otherwise, or
    for a ``grid`` outside their unit)."""
    access.require_role(principal, *READERS)
    scope = principal.scope
    if grid is not None:
        scope = (await access.org_unit_in_scope(conn, principal, grid)).path
    rows = await council.list_sheets(
        conn,
        scope=scope,
        status=status,
        since=since,
        until=until,
        before_id=before,
        limit=db.fetch_size(limit),
    )
    return db.page_of(rows, limit, lambda row: row.id)


async def _corrector(conn: AsyncConnection, principal: Principal, sheet_id: int) -> int | None:
    """The council member correcting (the domain checks their grid), or None for an admin
    whose scope covers the sheet."""
    access.require_role(principal, *CORRECTORS)
    if principal.role is Role.COUNCIL:
        return access.require_council_member(principal)
    await read_sheet(conn, principal, sheet_id=sheet_id)
    return None
