"""The entries scoring owns, named for the generic reversal, which refuses them.

Invariant: a sheet's approval, a line's correction, a bonus paid with a sheet and a sheet's
reversal are taken back only through the sheet (four-eyed take-backs, :mod:`council._takebacks`),
so the sheet always shows what its points did; this names the record and the request to use.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

import ledger
from council._tables import incentive_award, scoring_sheet, sheet_line, sheet_takeback
from i18n import Message, _


def _take_back(sheet_id: int) -> Message:
    return _(
        "propose a take-back at POST /api/sheets/{id}/reversal (the whole sheet, its bonuses "
        "too) or POST /api/sheets/{id}/lines/{{line}}/correction (one line); another person "
        "confirms it",
        id=sheet_id,
    )


_STANDS = _(
    "a confirmed take-back stands; if the points were due after all, score the work again on "
    "a new sheet (POST /api/sheets)"
)


async def entry_owner(conn: AsyncConnection, entry_id: int) -> ledger.EntryOwner | None:
    """The sheet, line or bonus ``entry_id`` belongs to, if any."""
    s = scoring_sheet
    approved = await conn.scalar(select(s.c.id).where(s.c.entry_id == entry_id))
    if approved is not None:
        return ledger.EntryOwner(
            "scoring_sheet",
            approved,
            _("the approval of scoring sheet {sheet_id}", sheet_id=approved),
            _take_back(approved),
        )
    reversed_ = await conn.scalar(select(s.c.id).where(s.c.reversal_entry_id == entry_id))
    if reversed_ is not None:
        return ledger.EntryOwner(
            "scoring_sheet",
            reversed_,
            _("the reversal of scoring sheet {sheet_id}", sheet_id=reversed_),
            _STANDS,
        )
    line = (
        await conn.execute(
            select(sheet_line.c.id, sheet_line.c.sheet_id, sheet_line.c.line_no).where(
                sheet_line.c.correction_entry_id == entry_id
            )
        )
    ).first()
    if line is not None:
        return ledger.EntryOwner(
            "sheet_line",
            line.id,
            _(
                "the correction of line {line_no} of scoring sheet {sheet_id}",
                line_no=line.line_no,
                sheet_id=line.sheet_id,
            ),
            _STANDS,
        )
    bonus = (
        await conn.execute(
            select(incentive_award.c.id, incentive_award.c.sheet_id)
            .where(incentive_award.c.entry_id == entry_id)
            .limit(1)
        )
    ).first()
    if bonus is not None:
        return ledger.EntryOwner(
            "incentive_award",
            bonus.id,
            _("the 爱心激励 bonus paid with scoring sheet {sheet_id}", sheet_id=bonus.sheet_id),
            _(
                "a bonus is taken back with its sheet: {take_back}",
                take_back=_take_back(bonus.sheet_id),
            ),
        )
    takeback = (
        await conn.execute(
            select(sheet_takeback.c.id, sheet_takeback.c.sheet_id).where(
                sheet_takeback.c.entry_id == entry_id
            )
        )
    ).first()
    if takeback is not None:  # the columns above name these entries already
        return ledger.EntryOwner(
            "sheet_takeback",
            takeback.id,
            _(
                "take-back {takeback_id} of scoring sheet {sheet_id}",
                takeback_id=takeback.id,
                sheet_id=takeback.sheet_id,
            ),
            _STANDS,
        )
    return None
