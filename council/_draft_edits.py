"""Sheets that never get stuck: a draft is edited or deleted by its author, and a rejected
sheet is revised into a new draft that keeps the history.

Invariants protected here (the database backs the ones marked *):

* only a draft is edited or deleted, and it posted nothing: deleting it removes the sheet and
  its lines outright (nothing else refers to a draft; a deleted revision leaves its rejected
  sheet free to be revised again);
* only the author edits a draft (an admin over the grid may also delete one: the caller
  checks the admin's scope); the edited content passes every check drafting makes
  (:func:`council._drafting.check_draft`: the closed grid, the dates, the rule, the lines, the
  daily cap);
* a rejected sheet stays rejected; revising it makes a new draft that names it
  (``revises_sheet_id``), and a rejected sheet is revised once*; the same member revising
  it again with the same content answers that draft (``replayed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import db
from council._drafting import DraftContent, check_draft, insert_draft, insert_lines, sheet_values
from council._grid_members import member_of_sheet_grid
from council._sheet import LineIn, Sheet, get_sheet, locked_sheet
from council._status import SheetStatus
from council._tables import scoring_sheet, sheet_line
from council._words import status_word
from council.errors import DraftRace, FourEyes, SheetAlreadyRevised, SheetStateConflict
from db import metadata
from i18n import _


@dataclass(frozen=True, slots=True)
class DraftChanges:
    """What an edit or a revision changes; a field left None keeps the sheet's own."""

    rule_code: str | None = None
    activity_date: date | None = None
    place: str | None = None
    note: str | None = None
    lines: list[LineIn] | None = None
    community_wide: bool | None = None

    def applied_to(self, sheet: Sheet) -> DraftContent:
        return DraftContent(
            rule_code=self.rule_code if self.rule_code is not None else sheet.rule.code,
            activity_date=self.activity_date or sheet.activity_date,
            place=self.place if self.place is not None else sheet.place,
            note=self.note if self.note is not None else sheet.note,
            lines=self.lines
            if self.lines is not None
            else [LineIn(x.passbook_number, x.units, x.note) for x in sheet.lines],
            community_wide=(
                self.community_wide if self.community_wide is not None else sheet.community_wide
            ),
        )


async def _own_draft(
    conn: AsyncConnection, sheet_id: int, member_id: int, doing: str
) -> tuple[Any, community.CouncilMember]:
    """The sheet's locked row and its author, who must be the serving member ``member_id``."""
    row = await locked_sheet(conn, sheet_id)
    member = await member_of_sheet_grid(conn, member_id, row)
    if row.author_id != member_id:
        raise FourEyes(
            _("Only the author of sheet {sheet_id} edits it.", sheet_id=sheet_id)
            if doing == "edits"
            else _("Only the author of sheet {sheet_id} deletes it.", sheet_id=sheet_id)
        )
    return row, member


def _only_drafts(row: Any, doing: str) -> None:
    if row.status != SheetStatus.DRAFT:
        edited = doing == "edited"
        if row.status == SheetStatus.REJECTED:
            said = (
                _(
                    "Sheet {sheet_id} is rejected; only a draft is edited. A rejected sheet is "
                    "revised into a new draft instead.",
                    sheet_id=row.id,
                )
                if edited
                else _(
                    "Sheet {sheet_id} is rejected; only a draft is deleted. A rejected sheet is "
                    "revised into a new draft instead.",
                    sheet_id=row.id,
                )
            )
        else:
            said = (
                _(
                    "Sheet {sheet_id} is {row_status}; only a draft is edited.",
                    sheet_id=row.id,
                    row_status=status_word(row.status),
                )
                if edited
                else _(
                    "Sheet {sheet_id} is {row_status}; only a draft is deleted.",
                    sheet_id=row.id,
                    row_status=status_word(row.status),
                )
            )
        raise SheetStateConflict(said)


