"""Taking points back with four eyes: reversing a posted sheet whole, or correcting one line,
is proposed by one person and confirmed by another; only the confirmation moves points.

Invariants protected here (the database backs the ones marked *):

* a take-back is proposed only for an approved sheet that was not reversed, for a line not
  yet corrected (or, for the whole sheet, one with no line corrected), with a reason;
* at most one open proposal per line* and per whole sheet*, and never a whole-sheet proposal
  beside an open proposal for one of its lines (or the other way round); two proposals racing
  are serialised by the sheet's row lock, and the loser of an index race is retried;
* the confirmer is another person than the proposer* (:attr:`access.Principal.person`);
  confirming posts the reversal or correction with the existing logic
  (:mod:`council._corrections`: bonuses reversed with the sheet, no passbook below zero) in
  the confirmation's transaction, under the fixed ledger keys, so confirming twice moves the
  points once; the same person confirming again answers the take-back (``replayed``);
* a proposal is declined (with a reason) by anyone in scope but its proposer, or withdrawn by
  its proposer; a decided take-back stays as history.

Locks: the sheet's row, then the take-back's row, as approvals and corrections lock the sheet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

import db
from council._corrections import approved_for_correction, check_reason, correct_line, reverse_sheet
from council._grid_members import member_of_sheet_grid
from council._sheet import get_sheet, locked_sheet
from council._tables import sheet_line, sheet_takeback
from council._takeback_reading import (
    CONFIRMED,
    DECLINED,
    PROPOSED,
    WITHDRAWN_REASON,
    Takeback,
    get_takeback,
    list_takebacks,
)
from council.errors import (
    FourEyes,
    InvalidSheet,
    SheetNotFound,
    SheetStateConflict,
    TakebackConflict,
    TakebackNotFound,
    TakebackRace,
)
from db import metadata
from i18n import _


async def propose_takeback(
    conn: AsyncConnection,
    *,
    sheet_id: int,
    line_no: int | None,
    reason: str,
    person: str,
    actor: str,
    member_id: int | None = None,
    now: datetime | None = None,
) -> Takeback:
    """Propose reversing sheet ``sheet_id`` whole (``line_no`` None) or correcting one line,
    with a reason; nothing moves until another person confirms. ``member_id`` is the council
    member proposing (None for an admin whose scope the caller checked). The same person
    proposing the same again answers the open proposal (``replayed``)."""
    reason = check_reason(reason)
    row = await approved_for_correction(conn, sheet_id)
    if member_id is not None:
        await member_of_sheet_grid(conn, member_id, row)
    sheet = await get_sheet(conn, sheet_id)
    line_id = None
    if line_no is None:
        corrected = [x.line_no for x in sheet.lines if x.correction_entry_id is not None]
        if corrected:
            raise SheetStateConflict(
                _(
                    "Line(s) {lines} of sheet {sheet_id} were corrected already; propose "
                    "correcting the other lines one by one instead of reversing the whole "
                    "sheet.",
                    lines=", ".join(map(str, corrected)),
                    sheet_id=sheet_id,
                )
            )
    else:
        line = next((x for x in sheet.lines if x.line_no == line_no), None)
        if line is None:
            raise SheetNotFound(
                _("Sheet {sheet_id} has no line {line_no}.", sheet_id=sheet_id, line_no=line_no)
            )
        if line.correction_entry_id is not None:
            raise SheetStateConflict(
                _(
                    "Line {line_no} of sheet {sheet_id} was already corrected "
                    "({correction_reason}).",
                    line_no=line_no,
                    sheet_id=sheet_id,
                    correction_reason=line.correction_reason,
                )
            )
        line_id = await conn.scalar(
            select(sheet_line.c.id).where(
                sheet_line.c.sheet_id == sheet_id, sheet_line.c.line_no == line_no
            )
        )
    for open_one in await list_takebacks(conn, sheet_id):
        if open_one.status != PROPOSED:
            continue
        same = open_one.line_no == line_no
        if same and open_one.proposer == person and open_one.reason == reason:
            return await get_takeback(conn, open_one.id, replayed=True)
        if same or open_one.line_no is None or line_no is None:
            raise TakebackConflict(
                _(
                    "Take-back {open_one_id}, {what}, is proposed already (by "
                    "{proposed_actor}: {reason}); confirm, decline or withdraw it first.",
                    open_one_id=open_one.id,
                    what=open_one.what,
                    proposed_actor=open_one.proposed_actor,
                    reason=open_one.reason,
                ),
                takeback_id=open_one.id,
            )
    try:
        takeback_id = await conn.scalar(
            sheet_takeback.insert()
            .values(
                sheet_id=sheet_id,
                line_id=line_id,
                reason=reason,
                status=PROPOSED,
                proposer=person,
                proposed_actor=actor,
                proposed_at=now or datetime.now(UTC),
            )
            .returning(sheet_takeback.c.id)
        )
    except IntegrityError as error:
        if db.constraint_name(error, metadata) in (
            "uq_sheet_takeback_open_sheet",
            "uq_sheet_takeback_open_line",
        ):
            raise TakebackRace("A proposal for this was saved meanwhile.") from error
        raise
    assert takeback_id is not None
    return await get_takeback(conn, takeback_id)


async def _locked(conn: AsyncConnection, takeback_id: int, member_id: int | None) -> Any:
    """The take-back's row, locked after its sheet's row; a council member must serve in the
    sheet's grid."""
    sheet_id = await conn.scalar(
        select(sheet_takeback.c.sheet_id).where(sheet_takeback.c.id == takeback_id)
    )
    if sheet_id is None:
        raise TakebackNotFound(_("No take-back proposal {takeback_id}.", takeback_id=takeback_id))
    sheet_row = await locked_sheet(conn, sheet_id)
    if member_id is not None:
        await member_of_sheet_grid(conn, member_id, sheet_row)
    return (
        await conn.execute(
            select(sheet_takeback).where(sheet_takeback.c.id == takeback_id).with_for_update()
        )
    ).one()


