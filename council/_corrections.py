"""Correcting a posted sheet: it is never edited, only reversed whole or taken back one line
at a time, with a reason. These post the points; who may, and the four eyes on it (one person
proposes, another confirms), are :mod:`council._takebacks`, which calls them on confirmation.

Invariants protected here (the database backs the ones marked *):

* only an approved sheet that was not reversed is corrected; a council member corrects only
  the sheets of their own grid (community staff: the caller checks their scope);
* a line is corrected once*; a sheet with a corrected line is not reversed whole;
* reversing a sheet reverses the bonuses it paid and revokes their awards;
* a correction or reversal that would take a passbook below zero is refused with the
  shortfall, and nothing changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
import ledger
from council._daily_cap import accounts_of
from council._grid_members import member_of_sheet_grid
from council._sheet import Sheet, get_sheet, locked_sheet
from council._status import SheetStatus
from council._tables import incentive_award, scoring_sheet, sheet_line
from council._words import status_word
from council.errors import CorrectionRefused, InvalidSheet, SheetNotFound, SheetStateConflict
from i18n import _
from ledger.errors import InsufficientPoints
from scheme_time import scheme_today


async def approved_for_correction(conn: AsyncConnection, sheet_id: int) -> Any:
    row = await locked_sheet(conn, sheet_id)
    if row.status != SheetStatus.APPROVED:
        raise SheetStateConflict(
            _(
                "Sheet {sheet_id} is {row_status}; only an approved sheet has points to correct.",
                sheet_id=sheet_id,
                row_status=status_word(row.status),
            )
        )
    if row.reversal_entry_id is not None:
        raise SheetStateConflict(
            _("Sheet {sheet_id} was already reversed whole.", sheet_id=sheet_id)
        )
    return row


def check_reason(reason: str) -> str:
    reason = reason.strip()
    if not 1 <= len(reason) <= 400:
        raise InvalidSheet(_("Say why the points are corrected (1 to 400 characters)."))
    return reason


async def _refused(conn: AsyncConnection, error: InsufficientPoints) -> CorrectionRefused:
    holder = await conn.execute(
        select(community.volunteer.c.passbook_number, community.volunteer.c.name).where(
            community.volunteer.c.account_id == error.account_id
        )
    )
    number, name = holder.one()
    return CorrectionRefused(
        _(
            "Correcting this would take {name}'s passbook {number} below zero: it "
            "has {available} points available and the correction takes {needed}, "
            "{short} short. Nothing was changed.",
            name=name,
            number=number,
            available=error.available,
            needed=error.needed,
            short=error.short,
        ),
        passbook=number,
        available=error.available,
        needed=error.needed,
        short=error.short,
    )


async def reverse_sheet(
    conn: AsyncConnection,
    *,
    sheet_id: int,
    reason: str,
    actor: str,
    member_id: int | None = None,
    now: datetime | None = None,
) -> Sheet:
    """Reverse a posted sheet whole: its entry, and the bonuses it paid (their awards are
    revoked). ``member_id`` is the council member doing it (None for community staff, whose
    scope the caller has checked)."""
    now = now or datetime.now(UTC)
    reason = check_reason(reason)
    row = await approved_for_correction(conn, sheet_id)
    if member_id is not None:
        await member_of_sheet_grid(conn, member_id, row)
    sheet = await get_sheet(conn, sheet_id)
    corrected = [line.line_no for line in sheet.lines if line.correction_entry_id is not None]
    if corrected:
        raise SheetStateConflict(
            _(
                "Line(s) {lines} of sheet {sheet_id} were corrected already; correct the "
                "other lines one by one instead of reversing the whole sheet.",
                lines=", ".join(map(str, corrected)),
                sheet_id=sheet_id,
            )
        )
    memo = f"冲正 · {sheet.memo}：{reason}"
    try:
        reversal = await ledger.reverse_entry(
            conn,
            entry_id=ledger.EntryId(row.entry_id),
            idempotency_key=f"council:sheet:{sheet_id}:reversal",
            actor=actor,
            memo=memo[:500],
            effective_date=scheme_today(now),
            now=now,
        )
        awards = await conn.execute(
            select(incentive_award.c.id, incentive_award.c.entry_id).where(
                incentive_award.c.sheet_id == sheet_id, incentive_award.c.revoked_at.is_(None)
            )
        )
        for entry_id in sorted({entry_id for _, entry_id in awards}):
            await ledger.reverse_entry(
                conn,
                entry_id=ledger.EntryId(entry_id),
                idempotency_key=f"council:sheet:{sheet_id}:incentive-reversal:{entry_id}",
                actor=actor,
                memo=f"冲正 · 爱心激励（第 {sheet_id} 号评分表）：{reason}"[:500],
                effective_date=scheme_today(now),
                now=now,
            )
    except InsufficientPoints as error:
        raise await _refused(conn, error) from error
    await conn.execute(
        incentive_award.update()
        .where(incentive_award.c.sheet_id == sheet_id, incentive_award.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await conn.execute(
        scoring_sheet.update()
        .where(scoring_sheet.c.id == sheet_id)
        .values(reversal_entry_id=reversal.id, reversal_reason=reason)
    )
    return await get_sheet(conn, sheet_id)


async def correct_line(
    conn: AsyncConnection,
    *,
    sheet_id: int,
    line_no: int,
    reason: str,
    actor: str,
    member_id: int | None = None,
    now: datetime | None = None,
) -> Sheet:
    """Take back one line's points (it was wrong): a correction entry from the passbook back
    to the grid's issuance account. A line is corrected once; re-score it on a new sheet if
    the volunteer earned a different amount."""
    now = now or datetime.now(UTC)
    reason = check_reason(reason)
    row = await approved_for_correction(conn, sheet_id)
    if member_id is not None:
        await member_of_sheet_grid(conn, member_id, row)
    sheet = await get_sheet(conn, sheet_id)
    line = next((x for x in sheet.lines if x.line_no == line_no), None)
    if line is None:
        raise SheetNotFound(
            _("Sheet {sheet_id} has no line {line_no}.", sheet_id=sheet_id, line_no=line_no)
        )
    if line.correction_entry_id is not None:
        raise SheetStateConflict(
            _(
                "Line {line_no} of sheet {sheet_id} was already corrected ({correction_reason}).",
                line_no=line_no,
                sheet_id=sheet_id,
                correction_reason=line.correction_reason,
            )
        )
    grid = await community.find_org_unit(conn, sheet.grid_code)
    assert grid is not None
    assert grid.issuance_account_id is not None
    account = (await accounts_of(conn, [line.volunteer_id]))[line.volunteer_id]
    try:
        entry = await ledger.post_entry(
            conn,
            idempotency_key=f"council:sheet:{sheet_id}:line:{line_no}:correction",
            kind=ledger.CORRECTION_KIND,
            legs=[
                ledger.Leg(account, -line.points),
                ledger.Leg(ledger.AccountId(grid.issuance_account_id), line.points),
            ],
            actor=actor,
            memo=f"更正 · {sheet.memo} · 第 {line_no} 行：{reason}"[:500],
            effective_date=scheme_today(now),
            now=now,
        )
    except InsufficientPoints as error:
        raise await _refused(conn, error) from error
    await conn.execute(
        sheet_line.update()
        .where(
            sheet_line.c.sheet_id == sheet_id,
            sheet_line.c.line_no == line_no,
            sheet_line.c.correction_entry_id.is_(None),
        )
        .values(correction_entry_id=entry.id, correction_reason=reason)
    )
    return await get_sheet(conn, sheet_id)
