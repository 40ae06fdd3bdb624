"""A scoring sheet as it is read: its lines, its bonuses, its summary in a list.

One activity, many volunteers, one ledger entry: a council member drafts a sheet under a
savings rule (:mod:`council._drafting`), a colleague of the same grid decides on it
(:mod:`council._decisions`), and a posted sheet is corrected only by reversing it whole or one
line at a time (:mod:`council._corrections`).

Invariants protected here: a sheet is read with the rule version it was scored under and the
points its lines were scored at (never today's rate); a line corrected, a sheet reversed or a
bonus revoked reads as such; a revision and the rejected sheet it revises name each other; a list shows only the sheets of grids under the scope asked for,
newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
from council._rules import SavingsRule, get_rule_version
from council._status import SheetStatus
from council._tables import incentive, incentive_award, savings_rule, scoring_sheet, sheet_line
from council.errors import SheetNotFound
from i18n import _

MAX_LINES = 1000
SCORING_KIND = "scoring"
INCENTIVE_KIND = "incentive"


@dataclass(frozen=True, slots=True)
class LineIn:
    """One line as asked: a number typed in full-width characters or lower case is the
    number on the cover (:func:`community.normalise_passbook_number`)."""

    passbook_number: str
    units: int
    note: str = ""

    def __post_init__(self) -> None:
        number = community.normalise_passbook_number(self.passbook_number)
        object.__setattr__(self, "passbook_number", number)


@dataclass(frozen=True, slots=True)
class SheetLine:
    line_no: int
    passbook_number: str
    holder_name: str
    volunteer_id: int
    units: int
    points: int
    note: str
    correction_entry_id: int | None
    correction_reason: str | None


@dataclass(frozen=True, slots=True)
class Sheet:
    id: int
    grid_code: str
    grid_path: str
    community_wide: bool
    rule: SavingsRule
    points_per_unit: int
    activity_date: date
    place: str
    note: str
    status: SheetStatus
    author_code: str
    approver_code: str | None
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    reject_reason: str | None
    entry_id: int | None
    reversal_entry_id: int | None
    reversal_reason: str | None
    lines: list[SheetLine]
    bonuses: list[tuple[str, str, int]]  # (passbook number, incentive name, points)
    replayed: bool = False
    revises_sheet_id: int | None = None  # the rejected sheet this one revises
    revised_by_sheet_id: int | None = None  # the sheet that revises this rejected one

    @property
    def total_points(self) -> int:
        return sum(line.points for line in self.lines)

    @property
    def memo(self) -> str:
        return activity_memo(self.rule.name, self.activity_date, self.place)


def activity_memo(rule_name: str, on: date, place: str) -> str:
    return " · ".join(part for part in (rule_name, on.isoformat(), place) if part)


async def locked_sheet(conn: AsyncConnection, sheet_id: int) -> Any:
    """The sheet's row, locked until the transaction ends (decisions and corrections)."""
    row = (
        await conn.execute(
            select(scoring_sheet).where(scoring_sheet.c.id == sheet_id).with_for_update()
        )
    ).first()
    if row is None:
        raise SheetNotFound(_("No scoring sheet {sheet_id}.", sheet_id=sheet_id))
    return row