def _decided_already(row: Any, takeback_id: int) -> TakebackConflict:
    if row.status == CONFIRMED:
        said = _(
            "Take-back {takeback_id} was confirmed by {actor} already; propose again if points "
            "must still be taken back.",
            takeback_id=takeback_id,
            actor=row.decided_actor,
        )
    elif row.decider is None:
        said = _(
            "Take-back {takeback_id} was withdrawn by its proposer already; propose again if "
            "points must still be taken back.",
            takeback_id=takeback_id,
        )
    else:
        said = _(
            "Take-back {takeback_id} was declined by {actor} ({reason}) already; propose again "
            "if points must still be taken back.",
            takeback_id=takeback_id,
            actor=row.decided_actor,
            reason=row.decline_reason,
        )
    return TakebackConflict(
        said,
        takeback_id=takeback_id,
    )


async def confirm_takeback(
    conn: AsyncConnection,
    *,
    takeback_id: int,
    person: str,
    actor: str,
    member_id: int | None = None,
    now: datetime | None = None,
) -> Takeback:
    """Another person confirms a proposal: the reversal or correction posts now, in this
    transaction. The same person confirming again answers it (``replayed``)."""
    now = now or datetime.now(UTC)
    row = await _locked(conn, takeback_id, member_id)
    if row.status == CONFIRMED and row.decider == person:
        return await get_takeback(conn, takeback_id, replayed=True)
    if row.status != PROPOSED:
        raise _decided_already(row, takeback_id)
    if row.proposer == person:
        raise FourEyes(
            _(
                "You proposed take-back {takeback_id}; another council member of the "
                "grid, or an admin over it, must confirm it.",
                takeback_id=takeback_id,
            )
        )
    if row.line_id is None:
        sheet = await reverse_sheet(
            conn, sheet_id=row.sheet_id, reason=row.reason, actor=actor, now=now
        )
        entry_id = sheet.reversal_entry_id
    else:
        line_no = await conn.scalar(
            select(sheet_line.c.line_no).where(sheet_line.c.id == row.line_id)
        )
        assert line_no is not None
        sheet = await correct_line(
            conn, sheet_id=row.sheet_id, line_no=line_no, reason=row.reason, actor=actor, now=now
        )
        entry_id = next(x.correction_entry_id for x in sheet.lines if x.line_no == line_no)
    await conn.execute(
        sheet_takeback.update()
        .where(sheet_takeback.c.id == takeback_id, sheet_takeback.c.status == PROPOSED)
        .values(
            status=CONFIRMED,
            decider=person,
            decided_actor=actor,
            decided_at=now,
            entry_id=entry_id,
        )
    )
    return await get_takeback(conn, takeback_id)


async def decline_takeback(
    conn: AsyncConnection,
    *,
    takeback_id: int,
    reason: str,
    person: str,
    actor: str,
    member_id: int | None = None,
    now: datetime | None = None,
) -> Takeback:
    """Someone in scope other than the proposer declines a proposal, saying why; nothing
    moves. The same person declining again answers it (``replayed``)."""
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise InvalidSheet(_("Say why the take-back is declined (1 to 500 characters)."))
    row = await _locked(conn, takeback_id, member_id)
    if row.status == DECLINED and row.decider == person:
        return await get_takeback(conn, takeback_id, replayed=True)
    if row.status != PROPOSED:
        raise _decided_already(row, takeback_id)
    if row.proposer == person:
        raise FourEyes(
            _(
                "You proposed take-back {takeback_id}; withdraw it instead of declining it.",
                takeback_id=takeback_id,
            )
        )
    await _decide(conn, takeback_id, decider=person, actor=actor, reason=reason, now=now)
    return await get_takeback(conn, takeback_id)


async def withdraw_takeback(
    conn: AsyncConnection,
    *,
    takeback_id: int,
    person: str,
    actor: str,
    member_id: int | None = None,
    now: datetime | None = None,
) -> Takeback:
    """The proposer withdraws their proposal; nothing moves. Withdrawing again answers it
    (``replayed``)."""
    row = await _locked(conn, takeback_id, member_id)
    if row.proposer != person:
        raise FourEyes(
            _(
                "Only the proposer withdraws take-back {takeback_id}; decline it, with a "
                "reason, instead.",
                takeback_id=takeback_id,
            )
        )
    if row.status == DECLINED and row.decider is None:
        return await get_takeback(conn, takeback_id, replayed=True)
    if row.status != PROPOSED:
        raise _decided_already(row, takeback_id)
    await _decide(conn, takeback_id, decider=None, actor=actor, reason=WITHDRAWN_REASON, now=now)
    return await get_takeback(conn, takeback_id)


async def _decide(
    conn: AsyncConnection,
    takeback_id: int,
    *,
    decider: str | None,
    actor: str,
    reason: str,
    now: datetime | None,
) -> None:
    await conn.execute(
        sheet_takeback.update()
        .where(sheet_takeback.c.id == takeback_id, sheet_takeback.c.status == PROPOSED)
        .values(
            status=DECLINED,
            decider=decider,
            decided_actor=actor,
            decided_at=now or datetime.now(UTC),
            decline_reason=reason,
        )
    )