async def edit_draft(
    conn: AsyncConnection,
    *,
    sheet_id: int,
    member_id: int,
    changes: DraftChanges,
    max_age_days: int,
    now: datetime | None = None,
) -> Sheet:
    """The author replaces a draft's fields and/or lines; the new content is checked as a new
    draft is, and a refusal changes nothing."""
    now = now or datetime.now(UTC)
    row, author = await _own_draft(conn, sheet_id, member_id, "edits")
    _only_drafts(row, "edited")
    content = changes.applied_to(await get_sheet(conn, sheet_id))
    checked = await check_draft(conn, author, content, max_age_days=max_age_days, now=now)
    await conn.execute(
        scoring_sheet.update()
        .where(scoring_sheet.c.id == sheet_id)
        .values(**sheet_values(content, checked))
    )
    await conn.execute(delete(sheet_line).where(sheet_line.c.sheet_id == sheet_id))
    await insert_lines(conn, sheet_id, checked)
    return await get_sheet(conn, sheet_id)


async def delete_draft(conn: AsyncConnection, *, sheet_id: int, member_id: int | None) -> Sheet:
    """Delete a draft and its lines (it posted nothing). ``member_id`` is the council member
    deleting it, who must be its author; None for an admin whose scope the caller checked.
    Answers the sheet as it was."""
    if member_id is not None:
        row, _ = await _own_draft(conn, sheet_id, member_id, "deletes")
    else:
        row = await locked_sheet(conn, sheet_id)
    _only_drafts(row, "deleted")
    sheet = await get_sheet(conn, sheet_id)
    await conn.execute(delete(sheet_line).where(sheet_line.c.sheet_id == sheet_id))
    await conn.execute(delete(scoring_sheet).where(scoring_sheet.c.id == sheet_id))
    return sheet


async def revise_sheet(
    conn: AsyncConnection,
    *,
    sheet_id: int,
    member_id: int,
    changes: DraftChanges,
    actor: str,
    max_age_days: int,
    now: datetime | None = None,
) -> Sheet:
    """A council member of the grid revises a rejected sheet: a new draft, authored by them,
    copying its rule, date, place, note and lines with ``changes``; it names the rejected
    sheet, which stays rejected. A rejected sheet is revised once."""
    now = now or datetime.now(UTC)
    row = await locked_sheet(conn, sheet_id)
    author = await member_of_sheet_grid(conn, member_id, row)
    if row.status != SheetStatus.REJECTED:
        raise SheetStateConflict(
            _(
                "Sheet {sheet_id} is draft; only a rejected sheet is revised (a draft is edited).",
                sheet_id=sheet_id,
            )
            if row.status == SheetStatus.DRAFT
            else _(
                "Sheet {sheet_id} is {row_status}; only a rejected sheet is revised.",
                sheet_id=sheet_id,
                row_status=status_word(row.status),
            )
        )
    content = changes.applied_to(await get_sheet(conn, sheet_id))
    digest = content.digest(member_id)
    earlier = (
        await conn.execute(
            select(
                scoring_sheet.c.id, scoring_sheet.c.author_id, scoring_sheet.c.draft_digest
            ).where(scoring_sheet.c.revises_sheet_id == sheet_id)
        )
    ).first()
    if earlier is not None:
        if earlier.author_id == member_id and earlier.draft_digest == digest:
            return await get_sheet(conn, earlier.id, replayed=True)
        raise SheetAlreadyRevised(
            _(
                "Sheet {sheet_id} was revised already, as sheet {earlier_id}; edit or "
                "submit that one instead.",
                sheet_id=sheet_id,
                earlier_id=earlier.id,
            ),
            revised_by_sheet_id=earlier.id,
        )
    checked = await check_draft(conn, author, content, max_age_days=max_age_days, now=now)
    try:
        new_id = await insert_draft(
            conn,
            author,
            content,
            checked,
            actor=actor,
            now=now,
            draft_digest=digest,
            revises_sheet_id=sheet_id,
        )
    except IntegrityError as error:
        if db.constraint_name(error, metadata) == "uq_scoring_sheet_revises_sheet_id":
            raise DraftRace("A revision of this sheet was saved meanwhile.") from error
        raise
    return await get_sheet(conn, new_id)