async def get_sheet(conn: AsyncConnection, sheet_id: int, *, replayed: bool = False) -> Sheet:
    s, o = scoring_sheet, community.org_unit
    author = community.council_member.alias("author")
    approver = community.council_member.alias("approver")
    row = (
        await conn.execute(
            select(s, o.c.code.label("grid_code"), o.c.path.label("grid_path"))
            .add_columns(author.c.code.label("author_code"), approver.c.code.label("approver_code"))
            .join(o, o.c.id == s.c.grid_id)
            .join(author, author.c.id == s.c.author_id)
            .outerjoin(approver, approver.c.id == s.c.approver_id)
            .where(s.c.id == sheet_id)
        )
    ).first()
    if row is None:
        raise SheetNotFound(_("No scoring sheet {sheet_id}.", sheet_id=sheet_id))
    v = community.volunteer
    lines = [
        SheetLine(*line)
        for line in await conn.execute(
            select(
                sheet_line.c.line_no,
                v.c.passbook_number,
                v.c.name,
                v.c.id,
                sheet_line.c.units,
                sheet_line.c.points,
                sheet_line.c.note,
                sheet_line.c.correction_entry_id,
                sheet_line.c.correction_reason,
            )
            .join(v, v.c.id == sheet_line.c.volunteer_id)
            .where(sheet_line.c.sheet_id == sheet_id)
            .order_by(sheet_line.c.line_no)
        )
    ]
    bonuses = [
        (number, name, points)
        for number, name, points in await conn.execute(
            select(v.c.passbook_number, incentive.c.name, incentive_award.c.points)
            .join(v, v.c.id == incentive_award.c.volunteer_id)
            .join(incentive, incentive.c.id == incentive_award.c.incentive_id)
            .where(incentive_award.c.sheet_id == sheet_id, incentive_award.c.revoked_at.is_(None))
            .order_by(incentive_award.c.id)
        )
    ]
    revised_by = await conn.scalar(
        select(scoring_sheet.c.id).where(scoring_sheet.c.revises_sheet_id == sheet_id)
    )
    return Sheet(
        id=row.id,
        grid_code=row.grid_code,
        grid_path=row.grid_path,
        community_wide=row.community_wide,
        rule=await get_rule_version(conn, row.rule_id),
        points_per_unit=row.points_per_unit,
        activity_date=row.activity_date,
        place=row.place,
        note=row.note,
        status=SheetStatus(row.status),
        author_code=row.author_code,
        approver_code=row.approver_code,
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        reject_reason=row.reject_reason,
        entry_id=row.entry_id,
        reversal_entry_id=row.reversal_entry_id,
        reversal_reason=row.reversal_reason,
        lines=lines,
        bonuses=bonuses,
        replayed=replayed,
        revises_sheet_id=row.revises_sheet_id,
        revised_by_sheet_id=revised_by,
    )


@dataclass(frozen=True, slots=True)
class SheetSummary:
    id: int
    grid_code: str
    rule_code: str
    rule_name: str
    activity_date: date
    place: str
    status: SheetStatus
    lines: int
    points: int
    reversed: bool


async def list_sheets(
    conn: AsyncConnection,
    *,
    scope: str,
    status: SheetStatus | None = None,
    since: date | None = None,
    until: date | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[SheetSummary]:
    """Sheets of the grids under ``scope``, newest first, a page at a time."""
    s, o = scoring_sheet, community.org_unit
    totals = (
        select(
            sheet_line.c.sheet_id,
            func.count().label("lines"),
            func.sum(sheet_line.c.points).label("points"),
        )
        .group_by(sheet_line.c.sheet_id)
        .subquery()
    )
    query = (
        select(
            s.c.id,
            o.c.code,
            savings_rule.c.code,
            savings_rule.c.name,
            s.c.activity_date,
            s.c.place,
            s.c.status,
            totals.c.lines,
            totals.c.points,
            s.c.reversal_entry_id.is_not(None),
        )
        .join(o, o.c.id == s.c.grid_id)
        .join(savings_rule, savings_rule.c.id == s.c.rule_id)
        .join(totals, totals.c.sheet_id == s.c.id)
        .where((o.c.path == scope) | o.c.path.startswith(scope + "/", autoescape=True))
        .order_by(s.c.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(s.c.status == status)
    if since is not None:
        query = query.where(s.c.activity_date >= since)
    if until is not None:
        query = query.where(s.c.activity_date <= until)
    if before_id is not None:
        query = query.where(s.c.id < before_id)
    return [
        SheetSummary(id_, grid, code, name, on, place, SheetStatus(status), *figures)
        for id_, grid, code, name, on, place, status, *figures in await conn.execute(query)
    ]


async def sheet_notes(conn: AsyncConnection, *, containing: str) -> list[str]:
    """The notes of every sheet whose note contains ``containing`` (the demo loader marks its
    sheets' notes, so loading twice finds what it made before)."""
    notes = await conn.scalars(
        select(scoring_sheet.c.note).where(scoring_sheet.c.note.contains(containing))
    )
    return list(notes)
