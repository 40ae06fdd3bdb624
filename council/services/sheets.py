"""Use cases of the scoring sheets: draft, edit, delete, submit, approve, reject, revise,
read. Taking points back (reversal, correction) is :mod:`council.services.takebacks`.

Invariants protected here, on top of what the domain checks (four eyes, the daily cap, the
grid budget, a member acting only in their own grid):

* only a council member drafts, edits, submits, revises and decides on sheets, and the books
  record who did it (:attr:`access.Principal.actor`: a token's holder, or
  ``cli:<member code>``);
* a draft is deleted by its author or by an admin whose unit holds the sheet's grid;
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
from i18n import _

READERS = (Role.ADMIN, Role.COUNCIL, Role.AUDITOR)


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


async def edit_draft(
    conn: AsyncConnection,
    principal: Principal,
    *,
    sheet_id: int,
    changes: council.DraftChanges,
    submit: bool = False,
    max_age_days: int,
    now: datetime | None = None,
) -> council.Sheet:
    """The author replaces fields and/or the lines of their draft (and with ``submit``,
    submits it at once); what is left out of ``changes`` stays.

    Only the draft's author may (:class:`council.FourEyes`), serving in its grid
    (:class:`council.NotYourGrid`); only a draft is edited (:class:`council.SheetStateConflict`);
    the new content is checked as drafting checks it (:class:`council.InvalidSheet` naming the
    lines, :class:`council.DailyCapExceeded`, :class:`community.OrgUnitClosed`, ...)."""
    member_id = access.require_council_member(principal)
    sheet = await council.edit_draft(
        conn, sheet_id=sheet_id, member_id=member_id, changes=changes,
        max_age_days=max_age_days, now=now,
    )  # fmt: skip
    if submit:
        sheet = await council.submit_sheet(conn, sheet_id=sheet_id, member_id=member_id, now=now)
    return sheet


async def delete_draft(
    conn: AsyncConnection, principal: Principal, *, sheet_id: int
) -> council.Sheet:
    """Delete a draft and its lines (a draft has posted nothing); answers it as it was.

    Its author may, or an admin of a unit holding its grid (:class:`access.Forbidden`,
    :class:`council.FourEyes` for another council member); only a draft is deleted
    (:class:`council.SheetStateConflict`)."""
    access.require_role(principal, Role.COUNCIL, Role.ADMIN)
    if principal.role is Role.COUNCIL:
        member_id: int | None = access.require_council_member(principal)
    else:
        await read_sheet(conn, principal, sheet_id=sheet_id)
        member_id = None
    return await council.delete_draft(conn, sheet_id=sheet_id, member_id=member_id)


async def revise_sheet(
    conn: AsyncConnection,
    principal: Principal,
    *,
    sheet_id: int,
    changes: council.DraftChanges,
    submit: bool = False,
    max_age_days: int,
    now: datetime | None = None,
) -> council.Sheet:
    """Revise a rejected sheet: a new draft by the caller copying its activity and lines with
    ``changes`` (and with ``submit``, submitted at once); it names the rejected sheet, which
    stays rejected.

    A serving council member of the sheet's grid may (:class:`council.NotYourGrid`); only a
    rejected sheet, and only once (:class:`council.SheetStateConflict`,
    :class:`council.SheetAlreadyRevised`); the same member revising it again the same way
    gets that draft back (``replayed``). The new draft is checked as drafting checks it."""
    member_id = access.require_council_member(principal)
    sheet = await council.revise_sheet(
        conn, sheet_id=sheet_id, member_id=member_id, changes=changes, actor=principal.actor,
        max_age_days=max_age_days, now=now,
    )  # fmt: skip
    if submit and sheet.status == council.SheetStatus.DRAFT:
        submitted = await council.submit_sheet(
            conn, sheet_id=sheet.id, member_id=member_id, now=now
        )
        sheet = dataclasses.replace(submitted, replayed=sheet.replayed)
    return sheet


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
            _(
                "Sheet {sheet_id} belongs to grid {grid_code}, outside this token's scope.",
                sheet_id=sheet_id,
                grid_code=sheet.grid_code,
            )
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
