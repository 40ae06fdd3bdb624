"""Reading take-backs: one, a sheet's, or those of a unit's grids (the list a second person
works through). A take-back declined by nobody but its proposer reads as ``withdrawn``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

import community
from council._tables import scoring_sheet, sheet_line, sheet_takeback
from council.errors import TakebackNotFound
from i18n import Message, _

PROPOSED, CONFIRMED, DECLINED, WITHDRAWN = "proposed", "confirmed", "declined", "withdrawn"
WITHDRAWN_REASON = "withdrawn by its proposer"


@dataclass(frozen=True, slots=True)
class Takeback:
    """A proposal to take points back, and what became of it."""

    id: int
    sheet_id: int
    grid_code: str
    grid_path: str
    line_no: int | None  # None: the whole sheet
    passbook_number: str | None
    points: int  # the points of the line, or of the whole sheet's lines
    reason: str
    status: str  # proposed, confirmed, declined or withdrawn
    proposer: str
    proposed_actor: str
    proposed_at: datetime
    decider: str | None
    decided_actor: str | None
    decided_at: datetime | None
    decline_reason: str | None
    entry_id: int | None
    replayed: bool = False

    @property
    def kind(self) -> str:
        return "reversal" if self.line_no is None else "correction"

    @property
    def what(self) -> Message:
        if self.line_no is None:
            return _("reversing sheet {sheet_id} whole", sheet_id=self.sheet_id)
        return _(
            "correcting line {line_no} of sheet {sheet_id} ({passbook_number})",
            line_no=self.line_no,
            sheet_id=self.sheet_id,
            passbook_number=self.passbook_number,
        )


def _query() -> Any:
    t, s, o = sheet_takeback, scoring_sheet, community.org_unit
    v = community.volunteer
    whole = (
        select(sheet_line.c.sheet_id, func.sum(sheet_line.c.points).label("points"))
        .group_by(sheet_line.c.sheet_id)
        .subquery()
    )
    return (
        select(
            t,
            o.c.code.label("grid_code"),
            o.c.path.label("grid_path"),
            sheet_line.c.line_no,
            sheet_line.c.points.label("line_points"),
            v.c.passbook_number,
            whole.c.points.label("sheet_points"),
        )
        .join(s, s.c.id == t.c.sheet_id)
        .join(o, o.c.id == s.c.grid_id)
        .join(whole, whole.c.sheet_id == t.c.sheet_id)
        .outerjoin(sheet_line, sheet_line.c.id == t.c.line_id)
        .outerjoin(v, v.c.id == sheet_line.c.volunteer_id)
    )


def _takeback(row: Any, replayed: bool = False) -> Takeback:
    status = row.status
    if status == DECLINED and row.decider is None:
        status = WITHDRAWN
    return Takeback(
        id=row.id,
        sheet_id=row.sheet_id,
        grid_code=row.grid_code,
        grid_path=row.grid_path,
        line_no=row.line_no,
        passbook_number=row.passbook_number,
        points=int(row.line_points if row.line_id is not None else row.sheet_points),
        reason=row.reason,
        status=status,
        proposer=row.proposer,
        proposed_actor=row.proposed_actor,
        proposed_at=row.proposed_at,
        decider=row.decider,
        decided_actor=row.decided_actor,
        decided_at=row.decided_at,
        decline_reason=row.decline_reason,
        entry_id=row.entry_id,
        replayed=replayed,
    )


async def get_takeback(
    conn: AsyncConnection, takeback_id: int, *, replayed: bool = False
) -> Takeback:
    row = (await conn.execute(_query().where(sheet_takeback.c.id == takeback_id))).first()
    if row is None:
        raise TakebackNotFound(_("No take-back proposal {takeback_id}.", takeback_id=takeback_id))
    return _takeback(row, replayed)


async def list_takebacks(conn: AsyncConnection, sheet_id: int) -> list[Takeback]:
    """Every take-back proposed for a sheet, oldest first."""
    rows = await conn.execute(
        _query().where(sheet_takeback.c.sheet_id == sheet_id).order_by(sheet_takeback.c.id)
    )
    return [_takeback(row) for row in rows]


async def takebacks_under(
    conn: AsyncConnection,
    *,
    scope: str,
    status: str | None = None,
    before_id: int | None = None,
    limit: int,
) -> list[Takeback]:
    """The take-backs of the sheets of the grids under org path ``scope``, newest first, of
    ``status`` if given (``proposed``: those waiting for someone to decide), older than
    ``before_id``; at most ``limit``."""
    query = _query().where(community.under(scope))
    if status is not None:
        query = query.where(sheet_takeback.c.status == status)
    if before_id is not None:
        query = query.where(sheet_takeback.c.id < before_id)
    rows = await conn.execute(query.order_by(sheet_takeback.c.id.desc()).limit(limit))
    return [_takeback(row) for row in rows]


__all__ = [
    "CONFIRMED",
    "DECLINED",
    "PROPOSED",
    "WITHDRAWN",
    "WITHDRAWN_REASON",
    "Takeback",
    "get_takeback",
    "list_takebacks",
    "takebacks_under",
]
